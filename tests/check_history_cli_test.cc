// `detsim check-history` and `detsim replay --history` through the command
// line: verdict lines and exit codes (0, 1, 2, 64), and a run's history
// file checked afterwards gives the run's own verdict.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "replay/cli.h"
#include "tests/real_cli.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;
using testing::real_cli;

// A client that writes 1..10 to a register and reads each back; with
// bug=stale_read the reads return the previous value.
class RegisterClientModel final : public Model {
 public:
  explicit RegisterClientModel(const Params& params) : stale_(params.text("bug") == "stale_read") {}
  void setup(Setup& setup) override {
    setup.add_client("c0", [this](Context& ctx) {
      for (int64_t i = 1; i <= 10; ++i) {
        size_t write = history_.invoke(0, "write", "", OpValue::of(i), ctx.now());
        ctx.sleep_for(Duration::milliseconds(1));
        history_.complete(write, OpType::ok, OpValue::of(i), ctx.now());
        size_t read = history_.invoke(1, "read", "", OpValue::nil(), ctx.now());
        ctx.sleep_for(Duration::milliseconds(1));
        history_.complete(read, OpType::ok, OpValue::of(stale_ && i > 1 ? i - 1 : i), ctx.now());
      }
    });
  }
  CheckResult check() override { return CheckResult::ok(); }
  const History* history() const override { return &history_; }
  std::string history_model() const override { return "register"; }

 private:
  bool stale_;
  History history_;
};

ModelRegistry register_registry() {
  ModelInfo info;
  info.name = "register_client";
  info.summary = "a client recording a register history";
  info.bugs = {{"stale_read", "reads return the previous value"}};
  info.make = [](const Params& params) { return std::make_unique<RegisterClientModel>(params); };
  ModelRegistry registry;
  registry.add(std::move(info));
  return registry;
}

class CheckHistoryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("detsim_check_history_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::string scenario(const std::string& extra = "") {
    return write("register.toml", "model = \"register_client\"\nduration = \"1s\"\nsettle = \"0s\"\n" + extra);
  }
  void expect_bad_input(std::vector<std::string> args, const std::string& message_start) {
    testing::CliRun result = real_cli(args);
    EXPECT_EQ(result.code, 64) << result.out << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(result.err.rfind("detsim: " + message_start, 0), 0u) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }

  fs::path dir_;
};

const char* kStaleRead =
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1,\"time_ns\":10}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1,\"time_ns\":20}\n"
    "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time_ns\":30}\n"
    "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":null,\"time_ns\":40}\n";

TEST_F(CheckHistoryCli, LinearizableIsExitZeroAndOneLine) {
  std::string file = write("good.edn",
                           "{:process 0, :type :invoke, :f :write, :value 1}\n"
                           "{:process 1, :type :invoke, :f :read, :value nil}\n"
                           "{:process 1, :type :ok, :f :read, :value 1}\n"
                           "{:process 0, :type :ok, :f :write, :value 1}\n");
  testing::CliRun result = real_cli({"check-history", "--model", "register", file});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(
      std::regex_match(result.out, std::regex("verdict=linearizable ops=2 keys=1 steps=[0-9]+ wall_s=[0-9.]+\n")))
      << result.out;
}

TEST_F(CheckHistoryCli, NotLinearizableIsExitOneWithTheCounterexample) {
  testing::CliRun result = real_cli({"check-history", "--model", "register", write("bad.jsonl", kStaleRead)});
  EXPECT_EQ(result.code, 1) << result.err;
  EXPECT_EQ(result.out.rfind("verdict=not_linearizable key=\"\" ops=2 keys=1 steps=", 0), 0u) << result.out;
  EXPECT_NE(
      result.out.find("  after: process=0 ok write value=1 invoke=0.000000010s complete=0.000000020s (lines 1-2)\n"),
      std::string::npos);
  EXPECT_NE(
      result.out.find(
          "  cannot linearize: process=1 ok read value=null invoke=0.000000030s complete=0.000000040s (lines 3-4)\n"),
      std::string::npos)
      << result.out;
}

TEST_F(CheckHistoryCli, JsonIsOneObject) {
  testing::CliRun result = real_cli(
      {"check-history", "--model", "kv", "--json",
       write("bad.jsonl", std::string(kStaleRead) +
                              "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time_ns\":50}\n")});
  EXPECT_EQ(result.code, 1) << result.out << result.err;  // the never-completed read counts as an operation
  nlohmann::json line = nlohmann::json::parse(result.out);
  EXPECT_EQ(line["verdict"], "not_linearizable");
  EXPECT_EQ(line["ops"], 3);
  EXPECT_TRUE(line["counterexample"].is_array());
}

