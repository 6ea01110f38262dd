// `detsim sweep SCENARIO --grid k=v1,v2,... [--grid ...] --seeds A..B
// --out F.csv [--set k=v]... [--faults FILE|none] [--jobs J] [--resume]`: every grid
// point (the first --grid varies slowest) times every seed, one CSV row
// each, in that order. Each point is loaded exactly as `detsim run` loads
// SCENARIO with --set k=v for the --set values and then the point's, so a
// row's fingerprint is the one `run --seed N --set ...` prints.
//
// Failing verdicts are data here, not errors: the exit code is 0 once the
// CSV is written, 64 on bad input (checked in full before the first run),
// 74 when the journal or the CSV cannot be written. Runs always go to
// worker processes, even with --jobs 1, so a model that aborts costs one
// row (verdict 3), not the sweep. Each finished run is appended to the
// journal F.csv.journal (sweep_journal.h) at once; the CSV is made from the
// journal at the end, whole, through AtomicFile, and the journal removed.
// An interrupted sweep leaves its journal and no CSV; --resume continues it.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "replay/commands.h"
#include "replay/grid.h"
#include "replay/jobs.h"
#include "replay/outcome.h"
#include "replay/progress.h"
#include "replay/scenario.h"
#include "replay/shard.h"
#include "replay/sweep_journal.h"
#include "replay/sweep_output.h"
#include "sim/core/assert.h"
#include "sim/metrics/csv.h"
#include "sim/world/simulation.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;

// Every value through the --set validator, one at a time, so a bad one is
// named on its own: "--grid clients=0: expected an integer in [1, 1000]".
Grid parse_grid(const SweepOptions& options, const Scenario& base) {
  std::vector<GridAxis> axes;
  for (const std::string& text : options.grids) axes.push_back(parse_grid_axis(text));
  Grid grid(std::move(axes));
  std::vector<ParamSpec> specs = all_param_specs(*base.model);
  for (const GridAxis& axis : grid.axes()) {
    Params scratch = base.params;
    for (const std::string& value : axis.values) apply_override(specs, axis.key + "=" + value, &scratch, "--grid");
  }
  return grid;
}

// Each point's scenario, loaded from scratch: values can depend on each
// other (a fault schedule must name only nodes that exist), so every
// combination is checked before anything runs.
std::vector<Scenario> load_points(const SweepOptions& options, const Grid& grid, const ModelRegistry& registry) {
  std::vector<Scenario> points;
  points.reserve(grid.point_count());
  for (uint64_t point = 0; point < grid.point_count(); ++point) {
    std::vector<std::string> overrides = options.sets;
    for (std::string& assignment : grid.assignments(point)) overrides.push_back(std::move(assignment));
    points.push_back(load_scenario(options.scenario, overrides, registry, options.faults));
    points.back().program = options.program;
  }
  return points;
}

// Everything the runs need, checked in full before the first one.
struct SweepPlan {
  SeedRange seeds;
  Grid grid;
  std::vector<Scenario> points;
  uint64_t total = 0;  // points x seeds
  SeedTask task(uint64_t index) const {
    return SeedTask{&points[index / seeds.count()], seeds.first + index % seeds.count()};
  }
};

SweepPlan plan_of(const SweepOptions& options, const ModelRegistry& registry) {
  check_jobs(options.jobs);
  SeedRange seeds = parse_seed_range(options.seeds);
  check_out_path(options.out_path);
  Scenario base = load_scenario(options.scenario, options.sets, registry, options.faults);
  Grid grid = parse_grid(options, base);
  if (grid.point_count() > UINT64_MAX / seeds.count()) throw UsageError("sweep: too many runs");
  std::vector<Scenario> points = load_points(options, grid, registry);
  const uint64_t total = grid.point_count() * seeds.count();
  return SweepPlan{seeds, std::move(grid), std::move(points), total};
}

// The runs an earlier, interrupted sweep journaled (--resume), or none for
// a fresh sweep; either way the journal is as it must be, or UsageError.
JournaledRuns earlier_runs(const SweepOptions& options, const fs::path& journal, const JournalExpectation& expected) {
  std::error_code error;
  const bool exists = fs::exists(journal, error);
  if (!options.resume) {
    if (!exists) return {};
    throw UsageError("--out " + options.out_path + ": " + journal.string() +
                     " exists (an interrupted sweep): pass --resume to continue it, or delete it");
  }
  if (!exists) throw UsageError("--resume: there is no journal " + journal.string() + " to continue");
  return read_journal(journal, expected);
}

// The tasks not yet in the journal, in task order.
std::vector<uint64_t> tasks_left(uint64_t total, const JournaledRuns& done) {
  std::vector<uint64_t> left;
  for (uint64_t index = 0; index < total; ++index) {
    if (done.count(index) == 0) left.push_back(index);
  }
  return left;
}

// The CSV from the journal, every run of the sweep in task order.
void write_csv(const SweepOptions& options, const SweepPlan& plan, const JournaledRuns& runs) {
  // Invariant: one row per (point, seed), none lost to a crashed worker.
  DETSIM_ASSERT(runs.size() == plan.total);
  DETSIM_ASSERT(runs.empty() || runs.rbegin()->first == plan.total - 1);
  write_sweep_csv(options.out_path, plan.grid, plan.seeds.count(), runs);
}

