// Scenario files: resolve SCENARIO to a file, parse the TOML, check every
// key against the model's ParamSpecs, then apply --set. TOML scalars are
// rendered to text and go through parse_param, after a strict check of the
// TOML type (a quoted "5" is not an integer).
#include "replay/scenario.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sim/core/assert.h"
#include "sim/fault/node_names.h"
#include "sim/world/simulation.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;

std::string join(const std::vector<std::string>& names) { return fmt::format("{}", fmt::join(names, ", ")); }

// Error text from a library may span lines; ours must not.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Control characters as \xNN (a newline would split the one line).
std::string escape_controls(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      out += fmt::format("\\x{:02x}", byte);
    else
      out += c;
  }
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError("cannot read scenario file '" + path.string() + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

toml::table parse_toml_text(std::string_view text, const fs::path& path) {
  try {
    return toml::parse(text, path.string());
  } catch (const toml::parse_error& error) {
    throw ScenarioError(path.string() + ":" + std::to_string(error.source().begin.line) + ": " +
                        one_line(error.description()));
  }
}

toml::table parse_toml(const fs::path& path) { return parse_toml_text(read_file(path), path); }

std::string where(const fs::path& path, const toml::node& node) {
  return path.string() + ":" + std::to_string(node.source().begin.line) + ": ";
}

std::string model_names(const ModelRegistry& registry) {
  std::vector<std::string> names;
  for (const ModelInfo& model : registry.all()) names.push_back(model.name);
  return join(names);
}

// An optional top-level string; throws if present with another type.
std::string top_level_string(const fs::path& path, const toml::table& table, std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return "";
  if (!node->is_string()) {
    throw ScenarioError(where(path, *node) + "key '" + std::string(key) + "': expected a string");
  }
  return node->value<std::string>().value_or("");
}

std::string shortest(double value) {
  std::array<char, 32> buffer;
  auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

// The "got ..." half of a wrong-type message: the TOML type and value.
std::string describe_node(const toml::node& node) {
  if (auto v = node.value_exact<int64_t>()) return "integer " + std::to_string(*v);
  if (auto v = node.value_exact<double>()) return "float " + shortest(*v);
  if (auto v = node.value_exact<bool>()) return std::string("boolean ") + (*v ? "true" : "false");
  if (auto v = node.value_exact<std::string>()) return "string \"" + one_line(*v) + "\"";
  if (node.is_table()) return "a table";
  if (node.is_array()) return "an array";
  return "a date or time";
}

// What each ParamType takes in TOML, for wrong-type messages.
std::string toml_expected(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::integer: return "an integer";
    case ParamType::real: return "a number";
    case ParamType::boolean: return "true or false";
    case ParamType::duration: return "a duration string like \"500ms\"";
    case ParamType::distribution: return "a distribution string like \"uniform(1ms, 10ms)\"";
    case ParamType::choice: return "a string, one of " + join(spec.choices);
    case ParamType::text: return "a string";
  }
  DETSIM_ASSERT(false);
}

// The node rendered as parse_param text, or nullopt if its TOML type is
// wrong for the spec. Integers are fine where a real is expected.
std::optional<std::string> toml_text(const ParamSpec& spec, const toml::node& node) {
  switch (spec.type) {
    case ParamType::integer:
      if (auto v = node.value_exact<int64_t>()) return std::to_string(*v);
      return std::nullopt;
    case ParamType::real:
      if (auto v = node.value_exact<int64_t>()) return std::to_string(*v);
      if (auto v = node.value_exact<double>()) return shortest(*v);
      return std::nullopt;
    case ParamType::boolean:
      if (auto v = node.value_exact<bool>()) return std::string(*v ? "true" : "false");
      return std::nullopt;
    default: return node.value_exact<std::string>();
  }
}

class SpecIndex {
 public:
  explicit SpecIndex(std::vector<ParamSpec> specs) : specs_(std::move(specs)) {
    for (const ParamSpec& spec : specs_) keys_.push_back(spec.key);
    std::sort(keys_.begin(), keys_.end());
  }
  const ParamSpec* find(std::string_view key) const {
    for (const ParamSpec& spec : specs_) {
      if (spec.key == key) return &spec;
    }
    return nullptr;
  }
  // True if some key lives in the table `prefix` ("net" for "net.loss").
  bool is_table(std::string_view prefix) const {
    return std::any_of(keys_.begin(), keys_.end(), [&](const std::string& key) {
      return key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0 && key[prefix.size()] == '.';
    });
  }
  std::string unknown(std::string_view key) const {
    return "unknown key '" + std::string(key) + "' (known: " + join(keys_) + ")";
  }
  const std::vector<ParamSpec>& specs() const { return specs_; }

 private:
  std::vector<ParamSpec> specs_;
  std::vector<std::string> keys_;  // sorted, for messages
};

struct Entry {
  std::string key;  // dotted
  const toml::node* node = nullptr;
};

// Every leaf the file sets, with dotted keys. A table is descended into
// only where specs live below it; anything else is a leaf, and is then
// reported as unknown or as the wrong type.
void flatten(const toml::table& table, const std::string& prefix, const SpecIndex& specs, std::vector<Entry>* entries) {
  for (auto&& [name, node] : table) {
    std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (prefix.empty() && (key == "model" || key == "description")) continue;
    if (node.is_table() && specs.is_table(key)) {
      flatten(*node.as_table(), key, specs, entries);
    } else {
      entries->push_back({key, &node});
    }
  }
}

ParamValue file_value(const fs::path& path, const SpecIndex& specs, const Entry& entry) {
  std::string at = where(path, *entry.node);
  const ParamSpec* spec = specs.find(entry.key);
  if (spec == nullptr) throw ScenarioError(at + specs.unknown(entry.key));
  std::string prefix = at + "key '" + entry.key + "': ";
  std::optional<std::string> text = toml_text(*spec, *entry.node);
  if (!text) {
    throw ScenarioError(prefix + "expected " + toml_expected(*spec) + ", got " + describe_node(*entry.node));
  }
  std::string error;
  std::optional<ParamValue> value = parse_param(*spec, *text, &error);
  if (!value) throw ScenarioError(prefix + error);
  return std::move(*value);
}

const ModelInfo& find_model(const fs::path& path, const toml::table& table, const ModelRegistry& registry) {
  const toml::node* node = table.get("model");
  if (node == nullptr) {
    throw ScenarioError(path.string() + ":1: missing top-level key 'model' (models: " + model_names(registry) + ")");
  }
  std::string name = top_level_string(path, table, "model");
  const ModelInfo* model = registry.find(name);
  if (model == nullptr) {
    throw ScenarioError(where(path, *node) + "unknown model '" + name + "' (models: " + model_names(registry) + ")");
  }
  return *model;
}

// Values from the file, in file order so the first mistake is reported.
void apply_file(const fs::path& path, const toml::table& table, const SpecIndex& specs, Params* params) {
  std::vector<Entry> entries;
  flatten(table, "", specs, &entries);
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.node->source().begin.line < b.node->source().begin.line;
  });
  for (const Entry& entry : entries) params->set(entry.key, file_value(path, specs, entry));
}

