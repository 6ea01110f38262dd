// Coverage probes (docs/coverage.md): every probe a stock model declares is
// hit by its stock scenario within the CI seed range; a probe the model did
// not declare is a model crash; hits are counted, zero hits included, and
// cross the worker pipe so `run --coverage` over 2 jobs adds up right; and a
// hit never changes the run (same fingerprint with or without hits).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "models/registry.h"
#include "replay/cli.h"
#include "replay/scenario.h"
#include "tests/real_cli.h"
#include "tests/run_helpers.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;

// ---- the stock models hit what they declare ----

struct StockCase {
  const char* scenario;
  uint64_t seeds_max;  // the CI seed range: 1..seeds_max
};

class StockProbes : public ::testing::TestWithParam<StockCase> {};

// Runs seeds in order until every declared probe was hit, so a healthy model
// costs only the first few seeds.
TEST_P(StockProbes, EveryDeclaredProbeIsHitWithinTheCiSeedRange) {
  const Scenario scenario = load_scenario(GetParam().scenario, {}, model_registry());
  std::set<std::string> unhit;
  for (const ProbeSpec& probe : scenario.model->probes) unhit.insert(probe.name);
  ASSERT_GE(unhit.size(), 3u) << "a stock model declares at least 3 probes";
  uint64_t seed = 1;
  for (; seed <= GetParam().seeds_max && !unhit.empty(); ++seed) {
    const RunResult result = testing::run_scenario_seed(scenario, seed);
    ASSERT_EQ(result.probes.size(), scenario.model->probes.size());
    for (const ProbeCount& probe : result.probes) {
      if (probe.hits > 0) unhit.erase(probe.name);
    }
  }
  std::string names;
  for (const std::string& name : unhit) names += " " + name;
  EXPECT_TRUE(unhit.empty()) << GetParam().scenario << " seeds 1.." << GetParam().seeds_max << " never hit:" << names;
}

INSTANTIATE_TEST_SUITE_P(Coverage, StockProbes,
                         ::testing::Values(StockCase{"broadcast", 50}, StockCase{"raft_kv", 50},
                                           StockCase{"edge_replication", 25}, StockCase{"cdc_fanin", 25},
                                           StockCase{"log_mirror", 25}),
                         [](const auto& info) { return std::string(info.param.scenario); });

// ---- a probe model of our own ----

// One server that sleeps a random while `rounds` times and sends itself a
// datagram each time; it hits "even_draw" when the draw was even (so some
// seeds hit it and some not), "every_round" each round if hit_probes, and
// "undeclared" (a name it never declares) if call_undeclared.
struct ProbeModelOptions {
  bool hit_probes = true;
  bool call_undeclared = false;
};

class ProbeModel final : public Model {
 public:
  explicit ProbeModel(ProbeModelOptions options) : options_(options) {}
  void setup(Setup& setup) override {
    setup.add_server("s0", [options = options_](Context& ctx) {
      for (int round = 0; round < 3; ++round) {
        const uint64_t draw = ctx.rng().below(4);
        ctx.sleep_for(Duration::milliseconds(static_cast<int64_t>(1 + draw)));
        ctx.net().send(ctx.self(), Message(int64_t{round}));
        if (options.hit_probes) {
          ctx.sometimes("even_draw", draw % 2 == 0);
          ctx.sometimes("every_round", true);
        }
        ctx.sometimes("never_hit", false);
        if (options.call_undeclared) ctx.sometimes("undeclared_probe", false);
      }
    });
  }
  CheckResult check() override { return CheckResult::ok(); }

 private:
  ProbeModelOptions options_;
};

ModelInfo probe_model_info(ProbeModelOptions options) {
  ModelInfo info;
  info.name = "probes";
  info.summary = "a model for coverage tests";
  info.probes = {{"even_draw", "the draw was even"}, {"every_round", "each round"}, {"never_hit", "never"}};
  info.make = [options](const Params&) { return std::make_unique<ProbeModel>(options); };
  return info;
}

RunResult run_probe_model(const ModelInfo& info, uint64_t seed) {
  RunRequest request;
  request.model = &info;
  request.params = default_params(info);
  request.params.set("duration", Duration::seconds(1));
  request.seed = seed;
  return simulate(request);
}

uint64_t hits_of(const RunResult& result, const std::string& name) {
  for (const ProbeCount& probe : result.probes) {
    if (probe.name == name) return probe.hits;
  }
  ADD_FAILURE() << "no probe " << name;
  return 0;
}

TEST(Coverage, HitsAreCountedPerProbeInDeclarationOrderZeroHitsIncluded) {
  const ModelInfo info = probe_model_info({});
  const RunResult result = run_probe_model(info, 7);
  ASSERT_EQ(result.verdict, Verdict::pass) << result.detail;
  ASSERT_EQ(result.probes.size(), 3u);
  EXPECT_EQ(result.probes[0].name, "even_draw");
  EXPECT_EQ(result.probes[1].name, "every_round");
  EXPECT_EQ(result.probes[1].hits, 3u);
  EXPECT_EQ(result.probes[2].name, "never_hit");
  EXPECT_EQ(result.probes[2].hits, 0u);
  EXPECT_LE(result.probes[0].hits, 3u);
}

