#include "replay/sweep_output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "replay/atomic_file.h"
#include "replay/commands.h"

namespace detsim {

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

// A metric named like an earlier column is left out (the row's first cell
// for a column wins), as `run --json` never lets a metric replace a field.
CsvTable::Cells sweep_row_cells(const Grid& grid, uint64_t point, const SeedOutcome& outcome) {
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

void write_sweep_csv(const std::string& path, const Grid& grid, uint64_t seed_count, const JournaledRuns& runs) {
  CsvTable table;
  for (const auto& [index, outcome] : runs) table.add_row(sweep_row_cells(grid, index / seed_count, outcome));
  AtomicFile file(path);
  table.write(file.stream());
  file.commit();
}

namespace {

// Runs by verdict, indexed by static_cast<int>(Verdict).
std::array<uint64_t, 4> count_verdicts(const JournaledRuns& runs) {
  std::array<uint64_t, 4> by_verdict{};
  for (const auto& [index, outcome] : runs) ++by_verdict[static_cast<size_t>(outcome.verdict)];
  return by_verdict;
}

}  // namespace

std::string sweep_summary_line(const Grid& grid, uint64_t seed_count, const JournaledRuns& runs, double wall_s,
                               const std::string& out_path) {
  const std::array<uint64_t, 4> by_verdict = count_verdicts(runs);
  return fmt::format("sweep: {} ({} x {}): {} pass, {} safety, {} liveness, {} crashed, wall_s={:.3f}{}\n",
                     counted(grid.point_count() * seed_count, "run"), counted(grid.point_count(), "point"),
                     counted(seed_count, "seed"), by_verdict[0], by_verdict[1], by_verdict[2], by_verdict[3], wall_s,
                     out_path.empty() ? "" : " -> " + out_path);
}

std::string sweep_summary_json(const Grid& grid, uint64_t seed_count, const JournaledRuns& runs, double wall_s,
                               const std::string& out_path) {
  const std::array<uint64_t, 4> by_verdict = count_verdicts(runs);
  nlohmann::ordered_json summary = {{"command", "sweep"},
                                    {"runs", grid.point_count() * seed_count},
                                    {"points", grid.point_count()},
                                    {"seeds", seed_count},
                                    {"pass", by_verdict[0]}};
  for (Verdict verdict : {Verdict::safety, Verdict::liveness, Verdict::model_crashed}) {
    summary[to_string(verdict)] = by_verdict[static_cast<size_t>(verdict)];
  }
  summary["wall_s"] = wall_s;
  if (!out_path.empty()) summary["out"] = out_path;
  return nlohmann::ordered_json{{"type", "summary"}, {"summary", summary}}.dump() + "\n";
}

std::string counted(uint64_t count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

}  // namespace detsim
