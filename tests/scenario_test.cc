// Scenario files and --set: a good file loads with defaults filled in, TOML
// tables map to dotted keys, and every mistake is one line naming the file,
// line and key with what was expected. Also the shared validator itself
// (parse_param) and the Params getters.
#include "replay/scenario.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "models/registry.h"
#include "sim/world/simulation.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;

class NullModel final : public Model {
 public:
  void setup(Setup& setup) override {}
  CheckResult check() override { return CheckResult::ok(); }
};

ParamSpec make_spec(std::string key, ParamType type, std::string default_text, double min, double max) {
  ParamSpec spec;
  spec.key = std::move(key);
  spec.type = type;
  spec.default_text = std::move(default_text);
  spec.doc = "for tests";
  spec.min = min;
  spec.max = max;
  return spec;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

// A model of our own, so these tests do not depend on any real model.
ModelRegistry test_registry() {
  ModelInfo info;
  info.name = "testmodel";
  info.summary = "a model for scenario tests";
  info.params = {
      make_spec("size", ParamType::integer, "3", 1, 10),
      make_spec("load.ratio", ParamType::real, "0.5", 0, 1),
      make_spec("load.period", ParamType::duration, "100ms", 0.001, 10),
      make_spec("load.delay", ParamType::distribution, "uniform(1ms, 2ms)", -kInf, kInf),
      make_spec("verbose", ParamType::boolean, "false", -kInf, kInf),
      make_spec("label", ParamType::text, "plain", -kInf, kInf),
  };
  info.bugs = {{"off_by_one", "for tests"}, {"stale_read", "for tests"}};
  info.make = [](const Params&) { return std::make_unique<NullModel>(); };
  ModelRegistry registry;
  registry.add(std::move(info));
  return registry;
}

// A fresh directory of scenario files, made the scenario dir for the test.
class ScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() / ("detsim_scenario_test_" + std::to_string(random()));
    fs::create_directories(dir_);
    setenv("DETSIM_SCENARIO_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    unsetenv("DETSIM_SCENARIO_DIR");
    fs::remove_all(dir_);
  }

  fs::path write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / (name + ".toml");
    std::ofstream(path) << text;
    return path;
  }

  Scenario load(const std::string& argument, std::vector<std::string> overrides = {}) {
    return load_scenario(argument, overrides, registry_);
  }

  // The one-line message that loading gives; fails the test if it loads.
  std::string error_of(const std::string& argument, std::vector<std::string> overrides = {}) {
    try {
      load(argument, overrides);
    } catch (const ScenarioError& error) {
      std::string message = error.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      return message;
    }
    ADD_FAILURE() << argument << " loaded, but should not have";
    return "";
  }

  fs::path dir_;
  ModelRegistry registry_ = test_registry();
};

const char* kHeader = "model = \"testmodel\"\ndescription = \"for tests\"\n";

TEST_F(ScenarioTest, GoodFileLoadsWithDefaults) {
  fs::path path = write("good", std::string(kHeader) + "size = 5\n");
  Scenario scenario = load("good");
  EXPECT_EQ(scenario.name, "good");
  EXPECT_EQ(scenario.path, path);
  EXPECT_EQ(scenario.argument, "good");
  EXPECT_EQ(scenario.description, "for tests");
  ASSERT_NE(scenario.model, nullptr);
  EXPECT_EQ(scenario.model->name, "testmodel");
  EXPECT_EQ(scenario.params.integer("size"), 5);
  EXPECT_EQ(scenario.params.real("load.ratio"), 0.5);
  EXPECT_EQ(scenario.params.duration("load.period"), Duration::milliseconds(100));
  EXPECT_EQ(scenario.params.distribution("load.delay").to_string(), "uniform(1ms, 2ms)");
  EXPECT_FALSE(scenario.params.boolean("verbose"));
  EXPECT_EQ(scenario.params.text("label"), "plain");
  EXPECT_EQ(scenario.params.text("bug"), "none");
  // Every declared key has a value, world keys included.
  for (const ParamSpec& spec : all_param_specs(*scenario.model)) EXPECT_TRUE(scenario.params.has(spec.key)) << spec.key;
}

TEST_F(ScenarioTest, TomlTablesMapToDottedKeys) {
  write("tables", std::string(kHeader) + "[load]\nratio = 0.25\nperiod = \"2s\"\ndelay = \"exponential(3ms)\"\n");
  Scenario scenario = load("tables");
  EXPECT_EQ(scenario.params.real("load.ratio"), 0.25);
  EXPECT_EQ(scenario.params.duration("load.period"), Duration::seconds(2));
  EXPECT_EQ(scenario.params.distribution("load.delay").to_string(), "exponential(3ms)");
}

