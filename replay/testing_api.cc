// sim/api/testing.h: a scenario's seed run from a user's own test.
#include <stdexcept>

#include "replay/cli.h"
#include "replay/commands.h"
#include "replay/outcome.h"
#include "replay/scenario.h"
#include "sim/api/testing.h"

namespace detsim {

ScenarioRun run_scenario_seed(std::string_view scenario_name, uint64_t seed, const std::vector<std::string>& sets) {
  static const ModelRegistry registry = simulator_registry(true);
  Scenario scenario;
  try {
    scenario = load_scenario(scenario_name, sets, registry);
  } catch (const ScenarioError& error) {
    throw std::invalid_argument(error.what());
  } catch (const UsageError& error) {
    throw std::invalid_argument(error.what());
  }
  const SeedOutcome outcome = run_seed(scenario, seed);
  return {outcome.verdict, outcome.property, outcome.detail, reproduce_command(scenario, seed), outcome.fingerprint};
}

}  // namespace detsim
