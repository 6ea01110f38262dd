// `detsim sweep`: one CSV row per (grid point, seed) in grid-then-seed
// order, the first --grid varying slowest; each row's fingerprint is the
// one `detsim run --seed N --set k=v...` prints; every bad input is exit 64
// with one line and no file created or touched; --jobs spreads grid points
// over processes without changing a row; a worker that dies is a verdict-3
// row; an interrupted sweep leaves no CSV behind, only its journal.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "models/registry.h"
#include "replay/grid.h"
#include "tests/csv_reader.h"
#include "tests/real_binary.h"
#include "tests/real_cli.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using testing::CsvText;
using testing::read_text;
using testing::real_cli;
using testing::spawn_detsim;
using testing::Spawned;
using testing::stderr_text;
using testing::wait_for;

// broadcast for 2 simulated seconds: a few milliseconds a run.
const std::vector<std::string> kQuick = {"--set", "duration=2s", "--set", "settle=1s"};

// A model for what broadcast cannot show on demand: one server that sleeps
// 10 ms, reports the pid of the process that ran it, reports odd_size only
// for odd sizes, fails its check at size == unsafe_at, and aborts the
// whole process at size == abort_at.
class ProbeModel final : public Model {
 public:
  explicit ProbeModel(const Params& params)
      : size_(params.integer("size")),
        unsafe_(size_ == params.integer("unsafe_at")),
        abort_(size_ == params.integer("abort_at")) {}
  void setup(Setup& setup) override {
    setup.add_server("s0", [abort = abort_](Context& ctx) {
      ctx.sleep_for(Duration::milliseconds(10));
      if (abort) std::abort();
    });
  }
  CheckResult check() override {
    return unsafe_ ? CheckResult::safety("probe_unsafe", "unsafe_at == size") : CheckResult::ok();
  }
  void report(MetricList& metrics) const override {
    metrics.push_back({"pid", static_cast<double>(::getpid())});
    if (size_ % 2 == 1) metrics.push_back({"odd_size", static_cast<double>(size_)});
  }

 private:
  int64_t size_;
  bool unsafe_;
  bool abort_;
};

ModelRegistry probe_registry() {
  ModelRegistry registry;
  registry.add({
      .name = "probe",
      .summary = "sweep tests: reports its pid, fails or aborts at a chosen size",
      .params = {make_param("size", ParamType::integer, "1", "a grid coordinate", 1, 100),
                 make_param("unsafe_at", ParamType::integer, "0", "fail the check at this size (0: never)", 0, 100),
                 make_param("abort_at", ParamType::integer, "0", "abort the process at this size (0: never)", 0, 100)},
      .bugs = {},
      .probes = {},
      .make = [](const Params& params) { return std::make_unique<ProbeModel>(params); },
  });
  return registry;
}

std::string fingerprint_in(const std::string& run_output) {
  std::smatch match;
  return std::regex_search(run_output, match, std::regex("fingerprint=([0-9a-f]{16})")) ? match[1].str() : "none";
}

