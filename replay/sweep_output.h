// What a finished sweep writes, shared by `detsim sweep` and by `detsim
// merge` of sweep shards, so that both give the same CSV byte for byte
// and the same summary line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "replay/grid.h"
#include "replay/sweep_journal.h"
#include "sim/metrics/csv.h"

namespace detsim {

// --out F.csv: its directory exists and is writable, and F is not a
// directory; else UsageError, before anything runs.
void check_out_path(const std::string& text);

// One row: the point's values, the run's fixed fields, then its metrics.
CsvTable::Cells sweep_row_cells(const Grid& grid, uint64_t point, const SeedOutcome& outcome);

// Every run in task order (task = point * seed_count + seed offset), whole,
// through AtomicFile.
void write_sweep_csv(const std::string& path, const Grid& grid, uint64_t seed_count, const JournaledRuns& runs);

// "sweep: 12 runs (3 points x 4 seeds): 11 pass, 1 safety, 0 liveness, 0 crashed, wall_s=... -> F.csv"
// (no " -> F" for an empty out_path).
std::string sweep_summary_line(const Grid& grid, uint64_t seed_count, const JournaledRuns& runs, double wall_s,
                               const std::string& out_path);

// The same as one JSON line, for `merge --json`:
// {"type":"summary","summary":{"command":"sweep","runs":12,...}}.
std::string sweep_summary_json(const Grid& grid, uint64_t seed_count, const JournaledRuns& runs, double wall_s,
                               const std::string& out_path);

// "1 run", "2 runs".
std::string counted(uint64_t count, std::string_view noun);

}  // namespace detsim
