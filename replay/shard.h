// Splitting a run or a sweep across machines (docs/scale-out.md): shard i
// of M takes the tasks whose index is i modulo M, where a task is one
// (grid point, seed) in the order the unsharded command runs them. Strided
// rather than in blocks, so an expensive grid point or a slow seed range is
// spread over every shard, and shard sizes differ by at most one.
//
// A shard writes JSON lines: a header naming what was sharded, then one
// row per task, flushed as it finishes, holding the fields `run --json`
// prints plus "task" and the grid point. `detsim merge` reads them back.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replay/outcome.h"

namespace detsim {

struct ShardSpec {
  uint64_t index = 0;  // 0-based
  uint64_t count = 1;
  // The k-th task of this shard, and how many of `total` tasks it has.
  uint64_t task(uint64_t k) const { return index + k * count; }
  uint64_t size(uint64_t total) const { return index < total ? (total - index + count - 1) / count : 0; }
  bool owns(uint64_t task) const { return task % count == index; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// Reads the environment; a test passes its own.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup process_env();

// --shard I/M (0 <= I < M), --shard auto, or --shard auto/M. auto takes the
// index from the engine that started the process: JOB_COMPLETION_INDEX
// (Kubernetes Indexed Jobs), SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_MIN,
// _MAX and _STEP (Slurm job arrays), or PARALLEL_SEQ (GNU parallel,
// 1-based). The count is M from auto/M, else DETSIM_SHARD_COUNT, else
// Slurm's own array size. Throws UsageError with one line naming --shard
// when the text is bad, no engine (or two) set an index, or the count is
// unknown.
ShardSpec parse_shard(std::string_view text, const EnvLookup& env);

// detsim's version as shards record it: merge refuses to mix versions.
std::string detsim_version();

// What a shard file's first line holds, for `run` or `sweep`.
struct ShardHeader {
  std::string command;  // "run" | "sweep"
  std::string scenario;
  std::vector<std::string> sets;
  std::vector<std::string> grids;  // empty for run
  std::string seeds;               // "A..B"
  std::optional<std::string> faults;
  ShardSpec shard;
  uint64_t tasks = 0;  // over all shards
  std::string version;
};
nlohmann::json shard_header_json(const ShardHeader& header);
// Throws std::exception (from nlohmann) when a field is missing or mistyped.
ShardHeader shard_header_from_json(const nlohmann::json& json);
// True for a line that is a shard header (the first line of a shard file).
bool is_shard_header(const nlohmann::json& json);

// One row: {"task":T,"point":{KEY:VALUE...},...run --json's fields...}.
// point is absent for run.
using GridPoint = std::vector<std::pair<std::string, std::string>>;
nlohmann::ordered_json shard_row(uint64_t task, const GridPoint& point, const nlohmann::ordered_json& run_line);

// A row read back: the task, and the outcome as the CSV and the text
// output need it. Fields the row does not carry (probes) stay empty.
struct ShardRow {
  uint64_t task = 0;
  SeedOutcome outcome;
  std::string reproduce;
  nlohmann::ordered_json run_line;  // the row without task and point: the `run --json` line
};
// Throws std::exception on a row that is not one.
ShardRow parse_shard_row(const nlohmann::ordered_json& row);

}  // namespace detsim
