// `detsim list [--json]`: what can be run. Scenarios (name, model, description),
// the parameters every scenario has, and each model's own parameters and
// planted bugs, with defaults and ranges, so nobody has to read source to
// write a scenario file or a --set.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "replay/commands.h"
#include "replay/scenario.h"
#include "sim/world/simulation.h"

namespace detsim {
namespace {

std::string bound_text(const ParamSpec& spec, double bound) {
  if (spec.type == ParamType::duration) return format_duration(Duration::from_seconds(bound));
  return fmt::format("{}", bound);
}

// "[0, 1]", ">= 1", "none, no_retry" or "".
std::string range_text(const ParamSpec& spec) {
  if (spec.type == ParamType::choice) {
    std::string names;
    for (const std::string& choice : spec.choices) names += (names.empty() ? "" : "|") + choice;
    return names;
  }
  bool has_min = std::isfinite(spec.min);
  bool has_max = std::isfinite(spec.max);
  // fmt rather than "[" + ...: GCC 12 warns falsely (-Wrestrict) on that.
  if (has_min && has_max) return fmt::format("[{}, {}]", bound_text(spec, spec.min), bound_text(spec, spec.max));
  if (has_min) return fmt::format(">= {}", bound_text(spec, spec.min));
  if (has_max) return fmt::format("<= {}", bound_text(spec, spec.max));
  return "";
}

void list_params(const std::vector<ParamSpec>& specs, std::ostream& out) {
  size_t key_width = 3;
  size_t default_width = 7;
  for (const ParamSpec& spec : specs) {
    key_width = std::max(key_width, spec.key.size());
    default_width = std::max(default_width, spec.default_text.size());
  }
  for (const ParamSpec& spec : specs) {
    std::string range = range_text(spec);
    std::string swarm;
    for (const std::string& value : spec.swarm) swarm += (swarm.empty() ? " [swarm: " : " | ") + value;
    if (!swarm.empty()) swarm += "]";
    out << fmt::format("    {:<{}}  {:<12}  {:<{}}  {}{}{}\n", spec.key, key_width, to_string(spec.type),
                       spec.default_text, default_width, spec.doc, range.empty() ? "" : " (" + range + ")", swarm);
  }
}

void list_scenarios(std::ostream& out) {
  std::vector<std::string> names = scenario_names();
  out << "scenarios (" << scenario_dir().string() << "):\n";
  if (names.empty()) out << "  (none)\n";
  size_t width = 4;
  for (const std::string& name : names) width = std::max(width, name.size());
  for (const std::string& name : names) {
    try {
      ScenarioHeader header = read_scenario_header(scenario_dir() / (name + ".toml"));
      out << fmt::format("  {:<{}}  {:<12}  {}\n", name, width, header.model, header.description);
    } catch (const ScenarioError& error) {
      // One broken file must not hide the others; `run` reports it fully.
      out << fmt::format("  {:<{}}  (unreadable: {})\n", name, width, error.what());
    }
  }
}

// The rare paths the model's author wants seeds to reach (docs/coverage.md).
void list_probes(const std::vector<ProbeSpec>& probes, std::ostream& out) {
  out << "  probes (run --coverage):\n";
  if (probes.empty()) out << "    (none)\n";
  size_t width = 4;
  for (const ProbeSpec& probe : probes) width = std::max(width, probe.name.size());
  for (const ProbeSpec& probe : probes) out << fmt::format("    {:<{}}  {}\n", probe.name, width, probe.doc);
}

void list_model(const ModelInfo& model, std::ostream& out) {
  out << "\nmodel " << model.name << ": " << model.summary << "\n";
  if (!model.params.empty()) {
    out << "  params:\n";
    list_params(model.params, out);
  }
  out << "  bugs (--set bug=NAME; default none):\n";
  if (model.bugs.empty()) out << "    (none)\n";
  size_t width = 4;
  for (const BugSpec& bug : model.bugs) width = std::max(width, bug.name.size());
  for (const BugSpec& bug : model.bugs) out << fmt::format("    {:<{}}  {}\n", bug.name, width, bug.doc);
  list_probes(model.probes, out);
}

// ---- --json: the same facts as one object, for tools ----

nlohmann::ordered_json bound_json(double bound) {
  if (!std::isfinite(bound)) return nullptr;
  return bound;
}

nlohmann::ordered_json params_json(const std::vector<ParamSpec>& specs) {
  nlohmann::ordered_json params = nlohmann::ordered_json::array();
  for (const ParamSpec& spec : specs) {
    params.push_back({{"key", spec.key},
                      {"type", to_string(spec.type)},
                      {"default", spec.default_text},
                      {"doc", spec.doc},
                      {"min", bound_json(spec.min)},
                      {"max", bound_json(spec.max)},
                      {"choices", spec.choices},
                      {"swarm", spec.swarm}});
  }
  return params;
}

nlohmann::ordered_json scenarios_json() {
  nlohmann::ordered_json scenarios = nlohmann::ordered_json::array();
  for (const std::string& name : scenario_names()) {
    try {
      ScenarioHeader header = read_scenario_header(scenario_dir() / (name + ".toml"));
      scenarios.push_back({{"name", name}, {"model", header.model}, {"description", header.description}});
    } catch (const ScenarioError& error) {
      scenarios.push_back({{"name", name}, {"error", error.what()}});
    }
  }
  return scenarios;
}

nlohmann::ordered_json model_json(const ModelInfo& model) {
  nlohmann::ordered_json bugs = nlohmann::ordered_json::array();
  for (const BugSpec& bug : model.bugs) bugs.push_back({{"name", bug.name}, {"doc", bug.doc}});
  nlohmann::ordered_json probes = nlohmann::ordered_json::array();
  for (const ProbeSpec& probe : model.probes) probes.push_back({{"name", probe.name}, {"doc", probe.doc}});
  return {{"name", model.name},
          {"summary", model.summary},
          {"params", params_json(model.params)},
          {"bugs", bugs},
          {"probes", probes}};
}

void list_json(const ModelRegistry& registry, std::ostream& out) {
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const ModelInfo& model : registry.all()) models.push_back(model_json(model));
  nlohmann::ordered_json all = {{"scenario_dir", scenario_dir().string()},
                                {"scenarios", scenarios_json()},
                                {"params", params_json(world_param_specs())},
                                {"models", models}};
  out << all.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace

int list_command(const ModelRegistry& registry, bool json, std::ostream& out) {
  if (json) {
    list_json(registry, out);
    return 0;
  }
  list_scenarios(out);
  out << "\nparams of every scenario (key, type, default, doc):\n";
  list_params(world_param_specs(), out);
  for (const ModelInfo& model : registry.all()) list_model(model, out);
  return 0;
}

}  // namespace detsim
