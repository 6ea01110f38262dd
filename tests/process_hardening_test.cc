// Issue 18, through the real binary where only a process shows it: --jobs
// has a cap; a system that refuses workers (a file limit) costs speed, not
// an abort, and refusing all of them is exit 71; workers die with their
// parent; and output that cannot be written is exit 74, never exit 0.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "replay/commands.h"
#include "tests/real_binary.h"
#include "tests/real_cli.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using testing::real_cli;
using testing::run_shell;
using testing::ShellRun;

std::string without_wall_time(const std::string& text) {
  return std::regex_replace(text, std::regex("wall_s=[0-9.]+"), "wall_s=-");
}

class ProcessHardeningTest : public ::testing::Test {
 protected:
  testing::ScratchDir scratch_{"detsim_process_test_"};
  const fs::path& dir_ = scratch_.path();
};

TEST_F(ProcessHardeningTest, JobsAboveTheCapAreBadInputForEveryCommand) {
  EXPECT_GE(jobs_max(), 64);
  EXPECT_LE(jobs_max(), 1024);
  const std::string too_many = std::to_string(jobs_max() + 1);
  const std::string out = (dir_ / "out.csv").string();
  const std::vector<std::vector<std::string>> commands = {
      {"run", "broadcast"},
      {"sweep", "broadcast", "--grid", "nodes=3", "--seeds", "1..1", "--out", out},
      {"explore", "broadcast", "--budget", "1s"},
      {"ci", "broadcast"},
  };
  for (std::vector<std::string> args : commands) {
    args.insert(args.end(), {"--jobs", too_many});
    CliRun run = real_cli(args);
    EXPECT_EQ(run.code, 64) << args[0];
    EXPECT_EQ(run.out, "") << args[0];
    EXPECT_EQ(run.err, "detsim: --jobs " + too_many + ": expected at most " + std::to_string(jobs_max()) + "\n");
  }
  EXPECT_FALSE(fs::exists(out));
}

// The reproduction from the issue, which used to abort (exit 134): 30
// workers cannot all get their socket pair under 16 file descriptors.
TEST_F(ProcessHardeningTest, AFileLimitCostsWorkersNotTheRun) {
#ifdef DETSIM_SANITIZE
  GTEST_SKIP() << "UBSan's vptr check opens files of its own: under ulimit -n it reports false errors";
#endif
  const std::string args = " run broadcast --seeds 1..40 --set duration=2s --set settle=1s";
  ShellRun limited = run_shell("ulimit -n 16; exec \"$DETSIM\"" + args + " --jobs 30", dir_);
  EXPECT_EQ(limited.code, 0) << limited.err;
  EXPECT_TRUE(std::regex_match(limited.err, std::regex("detsim: note: carrying on with [0-9]+ of 30 worker processes "
                                                       "\\(socketpair: Too many open files\\)\n")))
      << limited.err;
  ShellRun plain = run_shell("exec \"$DETSIM\"" + args, dir_);
  ASSERT_EQ(plain.code, 0);
  EXPECT_EQ(without_wall_time(limited.out), without_wall_time(plain.out));
}

TEST_F(ProcessHardeningTest, NoWorkerAtAllIsExit71) {
#ifdef DETSIM_SANITIZE
  GTEST_SKIP() << "UBSan's vptr check opens files of its own: under ulimit -n it reports false errors";
#endif
  ShellRun run = run_shell("ulimit -n 4; exec \"$DETSIM\" run broadcast --seeds 1..3 --jobs 2", dir_);
  EXPECT_EQ(run.code, 71);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "detsim: cannot start a worker process (socketpair: Too many open files)\n");
}

// The live processes (zombies aside) of a process group, from /proc.
std::vector<pid_t> live_members(pid_t group) {
  std::vector<pid_t> members;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = testing::read_text(entry.path() / "stat");
    const size_t name_end = stat.rfind(')');  // the command name may hold spaces
    if (name_end == std::string::npos) continue;
    char state = 0;
    int parent = 0;
    int process_group = 0;
    if (std::sscanf(stat.c_str() + name_end + 1, " %c %d %d", &state, &parent, &process_group) != 3) continue;
    if (process_group == group && state != 'Z') members.push_back(std::stoi(name));
  }
  return members;
}

// Polls until `done` holds or the time is up.
template <typename Condition>
bool within(std::chrono::milliseconds limit, Condition done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Each worker is in a run of minutes; without PR_SET_PDEATHSIG it would
// finish it, orphaned, before noticing the parent was gone.
TEST_F(ProcessHardeningTest, WorkersDieWithTheirParent) {
  const std::string out = (dir_ / "out.csv").string();
  testing::Spawned sweep = testing::spawn_detsim({"sweep", "broadcast", "--grid", "nodes=3", "--seeds", "1..2", "--set",
                                                  "duration=100000s", "--out", out, "--jobs", "2"},
                                                 dir_);
  const pid_t group = sweep.pid;  // its own process group, workers included
  ASSERT_TRUE(within(std::chrono::seconds(20), [&] { return live_members(group).size() == 3; }))
      << "the sweep and its two workers never all ran";
  ASSERT_EQ(::kill(sweep.pid, SIGKILL), 0);  // the parent alone
  testing::wait_for(sweep.pid);
  const bool workers_gone = within(std::chrono::seconds(5), [&] { return live_members(group).empty(); });
  if (!workers_gone) ::kill(-group, SIGKILL);  // no leftovers, whatever the verdict
  EXPECT_TRUE(workers_gone);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::exists(out + ".journal"));  // a killed sweep leaves its journal
}

TEST_F(ProcessHardeningTest, StdoutThatCannotBeWrittenIsExit74) {
  const std::vector<std::string> commands = {
      "run raft_kv --seeds 1..3",
      "sweep broadcast --grid nodes=3 --seeds 1..2 --set duration=2s --set settle=1s --out sweep.csv",
      "ci broadcast --seeds 1..2 --set duration=2s --set settle=1s",
  };
  for (const std::string& command : commands) {
    ShellRun run = run_shell("exec \"$DETSIM\" " + command + " >/dev/full", dir_);
    EXPECT_EQ(run.code, 74) << command;
    // The reason is known when the failing write was the last one.
    EXPECT_TRUE(std::regex_match(run.err, std::regex("detsim: cannot write to standard output"
                                                     "(: No space left on device)?\n")))
        << command << ": " << run.err;
  }
}

// A file size limit (SIGXFSZ ignored: the write fails with EFBIG) stands in
// for a full disk.
TEST_F(ProcessHardeningTest, AnOutputFileThatCannotBeWrittenIsExit74) {
  ShellRun run =
      run_shell("trap '' XFSZ; ulimit -f 1; exec \"$DETSIM\" replay raft_kv --seed 1 --trace trace.jsonl", dir_);
  EXPECT_EQ(run.code, 74);
  EXPECT_TRUE(std::regex_match(run.err, std::regex("detsim: cannot write trace.jsonl(: File too large)?\n")))
      << run.err;
  EXPECT_FALSE(fs::exists(dir_ / "trace.jsonl"));
  EXPECT_FALSE(fs::exists(dir_ / "trace.jsonl.tmp"));
}

}  // namespace
}  // namespace detsim
