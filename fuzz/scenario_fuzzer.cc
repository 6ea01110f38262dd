// Scenario files (replay/scenario.h): the input is a scenario's TOML text,
// optionally followed by a line "%%" and one --set override per line. It
// goes through load_scenario_text: TOML, the model, every key against its
// spec (the world's keys, a fault schedule, link overrides), the defaults,
// the overrides and the schedule's node check. Bad input must end in a
// ScenarioError; anything else escaping is a finding.
//
// The models are not linked (they are not what is parsed here, and the
// fuzz build stays small): one stand-in model, registered under each real
// model's name so the project's scenario files are good seeds, declares
// the model keys those files set, one or more of every ParamType.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "replay/scenario.h"
#include "sim/api/model.h"
#include "sim/core/assert.h"

namespace {

using detsim::make_param;
using detsim::ParamType;

class StandIn : public detsim::Model {
 public:
  explicit StandIn(int64_t servers) : servers_(servers) {}
  void setup(detsim::Setup& setup) override {
    for (int64_t i = 0; i < servers_; ++i) setup.add_server("n" + std::to_string(i), [](detsim::Context&) {});
    setup.add_client("c0", [](detsim::Context&) {});
  }
  detsim::CheckResult check() override { return detsim::CheckResult::ok(); }

 private:
  int64_t servers_;
};

detsim::ParamSpec choice(std::string key, std::vector<std::string> choices) {
  detsim::ParamSpec spec = make_param(std::move(key), ParamType::choice, choices.front(), "a choice");
  spec.choices = std::move(choices);
  return spec;
}

std::vector<detsim::ParamSpec> stand_in_params() {
  std::vector<detsim::ParamSpec> specs;
  for (const char* key : {"nodes", "servers", "clients", "keys", "workers", "tables", "batch_rows", "initial_rows"}) {
    specs.push_back(make_param(key, ParamType::integer, "3", "a count", 1, 1e9));
  }
  for (const char* key : {"rate", "arrival_rate", "service_rate"}) {
    specs.push_back(make_param(key, ParamType::real, "10", "a rate", 1e-6, 1e9));
  }
  for (const char* key : {"durable", "inject_divergence"}) {
    specs.push_back(make_param(key, ParamType::boolean, "false", "a switch"));
  }
  for (const char* key : {"edge_rtt", "linger", "warmup", "schema_change_interval"}) {
    specs.push_back(make_param(key, ParamType::duration, "10ms", "a time", 0, 3600));
  }
  for (const char* key : {"apply_batch_cost", "apply_row_cost"}) {
    specs.push_back(make_param(key, ParamType::distribution, "1ms", "a cost"));
  }
  specs.push_back(choice("reads", {"read_index", "lease"}));
  specs.push_back(choice("backfill", {"dblog", "rowlock"}));
  specs.push_back(choice("key_dist", {"uniform", "zipf"}));
  specs.push_back(choice("row_model", {"explicit", "aggregate"}));
  specs.push_back(choice("service", {"exponential", "deterministic"}));
  specs.push_back(make_param("label", ParamType::text, "", "any text"));
  return specs;
}

detsim::ModelRegistry make_registry() {
  detsim::ModelRegistry registry;
  for (const char* name : {"broadcast", "raft_kv", "edge_replication", "queue", "fuzz"}) {
    detsim::ModelInfo info;
    info.name = name;
    info.summary = "a stand-in for the fuzzer";
    info.params = stand_in_params();
    info.bugs = {{"planted", "a bug name for --set bug="}};
    info.make = [](const detsim::Params& params) {
      return std::make_unique<StandIn>(std::min<int64_t>(params.integer("servers"), 9));
    };
    registry.add(std::move(info));
  }
  return registry;
}

// The scenario text, and the override lines after a "%%" line.
void split(std::string_view input, std::string_view* text, std::vector<std::string>* overrides) {
  size_t marker = input.find("\n%%\n");
  *text = input.substr(0, marker);
  if (marker == std::string_view::npos) return;
  std::string_view rest = input.substr(marker + 4);
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    overrides->emplace_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const detsim::ModelRegistry registry = make_registry();
  std::string_view text;
  std::vector<std::string> overrides;
  split(std::string_view(reinterpret_cast<const char*>(data), size), &text, &overrides);
  try {
    detsim::Scenario scenario = detsim::load_scenario_text(text, "fuzz.toml", overrides, registry);
    // Invariant: a loaded scenario has a model and every declared key.
    DETSIM_ASSERT(scenario.model != nullptr);
    DETSIM_ASSERT(scenario.params.has("duration"));
  } catch (const detsim::ScenarioError& error) {
    // Invariant: the error is one line (STYLE.md rule 6).
    DETSIM_ASSERT(std::string_view(error.what()).find('\n') == std::string_view::npos);
    // To see why a seed is rejected: DETSIM_FUZZ_VERBOSE=1 scenario_fuzzer FILE.
    if (std::getenv("DETSIM_FUZZ_VERBOSE") != nullptr) std::fprintf(stderr, "%s\n", error.what());
  }
  return 0;
}
