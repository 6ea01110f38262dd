#include "sim/world/simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <iterator>
#include <map>

#include "sim/check/linearizability.h"
#include "sim/core/engine.h"
#include "sim/fault/nemesis.h"
#include "sim/fault/node_names.h"
#include "sim/metrics/histogram.h"
#include "sim/world/timing_swarm.h"
#include "sim/world/world.h"
#include "sim/world/world_params.h"

namespace detsim {
namespace {

Params to_defaults(const std::vector<ParamSpec>& specs) {
  Params params;
  for (const ParamSpec& s : specs) {
    std::string error;
    auto value = parse_param(s, s.default_text, &error);
    // Invariant: every declared default parses under its own spec.
    if (!value) assert_failed(__FILE__, __LINE__, ("default of " + s.key + ": " + error).c_str());
    params.set_default(s.key, *value);
  }
  return params;
}

// The nodes a model declares, numbered as the world numbers them, without
// running anything.
class NodeCounter final : public Setup {
 public:
  NodeId add_server(std::string name, NodeMain) override {
    names_.push_back(std::move(name));
    return add(&targets_.servers);
  }
  NodeId add_client(std::string name, NodeMain) override {
    names_.push_back(std::move(name));
    return add(&targets_.clients);
  }
  Time heal_time() const override { return Time::max(); }
  Time end_time() const override { return Time::max(); }
  const FaultTargets& targets() const { return targets_; }
  const std::vector<std::string>& names() const { return names_; }

 private:
  NodeId add(std::vector<NodeId>* kind) {
    kind->push_back(NodeId(count_++));
    return kind->back();
  }
  uint32_t count_ = 0;
  FaultTargets targets_;
  std::vector<std::string> names_;
};

// The run's fault schedule: the given one (the request's, else
// faults.schedule's) or one the nemesis generates from the seed, with its
// swarm configuration. A generated schedule is redrawn from each explore
// branch on; a given one stays as given.
class FaultPlan {
 public:
  FaultPlan(const RunRequest& request, const Params& params, const Rng& root, const World& world, Time heal_at,
            RunResult& result)
      : rng_(root.fork("nemesis")), heal_at_(heal_at), result_(result) {
    std::optional<FaultSchedule> given = request.faults ? request.faults : given_schedule(params);
    if (given) {
      std::string error;
      // Invariant: callers validate a given schedule (check_fault_schedule).
      if (!given->validate(FaultTargets{world.servers(), world.clients()}, &error))
        assert_failed(__FILE__, __LINE__, error.c_str());
      result.faults = std::move(*given);
      return;
    }
    generated_ = true;
    options_ = nemesis_options(params);
    servers_ = world.servers();
    clients_ = world.clients();
    NemesisPlan plan = generate_nemesis(rng_, options_, servers_, heal_at, clients_);
    result.faults = std::move(plan.schedule);
    // No fault family configured: nothing was chosen, so nothing to report.
    const auto& families = plan.swarm.families;
    const bool any = std::any_of(families.begin(), families.end(), [](const FamilySwarm& f) { return f.configured; });
    result.swarm = any ? plan.swarm.to_string() : "";
    if (any && !plan.client_placement.empty()) result.swarm += "; " + plan.client_placement;
  }

  // From the first whole ms after now, the schedule is redrawn with the
  // salt (NemesisOptions::redraws); result.faults becomes the schedule in
  // force, so the run line prints what happened. The swarm draw stays.
  void redraw(World& world, Time now, uint64_t salt) {
    if (!generated_) return;
    const int64_t ms = Duration::milliseconds(1).count_ns();
    const Time from = Time::from_ns((now.since_start().count_ns() / ms + 1) * ms);
    if (from >= heal_at_) return;
    options_.redraws.push_back({from, salt});
    NemesisPlan plan = generate_nemesis(rng_, options_, servers_, heal_at_, clients_);
    // Invariant: the past is kept; only actions from `from` on change.
    DETSIM_ASSERT(before(plan.schedule, from) == before(result_.faults, from));
    result_.faults = std::move(plan.schedule);
    world.redraw_faults(result_.faults, from);
  }

