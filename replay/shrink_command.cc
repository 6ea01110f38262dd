// `detsim shrink SCENARIO --seed N [--set k=v]... [--faults FILE]
// [--save-faults FILE] [--max-runs R]`: replays a failing seed with fewer
// and fewer of its faults (sim/fault/shrink.h) while it still fails with
// the same verdict and property, then prints the smallest schedule found
// and a reproduce line that uses it. The seed stays the same, so the
// workload and every other random choice stay what they were.
#include <string>

#include "replay/atomic_file.h"
#include "replay/commands.h"
#include "replay/outcome.h"
#include "replay/progress.h"
#include "replay/scenario.h"
#include "sim/core/assert.h"
#include "sim/fault/shrink.h"
#include "sim/world/simulation.h"

namespace detsim {
namespace {

RunResult run_with(const Scenario& scenario, uint64_t seed, const FaultSchedule& faults) {
  RunRequest request;
  request.model = scenario.model;
  request.params = scenario.params;
  request.seed = seed;
  request.faults = faults;
  return simulate(request);
}

// The scenario as it replays the shrunk schedule: from the saved file if
// there is one, else inline through --set faults.schedule=....
Scenario replaying(const Scenario& scenario, const FaultSchedule& schedule, const std::optional<std::string>& path) {
  Scenario shrunk = scenario;
  shrunk.params.set("faults.schedule", schedule.actions.empty() ? std::string("none") : schedule.to_short_string());
  if (path) {
    shrunk.faults = *path;
    return shrunk;
  }
  shrunk.faults.reset();
  shrunk.overrides.push_back("faults.schedule=" + (schedule.actions.empty() ? "none" : schedule.to_short_string()));
  return shrunk;
}

void save(const Scenario& scenario, uint64_t seed, const FaultSchedule& schedule, const std::string& path) {
  AtomicFile file(path);
  file.stream() << "# " << scenario.name << " seed " << seed << ", shrunk by detsim shrink\n"
                << "# replay: " << reproduce_command(replaying(scenario, schedule, path), seed) << '\n'
                << schedule.to_file_text();
  file.commit();
}

}  // namespace

int shrink_command(const ShrinkOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err) {
  const uint64_t seed = parse_seed(options.seed);
  if (options.max_runs < 1)
    throw UsageError("--max-runs " + std::to_string(options.max_runs) + ": expected at least 1");
  Scenario scenario = load_scenario(options.scenario, options.sets, registry, options.faults);
  scenario.program = options.program;
  if (options.save_faults_path) AtomicFile probe(*options.save_faults_path);  // unwritable: say so before running

  const SeedOutcome original = run_seed(scenario, seed);
  if (original.verdict == Verdict::pass) {
    print_text(scenario, original, out);
    out << "seed " << seed << " passes: nothing to shrink\n";
    return 0;
  }
  std::string error;
  const std::optional<FaultSchedule> failing = FaultSchedule::parse_short(original.faults, &error);
  // Invariant: a schedule's short form reads back (fault_schedule_test).
  DETSIM_ASSERT(failing.has_value());
  out << "seed=" << seed << " verdict=" << to_string(original.verdict) << " property=" << original.property
      << " faults=" << failing->size() << " (" << fault_units(*failing).size() << " units)\n";

  Progress progress(err, is_terminal_stderr(err), static_cast<uint64_t>(options.max_runs));
  uint64_t still_failing = 0;
  auto same_failure = [&](const FaultSchedule& candidate) {
    const RunResult result = run_with(scenario, seed, candidate);
    const bool same = result.verdict == original.verdict && result.property == original.property;
    still_failing += same ? 1 : 0;
    return same;
  };
  size_t runs = 0;
  auto counted = [&](const FaultSchedule& candidate) {
    progress.update(++runs, still_failing);
    return same_failure(candidate);
  };
  const ShrinkResult shrunk = shrink_schedule(*failing, counted, static_cast<size_t>(options.max_runs));
  progress.clear();

  out << "shrunk to " << shrunk.schedule.size() << " of " << failing->size() << " fault actions in " << shrunk.runs
      << " runs" << (shrunk.exhausted ? " (stopped at --max-runs: may not be minimal)" : "") << '\n';
  if (options.save_faults_path) save(scenario, seed, shrunk.schedule, *options.save_faults_path);
  const Scenario replayed = replaying(scenario, shrunk.schedule, options.save_faults_path);
  const SeedOutcome outcome = run_seed(replayed, seed);
  print_text(replayed, outcome, out);
  if (options.save_faults_path) out << "faults: " << *options.save_faults_path << '\n';
  return static_cast<int>(outcome.verdict);
}

}  // namespace detsim
