// One run, end to end: model + validated parameters + seed -> engine and
// world -> stop -> checks -> verdict. Everything the command line, the tests
// and the benchmarks run goes through simulate().
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/api/model.h"
#include "sim/api/params.h"
#include "sim/fault/fault_schedule.h"
#include "sim/trace/trace_event.h"
#include "sim/world/world_params.h"

namespace detsim {

// world_param_specs() (world_params.h) plus the model's, plus "bug" with the model's names.
std::vector<ParamSpec> all_param_specs(const ModelInfo& model);
// Every key of all_param_specs(model) at its default.
Params default_params(const ModelInfo& model);
// "" if faults.schedule is empty or fits the model's nodes; else a one-line
// reason ("fault schedule: action 2 names n9, but the model has 8 nodes").
std::string check_fault_schedule(const ModelInfo& model, const Params& params);
// The names every output gives the model's nodes, by index
// (stable_node_names over what setup() declares), without running anything.
std::vector<std::string> model_node_names(const ModelInfo& model, const Params& params);

// A copy of a model's client history, for `replay --history`.
struct ClientHistory {
  bool recorded = false;  // false: the model records none (Model::history() is null)
  std::string datatype;   // Model::history_model()
  History history;
};

// One step of `detsim explore`'s branch path: once event_index events
// have fired, before the next, the future is reseeded with salt
// (World::reseed and Engine::reseed). salt is never 0.
struct BranchPoint {
  uint64_t event_index = 0;
  uint64_t salt = 0;
  bool operator==(const BranchPoint&) const = default;
};

struct RunRequest {
  const ModelInfo* model = nullptr;
  Params params;  // validated against all_param_specs(*model)
  uint64_t seed = 0;
  // Replaces the schedule generated from the seed and faults.schedule
  // (tests, shrinking). Must fit the model's nodes.
  std::optional<FaultSchedule> faults;
  TraceSink* trace = nullptr;
  // Receives a copy of the model's client history (Model::history()); left
  // empty for a model that records none. For `replay --history`.
  ClientHistory* history_out = nullptr;
  // Applied in order; event indexes ascending. A run and its branches
  // share everything before a branch point, bit for bit.
  std::vector<BranchPoint> branches;
  // For `detsim explore`: asked at each probe's 1st, 2nd, 4th... hit
  // (World::ProbeObserver) whether to branch; if so, branch_salt runs at
  // the next event boundary and returns the salt to apply there, or 0 to
  // go on unchanged (explore forks there, and each child returns a salt).
  std::function<bool(size_t probe, uint64_t hits)> wants_branch;
  std::function<uint64_t(uint64_t event_index)> branch_salt;
};

struct RunResult {
  uint64_t seed = 0;
  Verdict verdict = Verdict::pass;
  std::string property;  // what failed, if anything
  std::string detail;
  // CheckResult::when and ::nodes, the nodes by name (node_names).
  std::optional<Time> violation_at;
  std::vector<std::string> violation_nodes;
  // Every node's name by index (stable_node_names): the fault schedule and
  // the trace use these.
  std::vector<std::string> node_names;
  uint64_t events = 0;
  double sim_seconds = 0;
  uint64_t fingerprint = 0;
  std::string stop_reason;
  MetricList metrics;
  FaultSchedule faults;  // what the nemesis did (or was told to do)
  std::string swarm;     // SwarmConfig::to_string(); "" for a given schedule
  // Hits of each of the model's declared probes (ModelInfo::probes), in
  // declaration order, zero hits included.
  std::vector<ProbeCount> probes;
  // The model's client nodes, for reports that tell them from servers
  // (detsim shrink's prose).
  std::vector<NodeId> clients;
};

RunResult simulate(const RunRequest& request);

}  // namespace detsim
