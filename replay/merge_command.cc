// `detsim merge DIR_OR_FILE... [--out F.csv] [--json]`: the shard files of
// one `run --shard` or `sweep --shard` (shard.h) back into what the
// unsharded command gives: for run, its seed lines and summary (and with
// --out the CSV a one-point sweep would write); for sweep, the CSV and the
// summary line. Then the failing seeds grouped by property, the fastest
// failure of each first (TigerBeetle's VOPR keeps the shortest failing run:
// it is the quickest to replay and read).
//
// Nothing is written unless every shard is there whole: a missing shard, a
// shard cut short, rows in the wrong shard, or files from different runs
// or detsim versions are bad input (exit 64). A shard found in two files
// (a retried one) is merged if both agree run for run; a disagreement is a
// determinism bug, or two builds, and also exit 64.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "replay/commands.h"
#include "replay/grid.h"
#include "replay/shard.h"
#include "replay/sweep_output.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;

constexpr size_t kFailuresShownPerProperty = 10;

struct ShardFile {
  std::string path;
  ShardHeader header;
  std::map<uint64_t, ShardRow> rows;  // by task
};

// Each input is a file, or a directory whose *.jsonl files are read in
// name order.
std::vector<std::string> input_files(const std::vector<std::string>& inputs) {
  if (inputs.empty()) throw UsageError("merge: expected shard files or directories");
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    std::error_code error;
    if (fs::is_directory(input, error)) {
      std::vector<std::string> found;
      for (const fs::directory_entry& entry : fs::directory_iterator(input, error)) {
        if (entry.is_regular_file() && entry.path().extension() == ".jsonl") found.push_back(entry.path().string());
      }
      if (found.empty()) throw UsageError("merge: " + input + ": no *.jsonl shard files in it");
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(input, error)) {
      files.push_back(input);
    } else {
      throw UsageError("merge: " + input + ": no such file or directory");
    }
  }
  return files;
}

std::string where(const std::string& path, uint64_t line) { return path + ":" + std::to_string(line); }

// A last line without its newline was cut short by a kill: dropped, as the
// sweep journal drops it; the shard then counts as incomplete.
ShardFile read_shard_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("merge: cannot read " + path);
  ShardFile file{path, {}, {}};
  std::string line;
  uint64_t number = 0;
  while (std::getline(in, line) && !in.eof()) {
    ++number;
    nlohmann::ordered_json json = nlohmann::ordered_json::parse(line, nullptr, false);
    try {
      if (number == 1) {
        if (!is_shard_header(json)) throw std::invalid_argument("no shard header");
        file.header = shard_header_from_json(json);
        continue;
      }
      if (json.is_object() && json.contains("summary")) continue;
      ShardRow row = parse_shard_row(json);
      const uint64_t task = row.task;
      if (!file.rows.emplace(task, std::move(row)).second) throw std::invalid_argument("task twice");
    } catch (const std::exception& error) {
      throw UsageError("merge: " + where(path, number) + ": not a detsim shard " + (number == 1 ? "header" : "row") +
                       " (" + error.what() + ")");
    }
  }
  if (number == 0) throw UsageError("merge: " + path + ": empty, not a detsim shard file");
  return file;
}

// Shards of one run agree on everything but their index.
void check_same_run(const ShardFile& first, const ShardFile& other) {
  const ShardHeader& a = first.header;
  const ShardHeader& b = other.header;
  const std::string prefix = "merge: " + other.path + " and " + first.path + " ";
  if (a.version != b.version) {
    throw UsageError(prefix + "come from different detsim versions (" + b.version + ", " + a.version + ")");
  }
  if (a.command != b.command || a.scenario != b.scenario || a.sets != b.sets || a.grids != b.grids ||
      a.seeds != b.seeds || a.faults != b.faults || a.tasks != b.tasks) {
    throw UsageError(prefix + "come from different runs (" + b.command + " " + b.scenario + ", " + a.command + " " +
                     a.scenario + ": scenario, --set, --grid, --seeds and --faults must all match)");
  }
  if (a.shard.count != b.shard.count) {
    throw UsageError(prefix + "were split differently (" + std::to_string(b.shard.count) + " and " +
                     std::to_string(a.shard.count) + " shards)");
  }
}

