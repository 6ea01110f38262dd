// main() of a simulator made with detsim_add_simulator() (the installed
// CMake package): the full detsim command line over the models the
// simulator's own sources register with DETSIM_REGISTER_MODEL, after
// detsim's built-in ones unless DETSIM_WITH_BUILTIN_MODELS is 0.
#include <algorithm>
#include <iostream>
#include <vector>

#include "models/registry.h"
#include "replay/cli.h"

int main(int argc, char** argv) {
  detsim::ModelRegistry registry;
#if DETSIM_WITH_BUILTIN_MODELS
  for (const detsim::ModelInfo& info : detsim::model_registry().all()) registry.add(info);
#endif
  std::vector<detsim::ModelInfo> own;
  for (detsim::ModelInfoFunction function : detsim::registered_models()) own.push_back(function());
  // Registration order is the link order; list by name instead.
  std::sort(own.begin(), own.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (detsim::ModelInfo& info : own) registry.add(std::move(info));
  return detsim::run_cli(argc, argv, std::cout, std::cerr, registry);
}
