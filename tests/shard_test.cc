// Sharding (replay/shard.h) and `detsim merge`: M strided slices cover
// every task once; --shard auto reads Kubernetes, Slurm and GNU parallel;
// shards of a run or a sweep merge into exactly what the unsharded command
// prints and writes (all but wall time); merge refuses, with exit 64 and no
// file, shards that are missing, cut short, misplaced, or from another run
// or version; a retried shard is merged only if it agrees; a preempted
// sweep shard resumes.
#include "replay/shard.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "replay/commands.h"
#include "tests/real_cli.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using testing::real_cli;

// ---- slices and --shard ----

TEST(ShardSpec, StridedSlicesCoverEveryTaskOnceAndDifferByAtMostOne) {
  for (uint64_t total : {0, 1, 7, 12, 100}) {
    for (uint64_t count : {1, 2, 3, 5, 8, 13}) {
      std::multiset<uint64_t> seen;
      uint64_t smallest = UINT64_MAX;
      uint64_t largest = 0;
      for (uint64_t index = 0; index < count; ++index) {
        const ShardSpec spec{index, count};
        const uint64_t size = spec.size(total);
        smallest = std::min(smallest, size);
        largest = std::max(largest, size);
        for (uint64_t k = 0; k < size; ++k) {
          ASSERT_LT(spec.task(k), total);
          EXPECT_TRUE(spec.owns(spec.task(k)));
          seen.insert(spec.task(k));
        }
      }
      EXPECT_EQ(seen.size(), total) << total << " tasks over " << count;
      EXPECT_EQ(std::set<uint64_t>(seen.begin(), seen.end()).size(), total);
      EXPECT_LE(largest - smallest, 1u);
    }
  }
}

EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values](const char* name) -> std::optional<std::string> {
    auto found = values.find(name);
    return found == values.end() ? std::nullopt : std::optional(found->second);
  };
}

std::string shard_error(std::string_view text, std::map<std::string, std::string> env = {}) {
  try {
    parse_shard(text, env_of(std::move(env)));
  } catch (const UsageError& error) {
    return error.what();
  }
  return "accepted";
}

TEST(ShardSpec, ExplicitFormsAndTheirErrors) {
  EXPECT_EQ(parse_shard("0/1", env_of({})).text(), "0/1");
  EXPECT_EQ(parse_shard("2/3", env_of({})).text(), "2/3");
  EXPECT_EQ(shard_error("3/2"), "--shard 3/2: shard index 3 is not below the count 2 (indexes are 0-based)");
  EXPECT_EQ(shard_error("2/2").rfind("--shard 2/2: shard index 2 is not below", 0), 0u);
  EXPECT_EQ(shard_error("0/0"), "--shard 0/0: the shard count must be at least 1");
  for (const char* bad : {"x/3", "1/", "-1/2", "1", "", "1/2/3", " 1/2"}) {
    EXPECT_EQ(shard_error(bad).rfind("--shard " + std::string(bad) + ": expected I/M", 0), 0u) << shard_error(bad);
  }
}

TEST(ShardSpec, AutoReadsKubernetesSlurmAndGnuParallel) {
  auto spec = [](std::string_view text, std::map<std::string, std::string> env) {
    return parse_shard(text, env_of(std::move(env))).text();
  };
  EXPECT_EQ(spec("auto", {{"JOB_COMPLETION_INDEX", "3"}, {"DETSIM_SHARD_COUNT", "8"}}), "3/8");
  EXPECT_EQ(spec("auto/8", {{"JOB_COMPLETION_INDEX", "7"}}), "7/8");
  // sbatch --array=4-10:2 gives tasks 4, 6, 8, 10: task 8 is the third.
  EXPECT_EQ(spec("auto", {{"SLURM_ARRAY_TASK_ID", "8"},
                          {"SLURM_ARRAY_TASK_MIN", "4"},
                          {"SLURM_ARRAY_TASK_MAX", "10"},
                          {"SLURM_ARRAY_TASK_STEP", "2"}}),
            "2/4");
  EXPECT_EQ(spec("auto", {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "5"}}), "1/5");
  EXPECT_EQ(spec("auto/3", {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "5"}}), "2/3");
  EXPECT_EQ(spec("auto/4", {{"PARALLEL_SEQ", "1"}}), "0/4");  // GNU parallel counts from 1
  EXPECT_EQ(spec("auto", {{"PARALLEL_SEQ", "4"}, {"DETSIM_SHARD_COUNT", "4"}}), "3/4");
}

