// `detsim run SCENARIO [--seed N | --seeds A..B] [--set k=v]...
// [--faults FILE|none] [--jobs J] [--json] [--coverage] [--failures-only] [--shard I/M]`: one
// line per seed in seed order (with --failures-only, per failing seed), failure details under a
// failing seed, a summary when there was more than one seed (the failing seeds and the failures
// per property under it), and with --coverage one line per probe the model declared. With --shard, only the I-th
// of M strided slices of the seeds, as a shard file on stdout (shard.h).
#include <fmt/format.h>

#include <chrono>

#include "replay/commands.h"
#include "replay/coverage.h"
#include "replay/jobs.h"
#include "replay/outcome.h"
#include "replay/progress.h"
#include "replay/scenario.h"
#include "replay/shard.h"

namespace detsim {
namespace {

// All input is checked before the first seed runs (DESIGN.md: a bad input
// gets one line, and nothing is run).
SeedRange seeds_of(const RunOptions& options) {
  if (options.seed && options.seeds) throw UsageError("run: give --seed or --seeds, not both");
  if (options.seeds) return parse_seed_range(*options.seeds);
  uint64_t seed = options.seed ? parse_seed(*options.seed) : 1;
  return {seed, seed};
}

ShardHeader shard_header_of(const RunOptions& options, SeedRange seeds, ShardSpec spec) {
  return ShardHeader{
      "run", options.scenario, options.sets,    {}, fmt::format("{}..{}", seeds.first, seeds.last), options.faults,
      spec,  seeds.count(),    detsim_version()};
}

// --shard: this slice's seeds as shard rows (shard.h), always JSON lines,
// after a header line; then the slice's summary object.
int run_shard(const RunOptions& options, const Scenario& scenario, SeedRange seeds, ShardSpec spec, std::ostream& out,
              std::ostream& err) {
  out << nlohmann::json(shard_header_json(shard_header_of(options, seeds, spec))).dump() << '\n';
  out.flush();
  const uint64_t size = spec.size(seeds.count());
  TaskList tasks{size, [&](uint64_t k) { return SeedTask{&scenario, seeds.first + spec.task(k)}; }, {}};
  Progress progress(err, is_terminal_stderr(err), size);
  Summary summary;
  uint64_t failed = 0;
  auto start = std::chrono::steady_clock::now();
  run_tasks(
      tasks, options.jobs, Isolation::in_process_for_one_job,
      [&](uint64_t k, const SeedOutcome& outcome) {
        progress.before_output(out);
        out << json_line_text(shard_row(spec.task(k), {}, run_json_line(scenario, outcome))) << '\n';
        out.flush();
        summary.add(outcome);
        if (outcome.verdict != Verdict::pass) ++failed;
        progress.update(k + 1, failed);
      },
      err);
  progress.clear();
  summary.print_json(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), out);
  return summary.exit_code();
}

}  // namespace

int run_command(const RunOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err) {
  SeedRange seeds = seeds_of(options);
  check_jobs(options.jobs);
  std::optional<ShardSpec> shard;
  if (options.shard) shard = parse_shard(*options.shard, process_env());
  if (shard && options.coverage) throw UsageError("--coverage: not with --shard (merge does not sum probes)");
  if (shard && options.failures_only) throw UsageError("--failures-only: not with --shard (merge needs every row)");
  Scenario scenario = load_scenario(options.scenario, options.sets, registry, options.faults);
  scenario.program = options.program;
  if (shard) return run_shard(options, scenario, seeds, *shard, out, err);

  auto start = std::chrono::steady_clock::now();
  bool many = seeds.count() > 1;
  Progress progress(err, many && !options.json && is_terminal_stderr(err), seeds.count());
  Summary summary;
  Coverage coverage(*scenario.model);
  uint64_t done = 0;
  uint64_t failed = 0;
  run_seeds(
      scenario, seeds, options.jobs,
      [&](const SeedOutcome& outcome) {
        progress.before_output(out);
        if (!options.failures_only || outcome.verdict != Verdict::pass)
          print_outcome(scenario, outcome, options.json, out);
        summary.add(outcome);
        coverage.add(outcome);
        ++done;
        if (outcome.verdict != Verdict::pass) ++failed;
        progress.update(done, failed);
      },
      err);
  progress.clear();

  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // JSON always ends with a summary object, so scripts need no special
  // case for one seed; the text summary would only repeat a single line.
  if (options.json) {
    summary.print_json(wall_s, out);
  } else if (many || options.failures_only) {
    summary.print_text(wall_s, out);
  }
  if (options.coverage) {
    if (options.json) {
      coverage.print_json(out);
    } else {
      coverage.print_text(out);
    }
  }
  return summary.exit_code();
}

}  // namespace detsim
