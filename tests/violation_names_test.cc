// Issue 13: one name per node in every output, and a violation with a time
// and a place (docs/bug-finding.md "Where and when").
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "sim/fault/node_names.h"
#include "tests/real_cli.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

using testing::real_cli;
using testing::ScratchDir;

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(NodeNames, ModelNamesKeptAndBadOnesGenerated) {
  std::vector<uint32_t> generated;
  const std::vector<std::string> names =
      stable_node_names({"s0", "", "dup", "dup", "n7", "n5", "a b", "c0"}, &generated);
  EXPECT_EQ(names, (std::vector<std::string>{"s0", "n1", "n2", "n3", "n4", "n5", "n6", "c0"}));
  EXPECT_EQ(generated, (std::vector<uint32_t>{1, 2, 3, 4, 6}));
}

TEST(NodeNames, FaultTextNamedAndNumberedBothWays) {
  const std::vector<std::string> names = {"s0", "s1", "c0"};
  EXPECT_EQ(name_nodes_in_fault_text("1.2s crash n1; 2s partition n0,n1|n2; 3s clog n0>n2 5ms 1s", names),
            "1.2s crash s1; 2s partition s0,s1|c0; 3s clog s0>c0 5ms 1s");
  EXPECT_EQ(number_nodes_in_fault_text("1.2s crash s1\n2s partition s0,n1|c0 # n2\n", names),
            "1.2s crash n1\n2s partition n0,n1|n2 # n2\n");
  EXPECT_EQ(number_nodes_in_fault_text("1s crash x9", names), "1s crash x9");
  EXPECT_EQ(resolve_node_name("c0", names), NodeId(2));
  EXPECT_EQ(resolve_node_name("n1", names), NodeId(1));
  EXPECT_EQ(resolve_node_name("x9", names), std::nullopt);
}

// raft_kv seed 1 with a stale read: n0 answers c5's read stale, at 2.373 s.
TEST(Violation, RunLineAndJsonSayWhenAndWhere) {
  testing::CliRun text = real_cli({"run", "raft_kv", "--seeds", "1..1", "--set", "bug=stale_read"});
  EXPECT_EQ(text.code, 1) << text.err;
  EXPECT_NE(text.out.find(" violation_at=2.373s violation_nodes=n0,c5 "), std::string::npos) << text.out;
  testing::CliRun json = real_cli({"run", "raft_kv", "--seeds", "1..1", "--set", "bug=stale_read", "--json"});
  nlohmann::json line = nlohmann::json::parse(json.out.substr(0, json.out.find('\n')));
  EXPECT_NEAR(line["violation_at_s"].get<double>(), 2.373, 0.001);
  EXPECT_EQ(line["violation_nodes"], nlohmann::json::array({"n0", "c5"}));
  testing::CliRun pass = real_cli({"run", "raft_kv", "--seeds", "1..1", "--json"});
  EXPECT_TRUE(nlohmann::json::parse(pass.out.substr(0, pass.out.find('\n')))["violation_at_s"].is_null());
}

// Every output of one replay names a client the same way: its model name,
// never the node index form (raft_kv client c0 is node 5).
TEST(Violation, OneNameInEveryOutputAndAutoWindow) {
  ScratchDir dir("detsim_names_");
  const auto file = [&dir](const char* name) { return (dir.path() / name).string(); };
  testing::CliRun run = real_cli({"replay", "raft_kv", "--seed", "1", "--set", "bug=stale_read", "--window", "auto",
                                  "--dot", file("t.dot"), "--trace", file("t.jsonl"), "--perfetto", file("t.json"),
                                  "--history", file("h.jsonl"), "--save-faults", file("f.txt")});
  ASSERT_EQ(run.code, 1) << run.err;
  EXPECT_NE(run.out.find("window: 1.373s..2.573s (auto: violation at 2.373s)"), std::string::npos) << run.out;
  const std::regex index_form(R"re("(node|peer|to|from)":"n([5-9]|1[0-4])")re");
  for (const char* name : {"t.jsonl", "t.json"}) {
    const std::string text = slurp(file(name));
    EXPECT_FALSE(std::regex_search(text, index_form)) << name;
    EXPECT_NE(text.find("c3"), std::string::npos) << name;
  }
  const std::string dot = slurp(file("t.dot"));
  EXPECT_NE(dot.find("\"c3\""), std::string::npos);
  EXPECT_EQ(dot.find("\"n5\""), std::string::npos);
  EXPECT_LT(dot.size(), 1'000'000u);                                        // the whole run's diagram is 7 MB
  EXPECT_NE(dot.find("verdict violation: read_fresh"), std::string::npos);  // at 2.373 s, inside the window
  EXPECT_NE(slurp(file("t.json")).find(R"("name":"verdict violation: read_fresh","cat":"verdict","ts":2373103.049)"),
            std::string::npos);
  EXPECT_NE(slurp(file("h.jsonl")).find(R"("client":"c3")"), std::string::npos);
  EXPECT_NE(slurp(file("f.txt")).find("crash n0"), std::string::npos);
}

