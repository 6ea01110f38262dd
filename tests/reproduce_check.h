// Checks that the reproduce line a failing `detsim run` prints replays the
// same fingerprint, as a user would copy and paste it.
#pragma once

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/real_cli.h"

namespace detsim::testing {

// The fingerprint on the `seed=N ...` line of run output, "" if none.
inline std::string fingerprint_of(const std::string& out, const std::string& seed) {
  std::smatch match;
  std::regex line("(^|\n)seed=" + seed + " [^\n]* fingerprint=([0-9a-f]{16})");
  return std::regex_search(out, match, line) ? match[2].str() : "";
}

// Runs `run_args` (expected to exit with `code`), takes the first reproduce
// line, runs it, and expects the same exit code and fingerprint. Returns
// the replay's output for further checks.
inline std::string expect_reproduce_replays(const std::vector<std::string>& run_args, int code) {
  CliRun run = real_cli(run_args);
  EXPECT_EQ(run.code, code) << run.out;
  std::smatch match;
  if (!std::regex_search(run.out, match, std::regex("reproduce: detsim (replay [^\n]*--seed ([0-9]+)[^\n]*)"))) {
    ADD_FAILURE() << "no reproduce line in " << run.out;
    return "";
  }
  const std::string seed = match[2].str();
  const std::string expected = fingerprint_of(run.out, seed);
  EXPECT_FALSE(expected.empty()) << run.out;
  std::vector<std::string> args;
  std::istringstream words(match[1].str());
  for (std::string word; words >> word;) args.push_back(word);
  CliRun replay = real_cli(args);
  EXPECT_EQ(replay.code, code) << replay.out;
  EXPECT_EQ(fingerprint_of(replay.out, seed), expected) << replay.out;
  return replay.out;
}

}  // namespace detsim::testing
