// Issue 18: out-of-range values are bad input (exit 64), never an engine
// abort or a model crash; heavy tails stay finite; and nothing passes
// vacuously (no fault window, no client operation).
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "sim/world/simulation.h"
#include "tests/real_cli.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

using testing::CliRun;
using testing::real_cli;

void expect_bad_input(const std::vector<std::string>& args, const std::string& needle) {
  CliRun run = real_cli(args);
  EXPECT_EQ(run.code, 64) << args.back() << ": " << run.out << run.err;
  EXPECT_EQ(run.out, "") << args.back();
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find(needle), std::string::npos) << run.err;
}

std::string write_file(const testing::ScratchDir& dir, const char* name, const char* text) {
  const std::string path = (dir.path() / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(Hardening, DurationsBeyondAHundredDaysAreBadInput) {
  expect_bad_input({"run", "raft_kv", "--set", "faults.down_time=9223372036s"}, "durations up to");
  expect_bad_input({"run", "raft_kv", "--set", "net.latency=9223372036s"}, "durations up to");
  expect_bad_input({"run", "raft_kv", "--set", "net.latency=uniform(1ms, 9000000s)"}, "durations up to");
}

TEST(Hardening, FaultFileValuesAreBoundedLikeTheParameters) {
  testing::ScratchDir dir("detsim_hardening");
  const auto write = [&](const char* name, const char* text) { return write_file(dir, name, text); };
  expect_bad_input({"run", "raft_kv", "--faults", write("slow.txt", "1s disk_slow n0 9223372036854775807x 1s\n")},
                   "a disk_slow factor must be at most 100000");
  expect_bad_input({"run", "raft_kv", "--faults", write("late.txt", "9000000s crash n0\n")}, "time must be at most");
  expect_bad_input({"run", "raft_kv", "--faults", write("pause.txt", "1s pause n0 9000000s\n")},
                   "a length must be at most");
}

// raft_kv's servers are n0..n4 and its clients n5..n14 (nodes=5, clients=10).
// A client may sit in a partition group (Jepsen's client placement) but is
// never crashed, paused or clogged: its history would be corrupt.
TEST(Hardening, FaultsNameOnlyNodesTheyMayTouch) {
  testing::ScratchDir dir("detsim_targets");
  const auto write = [&](const char* name, const char* text) { return write_file(dir, name, text); };
  expect_bad_input({"run", "raft_kv", "--faults", write("client.txt", "1s crash n9\n")},
                   "n9 is a client, and faults never touch clients (faults may name servers n0..n4; partition "
                   "groups may also hold clients n5..n14)");
  expect_bad_input({"run", "raft_kv", "--faults", write("clog.txt", "1s clog n0>n6 1ms 1s\n")}, "n6 is a client");
  expect_bad_input({"run", "raft_kv", "--faults", write("none.txt", "1s pause n15 1s\n")}, "there is no node n15");
  CliRun placed = real_cli({"run", "raft_kv", "--faults", write("placed.txt", "1s partition n0,n1,n5|n2,n3,n4\n")});
  EXPECT_EQ(placed.code, 0) << placed.out << placed.err;
}

// pareto with shape < 1 has no mean: a few samples are astronomically
// large. They are capped, so sums of them never wrap the clock.
TEST(Hardening, AHeavyTailWithoutAMeanRunsToAVerdict) {
  CliRun run = real_cli({"run", "raft_kv", "--seeds", "1..30", "--set", "net.latency=pareto(1ms, 0.3)"});
  EXPECT_EQ(run.out.find("model_crashed"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("summary: seeds=30"), std::string::npos) << run.out << run.err;
}

TEST(Hardening, ASettleAsLongAsTheRunIsBadInput) {
  expect_bad_input({"run", "raft_kv", "--set", "settle=30s"}, "settle (30s) must be shorter than duration (25s)");
  expect_bad_input({"run", "raft_kv", "--set", "duration=1ms"}, "must be shorter than duration (1ms)");
}

// A model whose clients record a history but never invoke anything.
class SilentClientsModel final : public Model {
 public:
  void setup(Setup& setup) override {
    setup.add_client("c0", [](Context& ctx) { ctx.sleep_for(Duration::milliseconds(1)); });
  }
  CheckResult check() override { return CheckResult::ok(); }
  const History* history() const override { return &history_; }

 private:
  History history_;
};

TEST(Hardening, AHistoryWithNoOperationIsNoPass) {
  ModelInfo info;
  info.name = "silent";
  info.summary = "clients that never invoke";
  info.make = [](const Params&) { return std::make_unique<SilentClientsModel>(); };
  RunRequest request;
  request.model = &info;
  request.params = default_params(info);
  request.params.set("duration", Duration::seconds(1));
  request.params.set("settle", Duration::zero());
  request.seed = 1;
  const RunResult result = simulate(request);
  EXPECT_EQ(result.verdict, Verdict::liveness);
  EXPECT_EQ(result.property, "client_operations");
}

}  // namespace
}  // namespace detsim
