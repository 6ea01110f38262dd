// main() of a simulator made with detsim_add_simulator() (the installed
// CMake package): the full detsim command line over the models the
// simulator's own sources register with DETSIM_REGISTER_MODEL, after
// detsim's built-in ones unless DETSIM_WITH_BUILTIN_MODELS is 0.
#include <iostream>

#include "replay/cli.h"

int main(int argc, char** argv) {
  const detsim::ModelRegistry registry = detsim::simulator_registry(DETSIM_WITH_BUILTIN_MODELS != 0);
  return detsim::run_cli(argc, argv, std::cout, std::cerr, registry);
}
