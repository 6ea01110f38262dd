// Parameters declared once (sim/api/bindings.h): a binding's default is its
// field's initializer, the spec and the reading come from one declaration,
// and for every model on bindings the listed defaults read back as the
// struct's own defaults.
#include "sim/api/bindings.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "models/broadcast/params.h"
#include "models/edge_replication/params.h"
#include "models/queue/params.h"
#include "models/raft_kv/params.h"
#include "models/registry.h"
#include "sim/world/simulation.h"
#include "sim/world/world_params.h"

namespace detsim {
namespace {

enum class Mode { fast, safe };

struct ToyParams {
  int64_t nodes = 3;
  double rate = 2.5;
  Duration period = Duration::milliseconds(40);
  bool durable = true;
  Mode mode = Mode::safe;
  bool drop_acks = false;
  bool double_vote = false;
};

const ParamBindings<ToyParams>& toy_bindings() {
  using P = ToyParams;
  static const auto b = ParamBindings<P>()
                            .integer("nodes", &P::nodes, "servers", 1, 9)
                            .swarm({"3", "5"})
                            .real("rate", &P::rate, "ops per second", 0, 1e6)
                            .duration("period", &P::period, "tick", 0.001, 60)
                            .boolean("durable", &P::durable, "log to disk")
                            .choice("mode", &P::mode, "how", {{"fast", Mode::fast}, {"safe", Mode::safe}})
                            .bug("drop_acks", &P::drop_acks, "acks are lost")
                            .bug("double_vote", &P::double_vote, "votes twice");
  return b;
}

const ParamSpec& spec_of(const std::vector<ParamSpec>& specs, const std::string& key) {
  for (const ParamSpec& spec : specs) {
    if (spec.key == key) return spec;
  }
  throw std::runtime_error("no spec " + key);
}

TEST(ParamBindings, DefaultsComeFromTheFieldInitializers) {
  const std::vector<ParamSpec> specs = toy_bindings().specs();
  ASSERT_EQ(specs.size(), 5u);
  EXPECT_EQ(spec_of(specs, "nodes").default_text, "3");
  EXPECT_EQ(spec_of(specs, "nodes").swarm, (std::vector<std::string>{"3", "5"}));
  EXPECT_EQ(spec_of(specs, "nodes").max, 9);
  EXPECT_EQ(spec_of(specs, "rate").default_text, "2.5");
  EXPECT_EQ(spec_of(specs, "period").default_text, "40ms");
  EXPECT_EQ(spec_of(specs, "durable").default_text, "true");
  EXPECT_EQ(spec_of(specs, "mode").default_text, "safe");
  EXPECT_EQ(spec_of(specs, "mode").choices, (std::vector<std::string>{"fast", "safe"}));
  EXPECT_EQ(spec_of(specs, "mode").type, ParamType::choice);
  ASSERT_EQ(toy_bindings().bugs().size(), 2u);
  EXPECT_EQ(toy_bindings().bugs()[1].name, "double_vote");
}

Params toy_params(const std::string& bug) {
  Params params;
  for (const ParamSpec& spec : toy_bindings().specs()) {
    std::string error;
    params.set_default(spec.key, *parse_param(spec, spec.default_text, &error));
  }
  params.set("bug", std::string(bug));
  return params;
}

TEST(ParamBindings, ReadSetsEveryFieldAndOnlyTheNamedBug) {
  Params params = toy_params("double_vote");
  params.set("nodes", int64_t{7});
  params.set("period", Duration::milliseconds(250));
  params.set("mode", std::string("fast"));
  const ToyParams read = toy_bindings().read(params);
  EXPECT_EQ(read.nodes, 7);
  EXPECT_EQ(read.rate, 2.5);
  EXPECT_EQ(read.period, Duration::milliseconds(250));
  EXPECT_TRUE(read.durable);
  EXPECT_EQ(read.mode, Mode::fast);
  EXPECT_FALSE(read.drop_acks);
  EXPECT_TRUE(read.double_vote);
  EXPECT_FALSE(toy_bindings().read(toy_params("none")).double_vote);
}

// What `detsim list` shows is what the model runs with when nothing is set.
template <class S>
void expect_defaults_read_back(const char* model, const ParamBindings<S>& bindings) {
  const ModelInfo* info = model_registry().find(model);
  ASSERT_NE(info, nullptr) << model;
  EXPECT_EQ(info->params.size(), bindings.specs().size()) << model << ": the registry lists the bindings";
  EXPECT_TRUE(bindings.read(default_params(*info)) == S{}) << model;
}

TEST(ParamBindings, EveryModelsListedDefaultsAreItsStructDefaults) {
  expect_defaults_read_back("broadcast", broadcast::bindings());
  expect_defaults_read_back("raft_kv", raft_kv::bindings());
  expect_defaults_read_back("edge_replication", edge::bindings());
  expect_defaults_read_back("queue", queue::bindings());
}

// The world's own keys: each listed default is the text of its field's
// initial value, reads back to it, and the struct is what runs.
TEST(ParamBindings, TheWorldsListedDefaultsAreItsStructDefaults) {
  Params params;
  for (const ParamSpec& spec : world_param_specs()) {
    std::string error;
    const std::optional<ParamValue> value = parse_param(spec, spec.default_text, &error);
    ASSERT_TRUE(value.has_value()) << spec.key << ": " << error;
    EXPECT_EQ(format_param(*value), spec.default_text) << spec.key;
    params.set_default(spec.key, *value);
  }
  const WorldParams read = world_bindings().read(params);
  const WorldParams fresh;
  EXPECT_EQ(read.duration, fresh.duration);
  EXPECT_EQ(read.faults.down_time.to_string(), "uniform(500ms, 3s)");
  EXPECT_EQ(read.faults.down_time.to_string(), fresh.faults.down_time.to_string());
  EXPECT_TRUE(read.faults.swarm);
  EXPECT_EQ(read.net.latency.to_string(), fresh.net.latency.to_string());
  EXPECT_EQ(read.disk.sector_size, 4096u);
  EXPECT_EQ(read.sched.policy, SchedPolicy::fifo);
  EXPECT_EQ(read.faults.shape_role, "leader");
  EXPECT_EQ(nemesis_options(params).clog_delay.to_string(), "uniform(100ms, 1s)");
}

}  // namespace
}  // namespace detsim
