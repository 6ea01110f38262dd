#include "replay/shard.h"

#include <cmath>
#include <cstdlib>
#include <set>

#include "replay/commands.h"

#ifndef DETSIM_VERSION_TEXT
#define DETSIM_VERSION_TEXT "unknown"
#endif

namespace detsim {
namespace {

constexpr int kShardFormatVersion = 1;

const char* const kAutoHelp =
    "give --shard I/M, or run under an engine that sets JOB_COMPLETION_INDEX, "
    "SLURM_ARRAY_TASK_ID or PARALLEL_SEQ";

struct EngineIndex {
  std::string variable;  // what set it, for messages
  uint64_t index = 0;
  std::optional<uint64_t> count;  // Slurm knows its array's size
};

[[noreturn]] void bad_shard(std::string_view text, const std::string& why) {
  throw UsageError("--shard " + std::string(text) + ": " + why);
}

uint64_t env_number(std::string_view text, const EnvLookup& env, const char* name) {
  std::optional<std::string> value = env(name);
  std::optional<uint64_t> number = value ? parse_u64(*value) : std::nullopt;
  if (!number) bad_shard(text, std::string(name) + "='" + value.value_or("") + "' is not a non-negative integer");
  return *number;
}

// Slurm numbers array tasks MIN, MIN+STEP, ..., MAX (sbatch --array=0-15:1);
// the index is the task's position in that list.
EngineIndex slurm_index(std::string_view text, const EnvLookup& env) {
  const uint64_t id = env_number(text, env, "SLURM_ARRAY_TASK_ID");
  const uint64_t min = env("SLURM_ARRAY_TASK_MIN") ? env_number(text, env, "SLURM_ARRAY_TASK_MIN") : 0;
  const uint64_t step = env("SLURM_ARRAY_TASK_STEP") ? env_number(text, env, "SLURM_ARRAY_TASK_STEP") : 1;
  if (step == 0 || id < min || (id - min) % step != 0) {
    bad_shard(text, "SLURM_ARRAY_TASK_ID is not on the array's MIN/STEP grid");
  }
  EngineIndex found{"SLURM_ARRAY_TASK_ID", (id - min) / step, std::nullopt};
  if (env("SLURM_ARRAY_TASK_MAX")) {
    const uint64_t max = env_number(text, env, "SLURM_ARRAY_TASK_MAX");
    if (max < min) bad_shard(text, "SLURM_ARRAY_TASK_MAX is below SLURM_ARRAY_TASK_MIN");
    found.count = (max - min) / step + 1;
  } else if (env("SLURM_ARRAY_TASK_COUNT")) {
    found.count = env_number(text, env, "SLURM_ARRAY_TASK_COUNT");
  }
  return found;
}

std::vector<EngineIndex> engine_indexes(std::string_view text, const EnvLookup& env) {
  std::vector<EngineIndex> found;
  if (env("JOB_COMPLETION_INDEX")) {
    found.push_back({"JOB_COMPLETION_INDEX", env_number(text, env, "JOB_COMPLETION_INDEX"), std::nullopt});
  }
  if (env("SLURM_ARRAY_TASK_ID")) found.push_back(slurm_index(text, env));
  if (env("PARALLEL_SEQ")) {
    const uint64_t sequence = env_number(text, env, "PARALLEL_SEQ");
    if (sequence == 0) bad_shard(text, "PARALLEL_SEQ counts from 1, got 0");
    found.push_back({"PARALLEL_SEQ", sequence - 1, std::nullopt});
  }
  return found;
}

ShardSpec checked(std::string_view text, uint64_t index, uint64_t count) {
  if (count == 0) bad_shard(text, "the shard count must be at least 1");
  if (index >= count) {
    bad_shard(text, "shard index " + std::to_string(index) + " is not below the count " + std::to_string(count) +
                        " (indexes are 0-based)");
  }
  return ShardSpec{index, count};
}

ShardSpec auto_shard(std::string_view text, std::optional<uint64_t> given_count, const EnvLookup& env) {
  std::vector<EngineIndex> engines = engine_indexes(text, env);
  if (engines.empty()) bad_shard(text, std::string("no engine set a shard index: ") + kAutoHelp);
  if (engines.size() > 1) {
    bad_shard(text, "both " + engines[0].variable + " and " + engines[1].variable + " are set: give --shard I/M");
  }
  std::optional<uint64_t> count = given_count;
  if (!count && env("DETSIM_SHARD_COUNT")) count = env_number(text, env, "DETSIM_SHARD_COUNT");
  if (!count) count = engines[0].count;
  if (!count) {
    bad_shard(text, engines[0].variable +
                        " gives the index but not the count: give --shard auto/M or set "
                        "DETSIM_SHARD_COUNT");
  }
  return checked(text, engines[0].index, *count);
}

}  // namespace

EnvLookup process_env() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before any thread starts
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

ShardSpec parse_shard(std::string_view text, const EnvLookup& env) {
  const size_t slash = text.find('/');
  const std::string_view first = text.substr(0, slash);
  const std::optional<std::string_view> second =
      slash == std::string_view::npos ? std::nullopt : std::optional(text.substr(slash + 1));
  const std::optional<uint64_t> count = second ? parse_u64(*second) : std::nullopt;
  if (second && !count) bad_shard(text, "expected I/M, auto or auto/M, with M a positive integer");
  if (first == "auto") {
    if (count == 0) bad_shard(text, "the shard count must be at least 1");
    return auto_shard(text, count, env);
  }
  const std::optional<uint64_t> index = parse_u64(first);
  if (!index || !count) bad_shard(text, "expected I/M (0 <= I < M), auto or auto/M");
  return checked(text, *index, *count);
}

std::string detsim_version() { return DETSIM_VERSION_TEXT; }

nlohmann::json shard_header_json(const ShardHeader& header) {
  return {{"detsim_shard", kShardFormatVersion},
          {"version", header.version},
          {"command", header.command},
          {"scenario", header.scenario},
          {"sets", header.sets},
          {"grids", header.grids},
          {"seeds", header.seeds},
          {"faults", header.faults ? nlohmann::json(*header.faults) : nlohmann::json()},
          {"shard", header.shard.index},
          {"shards", header.shard.count},
          {"tasks", header.tasks}};
}

bool is_shard_header(const nlohmann::json& json) { return json.is_object() && json.contains("detsim_shard"); }

ShardHeader shard_header_from_json(const nlohmann::json& json) {
  if (json.at("detsim_shard").get<int>() != kShardFormatVersion) {
    throw std::invalid_argument("shard format " + json.at("detsim_shard").dump() + ", this detsim reads " +
                                std::to_string(kShardFormatVersion));
  }
  ShardHeader header;
  header.version = json.at("version").get<std::string>();
  header.command = json.at("command").get<std::string>();
  header.scenario = json.at("scenario").get<std::string>();
  header.sets = json.at("sets").get<std::vector<std::string>>();
  header.grids = json.at("grids").get<std::vector<std::string>>();
  header.seeds = json.at("seeds").get<std::string>();
  if (!json.at("faults").is_null()) header.faults = json.at("faults").get<std::string>();
  header.shard.index = json.at("shard").get<uint64_t>();
  header.shard.count = json.at("shards").get<uint64_t>();
  header.tasks = json.at("tasks").get<uint64_t>();
  if (header.command != "run" && header.command != "sweep") throw std::invalid_argument("unknown command");
  if (header.shard.count == 0 || header.shard.index >= header.shard.count) throw std::invalid_argument("bad shard");
  return header;
}

nlohmann::ordered_json shard_row(uint64_t task, const GridPoint& point, const nlohmann::ordered_json& run_line) {
  nlohmann::ordered_json row = {{"task", task}};
  if (!point.empty()) {
    nlohmann::ordered_json values = nlohmann::ordered_json::object();
    for (const auto& [key, value] : point) values[key] = value;
    row["point"] = values;
  }
  for (const auto& [key, value] : run_line.items()) row[key] = value;
  return row;
}

ShardRow parse_shard_row(const nlohmann::ordered_json& row) {
  // run_json_line's fixed fields; every other key is a metric, in order.
  static const std::set<std::string> kFixed = {
      "seed",        "verdict",     "exit",           "events",          "sim_s",  "wall_s",
      "fingerprint", "stop_reason", "property",       "detail",          "faults", "swarm",
      "reproduce",   "branch",      "violation_at_s", "violation_nodes", "type"};
  ShardRow parsed;
  parsed.task = row.at("task").get<uint64_t>();
  SeedOutcome& outcome = parsed.outcome;
  outcome.seed = row.at("seed").get<uint64_t>();
  const int exit = row.at("exit").get<int>();
  if (exit < 0 || exit > static_cast<int>(Verdict::model_crashed)) throw std::invalid_argument("bad exit");
  outcome.verdict = static_cast<Verdict>(exit);
  outcome.events = row.at("events").get<uint64_t>();
  outcome.sim_s = row.at("sim_s").get<double>();
  outcome.wall_s = row.at("wall_s").get<double>();
  outcome.fingerprint = std::stoull(row.at("fingerprint").get<std::string>(), nullptr, 16);
  outcome.stop_reason = row.at("stop_reason").get<std::string>();
  outcome.property = row.at("property").get<std::string>();
  outcome.detail = row.at("detail").get<std::string>();
  outcome.faults = row.at("faults").get<std::string>();
  outcome.swarm = row.at("swarm").get<std::string>();
  if (row.contains("branch")) outcome.branch = row.at("branch").get<std::string>();
  if (row.contains("violation_at_s") && !row.at("violation_at_s").is_null()) {
    outcome.violation_at_s = row.at("violation_at_s").get<double>();
  }
  if (row.contains("violation_nodes")) {
    outcome.violation_nodes = row.at("violation_nodes").get<std::vector<std::string>>();
  }
  if (row.contains("violation_at_s") && !row.at("violation_at_s").is_null())
    outcome.violation_at_s = row.at("violation_at_s").get<double>();
  if (row.contains("violation_nodes"))
    outcome.violation_nodes = row.at("violation_nodes").get<std::vector<std::string>>();
  parsed.reproduce = row.at("reproduce").get<std::string>();
  for (const auto& [key, value] : row.items()) {
    if (key == "task" || key == "point") continue;
    parsed.run_line[key] = value;
    if (kFixed.count(key) != 0) continue;
    // JSON has no NaN: print_json writes a NaN metric as null.
    outcome.metrics.push_back({key, value.is_null() ? std::nan("") : value.get<double>()});
  }
  return parsed;
}

}  // namespace detsim