const std::regex kSummary(
    "sweep: ([0-9]+) runs? \\(([0-9]+) points? x ([0-9]+) seeds?\\): ([0-9]+) pass, ([0-9]+) safety, "
    "([0-9]+) liveness, ([0-9]+) crashed, wall_s=[0-9]+\\.[0-9]{3} -> (.+)\n");

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(probe_scenario_) << "model = \"probe\"\nduration = \"1s\"\nsettle = \"0s\"\n"; }

  // `detsim sweep broadcast ARGS --set duration=2s ... --out out.csv`.
  CliRun broadcast_sweep(std::vector<std::string> args) {
    args.insert(args.begin(), {"sweep", "broadcast"});
    args.insert(args.end(), kQuick.begin(), kQuick.end());
    args.insert(args.end(), {"--out", out_});
    return real_cli(args);
  }
  CliRun probe_sweep(std::vector<std::string> args) {
    args.insert(args.begin(), {"sweep", probe_scenario_});
    args.insert(args.end(), {"--out", out_});
    return real_cli(args, probe_registry_);
  }
  CsvText written_csv() { return testing::parse_csv(read_text(out_)); }

  // Every file in the folder with its contents.
  std::map<std::string, std::string> folder() const {
    std::map<std::string, std::string> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir_)) {
      files[entry.path().filename().string()] = read_text(entry.path());
    }
    return files;
  }

  // Exit 64, one "detsim: " line, nothing on out, and the folder exactly as
  // it was: first with no out.csv, then with one that must survive.
  std::string expect_rejected(const std::vector<std::string>& args) {
    std::string message;
    for (bool existing : {false, true}) {
      if (existing) std::ofstream(out_) << "keep me\n";
      std::map<std::string, std::string> before = folder();
      CliRun result = real_cli(args);
      EXPECT_EQ(result.code, 64) << result.out << result.err;
      EXPECT_EQ(result.out, "");
      EXPECT_EQ(result.err.rfind("detsim: ", 0), 0u) << result.err;
      EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
      EXPECT_EQ(folder(), before) << result.err;
      message = result.err;
    }
    fs::remove(out_);
    return message;
  }
  // broadcast, quick, with --out out.csv, and `changes` after.
  std::vector<std::string> with(std::vector<std::string> changes) {
    std::vector<std::string> args = {"sweep", "broadcast", "--grid", "nodes=3,5", "--seeds", "1..2", "--out", out_};
    args.insert(args.end(), changes.begin(), changes.end());
    return args;
  }

  testing::ScratchDir scratch_{"detsim_sweep_test_"};
  const fs::path& dir_ = scratch_.path();
  std::string out_ = (dir_ / "out.csv").string();
  std::string probe_scenario_ = (dir_ / "probe.toml").string();
  ModelRegistry probe_registry_ = probe_registry();
};

const std::vector<std::string> kTwoByTwo = {"--grid", "nodes=3,5", "--grid", "clients=1,2", "--seeds", "1..2"};

// ---- the CSV ----

TEST_F(SweepTest, TwoByTwoGridTimesTwoSeedsGivesEightRowsInGridThenSeedOrder) {
  CliRun result = broadcast_sweep(kTwoByTwo);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");  // not a terminal: no progress line
  std::smatch summary;
  ASSERT_TRUE(std::regex_match(result.out, summary, kSummary)) << result.out;
  EXPECT_EQ(summary[1], "8");
  EXPECT_EQ(summary[2], "4");
  EXPECT_EQ(summary[3], "2");
  EXPECT_EQ(summary[8], out_);

  CsvText csv = written_csv();
  std::vector<std::string> fixed = {"nodes",    "clients", "seed",  "verdict", "verdict_name",
                                    "property", "events",  "sim_s", "wall_s",  "fingerprint"};
  ASSERT_GT(csv.header.size(), fixed.size());
  EXPECT_EQ(std::vector<std::string>(csv.header.begin(), csv.header.begin() + fixed.size()), fixed);
  EXPECT_EQ(csv.header[fixed.size()], "values_acked");  // then broadcast's metrics
  ASSERT_EQ(csv.rows.size(), 8u);
  std::vector<std::string> order;
  for (size_t row = 0; row < 8; ++row) {
    order.push_back(csv.cell(row, "nodes") + "/" + csv.cell(row, "clients") + "/" + csv.cell(row, "seed"));
    EXPECT_TRUE(std::regex_match(csv.cell(row, "fingerprint"), std::regex("[0-9a-f]{16}")));
    EXPECT_EQ(csv.cell(row, "verdict"), "0");
    EXPECT_EQ(csv.cell(row, "verdict_name"), "pass");
    EXPECT_EQ(csv.cell(row, "sim_s"), "2.000");
  }
  EXPECT_EQ(order, (std::vector<std::string>{"3/1/1", "3/1/2", "3/2/1", "3/2/2", "5/1/1", "5/1/2", "5/2/1", "5/2/2"}));
  EXPECT_FALSE(fs::exists(out_ + ".tmp"));
  EXPECT_FALSE(fs::exists(out_ + ".journal"));  // removed once the CSV is in
}

