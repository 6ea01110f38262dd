// The real `detsim` command line with the real models, driven in process:
// what a user types, and what they would see.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "models/registry.h"
#include "replay/cli.h"

namespace detsim::testing {

struct CliRun {
  int code = 0;
  std::string out;
  std::string err;
};

// The same with another set of models (a test's own).
inline CliRun real_cli(std::vector<std::string> args, const ModelRegistry& registry) {
  args.insert(args.begin(), "detsim");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  std::ostringstream out, err;
  CliRun result;
  result.code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err, registry);
  result.out = out.str();
  result.err = err.str();
  return result;
}

inline CliRun real_cli(std::vector<std::string> args) { return real_cli(std::move(args), model_registry()); }

}  // namespace detsim::testing