void apply_defaults(const SpecIndex& specs, Params* params) {
  for (const ParamSpec& spec : specs.specs()) {
    if (params->has(spec.key)) continue;
    std::string error;
    std::optional<ParamValue> value = parse_param(spec, spec.default_text, &error);
    // Invariant: every declared default is valid (tests/scenario_test.cc
    // checks each registered model's).
    DETSIM_ASSERT(value.has_value());
    params->set_default(spec.key, std::move(*value));
  }
}

// A schedule naming a node the model lacks fails in the numbered parser
// ("expected a node like n2, got 'db9'"): say which names there are.
std::string name_the_nodes(std::string error, const std::vector<std::string>& names) {
  if (error.find("a node like n2, got '") == std::string::npos || names.empty()) return error;
  constexpr size_t kListed = 8;
  std::string listed;
  for (size_t i = 0; i < names.size() && i < kListed; ++i) listed += (i == 0 ? "" : ", ") + names[i];
  return fmt::format("{} (this model's nodes: {}{})", error, listed, names.size() > kListed ? ", ..." : "");
}

// --faults FILE: the file's text becomes faults.schedule, checked by the
// same grammar as a scenario's own schedule; "none" switches faults off.
// Nodes may be named as the model names them (names) or numbered "nN";
// the parameter holds the numbered form.
void apply_fault_file(const std::string& argument, const std::vector<std::string>& names, Params* params) {
  if (argument == "none") {
    params->set("faults.schedule", std::string("none"));
    return;
  }
  std::ifstream in(argument, std::ios::binary);
  if (!in) throw ScenarioError("--faults " + argument + ": cannot read the file");
  std::ostringstream named;
  named << in.rdbuf();
  std::ostringstream text;
  text << number_nodes_in_fault_text(named.str(), names);
  std::string error;
  if (!FaultSchedule::parse_file_text(text.str(), &error)) {
    throw ScenarioError("--faults " + argument + ": " + name_the_nodes(error, names));
  }
  // An empty file would mean "generate": say so rather than guess.
  if (text.str().find_first_not_of(" \t\r\n") == std::string::npos) {
    throw ScenarioError("--faults " + argument + ": the file is empty (write \"none\" for no faults)");
  }
  params->set("faults.schedule", text.str());
}

