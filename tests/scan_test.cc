// Scanning many seeds from the command line: --failures-only, the summary's
// failing seeds and per-property counts, --json rows told apart by "type",
// --seeds N as one seed, --version, list --json, a reproduce line that
// names the binary as invoked, and op latency percentiles in --json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "replay/commands.h"
#include "replay/shard.h"
#include "tests/real_cli.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using testing::real_cli;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// broadcast with bug=no_retry: most seeds fail acked_value_everywhere,
// some pass (seeds 4, 20, 21, 26 and 30 of 1..30).
const std::vector<std::string> kNoRetry = {"run", "broadcast", "--set", "bug=no_retry", "--seeds", "1..30"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(ScanTest, FailuresOnlyPrintsOnlyFailingSeedsThenTheSummary) {
  CliRun all = real_cli(kNoRetry);
  CliRun failures = real_cli(with(kNoRetry, {"--failures-only"}));
  EXPECT_EQ(failures.code, all.code);
  ASSERT_EQ(failures.code, 1) << failures.err;
  int seed_lines = 0;
  for (const std::string& line : lines_of(failures.out)) {
    if (!starts_with(line, "seed=")) continue;
    ++seed_lines;
    EXPECT_EQ(line.find(" verdict=pass "), std::string::npos) << line;
  }
  int failing_in_all = 0;
  for (const std::string& line : lines_of(all.out)) {
    failing_in_all += starts_with(line, "seed=") && line.find(" verdict=pass ") == std::string::npos;
  }
  EXPECT_EQ(seed_lines, failing_in_all);
  EXPECT_GT(seed_lines, 20);  // so the summary's list is cut short
  EXPECT_NE(failures.out.find("summary: seeds=30 pass=" + std::to_string(30 - seed_lines)), std::string::npos);
  const std::string more = " and " + std::to_string(seed_lines - 20) + " more\n";
  EXPECT_NE(failures.out.find("  failing seeds: 1 2 3 5 "), std::string::npos) << failures.out;
  EXPECT_NE(failures.out.find(more), std::string::npos) << failures.out;
  EXPECT_NE(failures.out.find("  failures per property: acked_value_everywhere=" + std::to_string(seed_lines) + "\n"),
            std::string::npos)
      << failures.out;
}

TEST(ScanTest, JsonRowsAndSummaryCarryAType) {
  CliRun run = real_cli(with(kNoRetry, {"--json", "--failures-only"}));
  std::vector<std::string> lines = lines_of(run.out);
  ASSERT_GE(lines.size(), 2u);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    nlohmann::json row = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(row["type"], "seed");
    EXPECT_NE(row["verdict"], "pass");
  }
  nlohmann::json summary = nlohmann::json::parse(lines.back());
  EXPECT_EQ(summary["type"], "summary");
  const nlohmann::json& totals = summary["summary"];
  EXPECT_EQ(totals["seeds"], 30);
  EXPECT_EQ(totals["fail"], lines.size() - 1);
  ASSERT_EQ(totals["failing_seeds"].size(), Summary::kListedFailingSeeds);
  EXPECT_EQ(totals["failing_seeds"][0], 1);
  EXPECT_EQ(totals["failing_seeds"][3], 5);  // seed 4 passes
  EXPECT_EQ(totals["failing_seeds_more"], lines.size() - 1 - Summary::kListedFailingSeeds);
  EXPECT_EQ(totals["by_property"]["acked_value_everywhere"], lines.size() - 1);
}

TEST(ScanTest, PassingRunHasAnEmptyFailureList) {
  CliRun run = real_cli({"run", "broadcast", "--seeds", "1..3", "--json"});
  ASSERT_EQ(run.code, 0);
  nlohmann::json summary = nlohmann::json::parse(lines_of(run.out).back());
  EXPECT_TRUE(summary["summary"]["failing_seeds"].empty());
  EXPECT_TRUE(summary["summary"]["by_property"].empty());
  EXPECT_EQ(run.out.find("failing seeds"), std::string::npos);
}

