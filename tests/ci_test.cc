// `detsim ci`: scenarios over seeds in worker processes, JUnit XML with a
// testcase per scenario and a failure per failing seed, artifacts per
// failing seed, a time budget shared out across scenarios, and bad input
// rejected before anything runs.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "tests/real_cli.h"
#include "tests/reproduce_check.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

using testing::CliRun;
using testing::real_cli;
using testing::ScratchDir;
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(CiCommand, PassingScenariosGiveOnePassingTestcaseEach) {
  ScratchDir dir("detsim_ci_pass");
  const fs::path junit = dir.path() / "report.xml";
  CliRun run = real_cli({"ci", "broadcast", "queue", "--seeds", "1..3", "--junit", junit.string()});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("ci: scenario=broadcast seeds=3 fail=0"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("ci: scenarios=2 runs=6 fail=0"), std::string::npos) << run.out;
  const std::string xml = read_file(junit);
  EXPECT_EQ(count_of(xml, "<testcase "), 2u) << xml;
  EXPECT_NE(xml.find("name=\"broadcast\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"queue\""), std::string::npos) << xml;
  EXPECT_EQ(count_of(xml, "<failure"), 0u) << xml;
}

TEST(CiCommand, APlantedBugGivesAFailurePerSeedAndArtifactsThatReplay) {
  ScratchDir dir("detsim_ci_fail");
  const fs::path junit = dir.path() / "report.xml";
  const fs::path artifacts = dir.path() / "artifacts";
  CliRun run = real_cli({"ci", "broadcast", "--seeds", "1..4", "--set", "bug=no_retry", "--junit", junit.string(),
                         "--artifacts", artifacts.string()});
  ASSERT_EQ(run.code, 1) << run.out << run.err;
  const size_t failing = count_of(run.out, "verdict=safety");
  ASSERT_GE(failing, 1u) << run.out;
  const std::string xml = read_file(junit);
  EXPECT_EQ(count_of(xml, "<testcase "), 1u);
  EXPECT_EQ(count_of(xml, "<failure "), failing) << xml;
  EXPECT_NE(xml.find("reproduce: detsim replay broadcast --seed "), std::string::npos) << xml;
  EXPECT_NE(xml.find("acked_value_everywhere"), std::string::npos) << xml;
  // Each failing seed's directory holds what an engineer needs, and its
  // reproduce line gives the run's fingerprint again.
  std::smatch match;
  std::string rest = run.out;
  size_t checked = 0;
  while (std::regex_search(rest, match, std::regex("seed=([0-9]+) verdict=safety[^\n]* fingerprint=([0-9a-f]{16})"))) {
    const fs::path seed_dir = artifacts / "broadcast" / ("seed-" + match[1].str());
    for (const char* file : {"reproduce.txt", "faults.txt", "trace.jsonl", "history.jsonl"}) {
      EXPECT_TRUE(fs::exists(seed_dir / file)) << seed_dir / file;
    }
    EXPECT_GT(fs::file_size(seed_dir / "trace.jsonl"), 0u);
    const std::string reproduce = read_file(seed_dir / "reproduce.txt");
    EXPECT_EQ(reproduce.rfind("detsim replay broadcast --seed " + match[1].str() + " --set bug=no_retry\n", 0), 0u)
        << reproduce;
    CliRun replay = real_cli({"replay", "broadcast", "--seed", match[1].str(), "--set", "bug=no_retry"});
    EXPECT_EQ(testing::fingerprint_of(replay.out, match[1].str()), match[2].str());
    ++checked;
    rest = match.suffix();
  }
  EXPECT_EQ(checked, failing);
}

// A bug that fails most seeds must not fill the disk with traces: only
// the quickest --max-artifacts failures are saved, and the output says so.
TEST(CiCommand, MaxArtifactsKeepsTheQuickestFailuresOnly) {
  ScratchDir dir("detsim_ci_cap");
  const fs::path artifacts = dir.path() / "artifacts";
  CliRun run = real_cli({"ci", "broadcast", "--seeds", "1..10", "--set", "bug=no_retry", "--artifacts",
                         artifacts.string(), "--max-artifacts", "1", "--json"});
  ASSERT_EQ(run.code, 1) << run.out << run.err;
  std::smatch match;
  std::string rest = run.out;
  std::vector<std::tuple<double, uint64_t, uint64_t>> failing;  // (sim_s, events, seed), as ci orders them
  const std::regex row("\"seed\":([0-9]+),[^\n]*\"events\":([0-9]+),\"sim_s\":([0-9.]+)");
  while (std::regex_search(rest, match, row)) {
    failing.emplace_back(std::stod(match[3].str()), std::stoull(match[2].str()), std::stoull(match[1].str()));
    rest = match.suffix();
  }
  ASSERT_GE(failing.size(), 2u) << run.out;
  std::vector<fs::path> saved;
  for (const auto& entry : fs::directory_iterator(artifacts / "broadcast")) saved.push_back(entry.path());
  ASSERT_EQ(saved.size(), 1u);
  const auto quickest = *std::min_element(failing.begin(), failing.end());
  EXPECT_EQ(saved[0].filename(), "seed-" + std::to_string(std::get<2>(quickest)));
  EXPECT_NE(run.out.find(fmt::format("artifacts for 1 of {} failing seeds", failing.size())), std::string::npos)
      << run.out;
}