TEST(ShardSpec, AutoErrorsNameTheProblem) {
  EXPECT_NE(shard_error("auto").find("no engine set a shard index"), std::string::npos);
  EXPECT_NE(shard_error("auto", {{"JOB_COMPLETION_INDEX", "1"}}).find("gives the index but not the count"),
            std::string::npos);
  EXPECT_NE(shard_error("auto/4", {{"JOB_COMPLETION_INDEX", "1"}, {"PARALLEL_SEQ", "2"}})
                .find("both JOB_COMPLETION_INDEX and PARALLEL_SEQ are set"),
            std::string::npos);
  EXPECT_NE(shard_error("auto/4", {{"PARALLEL_SEQ", "5"}}).find("shard index 4 is not below the count 4"),
            std::string::npos);
  EXPECT_NE(shard_error("auto/4", {{"PARALLEL_SEQ", "0"}}).find("counts from 1"), std::string::npos);
  EXPECT_NE(shard_error("auto/4", {{"JOB_COMPLETION_INDEX", "x"}}).find("not a non-negative integer"),
            std::string::npos);
  EXPECT_NE(shard_error("auto", {{"SLURM_ARRAY_TASK_ID", "5"},
                                 {"SLURM_ARRAY_TASK_MIN", "4"},
                                 {"SLURM_ARRAY_TASK_STEP", "2"},
                                 {"SLURM_ARRAY_TASK_MAX", "10"}})
                .find("not on the array's MIN/STEP grid"),
            std::string::npos);
  EXPECT_EQ(shard_error("auto/0", {{"PARALLEL_SEQ", "1"}}), "--shard auto/0: the shard count must be at least 1");
}

// ---- run and sweep shards, and merge ----

// broadcast without retries, quick: some seeds fail, most in a few ms.
const std::vector<std::string> kRun = {"broadcast", "--seeds",   "1..10", "--set",       "duration=2s",
                                       "--set",     "settle=1s", "--set", "bug=no_retry"};
const std::vector<std::string> kSweep = {"broadcast", "--grid", "nodes=3,5",   "--grid",      "clients=1,2",
                                         "--seeds",   "1..3",   "--set",       "duration=2s", "--set",
                                         "settle=1s", "--set",  "bug=no_retry"};

