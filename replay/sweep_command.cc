// `detsim sweep SCENARIO --grid k=v1,v2,... [--grid ...] --seeds A..B
// --out F.csv [--set k=v]... [--faults FILE|none] [--jobs J]`: every grid
// point (the first --grid varies slowest) times every seed, one CSV row
// each, in that order. Each point is loaded exactly as `detsim run` loads
// SCENARIO with --set k=v for the --set values and then the point's, so a
// row's fingerprint is the one `run --seed N --set ...` prints.
//
// Failing verdicts are data here, not errors: the exit code is 0 once the
// CSV is written, 64 on bad input (checked in full before the first run).
// Runs always go to worker processes, even with --jobs 1, so a model that
// aborts costs one row (verdict 3), not the sweep. The CSV is written at
// the end, whole, through AtomicFile: an interrupted sweep leaves no file.
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

}  // namespace

int sweep_command(const SweepOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err) {
  check_jobs(options.jobs);
  SeedRange seeds = parse_seed_range(options.seeds);
  check_out_path(options.out_path);
  Scenario base = load_scenario(options.scenario, options.sets, registry, options.faults);
  Grid grid = parse_grid(options, base);
  if (grid.point_count() > UINT64_MAX / seeds.count()) throw UsageError("sweep: too many runs");
  const uint64_t total = grid.point_count() * seeds.count();
  std::vector<Scenario> points = load_points(options, grid, registry);

  auto start = std::chrono::steady_clock::now();
  TaskList tasks{total, [&points, seeds](uint64_t index) {
                   return SeedTask{&points[index / seeds.count()], seeds.first + index % seeds.count()};
                 }};
  Progress progress(err, is_terminal_stderr(err), total, "runs");
  CsvTable table;
  uint64_t by_verdict[4] = {0, 0, 0, 0};
  run_tasks(tasks, options.jobs, Isolation::always_workers, [&](uint64_t index, const SeedOutcome& outcome) {
    table.add_row(row_cells(grid, index / seeds.count(), outcome));
    ++by_verdict[static_cast<int>(outcome.verdict)];
    progress.update(index + 1, index + 1 - by_verdict[0]);
  }, err);
  progress.clear();
  // Invariant: one row per (point, seed), none lost to a crashed worker.
  DETSIM_ASSERT(table.row_count() == total);

  AtomicFile file(options.out_path);
  table.write(file.stream());
  file.commit();
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << fmt::format("sweep: {} ({} x {}): {} pass, {} safety, {} liveness, {} crashed, wall_s={:.3f} -> {}\n",
                     counted(total, "run"), counted(grid.point_count(), "point"), counted(seeds.count(), "seed"),
                     by_verdict[0], by_verdict[1], by_verdict[2], by_verdict[3], wall_s, options.out_path);
  return 0;
}

}  // namespace detsim
