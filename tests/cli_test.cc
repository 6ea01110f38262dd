// The detsim command line, driven in-process through run_cli: every bad
// input is exit 64 with one "detsim: " line and nothing run; run prints one
// key=value (or JSON) line per seed in seed order, failure details, a
// summary, and the exit code of the first failing seed; --jobs gives the
// same results as one process, and a worker that dies costs only its seed.
#include "replay/cli.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "models/registry.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;

// A tiny model of our own: one server that sleeps and exits. Its bugs make
// the check fail ("always_unsafe") or kill the process on about half the
// seeds ("abort_some"), decided by the node's seeded stream.
class TinyModel final : public Model {
 public:
  explicit TinyModel(const Params& params) : bug_(params.text("bug")) {}
  void setup(Setup& setup) override {
    bool abort_some = bug_ == "abort_some";
    setup.add_server("s0", [abort_some](Context& ctx) {
      ctx.sleep_for(Duration::milliseconds(10));
      if (abort_some && ctx.rng().below(2) == 0) std::abort();
    });
  }
  CheckResult check() override {
    if (bug_ == "always_unsafe") return CheckResult::safety("planted", "the check always fails");
    return CheckResult::ok();
  }
  void report(MetricList& metrics) const override {
    metrics.push_back({"items", 7});
    metrics.push_back({"ratio", 1.0 / 3.0});
  }

 private:
  std::string bug_;
};

ModelRegistry tiny_registry() {
  ModelInfo info;
  info.name = "tiny";
  info.summary = "a model for command-line tests";
  ParamSpec size;
  size.key = "size";
  size.type = ParamType::integer;
  size.default_text = "3";
  size.doc = "how big";
  size.min = 1;
  size.max = 10;
  info.params = {size};
  info.bugs = {{"always_unsafe", "the check fails"}, {"abort_some", "the process dies on some seeds"}};
  info.make = [](const Params& params) { return std::make_unique<TinyModel>(params); };
  ModelRegistry registry;
  registry.add(std::move(info));
  return registry;
}

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
  std::vector<std::string> out_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() / ("detsim_cli_test_" + std::to_string(random()));
    fs::create_directories(dir_);
    setenv("DETSIM_SCENARIO_DIR", dir_.c_str(), 1);
    write("tiny", "model = \"tiny\"\ndescription = \"tiny scenario\"\nduration = \"1s\"\nsettle = \"0s\"\n");
  }
  void TearDown() override {
    unsetenv("DETSIM_SCENARIO_DIR");
    fs::remove_all(dir_);
  }

  fs::path write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / (name + ".toml");
    std::ofstream(path) << text;
    return path;
  }

  CliResult run(std::vector<std::string> args, const ModelRegistry* registry = nullptr) {
    args.insert(args.begin(), "detsim");
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::ostringstream out;
    std::ostringstream err;
    CliResult result;
    result.code =
        run_cli(static_cast<int>(args.size()), argv.data(), out, err, registry != nullptr ? *registry : registry_);
    result.out = out.str();
    result.err = err.str();
    return result;
  }

  // Bad input: exit 64, one "detsim: " line on err, nothing on out.
  std::string expect_bad_input(std::vector<std::string> args) {
    CliResult result = run(args);
    EXPECT_EQ(result.code, 64) << result.out << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(result.err.rfind("detsim: ", 0), 0u) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    return result.err;
  }

  fs::path dir_;
  ModelRegistry registry_ = tiny_registry();
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string fingerprint_field(const std::string& text) {
  std::smatch match;
  return std::regex_search(text, match, std::regex("fingerprint=[0-9a-f]{16}")) ? match.str() : "none";
}

std::string without_wall_time(const std::string& text) {
  return std::regex_replace(text, std::regex("wall_s=[0-9.]+"), "wall_s=X");
}

// ---- bad input ----

TEST_F(CliTest, UnknownScenario) {
  EXPECT_EQ(expect_bad_input({"run", "nosuch"}), "detsim: unknown scenario 'nosuch' (available: tiny)\n");
}

TEST_F(CliTest, UnknownKeyInFile) {
  write("bad", "model = \"tiny\"\nbogus = 1\n");
  EXPECT_TRUE(contains(expect_bad_input({"run", "bad"}), "bad.toml:2: unknown key 'bogus' (known: "));
}