TEST_F(ScenarioTest, TomlDottedKeysWorkToo) {
  write("dotted", std::string(kHeader) + "load.ratio = 1\n");  // an integer is fine for a real
  EXPECT_EQ(load("dotted").params.real("load.ratio"), 1.0);
}

TEST_F(ScenarioTest, PathInsteadOfName) {
  fs::path path = write("by_path", std::string(kHeader) + "verbose = true\n");
  Scenario scenario = load(path.string());
  EXPECT_EQ(scenario.name, "by_path");
  EXPECT_TRUE(scenario.params.boolean("verbose"));
}

TEST_F(ScenarioTest, SetOverridesFileAndDefaults) {
  write("good", std::string(kHeader) + "size = 5\n");
  Scenario scenario = load("good", {"size=7", "load.period=1.5s", "bug=stale_read", "label=a b"});
  EXPECT_EQ(scenario.params.integer("size"), 7);
  EXPECT_EQ(scenario.params.duration("load.period"), Duration::milliseconds(1500));
  EXPECT_EQ(scenario.params.text("bug"), "stale_read");
  EXPECT_EQ(scenario.params.text("label"), "a b");
  EXPECT_EQ(scenario.overrides,
            (std::vector<std::string>{"size=7", "load.period=1.5s", "bug=stale_read", "label=a b"}));
}

TEST_F(ScenarioTest, LaterSetWins) {
  write("good", kHeader);
  EXPECT_EQ(load("good", {"size=2", "size=9"}).params.integer("size"), 9);
}

TEST_F(ScenarioTest, UnknownScenarioListsAvailableNames) {
  write("alpha", kHeader);
  write("beta", kHeader);
  EXPECT_EQ(error_of("gamma"), "unknown scenario 'gamma' (available: alpha, beta)");
}

TEST_F(ScenarioTest, MissingPath) {
  EXPECT_EQ(error_of("/nonexistent/x.toml"), "scenario file '/nonexistent/x.toml' not found");
}

TEST_F(ScenarioTest, UnknownKeyInFileNamesLineAndKnownKeys) {
  fs::path path = write("bad", std::string(kHeader) + "\nbogus = 1\n");
  std::string message = error_of("bad");
  EXPECT_EQ(message.rfind(path.string() + ":4: unknown key 'bogus' (known: ", 0), 0u) << message;
  EXPECT_NE(message.find("load.ratio"), std::string::npos) << message;
  EXPECT_NE(message.find("duration"), std::string::npos) << message;
}

TEST_F(ScenarioTest, UnknownKeyInTable) {
  fs::path path = write("bad", std::string(kHeader) + "[load]\nratio = 0.1\nbogus = 1\n");
  EXPECT_EQ(error_of("bad").rfind(path.string() + ":5: unknown key 'load.bogus' (known: ", 0), 0u);
}

TEST_F(ScenarioTest, UnknownTable) {
  fs::path path = write("bad", std::string(kHeader) + "[nosuch]\nx = 1\n");
  EXPECT_EQ(error_of("bad").rfind(path.string() + ":3: unknown key 'nosuch' (known: ", 0), 0u);
}

TEST_F(ScenarioTest, WrongTomlType) {
  fs::path path = write("bad", std::string(kHeader) + "size = \"5\"\n");
  EXPECT_EQ(error_of("bad"), path.string() + ":3: key 'size': expected an integer, got string \"5\"");
  write("bad2", std::string(kHeader) + "load.period = 5\n");
  EXPECT_EQ(error_of("bad2"), (dir_ / "bad2.toml").string() +
                                  ":3: key 'load.period': expected a duration string like \"500ms\", got integer 5");
  write("bad3", std::string(kHeader) + "size = 2.5\n");
  EXPECT_EQ(error_of("bad3"), (dir_ / "bad3.toml").string() + ":3: key 'size': expected an integer, got float 2.5");
}

