// Issue 13 item 1, done when "the naming scheme is the same in every output
// format": one replay of raft_kv's stale read (seed 1: n0 answers c5's read
// stale at 2.373 s) writes every output, and each node reference in each
// of them is one of the model's names, the same node under the same name.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/real_binary.h"
#include "tests/real_cli.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

using testing::CliRun;
using testing::read_text;
using testing::real_cli;

// raft_kv's stock names: servers n0..n4, clients c0..c9 (register.cc).
const std::set<std::string>& model_names() {
  static const std::set<std::string> names = {"n0", "n1", "n2", "n3", "n4", "c0", "c1", "c2",
                                              "c3", "c4", "c5", "c6", "c7", "c8", "c9"};
  return names;
}

// Every capture group 1 of pattern in text.
std::vector<std::string> captured(const std::string& text, const std::string& pattern) {
  std::vector<std::string> found;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
    found.push_back((*it)[1].str());
  }
  return found;
}

// Every name is the model's, and the set of them holds `expected`.
void expect_names(const std::vector<std::string>& names, const std::set<std::string>& expected, const char* where) {
  ASSERT_FALSE(names.empty()) << where;
  for (const std::string& name : names) EXPECT_TRUE(model_names().contains(name)) << where << ": " << name;
  const std::set<std::string> seen(names.begin(), names.end());
  for (const std::string& name : expected) EXPECT_TRUE(seen.contains(name)) << where << " lacks " << name;
}

class OneNamingScheme : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::ScratchDir("detsim_naming_");
    replay_ = new CliRun(real_cli({"replay", "raft_kv", "--seed", "1", "--set", "bug=stale_read", "--window", "auto",
                                   "--trace", file("t.jsonl"), "--dot", file("t.dot"), "--perfetto", file("t.json"),
                                   "--history", file("h.jsonl"), "--save-faults", file("f.txt")}));
    check_ = new CliRun(real_cli({"check-history", "--model", "kv", "--json", file("h.jsonl")}));
  }
  static void TearDownTestSuite() {
    delete check_;
    delete replay_;
    delete dir_;
  }
  static std::string file(const char* name) { return (dir_->path() / name).string(); }
  // The trace header's process -> client map ("p24" -> "c5").
  static nlohmann::json processes() {
    const std::string trace = read_text(file("t.jsonl"));
    return nlohmann::json::parse(trace.substr(0, trace.find('\n'))).value("processes", nlohmann::json::object());
  }

  static testing::ScratchDir* dir_;
  static CliRun* replay_;
  static CliRun* check_;
};
testing::ScratchDir* OneNamingScheme::dir_ = nullptr;
CliRun* OneNamingScheme::replay_ = nullptr;
CliRun* OneNamingScheme::check_ = nullptr;

TEST_F(OneNamingScheme, RunLineAndFaultScheduleUseTheModelsNames) {
  ASSERT_EQ(replay_->code, 1) << replay_->err;
  const std::string& out = replay_->out;
  EXPECT_NE(out.find(" violation_nodes=n0,c5 "), std::string::npos) << out;
  EXPECT_NE(out.find("property: read_fresh: n0 answered c5's read"), std::string::npos) << out;
  const size_t faults_at = out.find("  faults: ");
  ASSERT_NE(faults_at, std::string::npos) << out;
  const std::string faults_line = out.substr(faults_at, out.find('\n', faults_at) - faults_at);
  expect_names(captured(faults_line, R"(\b([a-z]+[0-9]+)\b)"), {"n0"}, "run line faults");
  std::string schedule;
  std::istringstream lines(read_text(file("f.txt")));
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("#")) schedule.append(line).push_back('\n');
  }
  expect_names(captured(schedule, R"((?:^|[ ,|<>;])([a-z]+[0-9]+)(?=$|[ ,|<>;\n]))"), {"n0"}, "fault schedule");
}

