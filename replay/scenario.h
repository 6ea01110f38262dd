// Loading a scenario: a TOML file that picks a model and sets parameters,
// plus --set overrides, validated strictly against all_param_specs(model).
// A scenario file and --set share one validator (parse_param), so the same
// mistake gets the same "expected ..., got ..." message either way.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/model.h"
#include "sim/api/params.h"

namespace detsim {

// Bad input: what() is one line that names the file, line and key where it
// can. The command line prints it and exits 64; nothing has run yet.
// Text from the input quoted in the message (a TOML string or key holding
// "\n") has its control characters escaped, so what() is one line
// whatever the file held.
class ScenarioError : public std::runtime_error {
 public:
  explicit ScenarioError(std::string_view message);
};

struct Scenario {
  std::string name;            // the file's stem
  std::filesystem::path path;  // the file that was read
  std::string argument;        // SCENARIO as given, for "reproduce:"
  std::string description;
  const ModelInfo* model = nullptr;
  Params params;                       // every declared key, validated
  std::vector<std::string> overrides;  // the --set arguments, "k=v", as given
  std::optional<std::string> faults;   // the --faults argument (FILE or "none"), as given
  // How "reproduce:" lines name detsim: "detsim", or the binary as it was
  // invoked when that is not the detsim on PATH (program_name in cli.h).
  std::string program = "detsim";
};

// $DETSIM_SCENARIO_DIR if set and not empty; else scenarios/ next to the
// running binary, or ../share/detsim/scenarios from it (an installed
// detsim); else the source tree's scenarios/ (the DETSIM_SCENARIO_DIR
// compile definition).
std::filesystem::path scenario_dir();
// Stems of the *.toml files in scenario_dir(), sorted.
std::vector<std::string> scenario_names();

// SCENARIO is a path if it contains '/' or ends in ".toml", else a name
// under scenario_dir(). Throws ScenarioError listing the names on a miss.
std::filesystem::path resolve_scenario(std::string_view argument);

// The two top-level strings, read without validating the parameters (for
// `detsim list`). Throws ScenarioError on a missing file or bad TOML.
struct ScenarioHeader {
  std::string model;
  std::string description;
};
ScenarioHeader read_scenario_header(const std::filesystem::path& path);

// Resolves, parses and validates; fills unset keys from their defaults,
// applies the overrides in order, then --faults: a schedule file (read into
// faults.schedule) or "none". A fault schedule, wherever it came from, must
// name only the model's nodes. Throws ScenarioError.
Scenario load_scenario(std::string_view argument, const std::vector<std::string>& overrides,
                       const ModelRegistry& registry, const std::optional<std::string>& faults = std::nullopt);

// load_scenario's work on a file's text already read: path names the file
// in messages (and the scenario's name) and is not opened. The fuzzer
// (fuzz/scenario_fuzzer.cc) feeds it arbitrary bytes.
Scenario load_scenario_text(std::string_view text, const std::filesystem::path& path,
                            const std::vector<std::string>& overrides, const ModelRegistry& registry,
                            const std::optional<std::string>& faults = std::nullopt);

// Applies one "k=v" to *params, validated against specs. Throws
// ScenarioError, whose message names `option` ("--set k=v: expected ...").
// Exposed for commands that vary parameters: sweep checks each --grid
// value here, so it gets the same message as --set with its own flag.
void apply_override(const std::vector<ParamSpec>& specs, std::string_view assignment, Params* params,
                    std::string_view option = "--set");

}  // namespace detsim
