// The "done when", through the real `detsim` binary as a user runs
// it: the default scenario passes 20 seeds; a planted bug fails a seed
// whose printed reproduce command replays the same fingerprint.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <regex>
#include <string>

namespace {

struct Output {
  int exit_code = -1;
  std::string text;
};

// Runs a shell command; stdout only (stderr goes to the test's stderr).
Output run_shell(const std::string& command) {
  Output output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.text.append(buffer.data(), n);
  int status = pclose(pipe);
  output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

std::string fingerprint_of_seed(const std::string& text, const std::string& seed) {
  std::smatch match;
  std::regex line("(^|\n)seed=" + seed + " [^\n]* fingerprint=([0-9a-f]{16})");
  return std::regex_search(text, match, line) ? match[2].str() : "";
}

// What scripts/run-default.sh runs.
TEST(EndToEnd, DefaultScenarioPassesTwentySeeds) {
  Output run = run_shell(std::string(DETSIM_BINARY) + " run raft_kv --seeds 1..20");
  EXPECT_EQ(run.exit_code, 0) << run.text;
  EXPECT_NE(run.text.find("summary: seeds=20 pass=20 fail=0"), std::string::npos) << run.text;
}

TEST(EndToEnd, PlantedBugFailsWithAReproduceLineThatReplaysTheSameFingerprint) {
  Output run = run_shell(std::string(DETSIM_BINARY) + " run broadcast --seeds 1..50 --set bug=no_retry");
  EXPECT_EQ(run.exit_code, 1) << run.text;
  std::smatch match;
  // The binary is not the detsim on PATH: the line names it as invoked,
  // so it pastes into a shell as it is.
  ASSERT_TRUE(std::regex_search(run.text, match, std::regex("reproduce: ([^\n]* replay [^\n]*--seed ([0-9]+)[^\n]*)")))
      << run.text;
  const std::string reproduce = match[1].str();
  EXPECT_TRUE(reproduce.rfind(std::string(DETSIM_BINARY) + " replay ", 0) == 0 ||
              reproduce.rfind("detsim replay ", 0) == 0)  // when PATH's detsim is this build
      << reproduce;
  const std::string seed = match[2].str();
  const std::string expected = fingerprint_of_seed(run.text, seed);
  ASSERT_FALSE(expected.empty()) << run.text;

  Output replay = run_shell(reproduce);
  EXPECT_EQ(replay.exit_code, 1) << replay.text;
  EXPECT_EQ(fingerprint_of_seed(replay.text, seed), expected) << replay.text;
}

TEST(EndToEnd, BadInputIsOneLineAndExit64) {
  Output run = run_shell(std::string(DETSIM_BINARY) + " run no_such_scenario 2>&1");
  EXPECT_EQ(run.exit_code, 64);
  EXPECT_EQ(std::count(run.text.begin(), run.text.end(), '\n'), 1) << run.text;
  EXPECT_NE(run.text.find("broadcast"), std::string::npos) << "lists the scenarios: " << run.text;
}

}  // namespace