 private:
  static std::vector<FaultAction> before(const FaultSchedule& schedule, Time from) {
    std::vector<FaultAction> past;
    std::copy_if(schedule.actions.begin(), schedule.actions.end(), std::back_inserter(past),
                 [from](const FaultAction& action) { return action.at < from; });
    return past;
  }

  bool generated_ = false;
  NemesisOptions options_;
  Rng rng_;
  std::vector<NodeId> servers_;
  std::vector<NodeId> clients_;
  Time heal_at_;
  RunResult& result_;
};

// Runs the model's check; an exception there is the model's crash too.
CheckResult run_check(Model& model) {
  try {
    return model.check();
  } catch (const std::exception& error) {
    return {Verdict::model_crashed, "model_crashed", fmt::format("check() threw: {}", error.what()), std::nullopt, {}};
  }
}

// The operation that cannot be linearized went wrong when its result came
// back (an info never did: then when it started).
Time blocked_at(const check::CheckReport& report) {
  // Invariant: not_linearizable always names the blocked operation last.
  DETSIM_ASSERT(!report.counterexample_operations.empty());
  const check::Operation& blocked = report.counterexample_operations.back();
  return blocked.complete_at == Time::max() ? blocked.invoke_at : blocked.complete_at;
}

// The clients of the counterexample's operations (History::bind_process),
// the blocked operation's first.
std::vector<NodeId> counterexample_clients(const History& history, const check::CheckReport& report) {
  std::vector<NodeId> clients;
  const auto& bound = history.process_clients();
  for (auto op = report.counterexample_operations.rbegin(); op != report.counterexample_operations.rend(); ++op) {
    auto it = bound.find(op->process);
    if (it != bound.end() && std::find(clients.begin(), clients.end(), it->second) == clients.end())
      clients.push_back(it->second);
  }
  return clients;
}

// The client history against its datatype, after the model's own check
// passed (DESIGN.md "Histories"). The budget is in search steps, never wall
// time, so the verdict is the seed's like everything else; the check runs
// after the engine stopped and adds no events, so fingerprints are as
// before.
CheckResult check_history(const Model& model, int64_t budget_steps, const std::vector<std::string>& node_names,
                          MetricList& metrics) {
  const History* history = model.history();
  if (history == nullptr) return CheckResult::ok();
  const auto& events = history->events();
  const auto invokes =
      std::count_if(events.begin(), events.end(), [](const HistoryEvent& e) { return e.type == OpType::invoke; });
  metrics.push_back({"history_ops", static_cast<double>(invokes)});
  // A model that records a history and recorded nothing tested nothing:
  // not a pass (the workload window, duration - settle, may be too short).
  if (invokes == 0) {
    return CheckResult::liveness("client_operations",
                                 "the clients invoked no operation, so nothing was checked (is duration - settle "
                                 "long enough for the workload?)");
  }
  std::optional<check::Datatype> datatype = check::parse_datatype(model.history_model());
  // Invariant: a model names a datatype the checker has (sim/api/model.h).
  DETSIM_ASSERT(datatype.has_value());
  if (budget_steps == 0) return CheckResult::ok();
  check::CheckOptions options;
  options.step_budget = static_cast<uint64_t>(budget_steps);
  for (const auto& [process, client] : history->process_clients()) {
    if (client.index() < node_names.size()) options.process_names[process] = node_names[client.index()];
  }
  std::optional<check::HistoryError> error;
  check::CheckReport report = check::check_history(*history, *datatype, options, &error);
  if (error) {
    return {Verdict::model_crashed,
            "history_malformed",
            fmt::format("client history event #{}: {}", error->event, error->message),
            std::nullopt,
            {}};
  }
  metrics.push_back({"linearizability_unknown", report.verdict == check::Linearizability::unknown ? 1.0 : 0.0});
  if (report.verdict != check::Linearizability::not_linearizable) return CheckResult::ok();
  return CheckResult::safety("linearizability", report.summary)
      .at(blocked_at(report))
      .on(counterexample_clients(*history, report));
}

// The violation at its own time on each node involved (the .dot and
// Perfetto draw it there, not at the run's end), recorded after the run:
// the JSONL trace's last lines may go back in time.
void mark_violation(TraceSink& trace, const CheckResult& check) {
  if (!check.when) return;
  const std::string text = fmt::format("violation: {}", check.property);
  if (check.nodes.empty()) trace.record({*check.when, TraceKind::verdict, NodeId(), NodeId(), 0, Time(), text});
  for (NodeId node : check.nodes) trace.record({*check.when, TraceKind::verdict, node, NodeId(), 0, Time(), text});
}

// p50/p99/p999 of the ok operations' invoke-to-completion time, in ms,
// for every model with a client history. An operation's completion comes
// from the process that invoked it (Jepsen: one operation in flight per
// process), so a map from process to its open invoke pairs them. Read
// after the engine stopped: no events, so fingerprints are unchanged.
void report_op_latency(const History& history, MetricList& metrics) {
  std::map<int64_t, Time> open;
  Histogram latency;
  for (const HistoryEvent& event : history.events()) {
    if (event.type == OpType::invoke) {
      open[event.process] = event.time;
      continue;
    }
    auto invoked = open.find(event.process);
    if (invoked == open.end()) continue;
    if (event.type == OpType::ok) latency.record(event.time - invoked->second);
    open.erase(invoked);
  }
  if (latency.empty()) return;
  metrics.push_back({"op_latency_p50_ms", latency.quantile_s(0.5) * 1e3});
  metrics.push_back({"op_latency_p99_ms", latency.quantile_s(0.99) * 1e3});
  metrics.push_back({"op_latency_p999_ms", latency.quantile_s(0.999) * 1e3});
}

void apply_branch(Engine& engine, World& world, FaultPlan& faults, uint64_t salt) {
  // Invariant: a branch changes something; salt 0 means "no branch".
  DETSIM_ASSERT(salt != 0);
  faults.redraw(world, engine.now(), salt);
  world.reseed(salt);
  engine.reseed(salt);
}

// The request's branch path, and explore's branching at probe news.
void arm_branches(const RunRequest& request, Engine& engine, World& world, FaultPlan& faults) {
  uint64_t previous = 0;
  for (const BranchPoint& branch : request.branches) {
    // Invariant: the path is in event order (parse_branch_path checks it).
    DETSIM_ASSERT(branch.event_index >= previous);
    previous = branch.event_index;
    engine.at_event_boundary(branch.event_index, [&engine, &world, &faults, salt = branch.salt] {
      apply_branch(engine, world, faults, salt);
    });
  }
  if (!request.wants_branch) return;
  // Invariant: whoever asks to branch says with what.
  DETSIM_ASSERT(request.branch_salt != nullptr);
  world.set_probe_observer([&request, &engine, &world, &faults](size_t probe, uint64_t hits) {
    if (!request.wants_branch(probe, hits)) return;
    engine.at_event_boundary(engine.events_fired(), [&request, &engine, &world, &faults] {
      const uint64_t salt = request.branch_salt(engine.events_fired());
      if (salt != 0) apply_branch(engine, world, faults, salt);
    });
  });
}

}  // namespace

std::vector<ParamSpec> all_param_specs(const ModelInfo& model) {
  std::vector<ParamSpec> specs = world_param_specs();
  ParamSpec bug;
  bug.key = "bug";
  bug.type = ParamType::choice;
  bug.default_text = "none";
  bug.doc = "a planted bug of the model to switch on";
  bug.choices.push_back("none");
  for (const BugSpec& b : model.bugs) bug.choices.push_back(b.name);
  specs.push_back(bug);
  specs.insert(specs.end(), model.params.begin(), model.params.end());
  return specs;
}

Params default_params(const ModelInfo& model) { return to_defaults(all_param_specs(model)); }

std::vector<std::string> model_node_names(const ModelInfo& model, const Params& params) {
  NodeCounter counter;
  model.make(params)->setup(counter);
  return stable_node_names(counter.names());
}

std::string check_fault_schedule(const ModelInfo& model, const Params& params) {
  std::optional<FaultSchedule> schedule = given_schedule(params);
  if (!schedule) return "";
  NodeCounter counter;
  model.make(params)->setup(counter);
  std::string error;
  if (schedule->validate(counter.targets(), &error)) return "";
  return "fault schedule: " + error;
}

RunResult simulate(const RunRequest& request) {
  DETSIM_ASSERT(request.model != nullptr);
  const Rng root(request.seed);
  // The timing swarm draws first: the world, the nemesis and the model all
  // see the drawn values.
  Params params = request.params;
  const TimingDraw timing = draw_timing(all_param_specs(*request.model), root.fork("timing"), params);
  const Duration duration = params.duration("duration");
  const Duration settle = std::min(params.duration("settle"), duration);
  const Time end_at = Time::zero() + duration;
  const Time heal_at = end_at - settle;

  EngineOptions engine_options;
  engine_options.seed = request.seed;
  engine_options.time_limit = end_at;
  const int64_t events_max = params.integer("events_max");
  if (events_max > 0) engine_options.event_limit = static_cast<uint64_t>(events_max);
  engine_options.livelock_events = static_cast<uint64_t>(params.integer("livelock_events"));
  engine_options.sched = sched_options(params);
  Engine engine(engine_options);

  World world(engine, root.fork("world"), world_options(params, heal_at, end_at));
  world.declare_probes(request.model->probes);
  std::unique_ptr<Model> model = request.model->make(params);
  model->setup(world);
  world.set_trace(request.trace);
  world.apply_link_overrides(link_overrides(params));

  RunResult result;
  result.seed = request.seed;
  FaultPlan faults(request, params, root, world, heal_at, result);
  const std::string timing_text = timing.to_string();
  if (!timing_text.empty()) result.swarm += (result.swarm.empty() ? "" : "; ") + timing_text;
  world.apply(result.faults);
  if (request.trace != nullptr) {
    request.trace->record(
        {Time::zero(), TraceKind::fault, NodeId(), NodeId(), 0, Time(),
         fmt::format("{}{} fault actions", result.swarm.empty() ? "" : result.swarm + "; ", result.faults.size())});
  }
  world.start();
  arm_branches(request, engine, world, faults);

  CheckResult check;
  // check() and report() run before the fibers unwind: node state is
  // still there to inspect.
  const StopReason stop = engine.run([&] {
    if (engine.stop_reason() != StopReason::model_crashed) check = run_check(*model);
    model->report(result.metrics);
    if (check.verdict == Verdict::pass && engine.stop_reason() != StopReason::model_crashed)
      check = check_history(*model, params.integer("history_check_budget"), world.node_names(), result.metrics);
    if (model->history() != nullptr) report_op_latency(*model->history(), result.metrics);
    if (request.history_out != nullptr && model->history() != nullptr)
      *request.history_out = {true, model->history_model(), *model->history()};
  });
  if (stop == StopReason::model_crashed) {
    check = {Verdict::model_crashed, "model_crashed", engine.stop_detail(), std::nullopt, {}};
  } else if (stop == StopReason::livelock && check.verdict == Verdict::pass) {
    check = CheckResult::liveness("livelock", engine.stop_detail());
  }
  result.verdict = check.verdict;
  result.property = check.property;
  result.detail = check.detail;
  result.node_names = world.node_names();
  result.violation_at = check.when;
  for (NodeId node : check.nodes) {
    if (node.index() < result.node_names.size()) result.violation_nodes.push_back(result.node_names[node.index()]);
  }
  result.events = engine.events_fired();
  result.sim_seconds = engine.now().to_seconds();
  result.stop_reason = to_string(stop);
  result.metrics.push_back({"messages", static_cast<double>(world.messages_sent())});
  if (request.trace != nullptr) {
    mark_violation(*request.trace, check);
    request.trace->record({engine.now(), TraceKind::verdict, NodeId(), NodeId(), 0, Time(),
                           fmt::format("{} {}", to_string(result.verdict), result.property)});
  }
  result.fingerprint = engine.fingerprint();
  result.probes = world.probe_counts();
  result.clients = world.clients();
  return result;
}

}  // namespace detsim