TEST_F(CheckHistoryCli, TinyBudgetIsUnknownExitTwo) {
  std::string history = "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n";
  for (int p = 1; p <= 6; ++p)
    history += "{\"process\":" + std::to_string(p) + ",\"type\":\"invoke\",\"f\":\"read\"}\n";
  for (int p = 1; p <= 6; ++p)
    history += "{\"process\":" + std::to_string(p) + ",\"type\":\"ok\",\"f\":\"read\",\"value\":1}\n";
  testing::CliRun result =
      real_cli({"check-history", "--model", "register", "--budget", "2", write("h.jsonl", history)});
  EXPECT_EQ(result.code, 2) << result.out << result.err;
  EXPECT_EQ(result.out.rfind("verdict=unknown key=\"\" ops=7 keys=1 steps=2 ", 0), 0u) << result.out;
  EXPECT_EQ(real_cli({"check-history", "--model", "register", write("h2.jsonl", history)}).code, 0);
}

// Knossos's layout (one vector of multi-line maps, comments), in the style
// of its cas-register histories, through the real command: a good one and
// one whose read sees a value the cas had already replaced.
TEST_F(CheckHistoryCli, KnossosLayoutEdnIsCheckedToItsKnownVerdict) {
  const std::string prefix =
      ";; cas-register, as Knossos's data/cas-register histories\n"
      "[{:process 0, :type :invoke, :f :write, :value 1}\n"
      " {:process 0, :type :ok, :f :write, :value 1}\n"
      " {:process 1, :type :invoke, :f :cas, :value [1 2]}\n"
      " {:process 2, :type :invoke, :f :read, :value nil}\n"
      " {:process 2,\n"
      "  :type :ok,\n"
      "  :f :read,\n"
      "  :value 1}   ; concurrent with the cas: 1 or 2 both fit\n"
      " {:process 1, :type :ok, :f :cas, :value [1 2]}\n"
      " #_{:process 3, :type :invoke, :f :read, :value nil}\n"
      " {:process 3, :type :invoke, :f :read, :value nil}\n";
  const std::string good = write("good.edn", prefix + " {:process 3, :type :ok, :f :read, :value 2}]\n");
  testing::CliRun result = real_cli({"check-history", "--model", "register", good});
  EXPECT_EQ(result.code, 0) << result.out << result.err;
  EXPECT_EQ(result.out.rfind("verdict=linearizable ops=4 keys=1 ", 0), 0u) << result.out;
  const std::string bad = write("bad.edn", prefix + " {:process 3, :type :ok, :f :read, :value 1}]\n");
  result = real_cli({"check-history", "--model", "register", bad});
  EXPECT_EQ(result.code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("cannot linearize: process=3 ok read value=1"), std::string::npos) << result.out;
  // A list instead of a vector reads the same.
  const std::string list =
      write("list.edn", "(" + prefix.substr(prefix.find('[') + 1) + " {:process 3, :type :ok, :f :read, :value 1})\n");
  EXPECT_EQ(real_cli({"check-history", "--model", "register", list}).code, 1);
}

TEST_F(CheckHistoryCli, BadInputIsExit64NamingTheLine) {
  std::string good = write("good.jsonl", kStaleRead);
  expect_bad_input({"check-history", "--model", "queue", good}, "--model queue: expected register or kv");
  expect_bad_input({"check-history", "--model", "kv", (dir_ / "missing.jsonl").string()}, "cannot read ");
  expect_bad_input({"check-history", good}, "");
  std::string orphan = write("orphan.jsonl", "\n{\"process\":3,\"type\":\"info\",\"f\":\"read\"}\n");
  expect_bad_input({"check-history", "--model", "kv", orphan}, orphan + ":2: info of process 3 with no outstanding");
  std::string append = write("append.edn", "{:process 0, :type :invoke, :f :append, :value \"x\"}\n");
  expect_bad_input({"check-history", "--model", "register", append},
                   append + ":1: f 'append' (expected read, write or cas");
  std::string junk = write("junk.edn", "{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok, :f :read} x\n");
  expect_bad_input({"check-history", "--model", "kv", junk}, junk + ":2: expected the end of the line");
  expect_bad_input({"check-history", "--model", "kv", "--time-limit", "-1", good}, "--time-limit -1");
}