TEST_F(CliTest, WrongTypeInFile) {
  write("bad", "model = \"tiny\"\nsize = true\n");
  EXPECT_TRUE(
      contains(expect_bad_input({"run", "bad"}), "bad.toml:2: key 'size': expected an integer, got boolean true"));
}

TEST_F(CliTest, OutOfRangeInFile) {
  write("bad", "model = \"tiny\"\n[net]\nloss = 1.5\n");
  EXPECT_TRUE(
      contains(expect_bad_input({"run", "bad"}), "bad.toml:3: key 'net.loss': expected a number in [0, 1], got 1.5"));
}

TEST_F(CliTest, TomlSyntaxError) {
  write("bad", "model = \"tiny\"\nsize = [\n");
  EXPECT_TRUE(contains(expect_bad_input({"replay", "bad", "--seed", "1"}), "bad.toml:"));
}

TEST_F(CliTest, UnknownSetKey) {
  std::string err = expect_bad_input({"run", "tiny", "--set", "nope=1"});
  EXPECT_EQ(err.rfind("detsim: unknown key 'nope' (known: ", 0), 0u) << err;
}

TEST_F(CliTest, BadSetValue) {
  EXPECT_EQ(expect_bad_input({"run", "tiny", "--set", "size=0"}),
            "detsim: --set size=0: expected an integer in [1, 10], got 0\n");
  EXPECT_EQ(expect_bad_input({"run", "tiny", "--set", "size"}), "detsim: --set size: expected KEY=VALUE\n");
}

TEST_F(CliTest, UnknownBugListsValidNames) {
  EXPECT_EQ(expect_bad_input({"run", "tiny", "--set", "bug=nope"}),
            "detsim: --set bug=nope: expected one of none, always_unsafe, abort_some, got \"nope\"\n");
}

TEST_F(CliTest, BadSeeds) {
  expect_bad_input({"run", "tiny", "--seeds", "x"});
  expect_bad_input({"run", "tiny", "--seeds", "1..x"});
  expect_bad_input({"run", "tiny", "--seeds", "1-5"});
  expect_bad_input({"run", "tiny", "--seeds", "5..1"});
  expect_bad_input({"run", "tiny", "--seeds", "-1..3"});
  expect_bad_input({"run", "tiny", "--seed", "abc"});
  expect_bad_input({"run", "tiny", "--seed", "-3"});
}

TEST_F(CliTest, SeedWithSeeds) { expect_bad_input({"run", "tiny", "--seed", "1", "--seeds", "1..3"}); }

TEST_F(CliTest, UnknownFlag) { expect_bad_input({"run", "tiny", "--bogus"}); }

TEST_F(CliTest, UnknownSubcommand) {
  EXPECT_EQ(expect_bad_input({"frobnicate"}),
            "detsim: unknown command 'frobnicate' (commands: list, run, replay, report, shrink, sweep, check-history, "
            "explore, ci, merge)\n");
  expect_bad_input({});
  expect_bad_input({"--bogus"});
}

TEST_F(CliTest, OtherBadInput) {
  expect_bad_input({"run"});
  expect_bad_input({"run", "tiny", "--jobs", "0"});
  expect_bad_input({"run", "tiny", "--jobs", "x"});
  expect_bad_input({"run", "tiny", "extra"});
  expect_bad_input({"replay", "tiny"});  // --seed is required
  expect_bad_input({"replay", "tiny", "--seed", "1", "--dot", (dir_ / "a.dot").string(), "--window", "2s..1s"});
  expect_bad_input({"replay", "tiny", "--seed", "1", "--dot", (dir_ / "a.dot").string(), "--window", "1s"});
  expect_bad_input({"replay", "tiny", "--seed", "1", "--trace", "/nonexistent/dir/t.jsonl"});
}

