// `detsim shrink SCENARIO --seed N [--set k=v]... [--faults FILE]
// [--save-faults FILE] [--max-runs R]`: replays a failing seed with fewer
// and fewer of its faults (sim/fault/shrink.h) while it still fails with
// the same verdict and property, then prints the smallest schedule found
// and a reproduce line that uses it. The seed stays the same, so the
// workload and every other random choice stay what they were. Then the
// causal shrink (causal_shrink.h): a shorter run, less client load, which
// faults are necessary, and the schedule in prose (fault_prose.h).
#include <algorithm>
#include <string>
#include <vector>

#include "replay/atomic_file.h"
#include "replay/causal_shrink.h"
#include "replay/commands.h"
#include "replay/fault_prose.h"
#include "replay/outcome.h"
#include "replay/progress.h"
#include "replay/scenario.h"
#include "sim/core/assert.h"
#include "sim/fault/node_names.h"
#include "sim/fault/shrink.h"
#include "sim/world/simulation.h"

namespace detsim {
namespace {

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
  // Named as every other output names nodes ("crash db1"): --set reads names.
  const std::string text =
      schedule.actions.empty()
          ? std::string("none")
          : name_nodes_in_fault_text(schedule.to_short_string(), model_node_names(*scenario.model, scenario.params));
  shrunk.overrides.push_back("faults.schedule=" + text);
  return shrunk;
}

void save(const Scenario& scenario, uint64_t seed, const FaultSchedule& schedule, const std::string& path) {
  AtomicFile file(path);
  file.stream() << "# " << scenario.name << " seed " << seed << ", shrunk by detsim shrink\n"
                << "# replay: " << reproduce_command(replaying(scenario, schedule, path), seed) << '\n'
                << schedule.to_file_text();
  file.commit();
}

// Records the run's node names (as the trace writers get them), nothing else.
class NodeNames final : public TraceSink {
 public:
  void record(const TraceEvent&) override {}
  void set_node_names(const std::vector<std::string>& all) override { names = all; }
  std::vector<std::string> names;
};

std::string changes_text(const std::vector<ParamChange>& changes) {
  std::string text;
  for (const ParamChange& change : changes) {
    text += (text.empty() ? "" : ", ") + change.key + " " + change.from + " -> " + change.to;
  }
  return text;
}

void print_units(const CausalShrinkResult& causal, const FaultSchedule& schedule, const std::vector<std::string>& names,
                 bool necessary, std::ostream& out) {
  for (size_t u = 0; u < causal.units.size(); ++u) {
    if (causal.necessary[u] != necessary) continue;
    std::string unit;
    for (size_t index : causal.units[u]) {
      unit += (unit.empty() ? "" : " + ") + name_nodes_in_fault_text(to_short_string(schedule.actions[index]), names);
    }
    out << "  " << unit << '\n';
  }
}

// What the causal shrink found: the smaller run, the faults the failure
// needs, and the schedule in prose.
void print_causal(const CausalShrinkResult& causal, const FaultSchedule& schedule,
                  const std::vector<std::string>& names, const std::vector<NodeId>& clients, std::ostream& out) {
  out << "length: " << (causal.length.empty() ? "unchanged (a shorter run passes)" : changes_text(causal.length))
      << '\n';
  out << "load: " << (causal.load.empty() ? "unchanged" : changes_text(causal.load)) << '\n';
  out << "causal shrink: " << causal.runs << " runs"
      << (causal.exhausted ? " (stopped at --max-runs: some steps not tried)" : "") << '\n';
  if (schedule.actions.empty()) {
    out << "no faults needed: the seed fails without any\n";
    return;
  }
  const auto necessary = std::count(causal.necessary.begin(), causal.necessary.end(), true);
  out << "necessary faults (without any one of them the seed passes or fails differently): " << necessary << " of "
      << causal.units.size() << '\n';
  print_units(causal, schedule, names, true, out);
  if (static_cast<size_t>(necessary) < causal.units.size()) {
    out << "not necessary at this length and load" << (causal.exhausted ? " (or not tried)" : "") << ":\n";
    print_units(causal, schedule, names, false, out);
  }
  out << "schedule:\n";
  for (const std::string& line : schedule_prose(schedule, names, clients)) out << "  " << line << '\n';
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
    const RunResult result = run_with_faults(scenario, seed, candidate);
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

  const size_t left =
      static_cast<size_t>(options.max_runs) - std::min(shrunk.runs, static_cast<size_t>(options.max_runs));
  auto same_failure_at = [&](const Scenario& candidate, const FaultSchedule& faults) {
    // Fewer clients can leave a partition naming a client that is gone.
    Params params = candidate.params;
    params.set("faults.schedule", faults.actions.empty() ? std::string("none") : faults.to_short_string());
    if (!check_fault_schedule(*candidate.model, params).empty()) return false;
    const RunResult result = run_with_faults(candidate, seed, faults);
    return result.verdict == original.verdict && result.property == original.property;
  };
  const CausalShrinkResult causal = causal_shrink(scenario, shrunk.schedule, original.swarm, same_failure_at, left);

  if (options.save_faults_path) save(causal.scenario, seed, shrunk.schedule, *options.save_faults_path);
  const Scenario replayed = replaying(causal.scenario, shrunk.schedule, options.save_faults_path);
  NodeNames names;
  const SeedOutcome outcome = run_seed(replayed, seed, &names);
  print_causal(causal, shrunk.schedule, names.names, outcome.clients, out);
  print_text(replayed, outcome, out);
  if (options.save_faults_path) out << "faults: " << *options.save_faults_path << '\n';
  return static_cast<int>(outcome.verdict);
}

}  // namespace detsim