// Hostile or empty input is bad input, never a crash (the readers recurse
// per nesting level) and never a vacuous "linearizable".
TEST_F(CheckHistoryCli, DeepNestingEmptyFilesAndDirectoriesAreExit64) {
  const std::string deep_edn = write("deep.edn", std::string(20000, '[') + "\n");
  expect_bad_input({"check-history", "--model", "register", deep_edn},
                   deep_edn + ":1: expected an EDN map: nested more than 64 deep");
  const std::string deep_json =
      write("deep.jsonl", "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":" + std::string(30000, '[') +
                              std::string(30000, ']') + "}\n");
  expect_bad_input({"check-history", "--model", "register", deep_json}, deep_json + ":1: nested more than 64 deep");
  const std::string unclosed = write("unclosed.jsonl", std::string(40000, '{') + "\n");
  expect_bad_input({"check-history", "--model", "kv", unclosed}, unclosed + ":1: nested more than 64 deep");
  const std::string empty = write("empty.jsonl", "");
  expect_bad_input({"check-history", "--model", "register", empty}, empty + ": no client operations to check");
  const std::string nemesis_only = write("nemesis.edn", "{:process :nemesis, :type :info, :f :start}\n");
  expect_bad_input({"check-history", "--model", "register", nemesis_only}, nemesis_only + ": no client operations");
  expect_bad_input({"check-history", "--model", "register", dir_.string()}, dir_.string() + " is a directory");
  // A value nested as deep as a history needs still reads.
  const std::string cas = write("cas.jsonl",
                                "{\"process\":0,\"type\":\"invoke\",\"f\":\"cas\",\"value\":[null,1]}\n"
                                "{\"process\":0,\"type\":\"fail\",\"f\":\"cas\",\"value\":[null,1]}\n");
  EXPECT_EQ(real_cli({"check-history", "--model", "register", cas}).code, 0);
}

TEST_F(CheckHistoryCli, ReplayHistoryChecksToTheRunsVerdict) {
  const ModelRegistry registry = register_registry();
  for (const char* bug : {"none", "stale_read"}) {
    const std::string file = (dir_ / (std::string(bug) + ".jsonl")).string();
    testing::CliRun run = real_cli(
        {"replay", scenario(), "--seed", "3", "--set", std::string("bug=") + bug, "--history", file}, registry);
    const int expected = std::string(bug) == "none" ? 0 : 1;
    EXPECT_EQ(run.code, expected) << run.out << run.err;
    EXPECT_NE(run.out.find("history: " + file + " (40 events; check: detsim check-history --model register"),
              std::string::npos)
        << run.out;
    if (expected == 1) {
      EXPECT_NE(run.out.find("linearizability: key \"\":"), std::string::npos) << run.out;
    }
    testing::CliRun checked = real_cli({"check-history", "--model", "register", file});
    EXPECT_EQ(checked.code, expected) << checked.out << checked.err;
  }
}

TEST_F(CheckHistoryCli, RunReportsHistoryMetricsAndBudgetZeroSkipsTheCheck) {
  const ModelRegistry registry = register_registry();
  testing::CliRun run = real_cli({"run", scenario(), "--seed", "1", "--set", "bug=stale_read"}, registry);
  EXPECT_EQ(run.code, 1) << run.out;
  EXPECT_NE(run.out.find("history_ops=20 linearizability_unknown=0"), std::string::npos) << run.out;
  testing::CliRun unchecked = real_cli(
      {"run", scenario(), "--seed", "1", "--set", "bug=stale_read", "--set", "history_check_budget=0"}, registry);
  EXPECT_EQ(unchecked.code, 0) << unchecked.out;
  testing::CliRun tiny = real_cli(
      {"run", scenario(), "--seed", "1", "--set", "bug=stale_read", "--set", "history_check_budget=1"}, registry);
  EXPECT_EQ(tiny.code, 0) << tiny.out;
  EXPECT_NE(tiny.out.find("linearizability_unknown=1"), std::string::npos) << tiny.out;
}

TEST_F(CheckHistoryCli, ModelWithoutHistoryWritesAnEmptyFile) {
  const std::string file = (dir_ / "none.jsonl").string();
  testing::CliRun run =
      real_cli({"replay", "broadcast", "--seed", "1", "--set", "duration=2s", "--set", "settle=1s", "--history", file});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("records no client history"), std::string::npos) << run.out;
  ASSERT_TRUE(fs::exists(file));
  EXPECT_EQ(fs::file_size(file), 0u);
  // Checking it is no vacuous pass: there is nothing to check.
  expect_bad_input({"check-history", "--model", "kv", file}, file + ": no client operations to check");
  testing::CliRun unwritable =
      real_cli({"replay", "broadcast", "--seed", "1", "--history", (dir_ / "no" / "h.jsonl").string()});
  EXPECT_EQ(unwritable.code, 64);
  EXPECT_EQ(unwritable.out, "");
}

}  // namespace
}  // namespace detsim