// --set faults.schedule=... names nodes as --faults FILE does ("1.5s crash
// s2"): it is applied last, numbered with the names the other overrides
// give (clients=, nodes= change them), so the parameter's own check reads
// "n2" and an unknown name is its one-line error.
void apply_overrides(const std::vector<ParamSpec>& specs, const ModelInfo& model,
                     const std::vector<std::string>& overrides, Params* params) {
  constexpr std::string_view kSchedule = "faults.schedule=";
  std::vector<std::string_view> schedules;
  for (const std::string& assignment : overrides) {
    if (std::string_view(assignment).starts_with(kSchedule)) {
      schedules.push_back(assignment);
    } else {
      apply_override(specs, assignment, params);
    }
  }
  if (schedules.empty()) return;
  const std::vector<std::string> names = model_node_names(model, *params);
  for (std::string_view assignment : schedules) {
    const std::string numbered = number_nodes_in_fault_text(assignment.substr(kSchedule.size()), names);
    try {
      apply_override(specs, std::string(kSchedule) + numbered, params);
    } catch (const ScenarioError& error) {
      throw ScenarioError(name_the_nodes(error.what(), names));
    }
  }
}

bool is_path(std::string_view argument) {
  return argument.find('/') != std::string_view::npos ||
         (argument.size() >= 5 && argument.substr(argument.size() - 5) == ".toml");
}

}  // namespace

ScenarioError::ScenarioError(std::string_view message) : std::runtime_error(escape_controls(message)) {}