TEST_F(ScenarioTest, OutOfRange) {
  fs::path path = write("bad", std::string(kHeader) + "[load]\nratio = 1.5\n");
  EXPECT_EQ(error_of("bad"), path.string() + ":4: key 'load.ratio': expected a number in [0, 1], got 1.5");
  write("bad2", std::string(kHeader) + "size = 11\n");
  EXPECT_EQ(error_of("bad2"), (dir_ / "bad2.toml").string() + ":3: key 'size': expected an integer in [1, 10], got 11");
  write("bad3", std::string(kHeader) + "load.period = \"11s\"\n");
  EXPECT_EQ(error_of("bad3"),
            (dir_ / "bad3.toml").string() +
                ":3: key 'load.period': expected a duration like \"500ms\", in [1ms, 10s], got \"11s\"");
}

TEST_F(ScenarioTest, BadDistribution) {
  write("bad", std::string(kHeader) + "load.delay = \"uniform(5ms, 1ms)\"\n");
  EXPECT_EQ(error_of("bad"),
            (dir_ / "bad.toml").string() + ":3: key 'load.delay': uniform needs lo <= hi, got \"uniform(5ms, 1ms)\"");
}

TEST_F(ScenarioTest, UnknownBugInFileListsValidNames) {
  write("bad", std::string(kHeader) + "bug = \"nope\"\n");
  EXPECT_EQ(error_of("bad"),
            (dir_ / "bad.toml").string() + ":3: key 'bug': expected one of none, off_by_one, stale_read, got \"nope\"");
}

TEST_F(ScenarioTest, FirstMistakeInFileOrderIsReported) {
  write("bad", std::string(kHeader) + "size = 99\n[load]\nratio = 7\n");
  EXPECT_NE(error_of("bad").find(":3: key 'size'"), std::string::npos);
}

TEST_F(ScenarioTest, TomlSyntaxErrorNamesFileAndLine) {
  fs::path path = write("bad", std::string(kHeader) + "size = = 3\n");
  std::string message = error_of("bad");
  EXPECT_EQ(message.rfind(path.string() + ":3: ", 0), 0u) << message;
}

TEST_F(ScenarioTest, UnknownModelListsModels) {
  fs::path path = write("bad", "model = \"nosuch\"\n");
  EXPECT_EQ(error_of("bad"), path.string() + ":1: unknown model 'nosuch' (models: testmodel)");
}

TEST_F(ScenarioTest, MissingModel) {
  fs::path path = write("bad", "size = 3\n");
  EXPECT_EQ(error_of("bad"), path.string() + ":1: missing top-level key 'model' (models: testmodel)");
}

TEST_F(ScenarioTest, ModelMustBeAString) {
  fs::path path = write("bad", "model = 3\n");
  EXPECT_EQ(error_of("bad"), path.string() + ":1: key 'model': expected a string");
}

TEST_F(ScenarioTest, SetUnknownKeyListsKnownKeys) {
  write("good", kHeader);
  std::string message = error_of("good", {"nope=1"});
  EXPECT_EQ(message.rfind("unknown key 'nope' (known: ", 0), 0u) << message;
  EXPECT_NE(message.find("size"), std::string::npos);
}

TEST_F(ScenarioTest, SetBadValue) {
  write("good", kHeader);
  EXPECT_EQ(error_of("good", {"size=abc"}), "--set size=abc: expected an integer in [1, 10], got \"abc\"");
  EXPECT_EQ(error_of("good", {"verbose=yes"}), "--set verbose=yes: expected true or false, got \"yes\"");
  EXPECT_EQ(error_of("good", {"load.ratio=-0.1"}), "--set load.ratio=-0.1: expected a number in [0, 1], got -0.1");
}

TEST_F(ScenarioTest, SetUnknownBugListsValidNames) {
  write("good", kHeader);
  EXPECT_EQ(error_of("good", {"bug=nope"}),
            "--set bug=nope: expected one of none, off_by_one, stale_read, got \"nope\"");
}

TEST_F(ScenarioTest, SetWithoutEquals) {
  write("good", kHeader);
  EXPECT_EQ(error_of("good", {"size"}), "--set size: expected KEY=VALUE");
  EXPECT_EQ(error_of("good", {"=3"}), "--set =3: expected KEY=VALUE");
}

TEST_F(ScenarioTest, HeaderReadsModelAndDescription) {
  fs::path path = write("good", kHeader);
  ScenarioHeader header = read_scenario_header(path);
  EXPECT_EQ(header.model, "testmodel");
  EXPECT_EQ(header.description, "for tests");
  EXPECT_EQ(scenario_names(), std::vector<std::string>{"good"});
}