TEST_F(CliTest, BadFaultScheduleIsBadInput) {
  auto file = [&](const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  };
  EXPECT_TRUE(
      contains(expect_bad_input({"run", "tiny", "--faults", (dir_ / "missing.txt").string()}), "cannot read the file"));
  EXPECT_TRUE(contains(expect_bad_input({"run", "tiny", "--faults", file("kind.txt", "1s crash n0\n2s explode n0\n")}),
                       "line 2: fault '2s explode n0'"));
  // tiny has one node, n0.
  EXPECT_TRUE(
      contains(expect_bad_input({"replay", "tiny", "--seed", "1", "--faults", file("node.txt", "1s crash n3\n")}),
               "there is no node n3"));
  EXPECT_TRUE(contains(expect_bad_input({"run", "tiny", "--faults", file("empty.txt", "\n")}), "the file is empty"));
  EXPECT_TRUE(contains(expect_bad_input({"run", "tiny", "--faults", file("ring.txt", "1s ring n0,n0,n1,n2\n")}),
                       "ring names n0 twice"));
  EXPECT_TRUE(contains(expect_bad_input({"run", "tiny", "--faults", file("flap.txt", "1s flap n0 n0 1s 100ms\n")}),
                       "a flap needs two different nodes"));
  expect_bad_input({"run", "tiny", "--set", "faults.schedule=1s crash"});
  expect_bad_input({"run", "tiny", "--set", "net.links=n0>n1 latency=soon"});
  write("bad_schedule", "model = \"tiny\"\ndescription = \"d\"\n[faults]\nschedule = \"1s crash n9\"\n");
  EXPECT_TRUE(contains(expect_bad_input({"run", "bad_schedule"}), "bad_schedule.toml: fault schedule:"));
}

TEST_F(CliTest, SaveFaultsWritesAScheduleThatFaultsReads) {
  const std::string saved = (dir_ / "saved.txt").string();
  const std::string given = (dir_ / "given.txt").string();
  std::ofstream(given) << "# by hand\n100ms pause n0 5ms\n";
  CliResult first = run({"replay", "tiny", "--seed", "2", "--faults", given, "--save-faults", saved});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "faults: " + saved + " (1 actions)")) << first.out;
  CliResult second = run({"run", "tiny", "--seed", "2", "--faults", saved});
  EXPECT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(fingerprint_field(first.out), fingerprint_field(second.out));
  // Nothing half-written is left when the path cannot be written.
  expect_bad_input({"replay", "tiny", "--seed", "1", "--save-faults", "/nonexistent/dir/f.txt"});
}

TEST_F(CliTest, HelpExitsZero) {
  CliResult result = run({"--help"});
  EXPECT_EQ(result.code, 0);
  EXPECT_TRUE(contains(result.out, "run")) << result.out;
  EXPECT_EQ(run({"run", "--help"}).code, 0);
}

// ---- run ----

TEST_F(CliTest, RunOneSeedPrintsOneLine) {
  CliResult result = run({"run", "tiny"});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  std::vector<std::string> lines = result.out_lines();
  ASSERT_EQ(lines.size(), 1u) << result.out;
  std::regex line(
      "seed=1 verdict=pass events=[0-9]+ sim_s=[0-9]+\\.[0-9]{3} wall_s=[0-9]+\\.[0-9]{3} "
      "fingerprint=[0-9a-f]{16} items=7 ratio=0\\.333333 messages=[0-9]+");
  EXPECT_TRUE(std::regex_match(lines[0], line)) << lines[0];
}

TEST_F(CliTest, SameSeedSameFingerprint) {
  CliResult first = run({"run", "tiny", "--seed", "42"});
  CliResult second = run({"run", "tiny", "--seed", "42"});
  EXPECT_TRUE(contains(first.out, "seed=42 "));
  EXPECT_EQ(without_wall_time(first.out), without_wall_time(second.out));
}

