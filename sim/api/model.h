// What a model is to the simulator: a name, its parameters and planted bugs,
// and an object that declares the nodes before time starts and checks the
// invariants when the run ends. A scenario file picks a model by name.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/api/context.h"
#include "sim/api/history.h"
#include "sim/api/params.h"

namespace detsim {

// Exit codes are part of the command-line contract (DESIGN.md).
enum class Verdict : int { pass = 0, safety = 1, liveness = 2, model_crashed = 3 };
const char* to_string(Verdict verdict);

struct CheckResult {
  Verdict verdict = Verdict::pass;
  std::string property;  // the invariant that failed, e.g. "acked_value_everywhere"
  std::string detail;    // one line: what was seen
  // When and where it went wrong, if the check knows: the simulated time
  // of the violating step, and the nodes involved (a server, a client).
  // The run line prints them (violation_at=, violation_nodes=), and
  // `replay --window auto` centres the diagram on `when`.
  std::optional<Time> when;
  std::vector<NodeId> nodes;

  // Builder style: CheckResult::safety(...).at(now).on({server, client}).
  CheckResult& at(Time time) & {
    when = time;
    return *this;
  }
  CheckResult&& at(Time time) && { return std::move(at(time)); }
  CheckResult& on(std::vector<NodeId> involved) & {
    nodes = std::move(involved);
    return *this;
  }
  CheckResult&& on(std::vector<NodeId> involved) && { return std::move(on(std::move(involved))); }

  static CheckResult ok() { return {}; }
  static CheckResult safety(std::string property, std::string detail) {
    return {Verdict::safety, std::move(property), std::move(detail), std::nullopt, {}};
  }
  static CheckResult liveness(std::string property, std::string detail) {
    return {Verdict::liveness, std::move(property), std::move(detail), std::nullopt, {}};
  }
};

struct Metric {
  std::string name;  // snake_case, unit last: "lag_p99_s", "messages_sent"
  double value = 0;
};
using MetricList = std::vector<Metric>;

using NodeMain = std::function<void(Context&)>;

// Implemented by the world; handed to Model::setup().
class Setup {
 public:
  virtual ~Setup() = default;
  // Servers are what the nemesis crashes, restarts and pauses. A restart
  // runs main again with a fresh Context.
  virtual NodeId add_server(std::string name, NodeMain main) = 0;
  // Clients drive the workload; faults never touch them.
  virtual NodeId add_client(std::string name, NodeMain main) = 0;
  // When faults stop and every server is up again: clients should stop
  // starting new work here, so the system can converge before end_time().
  virtual Time heal_time() const = 0;
  virtual Time end_time() const = 0;
  // The one-way delay of the link from -> to, for topologies where some
  // links are far (an edge region 20 ms away). The scenario's net.links
  // overrides are applied afterwards, so a user can still change it.
  virtual void set_link_latency(NodeId from, NodeId to, DurationDist latency) {}
  // The bandwidth of the link from -> to in bytes per second (a WAN link):
  // datagrams and connection messages queue for size / bandwidth before
  // the latency. Applied before the scenario's net.links overrides too.
  virtual void set_link_bandwidth(NodeId from, NodeId to, double bytes_per_s) {}
  // The simulated time, for an observer that timestamps a violation
  // (CheckResult::at) from code that has no Context at hand. Valid as long
  // as the Model: the world outlives it.
  virtual std::function<Time()> sim_time() const {
    return [] { return Time::zero(); };
  }
};

// Lifetime: a Model outlives every fiber of every node it declared. The
// simulator unwinds them all (a crash's FiberKilled) before the run
// returns, and destroys the Model after that. So node code may hold plain
// references to what the Model owns (an observer, a history), and nothing
// a Model owns needs reference counting to survive its nodes.
class Model {
 public:
  virtual ~Model() = default;
  virtual void setup(Setup& setup) = 0;
  // Runs when the run stops (end time or quiescence), before any fiber is
  // unwound: node state is still there to inspect. Must not block.
  virtual CheckResult check() = 0;
  // Metrics for the run's output line; runs right after check(), also
  // before the unwind, and also after a model crash.
  virtual void report(MetricList& metrics) const {}
  // A model whose clients record a History (sim/api/history.h) returns it
  // here, with the datatype it must be linearizable against: "register"
  // or "kv". simulate() checks it with sim/check after check() passes.
  virtual const History* history() const { return nullptr; }
  virtual std::string history_model() const { return "kv"; }
};

struct BugSpec {
  std::string name;  // --set bug=NAME
  std::string doc;
};

// A coverage probe (docs/coverage.md), after FoundationDB's CODE_PROBE and
// Antithesis's "sometimes" assertions: a rare path the model's author wants
// the seeds to exercise, hit through Context::sometimes(name, condition).
struct ProbeSpec {
  std::string name;  // snake_case, unique within the model
  std::string doc;   // one line: the rare path
};

// A probe's hits in one run.
struct ProbeCount {
  std::string name;
  uint64_t hits = 0;
};

struct ModelInfo {
  std::string name;
  std::string summary;
  std::vector<ParamSpec> params;
  std::vector<BugSpec> bugs;
  // Every name the model passes to Context::sometimes(); another name is a
  // model crash.
  std::vector<ProbeSpec> probes;
  // params holds every declared key, validated; params.text("bug") is
  // "none" or one of `bugs`.
  std::function<std::unique_ptr<Model>(const Params& params)> make;
};

class ModelRegistry {
 public:
  void add(ModelInfo info);
  const ModelInfo* find(std::string_view name) const;
  const std::vector<ModelInfo>& all() const { return models_; }

 private:
  std::vector<ModelInfo> models_;
};

// A model built outside detsim's tree registers itself from one of its
// own source files, and a simulator made with detsim_add_simulator() (the
// installed CMake package) lists it:
//   ModelInfo model_info();          // the model's name, params, make()
//   DETSIM_REGISTER_MODEL(model_info);
// The functions are called once, when the simulator starts.
using ModelInfoFunction = ModelInfo (*)();
const std::vector<ModelInfoFunction>& registered_models();
struct ModelRegistration {
  explicit ModelRegistration(ModelInfoFunction function);
};
#define DETSIM_REGISTER_MODEL_CONCAT2(a, b) a##b
#define DETSIM_REGISTER_MODEL_CONCAT(a, b) DETSIM_REGISTER_MODEL_CONCAT2(a, b)
#define DETSIM_REGISTER_MODEL(function) \
  static const ::detsim::ModelRegistration DETSIM_REGISTER_MODEL_CONCAT(detsim_model_registration_, __LINE__)(function)

}  // namespace detsim