TEST(ScanTest, SeedsWithOneNumberIsOneSeed) {
  CliRun one = real_cli({"run", "broadcast", "--seeds", "12", "--set", "bug=no_retry"});
  CliRun seed = real_cli({"run", "broadcast", "--seed", "12", "--set", "bug=no_retry"});
  EXPECT_EQ(one.code, seed.code);
  std::vector<std::string> lines = lines_of(one.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(starts_with(lines[0], "seed=12 ")) << one.out;
  EXPECT_EQ(lines[0].substr(0, lines[0].find(" wall_s")), lines_of(seed.out)[0].substr(0, lines[0].find(" wall_s")));
  EXPECT_EQ(one.out.find("summary:"), std::string::npos);
  EXPECT_EQ(real_cli({"run", "broadcast", "--seeds", "12x"}).code, kExitBadInput);
}

TEST(ScanTest, VersionPrintsTheVersion) {
  CliRun run = real_cli({"--version"});
  EXPECT_EQ(run.code, 0);
  EXPECT_EQ(run.out, "detsim " + detsim_version() + "\n");
}

TEST(ScanTest, ListJsonNamesScenariosModelsParamsAndBugs) {
  CliRun run = real_cli({"list", "--json"});
  ASSERT_EQ(run.code, 0) << run.err;
  nlohmann::json list = nlohmann::json::parse(run.out);
  bool raft_scenario = false;
  for (const nlohmann::json& scenario : list["scenarios"]) raft_scenario |= scenario["name"] == "raft_kv";
  EXPECT_TRUE(raft_scenario);
  bool duration = false;
  for (const nlohmann::json& param : list["params"]) duration |= param["key"] == "duration";
  EXPECT_TRUE(duration);
  const nlohmann::json* raft = nullptr;
  for (const nlohmann::json& model : list["models"]) {
    if (model["name"] == "raft_kv") raft = &model;
  }
  ASSERT_NE(raft, nullptr);
  bool clients = false;
  for (const nlohmann::json& param : (*raft)["params"]) clients |= param["key"] == "clients";
  EXPECT_TRUE(clients);
  bool stale_read = false;
  for (const nlohmann::json& bug : (*raft)["bugs"]) stale_read |= bug["name"] == "stale_read";
  EXPECT_TRUE(stale_read);
}

class ProgramNameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() / ("detsim_scan_test_" + std::to_string(random()));
    fs::create_directories(dir_ / "bin");
    fs::create_directories(dir_ / "other dir");
    std::ofstream(dir_ / "bin" / "detsim") << "#!/bin/sh\n";
    std::ofstream(dir_ / "other dir" / "detsim") << "#!/bin/sh\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ProgramNameTest, DetsimWhenThePathIsTheDetsimOnPath) {
  const std::string path = "/nonexistent:" + (dir_ / "bin").string();
  EXPECT_EQ(program_name((dir_ / "bin" / "detsim").string(), path), "detsim");
  EXPECT_EQ(program_name("detsim", path), "detsim");
  EXPECT_EQ(program_name("detsim-dev", path), "detsim-dev");  // found on PATH by that name
}

TEST_F(ProgramNameTest, ThePathAsInvokedOtherwise) {
  const std::string other = (dir_ / "other dir" / "detsim").string();
  EXPECT_EQ(program_name(other, (dir_ / "bin").string()), other);
  EXPECT_EQ(program_name("build/detsim", std::nullopt), "build/detsim");
}

TEST_F(ProgramNameTest, ReproduceLinesNameTheBinaryShellQuoted) {
  std::string argv0 = (dir_ / "other dir" / "detsim").string();
  std::vector<std::string> args = {argv0, "run", "broadcast", "--seed", "1", "--set", "bug=no_retry"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  std::ostringstream out, err;
  EXPECT_EQ(run_cli(static_cast<int>(argv.size()), argv.data(), out, err), 1);
  EXPECT_NE(out.str().find("  reproduce: " + shell_quote(argv0) + " replay broadcast --seed 1 --set bug=no_retry\n"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(shell_quote(argv0).front(), '\'');  // the space needs quoting
}

// Every client-driven model reports p50 <= p99 <= p999 of its ok
// operations; raft_kv from its history, broadcast from its acks.
void expect_latency(const std::string& scenario) {
  CliRun run = real_cli({"run", scenario, "--seed", "1", "--json"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  nlohmann::json row = nlohmann::json::parse(lines_of(run.out).front());
  ASSERT_TRUE(row.contains("op_latency_p50_ms")) << row.dump();
  ASSERT_TRUE(row.contains("op_latency_p99_ms"));
  ASSERT_TRUE(row.contains("op_latency_p999_ms"));
  const double p50 = row["op_latency_p50_ms"].get<double>();
  EXPECT_GT(p50, 0);
  EXPECT_LE(p50, row["op_latency_p99_ms"].get<double>());
  EXPECT_LE(row["op_latency_p99_ms"].get<double>(), row["op_latency_p999_ms"].get<double>());
  EXPECT_LT(p50, 10'000);  // milliseconds, not nanoseconds
}

TEST(ScanTest, LatencyPercentilesForRaftKv) { expect_latency("raft_kv"); }
TEST(ScanTest, LatencyPercentilesForBroadcast) { expect_latency("broadcast"); }
TEST(ScanTest, LatencyPercentilesForPrimaryReplica) { expect_latency("primary_replica"); }

}  // namespace
}  // namespace detsim