TEST_F(OneNamingScheme, TraceNamesNodesAndMapsProcessesToClients) {
  const std::string trace = read_text(file("t.jsonl"));
  expect_names(captured(trace, R"re("(?:node|peer)":"([^"]*)")re"), {"n0", "c5"}, "trace");
  // The violation is marked on both of its nodes at its step.
  EXPECT_NE(trace.find(R"("t_ns":2373103049,"t":"2.373103049s","kind":"verdict","node":"c5")"), std::string::npos);
  const nlohmann::json map = processes();
  ASSERT_FALSE(map.empty());
  for (const auto& [process, client] : map.items()) {
    EXPECT_TRUE(std::regex_match(process, std::regex("p[0-9]+"))) << process;
    EXPECT_TRUE(model_names().contains(client.get<std::string>())) << process << " -> " << client;
  }
}

TEST_F(OneNamingScheme, DotAndPerfettoNameTheSameNodes) {
  const std::string dot = read_text(file("t.dot"));
  std::vector<std::string> lanes = captured(dot, R"re(\n  [hf][0-9]+ \[shape=box[^\n]*label="([^"]*)")re");
  std::erase(lanes, "world");  // the lane of world events (faults), not a node
  expect_names(lanes, model_names(), "dot lanes");
  const std::string perfetto = read_text(file("t.json"));
  expect_names(captured(perfetto, R"re("process_name"[^}]*"args":\{"name":"([^"]*)")re"), model_names(),
               "perfetto tracks");
  expect_names(captured(perfetto, R"re("(?:from|to)":"([^"]*)")re"), {"n0", "c5"}, "perfetto flows");
}

// The history's process numbers are the header's; each line's client is
// the one the header maps its process to, and the stale read is c5's.
TEST_F(OneNamingScheme, HistoryAndCounterexampleUseTheHeadersClients) {
  const nlohmann::json map = processes();
  std::istringstream lines(read_text(file("h.jsonl")));
  size_t checked = 0;
  bool stale_read_by_c5 = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const nlohmann::json event = nlohmann::json::parse(line);
    const std::string process = fmt::format("p{}", event["process"].get<int64_t>());
    ASSERT_TRUE(map.contains(process)) << line;
    EXPECT_EQ(event["client"], map[process]) << line;
    ++checked;
    // The read n0 answered at 2.373 s, sent at 2.370146038 s.
    stale_read_by_c5 |= event["time_ns"] == 2370146038 && event["f"] == "get" && event["client"] == "c5";
  }
  EXPECT_GT(checked, 1000u);
  EXPECT_TRUE(stale_read_by_c5);
  ASSERT_EQ(check_->code, 1) << check_->out << check_->err;
  const nlohmann::json ops = nlohmann::json::parse(check_->out)["counterexample_ops"];
  ASSERT_FALSE(ops.empty());
  std::vector<std::string> clients;
  for (const nlohmann::json& op : ops) {
    clients.push_back(op["client"].get<std::string>());
    EXPECT_EQ(op["client"], map[fmt::format("p{}", op["process"].get<int64_t>())]) << op;
  }
  expect_names(clients, {"c5"}, "counterexample");
}

// --set faults.schedule reads names as --faults FILE does (issue 13).
TEST(FaultScheduleSet, ReadsTheModelsNames) {
  const CliRun named = real_cli({"run", "primary_replica", "--seeds", "3..3", "--set",
                                 "faults.schedule=1s crash db1; 2s restart db1; 3s partition db0|db1,db2"});
  const CliRun numbered = real_cli({"run", "primary_replica", "--seeds", "3..3", "--set",
                                    "faults.schedule=1s crash n1; 2s restart n1; 3s partition n0|n1,n2"});
  ASSERT_NE(named.out.find("fingerprint="), std::string::npos) << named.err;
  const auto fingerprint = [](const std::string& out) { return out.substr(out.find("fingerprint="), 29); };
  EXPECT_EQ(fingerprint(named.out), fingerprint(numbered.out));
  // The schedule ran: another run than with no faults at all.
  const CliRun none = real_cli({"run", "primary_replica", "--seeds", "3..3", "--set", "faults.schedule=none"});
  EXPECT_NE(fingerprint(named.out), fingerprint(none.out));
  const CliRun unknown =
      real_cli({"run", "primary_replica", "--seeds", "3..3", "--set", "faults.schedule=1s crash db9"});
  EXPECT_EQ(unknown.code, 64);
  EXPECT_EQ(unknown.out, "");
  EXPECT_EQ(std::count(unknown.err.begin(), unknown.err.end(), '\n'), 1) << unknown.err;
  EXPECT_NE(unknown.err.find("got 'db9' (this model's nodes: db0, db1, db2, mgr, px0, px1, c0, c1, ...)"),
            std::string::npos)
      << unknown.err;
}

}  // namespace
}  // namespace detsim
