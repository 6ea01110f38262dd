// `detsim replay ... --compare TRACE.jsonl`: the same run reports "the
// same" (exit 0); a trace with one event edited, or a run perturbed by a
// changed fault schedule, reports the first differing event at its exact
// index with context (exit 1); a trace of another scenario or seed, or a
// file that is no trace, is bad input (exit 64, one line, nothing run).
#include "replay/trace_compare.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "replay/commands.h"
#include "tests/real_cli.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using testing::real_cli;

std::vector<std::string> read_lines(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const fs::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const std::string& line : lines) out << line << '\n';
}

class TraceCompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() / ("detsim_trace_compare_" + std::to_string(random()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // broadcast seed 3 with the given extra arguments, its trace saved.
  fs::path save_trace(const std::string& name, std::vector<std::string> extra = {}) {
    const fs::path path = dir_ / name;
    std::vector<std::string> args = {"replay", "broadcast", "--seed", "3", "--trace", path.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    CliRun run = real_cli(args);
    EXPECT_EQ(run.err, "");
    return path;
  }
  CliRun compare(const fs::path& trace, std::vector<std::string> extra = {}, const std::string& seed = "3",
                 const std::string& scenario = "broadcast") {
    std::vector<std::string> args = {"replay", scenario, "--seed", seed, "--compare", trace.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return real_cli(args);
  }
  fs::path dir_;
};

TEST_F(TraceCompareTest, TheSameRunIsTheSame) {
  const fs::path trace = save_trace("a.jsonl");
  CliRun run = compare(trace);
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  const size_t events = read_lines(trace).size() - 1;  // less the header
  EXPECT_EQ(
      run.out.rfind("compare: the same as " + trace.string() + ": " + std::to_string(events) + " trace events\n", 0),
      0u)
      << run.out;
}

TEST_F(TraceCompareTest, AnEditedEventIsFoundAtItsIndexWithContext) {
  const fs::path trace = save_trace("a.jsonl");
  std::vector<std::string> lines = read_lines(trace);
  ASSERT_GT(lines.size(), 600u);
  const size_t event = 500;  // 1-based event index; line 0 is the header
  const std::string original = lines[event];
  lines[event].insert(lines[event].find("\"t_ns\":") + 7, "9");
  write_lines(trace, lines);

  CliRun run = compare(trace);
  EXPECT_EQ(run.code, 1) << run.err;
  std::istringstream out(run.out);
  std::vector<std::string> got;
  for (std::string line; std::getline(out, line);) got.push_back(line);
  ASSERT_GE(got.size(), 12u) << run.out;
  EXPECT_EQ(got[0].rfind("compare: differs from " + trace.string() + " at trace event 500 (t=", 0), 0u) << got[0];
  EXPECT_EQ(got[1], "        497  both  " + lines[497]);
  EXPECT_EQ(got[3], "        499  both  " + lines[499]);
  EXPECT_EQ(got[4], ">       500  file  " + lines[500]);
  EXPECT_EQ(got[5], ">       500  run   " + original);
  EXPECT_EQ(got[6], "        501  file  " + lines[501]);
  EXPECT_EQ(got[7], "        501  run   " + lines[501]);
  EXPECT_EQ(got[11], "        503  run   " + lines[503]);
}

TEST_F(TraceCompareTest, ALongerFileDiffersAfterTheRunsLastEvent) {
  const fs::path trace = save_trace("a.jsonl");
  std::vector<std::string> lines = read_lines(trace);
  const size_t events = lines.size() - 1;
  lines.push_back(R"({"t_ns":1,"kind":"extra"})");
  write_lines(trace, lines);
  CliRun run = compare(trace);
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(
      run.out.find("at trace event " + std::to_string(events + 1) + " (after the run's last event); the file has " +
                   std::to_string(events + 1) + " trace events, this run " + std::to_string(events)),
      std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("  run   (the run ends)\n"), std::string::npos) << run.out;
}

// A restart half a second later: the runs agree until just before it.
TEST_F(TraceCompareTest, APerturbedRunDiffersWhereItsTraceDoes) {
  const std::string early = "faults.schedule=1s crash n1; 2s restart n1";
  const std::string late = "faults.schedule=1s crash n1; 2.5s restart n1";
  const std::vector<std::string> a = read_lines(save_trace("early.jsonl", {"--set", early}));
  const std::vector<std::string> b = read_lines(save_trace("late.jsonl", {"--set", late}));
  size_t first = 1;
  while (first < a.size() && first < b.size() && a[first] == b[first]) ++first;
  ASSERT_GT(first, 100u);  // well after the start: the perturbation is local
  CliRun run = compare(dir_ / "early.jsonl", {"--set", late});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out.rfind("compare: differs from " + (dir_ / "early.jsonl").string() + " at trace event " +
                              std::to_string(first) + " (t=",
                          0),
            0u)
      << run.out.substr(0, 300);
  EXPECT_NE(run.out.find(">" + std::string(9 - std::to_string(first).size() + 1, ' ') + std::to_string(first) +
                         "  run   " + b[first] + "\n"),
            std::string::npos);
  EXPECT_NE(run.out.find("compare: params differ: faults.schedule (file 1s crash n1; 2s restart n1, here"),
            std::string::npos);
}

TEST_F(TraceCompareTest, AnotherScenarioOrSeedOrNoTraceIsBadInput) {
  const fs::path trace = save_trace("a.jsonl");
  CliRun seed = compare(trace, {}, "4");
  EXPECT_EQ(seed.code, kExitBadInput);
  EXPECT_EQ(seed.err,
            "detsim: --compare " + trace.string() + ": a trace of broadcast seed 3, not of broadcast seed 4\n");
  EXPECT_EQ(seed.out, "");
  CliRun scenario = compare(trace, {}, "3", "broadcast_disk");
  EXPECT_EQ(scenario.code, kExitBadInput);
  EXPECT_EQ(scenario.err,
            "detsim: --compare " + trace.string() + ": a trace of broadcast seed 3, not of broadcast_disk seed 3\n");
  write_lines(dir_ / "history.jsonl", {R"({"process":0,"type":"invoke"})"});
  CliRun not_trace = compare(dir_ / "history.jsonl");
  EXPECT_EQ(not_trace.code, kExitBadInput);
  EXPECT_NE(not_trace.err.find("not a detsim trace"), std::string::npos);
  EXPECT_EQ(compare(dir_ / "missing.jsonl").code, kExitBadInput);
}

TEST(TraceHeaderTest, RoundTrips) {
  TraceHeader header{"raft_kv", 7,
                     "12:3",    {{"clients", "5"}, {"net.latency", "uniform(1ms, 10ms)"}},
                     "1.2.3",   {{"p0", "c0"}, {"p11", "c9"}}};
  std::optional<TraceHeader> back = parse_trace_header(trace_header_line(header));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->scenario, "raft_kv");
  EXPECT_EQ(back->seed, 7u);
  EXPECT_EQ(back->branch, "12:3");
  EXPECT_EQ(back->params, header.params);
  EXPECT_EQ(back->version, "1.2.3");
  EXPECT_EQ(back->processes, header.processes);
  EXPECT_NE(trace_header_line(header).find(R"("processes":{"p0":"c0","p11":"c9"})"), std::string::npos);
  // A header written before processes existed still reads, with none.
  std::optional<TraceHeader> old =
      parse_trace_header(R"({"detsim_trace":1,"version":"1.0","scenario":"raft_kv","seed":3,"branch":"","params":{}})");
  ASSERT_TRUE(old.has_value());
  EXPECT_TRUE(old->processes.empty());
  header.processes.clear();
  EXPECT_EQ(trace_header_line(header).find("processes"), std::string::npos);
  EXPECT_FALSE(parse_trace_header(R"({"t_ns":0,"kind":"boot"})").has_value());
  EXPECT_FALSE(parse_trace_header("not json").has_value());
}

}  // namespace
}  // namespace detsim
