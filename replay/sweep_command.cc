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

#include "replay/atomic_file.h"
#include "replay/commands.h"
#include "replay/grid.h"
#include "replay/jobs.h"
#include "replay/outcome.h"
#include "replay/progress.h"
#include "replay/scenario.h"
#include "replay/sweep_journal.h"
#include "sim/core/assert.h"
#include "sim/metrics/csv.h"
#include "sim/world/simulation.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;

// A typo in --out should cost nothing, not a whole sweep's results.
void check_out_path(const std::string& text) {
  std::string prefix = "--out " + text + ": ";
  if (text.empty()) throw UsageError("--out: expected a file name");
  fs::path path(text);
  fs::path directory = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw UsageError(prefix + "directory " + directory.string() + " does not exist");
  }
  if (fs::is_directory(path, error)) throw UsageError(prefix + "is a directory");
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    throw UsageError(prefix + "cannot write in " + directory.string() + ": " + std::strerror(errno));
  }
}

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
  }
  return points;
}

// One row: the point's values, the run's fixed fields, then its metrics.
// A metric named like an earlier column is left out (the row's first cell
// for a column wins), as `run --json` never lets a metric replace a field.
CsvTable::Cells row_cells(const Grid& grid, uint64_t point, const SeedOutcome& outcome) {
  CsvTable::Cells cells;
  std::vector<std::string> values = grid.values(point);
  for (size_t i = 0; i < values.size(); ++i) cells.emplace_back(grid.axes()[i].key, values[i]);
  cells.emplace_back("seed", std::to_string(outcome.seed));
  cells.emplace_back("verdict", std::to_string(static_cast<int>(outcome.verdict)));
  cells.emplace_back("verdict_name", to_string(outcome.verdict));
  cells.emplace_back("property", outcome.property);
  cells.emplace_back("events", std::to_string(outcome.events));
  cells.emplace_back("sim_s", fmt::format("{:.3f}", outcome.sim_s));
  cells.emplace_back("wall_s", fmt::format("{:.3f}", outcome.wall_s));
  cells.emplace_back("fingerprint", fingerprint_text(outcome.fingerprint));
  for (const Metric& metric : outcome.metrics) cells.emplace_back(metric.name, csv_number(metric.value));
  return cells;
}

std::string counted(uint64_t count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
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
  CsvTable table;
  for (const auto& [index, outcome] : runs) table.add_row(row_cells(plan.grid, index / plan.seeds.count(), outcome));
  AtomicFile file(options.out_path);
  table.write(file.stream());
  file.commit();
}

void print_summary(const SweepOptions& options, const SweepPlan& plan, const JournaledRuns& runs, double wall_s,
                   std::ostream& out) {
  uint64_t by_verdict[4] = {0, 0, 0, 0};
  for (const auto& [index, outcome] : runs) ++by_verdict[static_cast<int>(outcome.verdict)];
  out << fmt::format("sweep: {} ({} x {}): {} pass, {} safety, {} liveness, {} crashed, wall_s={:.3f} -> {}\n",
                     counted(plan.total, "run"), counted(plan.grid.point_count(), "point"),
                     counted(plan.seeds.count(), "seed"), by_verdict[0], by_verdict[1], by_verdict[2], by_verdict[3],
                     wall_s, options.out_path);
}

}  // namespace

int sweep_command(const SweepOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err) {
  const SweepPlan plan = plan_of(options, registry);
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
  print_summary(options, plan, runs, wall_s, out);
  return 0;
}

}  // namespace detsim