// Two CI machines with --shard 0/2 and 1/2 run, between them, exactly
// the runs of one unsharded ci, and report the same failing seeds.
TEST(CiCommand, ShardsSplitTheRunsAndTogetherFindTheSameFailures) {
  const std::vector<std::string> base = {"ci", "broadcast", "--seeds", "1..10", "--set", "bug=no_retry"};
  auto failing_seeds = [](const std::string& out) {
    std::vector<std::string> seeds;
    std::smatch match;
    std::string rest = out;
    while (std::regex_search(rest, match, std::regex("seed=([0-9]+) verdict=safety"))) {
      seeds.push_back(match[1].str());
      rest = match.suffix();
    }
    std::sort(seeds.begin(), seeds.end());
    return seeds;
  };
  CliRun whole = real_cli(base);
  std::vector<std::string> from_shards;
  uint64_t runs = 0;
  for (const char* shard : {"0/2", "1/2"}) {
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--shard", shard});
    CliRun part = real_cli(args);
    EXPECT_EQ(part.err, "");
    EXPECT_NE(part.out.find(std::string("shard=") + shard), std::string::npos) << part.out;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(part.out, match, std::regex("ci: scenarios=1 runs=([0-9]+)"))) << part.out;
    runs += std::stoull(match[1].str());
    for (const std::string& seed : failing_seeds(part.out)) from_shards.push_back(seed);
  }
  EXPECT_EQ(runs, 10u);
  std::sort(from_shards.begin(), from_shards.end());
  EXPECT_EQ(from_shards, failing_seeds(whole.out));
  EXPECT_FALSE(from_shards.empty()) << whole.out;
}

TEST(CiCommand, ATimeBudgetStopsHandingOutSeedsAndSharesThemOut) {
  CliRun run = real_cli({"ci", "broadcast", "queue", "--seeds", "1..1000000", "--time-budget", "300ms"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("(time budget reached)"), std::string::npos) << run.out;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(run.out, match, std::regex("scenario=broadcast seeds=([0-9]+)")));
  const uint64_t broadcast_runs = std::stoull(match[1].str());
  ASSERT_TRUE(std::regex_search(run.out, match, std::regex("scenario=queue seeds=([0-9]+)")));
  const uint64_t queue_runs = std::stoull(match[1].str());
  EXPECT_GE(broadcast_runs, 1u);
  EXPECT_LT(broadcast_runs, 1000000u);
  // Interleaved: neither scenario is more than one seed ahead of the other.
  EXPECT_LE(broadcast_runs - std::min(broadcast_runs, queue_runs), 1u);
  EXPECT_LE(queue_runs - std::min(broadcast_runs, queue_runs), 1u);
}

TEST(CiCommand, BadInputIsOneLineAndExit64AndWritesNothing) {
  ScratchDir dir("detsim_ci_bad");
  const fs::path junit = dir.path() / "report.xml";
  const std::vector<std::vector<std::string>> bad = {
      {"ci", "nosuch", "--junit", junit.string()},
      {"ci", "broadcast", "--seeds", "5..1", "--junit", junit.string()},
      {"ci", "broadcast", "--time-budget", "0s", "--junit", junit.string()},
      {"ci", "broadcast", "--time-budget", "soon", "--junit", junit.string()},
      {"ci", "broadcast", "--jobs", "0", "--junit", junit.string()},
      {"ci", "broadcast", "--max-artifacts", "0", "--junit", junit.string()},
      {"ci", "broadcast", "--shard", "2/2", "--junit", junit.string()},
      {"ci", "broadcast", "--set", "nosuch=1", "--junit", junit.string()},
      {"ci", "broadcast", "--junit", (dir.path() / "missing" / "report.xml").string()},
      {"ci", "broadcast", "--artifacts", "/proc/detsim-artifacts", "--junit", junit.string()},
  };
  for (const std::vector<std::string>& args : bad) {
    CliRun run = real_cli(args);
    EXPECT_EQ(run.code, 64) << args[2] << ": " << run.out << run.err;
    EXPECT_EQ(run.out, "") << args[2];
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_FALSE(fs::exists(junit)) << args[2];
  }
}

}  // namespace
}  // namespace detsim