// A retried shard may appear twice; its runs must be the same runs.
void absorb_duplicate(ShardFile& kept, ShardFile& again, std::ostream& err) {
  for (auto& [task, row] : again.rows) {
    auto found = kept.rows.find(task);
    if (found == kept.rows.end()) {
      kept.rows.emplace(task, std::move(row));
    } else if (found->second.outcome.fingerprint != row.outcome.fingerprint ||
               found->second.outcome.verdict != row.outcome.verdict) {
      throw UsageError(
          fmt::format("merge: shard {} is in {} and {} with different results for seed {} (fingerprints "
                      "{} and {}): a determinism bug, or two different builds",
                      kept.header.shard.text(), kept.path, again.path, row.outcome.seed,
                      fingerprint_text(found->second.outcome.fingerprint), fingerprint_text(row.outcome.fingerprint)));
    }
  }
  err << "detsim: merge: shard " << kept.header.shard.text() << " is in both " << kept.path << " and " << again.path
      << " (the same results; merged)\n";
}

std::vector<ShardFile> read_shards(const MergeOptions& options, std::ostream& err) {
  std::vector<ShardFile> by_index;
  for (const std::string& path : input_files(options.inputs)) {
    ShardFile file = read_shard_file(path);
    if (!by_index.empty()) check_same_run(by_index.front(), file);
    if (by_index.empty()) by_index.resize(file.header.shard.count);
    ShardFile& slot = by_index[file.header.shard.index];
    if (slot.path.empty()) {
      slot = std::move(file);
    } else {
      absorb_duplicate(slot, file, err);
    }
  }
  std::string missing;
  for (uint64_t index = 0; index < by_index.size(); ++index) {
    if (by_index[index].path.empty()) missing += (missing.empty() ? "" : ", ") + std::to_string(index);
  }
  if (!missing.empty()) {
    throw UsageError(fmt::format("merge: missing shard(s) {} of {}", missing, by_index.size()));
  }
  return by_index;
}

// Every run of every shard, by task, each where it belongs.
JournaledRuns all_runs(const std::vector<ShardFile>& shards, SeedRange seeds,
                       std::map<uint64_t, std::string>* reproduce, std::map<uint64_t, const ShardRow*>* rows) {
  JournaledRuns runs;
  for (const ShardFile& shard : shards) {
    const ShardSpec spec = shard.header.shard;
    for (const auto& [task, row] : shard.rows) {
      if (task >= shard.header.tasks || !spec.owns(task) || row.outcome.seed != seeds.first + task % seeds.count()) {
        throw UsageError(fmt::format("merge: {}: task {} (seed {}) does not belong to shard {}", shard.path, task,
                                     row.outcome.seed, spec.text()));
      }
      runs.emplace(task, row.outcome);
      (*reproduce)[task] = row.reproduce;
      (*rows)[task] = &row;
    }
    const uint64_t expected = spec.size(shard.header.tasks);
    if (shard.rows.size() != expected) {
      throw UsageError(fmt::format("merge: shard {} ({}) is incomplete: {} of {} runs; resume or rerun it", spec.text(),
                                   shard.path, shard.rows.size(), expected));
    }
  }
  return runs;
}

double total_wall_s(const JournaledRuns& runs) {
  double total = 0;
  for (const auto& [task, outcome] : runs) total += outcome.wall_s;
  return total;
}

