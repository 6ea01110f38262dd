// The `detsim` command line (DESIGN.md "Command line"): list, run, replay.
// Output goes to `out` and diagnostics to `err`, so tests can drive the
// whole command in-process and read what a user would see.
#pragma once

#include <ostream>

#include "sim/api/model.h"

namespace detsim {

// Returns the process exit code: 0 pass, 1 safety, 2 liveness, 3 model
// crashed, 64 bad input (one line on err starting with "detsim: ").
int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err);
// The same, against a given set of models (tests use their own).
int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err, const ModelRegistry& registry);
// detsim's built-in models (unless with_builtin_models is false), then the
// ones registered with DETSIM_REGISTER_MODEL, by name: what a simulator
// made with detsim_add_simulator() knows.
ModelRegistry simulator_registry(bool with_builtin_models);

}  // namespace detsim