fs::path scenario_dir() {
  const char* from_env = std::getenv("DETSIM_SCENARIO_DIR");
  if (from_env != nullptr && *from_env != '\0') return fs::path(from_env);
  // A simulator made with detsim_add_simulator() keeps its scenarios next
  // to it; an installed detsim, under share/detsim/ beside bin/.
  std::error_code error;
  const fs::path exe_dir = fs::read_symlink("/proc/self/exe", error).parent_path();
  if (!error) {
    for (const fs::path& dir : {exe_dir / "scenarios", exe_dir / ".." / "share" / "detsim" / "scenarios"}) {
      if (fs::is_directory(dir, error)) return dir.lexically_normal();
    }
  }
  return fs::path(DETSIM_SCENARIO_DIR);
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(scenario_dir(), error)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

fs::path resolve_scenario(std::string_view argument) {
  if (is_path(argument)) {
    fs::path path(argument);
    if (!fs::is_regular_file(path)) throw ScenarioError("scenario file '" + path.string() + "' not found");
    return path;
  }
  fs::path path = scenario_dir() / (std::string(argument) + ".toml");
  if (fs::is_regular_file(path)) return path;
  std::vector<std::string> names = scenario_names();
  std::string known = names.empty() ? "no scenarios in " + scenario_dir().string() : "available: " + join(names);
  throw ScenarioError("unknown scenario '" + std::string(argument) + "' (" + known + ")");
}

ScenarioHeader read_scenario_header(const fs::path& path) {
  toml::table table = parse_toml(path);
  return {top_level_string(path, table, "model"), top_level_string(path, table, "description")};
}

void apply_override(const std::vector<ParamSpec>& spec_list, std::string_view assignment, Params* params,
                    std::string_view option) {
  std::string prefix = std::string(option) + " " + std::string(assignment) + ": ";
  size_t equals = assignment.find('=');
  if (equals == std::string_view::npos || equals == 0) throw ScenarioError(prefix + "expected KEY=VALUE");
  std::string_view key = assignment.substr(0, equals);
  const ParamSpec* spec = nullptr;
  for (const ParamSpec& candidate : spec_list) {
    if (candidate.key == key) spec = &candidate;
  }
  if (spec == nullptr) throw ScenarioError(SpecIndex(spec_list).unknown(key));
  std::string error;
  std::optional<ParamValue> value = parse_param(*spec, assignment.substr(equals + 1), &error);
  if (!value) throw ScenarioError(prefix + error);
  params->set(spec->key, std::move(*value));
}

Scenario load_scenario(std::string_view argument, const std::vector<std::string>& overrides,
                       const ModelRegistry& registry, const std::optional<std::string>& faults) {
  const fs::path path = resolve_scenario(argument);
  Scenario scenario = load_scenario_text(read_file(path), path, overrides, registry, faults);
  scenario.argument = std::string(argument);
  return scenario;
}

Scenario load_scenario_text(std::string_view text, const fs::path& path, const std::vector<std::string>& overrides,
                            const ModelRegistry& registry, const std::optional<std::string>& faults) {
  Scenario scenario;
  scenario.argument = path.string();
  scenario.path = path;
  scenario.name = scenario.path.stem().string();
  scenario.overrides = overrides;
  toml::table table = parse_toml_text(text, scenario.path);
  scenario.model = &find_model(scenario.path, table, registry);
  scenario.description = top_level_string(scenario.path, table, "description");
  SpecIndex specs(all_param_specs(*scenario.model));
  apply_file(scenario.path, table, specs, &scenario.params);
  apply_defaults(specs, &scenario.params);
  apply_overrides(specs.specs(), *scenario.model, overrides, &scenario.params);
  if (faults) apply_fault_file(*faults, model_node_names(*scenario.model, scenario.params), &scenario.params);
  scenario.faults = faults;
  std::string error = check_fault_schedule(*scenario.model, scenario.params);
  if (!error.empty()) throw ScenarioError((faults ? "--faults " + *faults : scenario.path.string()) + ": " + error);
  // Faults and the workload run in [0, duration - settle): a settle as long
  // as the run leaves nothing to test, and would pass vacuously.
  const Duration duration = scenario.params.duration("duration");
  const Duration settle = scenario.params.duration("settle");
  if (settle >= duration) {
    throw ScenarioError(
        fmt::format("{}: settle ({}) must be shorter than duration ({}): faults and the workload "
                    "run in the time between",
                    scenario.path.string(), format_duration(settle), format_duration(duration)));
  }
  return scenario;
}

}  // namespace detsim