// The failing runs by property, each list fastest first (simulated time,
// then events, then seed), properties in the order of their fastest run.
void print_failures(const JournaledRuns& runs, const std::map<uint64_t, std::string>& reproduce, bool json,
                    std::ostream& out) {
  std::map<std::string, std::vector<uint64_t>> by_property;
  for (const auto& [task, outcome] : runs) {
    if (outcome.verdict != Verdict::pass) by_property[outcome.property].push_back(task);
  }
  if (by_property.empty()) return;
  auto faster = [&runs](uint64_t a, uint64_t b) {
    const SeedOutcome& x = runs.at(a);
    const SeedOutcome& y = runs.at(b);
    return std::tie(x.sim_s, x.events, x.seed, a) < std::tie(y.sim_s, y.events, y.seed, b);
  };
  std::vector<std::pair<std::string, std::vector<uint64_t>>> groups(by_property.begin(), by_property.end());
  for (auto& [property, tasks] : groups) std::sort(tasks.begin(), tasks.end(), faster);
  std::sort(groups.begin(), groups.end(),
            [&](const auto& a, const auto& b) { return faster(a.second[0], b.second[0]); });
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  if (!json) out << "failures by property, fastest first:\n";
  for (const auto& [property, tasks] : groups) {
    nlohmann::ordered_json seeds = nlohmann::ordered_json::array();
    if (!json) out << fmt::format("  {}: {}\n", property, counted(tasks.size(), "run"));
    for (size_t i = 0; i < tasks.size() && i < kFailuresShownPerProperty; ++i) {
      const SeedOutcome& outcome = runs.at(tasks[i]);
      seeds.push_back({{"seed", outcome.seed},
                       {"verdict", to_string(outcome.verdict)},
                       {"sim_s", outcome.sim_s},
                       {"events", outcome.events},
                       {"reproduce", reproduce.at(tasks[i])}});
      if (!json) {
        out << fmt::format("    sim_s={:.3f} events={} {}\n", outcome.sim_s, outcome.events, reproduce.at(tasks[i]));
      }
    }
    if (!json && tasks.size() > kFailuresShownPerProperty) {
      out << fmt::format("    ... and {} more\n", tasks.size() - kFailuresShownPerProperty);
    }
    list.push_back({{"property", property}, {"runs", tasks.size()}, {"fastest", seeds}});
  }
  if (json) out << nlohmann::ordered_json{{"failures", list}}.dump() << '\n';
}

// What `detsim run` prints: each seed, then the summary.
int print_run(const MergeOptions& options, const JournaledRuns& runs, const std::map<uint64_t, const ShardRow*>& rows,
              std::ostream& out) {
  Summary summary;
  for (const auto& [task, outcome] : runs) {
    const ShardRow& row = *rows.at(task);
    if (options.json) {
      out << json_line_text(row.run_line) << '\n';
    } else {
      print_text(outcome, row.reproduce, out);
    }
    summary.add(outcome);
  }
  if (options.json) {
    summary.print_json(total_wall_s(runs), out);
  } else if (runs.size() > 1) {
    summary.print_text(total_wall_s(runs), out);
  }
  return summary.exit_code();
}

}  // namespace

int merge_command(const MergeOptions& options, std::ostream& out, std::ostream& err) {
  if (options.out_path) check_out_path(*options.out_path);
  const std::vector<ShardFile> shards = read_shards(options, err);
  const ShardHeader& header = shards.front().header;
  const SeedRange seeds = parse_seed_range(header.seeds);
  std::vector<GridAxis> axes;
  for (const std::string& text : header.grids) axes.push_back(parse_grid_axis(text));
  const Grid grid(std::move(axes));
  std::map<uint64_t, std::string> reproduce;
  std::map<uint64_t, const ShardRow*> rows;
  const JournaledRuns runs = all_runs(shards, seeds, &reproduce, &rows);
  if (runs.size() != header.tasks || grid.point_count() * seeds.count() != header.tasks) {
    throw UsageError(fmt::format("merge: the shards hold {} runs, the header says {}", runs.size(), header.tasks));
  }
  if (options.out_path) write_sweep_csv(*options.out_path, grid, seeds.count(), runs);
  int exit_code = 0;
  if (header.command == "run") {
    exit_code = print_run(options, runs, rows, out);
  } else {
    const auto summary = options.json ? sweep_summary_json : sweep_summary_line;
    out << summary(grid, seeds.count(), runs, total_wall_s(runs), options.out_path.value_or(""));
  }
  print_failures(runs, reproduce, options.json, out);
  return exit_code;
}

}  // namespace detsim