// The shipped scenarios load, and every registered model's defaults are
// valid under its own specs (the loader asserts on that).
TEST(ShippedScenarios, LoadAndDefaultsParse) {
  for (const ModelInfo& model : model_registry().all()) {
    for (const ParamSpec& spec : all_param_specs(model)) {
      std::string error;
      EXPECT_TRUE(parse_param(spec, spec.default_text, &error)) << model.name << " " << spec.key << ": " << error;
    }
  }
  for (const std::string& name : scenario_names()) {
    EXPECT_NO_THROW(load_scenario(name, {}, model_registry())) << name;
  }
}

// ---- parse_param, format_param and Params ----

std::string param_error(const ParamSpec& spec, std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_param(spec, text, &error).has_value()) << text;
  return error;
}

TEST(ParseParam, MessagesSayWhatWasExpected) {
  EXPECT_EQ(param_error(make_spec("k", ParamType::integer, "1", 1, 100), "abc"),
            "expected an integer in [1, 100], got \"abc\"");
  EXPECT_EQ(param_error(make_spec("k", ParamType::integer, "1", 0, kInf), "-1"), "expected an integer >= 0, got -1");
  EXPECT_EQ(param_error(make_spec("k", ParamType::integer, "1", -kInf, kInf), "1.5"), "expected an integer, got 1.5");
  EXPECT_EQ(param_error(make_spec("k", ParamType::real, "1", -kInf, 2), "3"), "expected a number <= 2, got 3");
  EXPECT_EQ(param_error(make_spec("k", ParamType::real, "1", -kInf, kInf), "inf"), "expected a number, got \"inf\"");
  EXPECT_EQ(param_error(make_spec("k", ParamType::duration, "1s", -kInf, kInf), "5"),
            "expected a duration like \"500ms\", got 5");
  EXPECT_EQ(param_error(make_spec("k", ParamType::duration, "1s", 0.5, kInf), "100ms"),
            "expected a duration like \"500ms\", >= 500ms, got \"100ms\"");
  EXPECT_EQ(param_error(make_spec("k", ParamType::boolean, "true", -kInf, kInf), "1"), "expected true or false, got 1");
  ParamSpec choice = make_spec("k", ParamType::choice, "a", -kInf, kInf);
  choice.choices = {"a", "b"};
  EXPECT_EQ(param_error(choice, "c\n"), "expected one of a, b, got \"c\\x0a\"");
}

TEST(ParseParam, ValuesAndRoundTrip) {
  std::string error;
  auto integer = parse_param(make_spec("k", ParamType::integer, "1", -kInf, kInf), "-42", &error);
  ASSERT_TRUE(integer);
  EXPECT_EQ(std::get<int64_t>(*integer), -42);
  auto real = parse_param(make_spec("k", ParamType::real, "1", 0, 1), "0.25", &error);
  ASSERT_TRUE(real);
  EXPECT_EQ(format_param(*real), "0.25");
  auto duration = parse_param(make_spec("k", ParamType::duration, "1s", 0, 1), "1s", &error);  // bounds inclusive
  ASSERT_TRUE(duration);
  EXPECT_EQ(format_param(*duration), "1s");
  auto text = parse_param(make_spec("k", ParamType::text, "", -kInf, kInf), "any thing", &error);
  ASSERT_TRUE(text);
  EXPECT_EQ(format_param(*text), "any thing");
  EXPECT_EQ(format_param(ParamValue(true)), "true");
  EXPECT_EQ(format_param(ParamValue(int64_t{7})), "7");
}

TEST(ParseParam, TypeNames) {
  EXPECT_STREQ(to_string(ParamType::integer), "integer");
  EXPECT_STREQ(to_string(ParamType::distribution), "distribution");
  EXPECT_STREQ(to_string(ParamType::choice), "choice");
}

TEST(ParamsDeathTest, ReadingAnUndeclaredKeyOrWrongTypeAsserts) {
  Params params;
  params.set("n", int64_t{3});
  EXPECT_EQ(params.integer("n"), 3);
  EXPECT_DEATH(params.integer("missing"), "assertion failed");
  EXPECT_DEATH(params.real("n"), "assertion failed");
}

TEST(VerdictNames, AreTheContract) {
  EXPECT_STREQ(to_string(Verdict::pass), "pass");
  EXPECT_STREQ(to_string(Verdict::safety), "safety");
  EXPECT_STREQ(to_string(Verdict::liveness), "liveness");
  EXPECT_STREQ(to_string(Verdict::model_crashed), "model_crashed");
}

}  // namespace
}  // namespace detsim
