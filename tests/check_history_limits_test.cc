// `detsim check-history` under its limits: the refutable key behind an
// intractable one is found, --time-limit holds within 5% (reading a large
// file included), and memory ends the check as unknown (exit 2) through
// both the counted --memory-limit and an allocator that fails first.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "sim/check/history_io.h"
#include "tests/history_gen.h"
#include "tests/real_cli.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

using testing::real_cli;

// The wall time the command reports, or -1.
double reported_wall_s(const std::string& out) {
  std::smatch match;
  return std::regex_search(out, match, std::regex("wall_s=([0-9.]+)")) ? std::stod(match[1].str()) : -1;
}

class CheckHistoryLimits : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const History& history) {
    const std::string path = (scratch_.path() / name).string();
    std::ofstream out(path);
    check::write_history_jsonl(history, out);
    return path;
  }
  // Runs the command as `detsim ...` and times it from outside too.
  testing::CliRun timed(std::vector<std::string> args, double* outside_s) {
    const auto start = std::chrono::steady_clock::now();
    testing::CliRun result = real_cli(std::move(args));
    *outside_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }
  testing::ScratchDir scratch_{"detsim_check_limits_"};
};

constexpr const char* kNoBudget = "1000000000000";  // the limit under test must end it, not steps

TEST_F(CheckHistoryLimits, RefutableKeyAfterAnIntractableOneIsFoundWithDefaults) {
  const std::string file = write("h.jsonl", testing::intractable_key_history(50, "z"));
  double outside_s = 0;
  testing::CliRun result = timed({"check-history", "--model", "kv", file}, &outside_s);
  EXPECT_EQ(result.code, 1) << result.out << result.err;
  EXPECT_EQ(result.out.rfind("verdict=not_linearizable key=\"z\" ops=54 keys=2 ", 0), 0u) << result.out;
  EXPECT_LT(outside_s, 1.0) << "it used to take the whole 20M-step budget and end unknown";
}

// A 1 s limit on a search that would never end, and a limit that runs out
// while a large file is still being read (which used to be unpolled: the
// whole file was read, paired and split first).
TEST_F(CheckHistoryLimits, TimeLimitHoldsWithinFivePercentWhileSearchingAndReading) {
  constexpr double kSlackS = 0.1;  // a shared machine may deschedule us briefly
  const std::string hard = write("hard.jsonl", testing::intractable_key_history(50));
  double outside_s = 0;
  testing::CliRun search =
      timed({"check-history", "--model", "kv", "--budget", kNoBudget, "--time-limit", "1", hard}, &outside_s);
  EXPECT_EQ(search.code, 2) << search.out << search.err;
  EXPECT_NE(search.out.find("(time limit)"), std::string::npos) << search.out;
  EXPECT_GE(reported_wall_s(search.out), 1.0) << search.out;
  EXPECT_LT(reported_wall_s(search.out), 1.05 + kSlackS) << search.out;
  EXPECT_LT(outside_s, 1.05 + kSlackS);

  const std::string large =
      write("large.jsonl",
            testing::generate_history({.seed = 2, .processes = 8, .keys = 4, .operations = 200'000, .kv = true}));
  testing::CliRun reading =
      timed({"check-history", "--model", "kv", "--budget", kNoBudget, "--time-limit", "0.2", large}, &outside_s);
  EXPECT_EQ(reading.code, 2) << reading.out << reading.err;
  EXPECT_NE(reading.out.find("time limit reached while reading " + large), std::string::npos) << reading.out;
  EXPECT_LT(reported_wall_s(reading.out), 0.2 * 1.05 + kSlackS) << reading.out;
  EXPECT_LT(outside_s, 0.2 * 1.05 + kSlackS);
}

TEST_F(CheckHistoryLimits, MemoryLimitIsUnknownExitTwoNamingMemory) {
  const std::string hard = write("hard.jsonl", testing::intractable_key_history(50));
  testing::CliRun result =
      real_cli({"check-history", "--model", "kv", "--budget", kNoBudget, "--memory-limit", "16", hard});
  EXPECT_EQ(result.code, 2) << result.out << result.err;
  EXPECT_EQ(result.out.rfind("verdict=unknown key=\"a\" ", 0), 0u) << result.out;
  EXPECT_NE(result.out.find("memory limit of 16 MB reached"), std::string::npos) << result.out;
  EXPECT_EQ(real_cli({"check-history", "--model", "kv", "--memory-limit", "0", hard}).code, 64);
}

// An address space smaller than the counted limit: the allocator fails
// first, and that is unknown too, not a crash (it was exit 134).
TEST_F(CheckHistoryLimits, AllocationFailureIsUnknownExitTwo) {
#ifdef DETSIM_SANITIZE
  GTEST_SKIP() << "ASan reserves terabytes of shadow address space: no ulimit -v under it";
#endif
  const std::string hard = write("hard.jsonl", testing::intractable_key_history(50));
  const std::string command = "ulimit -v 300000 && " + std::string(DETSIM_BINARY) +
                              " check-history --model kv --budget " + kNoBudget +
                              " --memory-limit 100000 --time-limit 60 " + hard + " 2>&1";
  FILE* pipe = popen(("sh -c '" + command + "'").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 4096> buffer{};
  for (size_t n; (n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) out.append(buffer.data(), n);
  const int status = pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_EQ(out.rfind("verdict=unknown ", 0), 0u) << out;
  EXPECT_NE(out.find("out of memory (std::bad_alloc)"), std::string::npos) << out;
}

}  // namespace
}  // namespace detsim