TEST(Coverage, AnUndeclaredProbeNameIsAModelCrashNamingIt) {
  const ModelInfo info = probe_model_info({.hit_probes = true, .call_undeclared = true});
  const RunResult result = run_probe_model(info, 1);
  EXPECT_EQ(result.verdict, Verdict::model_crashed);
  EXPECT_NE(result.detail.find("undeclared_probe"), std::string::npos) << result.detail;
}

TEST(Coverage, HittingProbesLeavesTheRunAndItsFingerprintUnchanged) {
  const ModelInfo hitting = probe_model_info({.hit_probes = true});
  const ModelInfo silent = probe_model_info({.hit_probes = false});
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const RunResult with_hits = run_probe_model(hitting, seed);
    const RunResult without = run_probe_model(silent, seed);
    EXPECT_EQ(hits_of(with_hits, "every_round"), 3u);
    EXPECT_EQ(hits_of(without, "every_round"), 0u);
    EXPECT_EQ(with_hits.fingerprint, without.fingerprint) << "seed " << seed;
    EXPECT_EQ(with_hits.events, without.events) << "seed " << seed;
  }
}

// ---- `run --coverage` through the command line, over 2 worker processes ----

class CoverageCli : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("DETSIM_SCENARIO_DIR", dir_.path().c_str(), 1);
    std::ofstream(dir_.path() / "probes.toml")
        << "model = \"probes\"\ndescription = \"probes\"\nduration = \"1s\"\nsettle = \"0s\"\n";
    registry_.add(probe_model_info({}));
  }
  void TearDown() override { unsetenv("DETSIM_SCENARIO_DIR"); }

  std::string run(std::vector<std::string> args) {
    const testing::CliRun result = testing::real_cli(std::move(args), registry_);
    EXPECT_EQ(result.code, 0) << result.err;
    return result.out;
  }

  testing::ScratchDir dir_{"detsim_coverage_test_"};
  ModelRegistry registry_;
};

// The expected line, from runs in this process.
std::string expected_line(const ModelInfo& info, const std::string& name, uint64_t seeds) {
  uint64_t hits = 0;
  uint64_t seeds_hit = 0;
  uint64_t first_seed = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    const uint64_t seed_hits = hits_of(run_probe_model(info, seed), name);
    hits += seed_hits;
    seeds_hit += seed_hits > 0 ? 1 : 0;
    if (seed_hits > 0 && first_seed == 0) first_seed = seed;
  }
  const std::string first = first_seed == 0 ? "never" : std::to_string(first_seed);
  return "coverage: " + name + " hits=" + std::to_string(hits) + " seeds=" + std::to_string(seeds_hit) + "/" +
         std::to_string(seeds) + " first_seed=" + first;
}

std::string without_wall_times(const std::string& text) {
  return std::regex_replace(text, std::regex("wall_s=[0-9.]+"), "wall_s=X");
}

TEST_F(CoverageCli, CoverageOverTwoJobsAddsUpTheSeedsHits) {
  const std::string out = run({"run", "probes", "--seeds", "1..12", "--jobs", "2", "--coverage"});
  const ModelInfo& info = *registry_.find("probes");
  const std::string expected = expected_line(info, "even_draw", 12) + "\n" + expected_line(info, "every_round", 12) +
                               "\n" + "coverage: never_hit hits=0 seeds=0/12 first_seed=never\n";
  ASSERT_GE(out.size(), expected.size()) << out;
  EXPECT_EQ(out.substr(out.size() - expected.size()), expected) << out;
  // Some seeds hit even_draw and some do not, or the test shows nothing.
  EXPECT_EQ(expected_line(info, "even_draw", 12).find("seeds=12/"), std::string::npos);
  EXPECT_EQ(expected_line(info, "even_draw", 12).find("seeds=0/"), std::string::npos);
}

TEST_F(CoverageCli, WithoutTheFlagTheOutputHasNoCoverageLines) {
  const std::string with = run({"run", "probes", "--seeds", "1..4", "--jobs", "2", "--coverage"});
  const std::string without = run({"run", "probes", "--seeds", "1..4", "--jobs", "2"});
  EXPECT_EQ(without.find("coverage"), std::string::npos) << without;
  EXPECT_EQ(without_wall_times(with).rfind(without_wall_times(without), 0), 0u) << with << "\n" << without;
}

TEST_F(CoverageCli, JsonCoverageIsOneObjectPerProbe) {
  const std::string out = run({"run", "probes", "--seeds", "1..3", "--json", "--coverage"});
  std::istringstream lines(out);
  std::vector<std::string> coverage;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("{\"coverage\":", 0) == 0) coverage.push_back(line);
  }
  ASSERT_EQ(coverage.size(), 3u) << out;
  EXPECT_EQ(coverage[1],
            "{\"coverage\":{\"probe\":\"every_round\",\"hits\":9,\"seeds_hit\":3,\"seeds\":3,\"first_seed\":1}}");
  EXPECT_EQ(coverage[2],
            "{\"coverage\":{\"probe\":\"never_hit\",\"hits\":0,\"seeds_hit\":0,\"seeds\":3,\"first_seed\":null}}");
}

}  // namespace
}  // namespace detsim