TEST_F(CliTest, FailingSeedPrintsPropertyFaultsAndReproduce) {
  CliResult result = run({"run", "tiny", "--seeds", "3..4", "--set", "bug=always_unsafe", "--set", "size=2"});
  EXPECT_EQ(result.code, 1);
  std::vector<std::string> lines = result.out_lines();
  ASSERT_EQ(lines.size(), 11u) << result.out;
  EXPECT_EQ(lines[0].rfind("seed=3 verdict=safety ", 0), 0u);
  EXPECT_EQ(lines[1], "  property: planted: the check always fails");
  EXPECT_EQ(lines[2], "  faults: none");
  EXPECT_EQ(lines[3], "  reproduce: detsim replay tiny --seed 3 --set bug=always_unsafe --set size=2");
  EXPECT_EQ(lines[4].rfind("seed=4 verdict=safety ", 0), 0u);
  EXPECT_TRUE(std::regex_match(
      lines[8], std::regex("summary: seeds=2 pass=0 fail=2 \\(safety=2\\) events=[0-9]+ wall_s=[0-9.]+")))
      << lines[8];
  EXPECT_EQ(lines[9], "  failing seeds: 3 4");
  EXPECT_EQ(lines[10], "  failures per property: planted=2");
}

TEST_F(CliTest, ReproduceQuotesForTheShell) {
  CliResult result = run({"run", "tiny", "--set", "bug=always_unsafe", "--set", "net.latency=uniform(1ms, 2ms)"});
  EXPECT_TRUE(contains(result.out,
                       "reproduce: detsim replay tiny --seed 1 --set bug=always_unsafe --set "
                       "'net.latency=uniform(1ms, 2ms)'\n"))
      << result.out;
}

