// One seed's result as the command line reports it: what simulate()
// returned, flattened to printable fields, plus the wall time measured
// here. The same record crosses the pipe from a --jobs worker as JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "replay/scenario.h"
#include "sim/api/model.h"
#include "sim/trace/trace_event.h"
#include "sim/world/simulation.h"

namespace detsim {

struct SeedOutcome {
  uint64_t seed = 0;
  std::string branch;  // the branch path (branch_path_text), "" for none
  Verdict verdict = Verdict::pass;
  std::string property;
  std::string detail;
  std::string stop_reason;
  std::string faults;  // FaultSchedule::to_short_string(); "" for none
  std::string swarm;   // "swarm: crash x1.7, pause off"; "" for a given schedule
  uint64_t events = 0;
  double sim_s = 0;
  double wall_s = 0;
  uint64_t fingerprint = 0;
  MetricList metrics;
  std::vector<ProbeCount> probes;  // RunResult::probes; empty for a crashed worker
  std::vector<NodeId> clients;     // RunResult::clients; in-process runs only (not on the wire)
  // RunResult::violation_at in seconds, and the nodes by name; unset and
  // empty when the check did not say.
  std::optional<double> violation_at_s;
  std::vector<std::string> violation_nodes;
  // RunResult::node_names: faults stays numbered ("crash n2", what the
  // parsers read); named_faults() is what the run line prints.
  std::vector<std::string> node_names;
};

// outcome.faults with each node as the model names it ("crash s2").
std::string named_faults(const SeedOutcome& outcome);

// A run's fingerprint as every output prints it: 16 lowercase hex digits.
std::string fingerprint_text(uint64_t fingerprint);

// Runs one seed in this process, timing it with the steady clock. An
// exception escaping simulate() becomes a model_crashed outcome.
// history receives the model's client history, if it records one.
// branches: a branch path to apply, and explore's hooks (RunRequest).
struct BranchSetup {
  std::vector<BranchPoint> path;
  std::function<bool(size_t probe, uint64_t hits)> wants_branch;
  std::function<uint64_t(uint64_t event_index)> branch_salt;
};
SeedOutcome run_seed(const Scenario& scenario, uint64_t seed, TraceSink* trace = nullptr,
                     ClientHistory* history = nullptr, const BranchSetup* branches = nullptr);

// A worker process that died mid-seed: model_crashed, "process_crashed".
SeedOutcome crashed_outcome(uint64_t seed, std::string detail, double wall_s);

// Lossless transport between a worker and the parent.
nlohmann::json to_wire(const SeedOutcome& outcome);
SeedOutcome from_wire(const nlohmann::json& wire);

// `detsim replay SCENARIO --seed N [--branch PATH] [--set k=v ...]
// [--faults F]`, quoted for a shell.
std::string reproduce_command(const Scenario& scenario, uint64_t seed, std::string_view branch = {});

// The `seed=... verdict=...` line, and for a failure the indented
// property, faults and reproduce lines.
void print_text(const Scenario& scenario, const SeedOutcome& outcome, std::ostream& out);
// The same with the reproduce line given (detsim merge has it from a shard).
void print_text(const SeedOutcome& outcome, std::string_view reproduce, std::ostream& out);
// One JSON object line: the fixed fields, then the metrics flattened.
void print_json(const Scenario& scenario, const SeedOutcome& outcome, std::ostream& out);
// print_json's object, and its text (one line, no newline).
nlohmann::ordered_json run_json_line(const Scenario& scenario, const SeedOutcome& outcome);
std::string json_line_text(const nlohmann::ordered_json& line);
// One or the other, flushed, so a long run can be watched or piped live.
void print_outcome(const Scenario& scenario, const SeedOutcome& outcome, bool json, std::ostream& out);

// Totals over a run of several seeds, for the closing summary line.
class Summary {
 public:
  void add(const SeedOutcome& outcome);
  // 0 if every seed passed, else the first failing seed's verdict code
  // (outcomes are added in seed order).
  int exit_code() const { return exit_code_; }
  uint64_t failed() const;
  // The summary line, then (if any seed failed) the first failing seeds
  // and the failures counted by property.
  void print_text(double wall_s, std::ostream& out) const;
  // {"type":"summary","summary":{...,"failing_seeds":[...],
  // "failing_seeds_more":N,"by_property":{PROPERTY:N}}}
  void print_json(double wall_s, std::ostream& out) const;

  static constexpr size_t kListedFailingSeeds = 20;

 private:
  void print_failures_text(std::ostream& out) const;

  uint64_t seeds_ = 0;
  uint64_t by_verdict_[4] = {0, 0, 0, 0};
  uint64_t events_ = 0;
  int exit_code_ = 0;
  std::vector<uint64_t> failing_seeds_;  // the first kListedFailingSeeds, in the order added
  std::map<std::string, uint64_t> by_property_;
};

}  // namespace detsim