std::vector<std::string> args_of(std::string command, const std::vector<std::string>& base,
                                 std::vector<std::string> extra) {
  std::vector<std::string> args = {std::move(command)};
  args.insert(args.end(), base.begin(), base.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Wall time is the one thing two runs of a seed do not share.
std::string without_wall_time(const std::string& text) {
  std::string out = std::regex_replace(text, std::regex("\"wall_s\":[0-9.e+-]+"), "\"wall_s\":W");
  return std::regex_replace(out, std::regex("wall_s=[0-9.]+"), "wall_s=W");
}

// The CSV with its wall_s column blanked.
std::string csv_without_wall_time(const std::string& csv) {
  std::vector<std::string> lines;
  std::istringstream in(csv);
  std::string line;
  size_t column = std::string::npos;
  std::string out;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    std::string cell;
    while (std::getline(row, cell, ',')) cells.push_back(cell);
    if (column == std::string::npos) column = std::find(cells.begin(), cells.end(), "wall_s") - cells.begin();
    if (column < cells.size()) cells[column] = "W";
    for (const std::string& value : cells) out += value + ",";
    out += "\n";
  }
  return out;
}

// Everything merge prints before its failure report.
std::string before_failures(const std::string& text) {
  size_t at = text.find("failures by property");
  if (at == std::string::npos) at = text.find("{\"failures\"");
  return text.substr(0, at);
}

class ShardTest : public ::testing::Test {
 protected:
  // Each shard of `detsim run` into shard-I.jsonl; returns their exit codes.
  std::vector<int> run_shards(uint64_t count, const fs::path& dir) {
    fs::create_directories(dir);
    std::vector<int> codes;
    for (uint64_t index = 0; index < count; ++index) {
      CliRun shard = real_cli(args_of("run", kRun, {"--shard", std::to_string(index) + "/" + std::to_string(count)}));
      EXPECT_EQ(shard.err, "");
      write_file(dir / ("shard-" + std::to_string(index) + ".jsonl"), shard.out);
      codes.push_back(shard.code);
    }
    return codes;
  }
  void sweep_shards(uint64_t count, const fs::path& dir) {
    fs::create_directories(dir);
    for (uint64_t index = 0; index < count; ++index) {
      const std::string out = (dir / ("shard-" + std::to_string(index) + ".jsonl")).string();
      CliRun shard = real_cli(
          args_of("sweep", kSweep, {"--shard", std::to_string(index) + "/" + std::to_string(count), "--out", out}));
      ASSERT_EQ(shard.code, 0) << shard.err;
    }
  }
  // Exit 64, one line, and no CSV.
  std::string expect_refused(std::vector<std::string> inputs) {
    std::vector<std::string> args = {"merge"};
    args.insert(args.end(), inputs.begin(), inputs.end());
    args.insert(args.end(), {"--out", csv_.string()});
    CliRun result = real_cli(args);
    EXPECT_EQ(result.code, 64) << result.out << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_FALSE(fs::exists(csv_));
    return result.err;
  }

  testing::ScratchDir scratch_{"detsim_shard_test_"};
  const fs::path& dir_ = scratch_.path();
  fs::path csv_ = dir_ / "merged.csv";
};

TEST_F(ShardTest, RunShardsMergeIntoTheUnshardedRunsOutput) {
  CliRun whole_json = real_cli(args_of("run", kRun, {"--json"}));
  CliRun whole_text = real_cli(args_of("run", kRun, {}));
  ASSERT_EQ(whole_json.code, 1) << "some seeds of broadcast no_retry fail";
  // 1 shard, 3 (uneven over 10 seeds), and more shards than seeds.
  for (uint64_t count : {1, 3, 13}) {
    const fs::path shards = dir_ / ("run-" + std::to_string(count));
    std::vector<int> codes = run_shards(count, shards);
    CliRun json = real_cli({"merge", shards.string(), "--json"});
    EXPECT_EQ(json.code, whole_json.code) << json.err;
    EXPECT_EQ(without_wall_time(before_failures(json.out)), without_wall_time(whole_json.out)) << count << " shards";
    CliRun text = real_cli({"merge", shards.string()});
    EXPECT_EQ(without_wall_time(before_failures(text.out)), without_wall_time(whole_text.out)) << count << " shards";
    EXPECT_EQ(std::count(codes.begin(), codes.end(), 0) < static_cast<long>(count), true);
  }
}

TEST_F(ShardTest, RunShardIsAHeaderThenOneFlushedRowPerSeedOfItsSlice) {
  CliRun shard = real_cli(args_of("run", kRun, {"--shard", "1/4"}));
  std::istringstream lines(shard.out);
  std::string line;
  std::vector<nlohmann::ordered_json> parsed;
  while (std::getline(lines, line)) parsed.push_back(nlohmann::ordered_json::parse(line));
  ASSERT_EQ(parsed.size(), 1u + 3u + 1u);  // seeds 2, 6 and 10, then the summary
  EXPECT_EQ(parsed[0]["shard"], 1);
  EXPECT_EQ(parsed[0]["shards"], 4);
  EXPECT_EQ(parsed[0]["tasks"], 10);
  EXPECT_EQ(parsed[0]["version"], detsim_version());
  std::vector<uint64_t> seeds;
  for (size_t i = 1; i <= 3; ++i) seeds.push_back(parsed[i]["seed"].get<uint64_t>());
  EXPECT_EQ(seeds, (std::vector<uint64_t>{2, 6, 10}));
  EXPECT_TRUE(parsed[1].contains("reproduce"));
  EXPECT_TRUE(parsed[1].contains("values_acked"));  // metrics, as run --json
  EXPECT_TRUE(parsed[4].contains("summary"));
}

TEST_F(ShardTest, SweepShardsMergeIntoTheUnshardedCsvAndSummary) {
  const fs::path whole_csv = dir_ / "whole.csv";
  CliRun whole = real_cli(args_of("sweep", kSweep, {"--out", whole_csv.string()}));
  ASSERT_EQ(whole.code, 0) << whole.err;
  for (uint64_t count : {1, 5, 20}) {  // 12 runs: even, uneven, more shards than runs
    const fs::path shards = dir_ / ("sweep-" + std::to_string(count));
    sweep_shards(count, shards);
    fs::remove(csv_);
    CliRun merged = real_cli({"merge", shards.string(), "--out", csv_.string()});
    ASSERT_EQ(merged.code, 0) << merged.err;
    EXPECT_EQ(csv_without_wall_time(read_file(csv_)), csv_without_wall_time(read_file(whole_csv))) << count;
    std::string expected_summary = std::regex_replace(whole.out, std::regex(whole_csv.string()), csv_.string());
    EXPECT_EQ(without_wall_time(before_failures(merged.out)), without_wall_time(expected_summary));
  }
}

// --json on sweep shards: every line JSON, the summary's counts the text's.
TEST_F(ShardTest, SweepShardsMergeWithJsonIntoJsonLinesOnly) {
  const fs::path shards = dir_ / "sweep-json";
  sweep_shards(3, shards);
  CliRun text = real_cli({"merge", shards.string()});
  CliRun json = real_cli({"merge", shards.string(), "--json"});
  ASSERT_EQ(json.code, text.code) << json.err;
  std::istringstream lines(json.out);
  std::string line;
  std::optional<nlohmann::json> summary;
  while (std::getline(lines, line)) {
    const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << line;
    if (parsed.value("type", "") == "summary") summary = parsed["summary"];
  }
  ASSERT_TRUE(summary.has_value()) << json.out;
  EXPECT_EQ((*summary)["command"], "sweep");
  EXPECT_EQ((*summary)["runs"], 12);
  EXPECT_EQ((*summary)["points"], 4);
  const std::string counts = fmt::format("{} pass, {} safety, {} liveness", (*summary)["pass"].get<int>(),
                                         (*summary)["safety"].get<int>(), (*summary)["liveness"].get<int>());
  EXPECT_NE(text.out.find(counts), std::string::npos) << counts << "\n" << text.out;
}

TEST_F(ShardTest, FailuresAreGroupedByPropertyFastestFirstWithReproduceLines) {
  run_shards(2, dir_ / "run");
  CliRun merged = real_cli({"merge", (dir_ / "run").string()});
  const std::string report = merged.out.substr(merged.out.find("failures by property"));
  EXPECT_NE(report.find("  acked_value_everywhere: "), std::string::npos) << report;
  std::regex seed_line("    sim_s=([0-9.]+) events=([0-9]+) detsim replay broadcast --seed [0-9]+ .*\n");
  std::vector<std::pair<double, uint64_t>> order;
  for (std::sregex_iterator it(report.begin(), report.end(), seed_line), end; it != end; ++it) {
    order.emplace_back(std::stod((*it)[1]), std::stoull((*it)[2]));
  }
  ASSERT_GE(order.size(), 2u) << report;
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << report;
}

TEST_F(ShardTest, MergeRefusesMissingIncompleteMisplacedAndMixedShards) {
  const fs::path shards = dir_ / "run";
  run_shards(3, shards);
  const fs::path a = shards / "shard-0.jsonl";
  const fs::path b = shards / "shard-1.jsonl";
  const fs::path c = shards / "shard-2.jsonl";
  EXPECT_EQ(expect_refused({a.string(), c.string()}), "detsim: merge: missing shard(s) 1 of 3\n");

  const std::string original = read_file(b);
  const std::string header = original.substr(0, original.find('\n') + 1);
  write_file(b, header + "{\"task\":1,");  // a kill mid-row: the torn row is dropped
  EXPECT_NE(expect_refused({shards.string()}).find("is incomplete: 0 of 3 runs"), std::string::npos);

  write_file(b, std::regex_replace(original, std::regex("\"version\":\"[^\"]*\""), "\"version\":\"0.0.1\""));
  EXPECT_NE(expect_refused({shards.string()}).find("different detsim versions"), std::string::npos);

  write_file(b, std::regex_replace(original, std::regex("\"shards\":3"), "\"shards\":4"));
  EXPECT_NE(expect_refused({shards.string()}).find("split differently"), std::string::npos);

  write_file(b, std::regex_replace(original, std::regex("\"task\":1,"), "\"task\":2,"));
  EXPECT_NE(expect_refused({shards.string()}).find("does not belong to shard 1/3"), std::string::npos);

  write_file(b, original);
  CliRun other = real_cli(
      {"run", "broadcast", "--seeds", "1..10", "--set", "duration=2s", "--set", "settle=1s", "--shard", "1/3"});
  ASSERT_EQ(other.code, 0) << other.err;
  write_file(b, other.out);
  EXPECT_NE(expect_refused({shards.string()}).find("come from different runs"), std::string::npos);

  write_file(b, "not json\n");
  EXPECT_NE(expect_refused({shards.string()}).find("not a detsim shard header"), std::string::npos);
  EXPECT_NE(expect_refused({(dir_ / "nowhere").string()}).find("no such file or directory"), std::string::npos);
}

TEST_F(ShardTest, RetriedShardInTwoFilesMergesWhenItAgreesAndIsRefusedWhenNot) {
  const fs::path shards = dir_ / "run";
  run_shards(2, shards);
  const std::string shard1 = read_file(shards / "shard-1.jsonl");
  write_file(shards / "shard-1-retry.jsonl", shard1);
  CliRun merged = real_cli({"merge", shards.string(), "--json"});
  EXPECT_EQ(merged.code, 1);
  EXPECT_NE(merged.err.find("is in both"), std::string::npos) << merged.err;

  std::smatch fingerprint;
  ASSERT_TRUE(std::regex_search(shard1, fingerprint, std::regex("\"fingerprint\":\"([0-9a-f]{16})\"")));
  std::string changed = shard1;
  changed.replace(fingerprint.position(1), 16, "0123456789abcdef");
  write_file(shards / "shard-1-retry.jsonl", changed);
  EXPECT_NE(expect_refused({shards.string()}).find("different results for seed"), std::string::npos);
}

TEST_F(ShardTest, PreemptedSweepShardResumesToTheSameRows) {
  const fs::path full = dir_ / "full.jsonl";
  ASSERT_EQ(real_cli(args_of("sweep", kSweep, {"--shard", "1/2", "--out", full.string()})).code, 0);
  const std::string whole = read_file(full);
  // Killed after two rows and part of a third.
  const fs::path cut = dir_ / "cut.jsonl";
  size_t end = 0;
  for (int line = 0; line < 3; ++line) end = whole.find('\n', end) + 1;
  write_file(cut, whole.substr(0, end) + whole.substr(end, 20));

  CliRun again = real_cli(args_of("sweep", kSweep, {"--shard", "1/2", "--out", cut.string()}));
  EXPECT_EQ(again.code, 64);
  EXPECT_NE(again.err.find("exists: pass --resume"), std::string::npos) << again.err;
  CliRun resumed = real_cli(args_of("sweep", kSweep, {"--shard", "1/2", "--out", cut.string(), "--resume"}));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(without_wall_time(read_file(cut)), without_wall_time(whole));

  CliRun other = real_cli(args_of("sweep", kSweep, {"--shard", "0/2", "--out", cut.string(), "--resume"}));
  EXPECT_EQ(other.code, 64);
  EXPECT_NE(other.err.find("has shard=1, not 0"), std::string::npos) << other.err;
}

TEST_F(ShardTest, BadShardInputIsExit64BeforeAnythingRuns) {
  for (const char* bad : {"3/2", "0/0", "auto", "x"}) {
    CliRun run = real_cli(args_of("run", kRun, {"--shard", bad}));
    EXPECT_EQ(run.code, 64) << bad;
    EXPECT_EQ(run.out, "");
    const fs::path out = dir_ / "s.jsonl";
    CliRun sweep = real_cli(args_of("sweep", kSweep, {"--shard", bad, "--out", out.string()}));
    EXPECT_EQ(sweep.code, 64) << bad;
    EXPECT_FALSE(fs::exists(out));
  }
  CliRun coverage = real_cli(args_of("run", kRun, {"--shard", "0/2", "--coverage"}));
  EXPECT_EQ(coverage.code, 64);
}

}  // namespace
}  // namespace detsim