TEST_F(CliTest, SeedsSummary) {
  CliResult result = run({"run", "tiny", "--seeds", "1..5"});
  EXPECT_EQ(result.code, 0);
  std::vector<std::string> lines = result.out_lines();
  ASSERT_EQ(lines.size(), 6u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(lines[i].rfind("seed=" + std::to_string(i + 1) + " verdict=pass", 0), 0u);
  EXPECT_EQ(lines[5].rfind("summary: seeds=5 pass=5 fail=0 events=", 0), 0u) << lines[5];
  EXPECT_EQ(result.err, "");  // not a terminal: no progress line
}

TEST_F(CliTest, JsonLines) {
  CliResult result = run({"run", "tiny", "--seeds", "1..2", "--json", "--set", "bug=always_unsafe"});
  EXPECT_EQ(result.code, 1);
  std::vector<std::string> lines = result.out_lines();
  ASSERT_EQ(lines.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    nlohmann::json line = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(line["seed"], i + 1);
    EXPECT_EQ(line["verdict"], "safety");
    EXPECT_EQ(line["exit"], 1);
    EXPECT_EQ(line["property"], "planted");
    EXPECT_EQ(line["items"], 7);
    EXPECT_TRUE(line["fingerprint"].is_string());
    EXPECT_EQ(line["fingerprint"].get<std::string>().size(), 16u);
    for (const char* key : {"events", "sim_s", "wall_s", "stop_reason", "detail", "faults", "reproduce", "ratio"}) {
      EXPECT_TRUE(line.contains(key)) << key;
    }
  }
  nlohmann::json summary = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(summary["summary"]["seeds"], 2);
  EXPECT_EQ(summary["summary"]["safety"], 2);
  EXPECT_EQ(summary["summary"]["exit"], 1);
}

TEST_F(CliTest, JobsGiveTheSameResultsInSeedOrder) {
  CliResult one = run({"run", "tiny", "--seeds", "1..7"});
  CliResult three = run({"run", "tiny", "--seeds", "1..7", "--jobs", "3"});
  EXPECT_EQ(three.code, 0) << three.err;
  EXPECT_EQ(without_wall_time(one.out), without_wall_time(three.out));
  CliResult many = run({"run", "tiny", "--seeds", "5..6", "--jobs", "8"});  // more jobs than seeds
  EXPECT_EQ(many.out_lines().size(), 3u);
}

// A worker killed mid-seed reports that seed as model_crashed, names the
// signal, and the other seeds still run.
TEST_F(CliTest, CrashedWorkerCostsOnlyItsSeed) {
  CliResult result = run({"run", "tiny", "--seeds", "1..12", "--jobs", "2", "--set", "bug=abort_some"});
  int crashed = 0;
  int passed = 0;
  uint64_t expected_seed = 1;
  for (const std::string& line : result.out_lines()) {
    if (line.rfind("seed=", 0) != 0) continue;
    EXPECT_EQ(line.rfind("seed=" + std::to_string(expected_seed++) + " ", 0), 0u) << line;
    if (contains(line, "verdict=model_crashed")) ++crashed;
    if (contains(line, "verdict=pass")) ++passed;
  }
  EXPECT_EQ(crashed + passed, 12) << result.out;
  ASSERT_GT(crashed, 0) << "no seed of 1..12 aborted; pick another range";
  EXPECT_GT(passed, 0);
  EXPECT_EQ(result.code, 3);
  EXPECT_TRUE(contains(result.out, "  property: process_crashed: worker process killed by SIGABRT")) << result.out;
  EXPECT_TRUE(contains(result.out, "(model_crashed=" + std::to_string(crashed) + ")"));
}

TEST_F(CliTest, ExitCodeIsTheFirstFailingSeeds) {
  CliResult result = run({"run", "tiny", "--seeds", "1..12", "--jobs", "2", "--set", "bug=abort_some", "--json"});
  std::vector<std::string> lines = result.out_lines();
  ASSERT_FALSE(lines.empty());
  int first_failure = 0;
  for (const std::string& line : lines) {
    nlohmann::json parsed = nlohmann::json::parse(line);
    if (parsed.contains("exit") && parsed["exit"] != 0 && first_failure == 0) first_failure = parsed["exit"];
  }
  EXPECT_EQ(result.code, first_failure);
}

// ---- replay and list ----

TEST_F(CliTest, ReplayPrintsTheRunLine) {
  CliResult ran = run({"run", "tiny", "--seed", "9", "--set", "bug=always_unsafe"});
  CliResult replayed = run({"replay", "tiny", "--seed", "9", "--set", "bug=always_unsafe"});
  EXPECT_EQ(replayed.code, 1);
  EXPECT_EQ(without_wall_time(ran.out), without_wall_time(replayed.out));
}

#if __has_include("sim/trace/jsonl_writer.h") && __has_include("sim/trace/dot_writer.h") && \
                                                               __has_include("sim/trace/perfetto_writer.h")
TEST_F(CliTest, ReplayWritesTraceFilesWhole) {
  std::string trace = (dir_ / "t.jsonl").string();
  std::string dot = (dir_ / "t.dot").string();
  std::string perfetto = (dir_ / "t.json").string();
  CliResult result = run(
      {"replay", "tiny", "--seed", "2", "--trace", trace, "--dot", dot, "--perfetto", perfetto, "--window", "0s..1s"});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(contains(result.out,
                       "dot: " + dot + " (render: neato -n2 -Tsvg " + dot + " -o " + (dir_ / "t.svg").string() + ")\n"))
      << result.out;
  for (const std::string& path : {trace, dot, perfetto}) {
    EXPECT_TRUE(fs::exists(path)) << path;
    EXPECT_GT(fs::file_size(path), 0u) << path;
    EXPECT_FALSE(fs::exists(path + ".tmp")) << path;
  }
}
#endif

TEST_F(CliTest, ListShowsScenariosModelsParamsAndBugs) {
  CliResult result = run({"list"});
  EXPECT_EQ(result.code, 0);
  for (const char* part : {"tiny scenario", "model tiny", "size", "integer", "how big", "always_unsafe", "duration"}) {
    EXPECT_TRUE(contains(result.out, part)) << part << "\n" << result.out;
  }
}

// The real registry and a real model, when it is built in.
TEST_F(CliTest, BroadcastSmoke) {
  if (model_registry().find("broadcast") == nullptr) GTEST_SKIP() << "no broadcast model in this build";
  write("small_broadcast", "model = \"broadcast\"\nduration = \"3s\"\nsettle = \"1s\"\nnodes = 3\n");
  const ModelRegistry& real = model_registry();
  CliResult result = run({"run", "small_broadcast", "--seeds", "1..2"}, &real);
  EXPECT_TRUE(result.code == 0 || result.code == 1) << result.out << result.err;
  EXPECT_EQ(result.out_lines().back().rfind("summary: seeds=2 ", 0), 0u) << result.out;
  CliResult bad = run({"run", "small_broadcast", "--set", "bug=nope"}, &real);
  EXPECT_EQ(bad.code, 64);
  EXPECT_TRUE(contains(bad.err, "no_retry")) << bad.err;
}

}  // namespace
}  // namespace detsim