TEST_F(SweepTest, EachRowHasTheFingerprintRunPrints) {
  ASSERT_EQ(broadcast_sweep(kTwoByTwo).code, 0);
  CsvText csv = written_csv();
  ASSERT_EQ(csv.rows.size(), 8u);
  for (size_t row = 0; row < csv.rows.size(); ++row) {
    std::vector<std::string> args = {"run", "broadcast", "--seed", csv.cell(row, "seed")};
    args.insert(args.end(), kQuick.begin(), kQuick.end());
    args.insert(args.end(),
                {"--set", "nodes=" + csv.cell(row, "nodes"), "--set", "clients=" + csv.cell(row, "clients")});
    CliRun run = real_cli(args);
    EXPECT_EQ(std::to_string(run.code), csv.cell(row, "verdict"));
    EXPECT_EQ(fingerprint_in(run.out), csv.cell(row, "fingerprint")) << "row " << row + 1;
  }
}

TEST_F(SweepTest, GridValueWithCommasInsideParentheses) {
  CliRun result = broadcast_sweep({"--grid", "net.latency=uniform(1ms, 10ms),uniform(5ms, 20ms)", "--seeds", "3..3"});
  ASSERT_EQ(result.code, 0) << result.err;
  std::string text = read_text(out_);
  EXPECT_EQ(text.rfind("net.latency,seed,", 0), 0u) << text;
  EXPECT_NE(text.find("\n\"uniform(1ms, 10ms)\",3,"), std::string::npos) << text;
  CsvText csv = testing::parse_csv(text);
  EXPECT_EQ(csv.column("net.latency"), (std::vector<std::string>{"uniform(1ms, 10ms)", "uniform(5ms, 20ms)"}));
  ASSERT_EQ(csv.rows.size(), 2u);
  EXPECT_NE(csv.cell(0, "fingerprint"), csv.cell(1, "fingerprint"));
  std::vector<std::string> args = {"run", "broadcast", "--seed", "3", "--set", "net.latency=uniform(5ms, 20ms)"};
  args.insert(args.end(), kQuick.begin(), kQuick.end());
  EXPECT_EQ(fingerprint_in(real_cli(args).out), csv.cell(1, "fingerprint"));
}

TEST_F(SweepTest, TopLevelCommasOnly) {
  EXPECT_EQ(split_top_level("10, 20 ,40"), (std::vector<std::string>{"10", "20", "40"}));
  EXPECT_EQ(split_top_level("f(a, g(b, c)),h(d)"), (std::vector<std::string>{"f(a, g(b, c))", "h(d)"}));
  EXPECT_EQ(split_top_level("a),b"), (std::vector<std::string>{"a)", "b"}));
  EXPECT_EQ(split_top_level("(a,b"), (std::vector<std::string>{"(a,b"}));
}

TEST_F(SweepTest, MetricColumnsAreTheUnionAndMissingCellsAreEmpty) {
  ASSERT_EQ(probe_sweep({"--grid", "size=2,3", "--seeds", "1..1"}).code, 0);
  CsvText csv = written_csv();
  ASSERT_GE(csv.header.size(), 3u);
  // size=2 reports no odd_size, so that column comes after all the first
  // row's: the model's pid, then the engine's messages.
  EXPECT_EQ(std::vector<std::string>(csv.header.end() - 3, csv.header.end()),
            (std::vector<std::string>{"pid", "messages", "odd_size"}));
  EXPECT_EQ(csv.column("odd_size"), (std::vector<std::string>{"", "3"}));
}

// ---- parallel runs and crashes ----

std::string without_wall_time(const CsvText& csv) {
  std::string text;
  for (size_t row = 0; row < csv.rows.size(); ++row) {
    for (size_t column = 0; column < csv.header.size(); ++column) {
      text += csv.header[column] == "wall_s" ? "X" : csv.rows[row][column];
      text += ',';
    }
    text += '\n';
  }
  return text;
}

TEST_F(SweepTest, TwoJobsGiveTheSameRowsAsOne) {
  std::vector<std::string> args = {"--grid", "nodes=3,5", "--grid", "bug=none,no_retry", "--seeds", "1..3"};
  ASSERT_EQ(broadcast_sweep(args).code, 0);
  CsvText one = written_csv();
  args.insert(args.end(), {"--jobs", "2"});
  ASSERT_EQ(broadcast_sweep(args).code, 0);
  CsvText two = written_csv();
  EXPECT_EQ(one.header, two.header);
  EXPECT_EQ(one.rows.size(), 12u);
  EXPECT_EQ(without_wall_time(one), without_wall_time(two));
}