GridPoint point_of(const Grid& grid, uint64_t point) {
  GridPoint cells;
  std::vector<std::string> values = grid.values(point);
  for (size_t i = 0; i < values.size(); ++i) cells.emplace_back(grid.axes()[i].key, values[i]);
  return cells;
}

// A shard file is its own journal: rows are appended and flushed as runs
// finish, and --resume continues it.
JournaledRuns earlier_shard_runs(const SweepOptions& options, const JournalExpectation& expected) {
  std::error_code error;
  const bool exists = fs::exists(options.out_path, error);
  if (!options.resume && exists) {
    throw UsageError("--out " + options.out_path + " exists: pass --resume to continue this shard, or delete it");
  }
  if (options.resume && !exists) throw UsageError("--resume: there is no shard file " + options.out_path);
  return options.resume ? read_journal(options.out_path, expected) : JournaledRuns{};
}

// --shard: the I-th of M strided slices of (point x seed), as a shard file
// at --out (shard.h); `detsim merge` makes the CSV.
int sweep_shard(const SweepOptions& options, const SweepPlan& plan, ShardSpec spec, std::ostream& out,
                std::ostream& err) {
  const ShardHeader header{"sweep", options.scenario, options.sets,    options.grids, options.seeds, options.faults,
                           spec,    plan.total,       detsim_version()};
  const JournalExpectation expected{shard_header_json(header), plan.total,
                                    [&plan](uint64_t index) { return plan.task(index).seed; }, JournalFormat::shard};
  const JournaledRuns earlier = earlier_shard_runs(options, expected);
  JournalWriter writer = options.resume ? JournalWriter::append_to(options.out_path)
                                        : JournalWriter::create(options.out_path, expected.header);
  std::vector<uint64_t> left;
  for (uint64_t k = 0; k < spec.size(plan.total); ++k) {
    if (earlier.count(spec.task(k)) == 0) left.push_back(spec.task(k));
  }
  auto start = std::chrono::steady_clock::now();
  TaskList tasks{left.size(), [&plan, &left](uint64_t index) { return plan.task(left[index]); }, {}};
  Progress progress(err, is_terminal_stderr(err), spec.size(plan.total), "runs");
  uint64_t done = earlier.size();
  run_tasks(
      tasks, options.jobs, Isolation::always_workers,
      [&](uint64_t index, const SeedOutcome& outcome) {
        const uint64_t task = left[index];
        const Scenario& scenario = *plan.task(task).scenario;
        writer.add_line(json_line_text(
            shard_row(task, point_of(plan.grid, task / plan.seeds.count()), run_json_line(scenario, outcome))));
        progress.update(++done, 0);
      },
      err);
  progress.clear();
  const JournaledRuns runs = read_journal(options.out_path, expected);
  uint64_t passed = 0;
  for (const auto& [index, outcome] : runs) passed += outcome.verdict == Verdict::pass ? 1 : 0;
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << fmt::format("sweep shard {}: {} of {}: {} pass, {} fail, wall_s={:.3f} -> {}\n", spec.text(),
                     counted(runs.size(), "run"), plan.total, passed, runs.size() - passed, wall_s, options.out_path);
  return 0;
}

}  // namespace

int sweep_command(const SweepOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err) {
  std::optional<ShardSpec> shard;
  if (options.shard) shard = parse_shard(*options.shard, process_env());
  const SweepPlan plan = plan_of(options, registry);
  if (shard) return sweep_shard(options, plan, *shard, out, err);
  const fs::path journal = journal_path_for(options.out_path);
  const JournalExpectation expected{journal_header(options), plan.total,
                                    [&plan](uint64_t index) { return plan.task(index).seed; }};
  const JournaledRuns earlier = earlier_runs(options, journal, expected);
  JournalWriter writer =
      options.resume ? JournalWriter::append_to(journal) : JournalWriter::create(journal, expected.header);

  auto start = std::chrono::steady_clock::now();
  const std::vector<uint64_t> left = tasks_left(plan.total, earlier);
  TaskList tasks{left.size(), [&plan, &left](uint64_t index) { return plan.task(left[index]); }, {}};
  Progress progress(err, is_terminal_stderr(err), plan.total, "runs");
  uint64_t done = earlier.size();
  uint64_t failed = 0;
  for (const auto& [index, outcome] : earlier) failed += outcome.verdict != Verdict::pass ? 1 : 0;
  run_tasks(
      tasks, options.jobs, Isolation::always_workers,
      [&](uint64_t index, const SeedOutcome& outcome) {
        writer.add(left[index], outcome);
        failed += outcome.verdict != Verdict::pass ? 1 : 0;
        progress.update(++done, failed);
      },
      err);
  progress.clear();

  const JournaledRuns runs = read_journal(journal, expected);
  write_csv(options, plan, runs);
  std::error_code error;
  if (!fs::remove(journal, error)) throw OutputError("cannot remove " + journal.string() + ": " + error.message());
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << sweep_summary_line(plan.grid, plan.seeds.count(), runs, wall_s, options.out_path);
  return 0;
}

}  // namespace detsim