// primary_replica names its servers db0..: the saved schedule says so, and
// a schedule in names replays the same run as one in numbers.
TEST(Violation, FaultScheduleReadsAndWritesNames) {
  ScratchDir dir("detsim_faults_");
  const std::string named = (dir.path() / "named.txt").string();
  const std::string numbered = (dir.path() / "numbered.txt").string();
  const std::string saved = (dir.path() / "saved.txt").string();
  std::ofstream(named) << "1s crash db1\n2s restart db1\n";
  std::ofstream(numbered) << "1s crash n1\n2s restart n1\n";
  testing::CliRun by_name =
      real_cli({"replay", "primary_replica", "--seed", "3", "--faults", named, "--save-faults", saved});
  testing::CliRun by_number = real_cli({"replay", "primary_replica", "--seed", "3", "--faults", numbered});
  const auto fingerprint = [](const std::string& out) { return out.substr(out.find("fingerprint="), 29); };
  EXPECT_EQ(fingerprint(by_name.out), fingerprint(by_number.out)) << by_name.err << by_number.err;
  EXPECT_NE(slurp(saved).find("1s crash db1\n2s restart db1\n"), std::string::npos) << slurp(saved);
  std::ofstream(named) << "1s crash db9\n";
  testing::CliRun unknown = real_cli({"replay", "primary_replica", "--seed", "3", "--faults", named});
  EXPECT_EQ(unknown.code, 64);
  EXPECT_EQ(std::count(unknown.err.begin(), unknown.err.end(), '\n'), 1) << unknown.err;
}

TEST(Violation, WindowOutsideTheRunIsBadInput) {
  ScratchDir dir("detsim_window_");
  testing::CliRun run =
      real_cli({"replay", "raft_kv", "--seed", "1", "--window", "90s..91s", "--dot", (dir.path() / "t.dot").string()});
  EXPECT_EQ(run.code, 64);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  testing::CliRun pass =
      real_cli({"replay", "raft_kv", "--seed", "1", "--window", "auto", "--dot", (dir.path() / "t.dot").string()});
  EXPECT_EQ(pass.code, 64) << pass.out;  // a passing run has no violation time
}

}  // namespace
}  // namespace detsim

namespace detsim {
namespace {

// check-history --json: each counterexample operation as fields, with the
// EDN file's lines and the client a detsim history names.
TEST(Violation, CheckHistoryCounterexampleIsStructured) {
  testing::ScratchDir dir("detsim_cx_");
  const std::string path = (dir.path() / "bad.jsonl").string();
  std::ofstream(path) << "{\"process\":0,\"client\":\"c0\",\"type\":\"invoke\",\"f\":\"write\",\"value\":1,"
                         "\"time_ns\":1000000}\n"
                         "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1,\"time_ns\":2000000}\n"
                         "\n"
                         "{\"process\":1,\"client\":\"c1\",\"type\":\"invoke\",\"f\":\"read\",\"value\":null,"
                         "\"time_ns\":3000000}\n"
                         "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":null,\"time_ns\":4000000}\n";
  testing::CliRun run = testing::real_cli({"check-history", "--model", "register", "--json", path});
  ASSERT_EQ(run.code, 1) << run.err;
  const nlohmann::json ops = nlohmann::json::parse(run.out)["counterexample_ops"];
  ASSERT_EQ(ops.size(), 2u) << run.out;
  EXPECT_EQ(ops[1]["process"], 1);
  EXPECT_EQ(ops[1]["client"], "c1");
  EXPECT_EQ(ops[1]["f"], "read");
  EXPECT_TRUE(ops[1]["result"].is_null());
  EXPECT_DOUBLE_EQ(ops[1]["invoke_s"].get<double>(), 0.003);
  EXPECT_DOUBLE_EQ(ops[1]["complete_s"].get<double>(), 0.004);
  EXPECT_EQ(ops[1]["line"], 4);
  EXPECT_EQ(ops[1]["complete_line"], 5);
  EXPECT_EQ(ops[0]["value"], 1);
  const std::string edn = (dir.path() / "bad.edn").string();
  std::ofstream(edn) << ";; a stale read\n{:process 0, :type :invoke, :f :write, :value 1}\n"
                        "{:process 0, :type :ok, :f :write, :value 1}\n"
                        "{:process 1, :type :invoke, :f :read, :value nil}\n"
                        "{:process 1, :type :ok, :f :read, :value nil}\n";
  testing::CliRun text = testing::real_cli({"check-history", "--model", "register", edn});
  EXPECT_NE(text.out.find("cannot linearize: process=1 ok read value=null invoke=#2 complete=#3 (lines 4-5)"),
            std::string::npos)
      << text.out;
}

}  // namespace
}  // namespace detsim