// 30 points x 1 seed: the work is spread over points, not only seeds. A
// sweep never runs a model in its own process, even with --jobs 1.
TEST_F(SweepTest, GridPointsRunInParallelAndNeverInTheParent) {
  std::string sizes;
  for (int size = 1; size <= 30; ++size) {
    if (size > 1) sizes += ',';
    sizes += std::to_string(size);
  }
  for (int jobs : {1, 2}) {
    CliRun result = probe_sweep({"--grid", "size=" + sizes, "--seeds", "1..1", "--jobs", std::to_string(jobs)});
    ASSERT_EQ(result.code, 0) << result.err;
    CsvText csv = written_csv();
    EXPECT_EQ(csv.rows.size(), 30u);
    std::vector<std::string> pids = csv.column("pid");
    std::set<std::string> workers(pids.begin(), pids.end());
    EXPECT_EQ(workers.size(), static_cast<size_t>(jobs)) << "jobs " << jobs;
    EXPECT_EQ(workers.count(std::to_string(::getpid())), 0u);
  }
}

// Failing verdicts are data: exit 0. A worker that dies is a verdict-3
// row, and the sweep goes on.
TEST_F(SweepTest, FailuresAndCrashesAreRows) {
  for (const char* jobs : {"1", "2"}) {
    CliRun result = probe_sweep(
        {"--grid", "size=1,2,3", "--seeds", "1..2", "--set", "abort_at=2", "--set", "unsafe_at=3", "--jobs", jobs});
    ASSERT_EQ(result.code, 0) << result.err;
    std::smatch summary;
    ASSERT_TRUE(std::regex_match(result.out, summary, kSummary)) << result.out;
    EXPECT_EQ(summary[4].str() + " " + summary[5].str() + " " + summary[6].str() + " " + summary[7].str(), "2 2 0 2");
    CsvText csv = written_csv();
    EXPECT_EQ(csv.column("size"), (std::vector<std::string>{"1", "1", "2", "2", "3", "3"}));
    EXPECT_EQ(csv.column("verdict"), (std::vector<std::string>{"0", "0", "3", "3", "1", "1"}));
    EXPECT_EQ(csv.column("verdict_name"),
              (std::vector<std::string>{"pass", "pass", "model_crashed", "model_crashed", "safety", "safety"}));
    EXPECT_EQ(csv.column("property"),
              (std::vector<std::string>{"", "", "process_crashed", "process_crashed", "probe_unsafe", "probe_unsafe"}));
    EXPECT_EQ(csv.column("seed"), (std::vector<std::string>{"1", "2", "1", "2", "1", "2"}));
    EXPECT_EQ(csv.cell(2, "pid"), "");  // a crashed run reports no metrics
  }
}

// ---- bad input ----

TEST_F(SweepTest, BadGridValuesGetTheSetMessage) {
  std::string set_error = real_cli({"run", "broadcast", "--set", "nodes=0"}).err;
  ASSERT_EQ(set_error.rfind("detsim: --set nodes=0: ", 0), 0u) << set_error;
  std::string grid_error = expect_rejected(
      {"sweep", "broadcast", "--grid", "clients=1,2", "--grid", "nodes=3,0", "--seeds", "1..2", "--out", out_});
  EXPECT_EQ(grid_error, std::regex_replace(set_error, std::regex("--set"), "--grid"));
  EXPECT_EQ(expect_rejected(with({"--grid", "nope=1,2"})), real_cli({"run", "broadcast", "--set", "nope=1"}).err);
}

TEST_F(SweepTest, EveryBadInputIsExit64AndNoFile) {
  EXPECT_EQ(expect_rejected(with({"--grid", "nodes=4"})),
            "detsim: --grid nodes: the key is given twice (list all its values in one --grid)\n");
  EXPECT_EQ(expect_rejected(with({"--grid", "clients="})), "detsim: --grid clients=: no values for 'clients'\n");
  EXPECT_EQ(expect_rejected(with({"--grid", "clients=1,,2"})), "detsim: --grid clients=1,,2: value 2 of 3 is empty\n");
  expect_rejected(with({"--grid", "clients"}));
  expect_rejected(with({"--grid", "=1,2"}));
  expect_rejected(with({"--grid", "net.latency=uniform(1ms, 10ms"}));
  expect_rejected({"sweep", "broadcast", "--grid", "nodes=3", "--seeds", "5..1", "--out", out_});
  expect_rejected({"sweep", "broadcast", "--grid", "nodes=3", "--seeds", "x", "--out", out_});
  expect_rejected({"sweep", "broadcast", "--grid", "nodes=3", "--out", out_});      // no --seeds
  expect_rejected({"sweep", "broadcast", "--seeds", "1..2", "--out", out_});        // no --grid
  expect_rejected({"sweep", "broadcast", "--grid", "nodes=3", "--seeds", "1..2"});  // no --out
  EXPECT_EQ(expect_rejected({"sweep", "broadcast", "--grid", "nodes=3", "--seeds", "1..2", "--out",
                             (dir_ / "missing" / "out.csv").string()}),
            "detsim: --out " + (dir_ / "missing" / "out.csv").string() + ": directory " + (dir_ / "missing").string() +
                " does not exist\n");
  expect_rejected({"sweep", "broadcast", "--grid", "nodes=3", "--seeds", "1..2", "--out", dir_.string()});
  expect_rejected(with({"--jobs", "0"}));
  expect_rejected(with({"--jobs", "-2"}));
  expect_rejected(with({"--set", "rate=fast"}));
  expect_rejected(with({"--faults", (dir_ / "no_such_schedule.txt").string()}));
  expect_rejected({"sweep", "no_such_scenario", "--grid", "nodes=3", "--seeds", "1..2", "--out", out_});
}

// nodes=5 has servers n0..n4; with nodes=3 and 3 clients, n4 is a client,
// which faults never touch. The second point is bad, and is found before
// the first runs.
TEST_F(SweepTest, EveryPointIsCheckedBeforeAnythingRuns) {
  std::string schedule = (dir_ / "crash_n4.txt").string();
  std::ofstream(schedule) << "1s crash n4\n";
  std::string error = expect_rejected({"sweep", "broadcast", "--grid", "nodes=5,3", "--seeds", "1..1", "--set",
                                       "clients=3", "--faults", schedule, "--out", out_});
  EXPECT_NE(error.find("n4 is a client"), std::string::npos) << error;
}

// ---- the real binary ----

TEST_F(SweepTest, RealBinaryPrintsOnlyTheSummaryLine) {
  fs::path logs = dir_ / "logs";
  fs::create_directories(logs);
  std::vector<std::string> args = {"sweep", "broadcast", "--grid", "nodes=3,5", "--seeds",
                                   "1..4",  "--out",     out_,     "--jobs",    "2"};
  args.insert(args.end(), kQuick.begin(), kQuick.end());
  Spawned spawned = spawn_detsim(args, logs);
  int status = wait_for(spawned.pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(stderr_text(spawned.err), "");
  std::string out = read_text(spawned.out);
  EXPECT_TRUE(std::regex_match(out, std::regex("sweep: 8 runs \\(2 points x 4 seeds\\): 8 pass, 0 safety, 0 liveness, "
                                               "0 crashed, wall_s=[0-9.]+ -> " +
                                               out_ + "\n")))
      << out;
  EXPECT_EQ(written_csv().rows.size(), 8u);
}

// Interrupted mid-sweep: the old file is still there, whole, and no
// temporary file is left. (The CSV is only written once every run is in;
// the journal of the runs so far stays, for --resume.)
TEST_F(SweepTest, InterruptedSweepLeavesTheOldFileAlone) {
  fs::path logs = dir_ / "logs";
  fs::create_directories(logs);
  std::ofstream(out_) << "keep me\n";
  Spawned spawned = spawn_detsim(
      {"sweep", "broadcast", "--grid", "nodes=3,5", "--seeds", "1..100000", "--out", out_, "--jobs", "2"}, logs);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(-spawned.pid, SIGINT), 0);
  int status = wait_for(spawned.pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << "status " << status;
  EXPECT_EQ(read_text(out_), "keep me\n");
  EXPECT_FALSE(fs::exists(out_ + ".tmp"));
  EXPECT_TRUE(fs::exists(out_ + ".journal"));
}

}  // namespace
}  // namespace detsim
