#include "sim/world/simulation.h"

#include <exception>

#include <fmt/format.h>

#include "sim/core/engine.h"
#include "sim/fault/nemesis.h"
#include "sim/world/world.h"

namespace detsim {
namespace {

ParamSpec spec(std::string key, ParamType type, std::string default_text, std::string doc,
               double min = -std::numeric_limits<double>::infinity(),
               double max = std::numeric_limits<double>::infinity()) {
  ParamSpec s;
  s.key = std::move(key);
  s.type = type;
  s.default_text = std::move(default_text);
  s.doc = std::move(doc);
  s.min = min;
  s.max = max;
  return s;
}

constexpr double kDaySeconds = 86400;

std::vector<ParamSpec> make_world_specs() {
  using T = ParamType;
  return {
      spec("duration", T::duration, "30s", "simulated length of the run", 0.001, 100 * kDaySeconds),
      spec("settle", T::duration, "10s",
           "quiet period at the end: faults stop and everything heals at duration - settle", 0,
           100 * kDaySeconds),
      spec("events_max", T::integer, "0", "stop after this many events (0: no limit)", 0),
      spec("livelock_events", T::integer, "5000000",
           "events at one instant of virtual time that count as a livelock", 1000),
      spec("net.latency", T::distribution, "uniform(1ms, 10ms)", "one-way datagram delay"),
      spec("net.loss", T::real, "0", "probability that a datagram is lost", 0, 1),
      spec("net.duplicate", T::real, "0", "probability that a datagram arrives twice", 0, 1),
      spec("faults.crash_interval", T::duration, "0s",
           "mean time between server crashes, exponential (0s: no crashes)", 0, kDaySeconds),
      spec("faults.down_time", T::distribution, "uniform(500ms, 3s)", "how long a crashed server stays down"),
      spec("faults.max_down", T::integer, "-1", "servers down at once, at most (-1: a minority)", -1, 1000),
      spec("faults.pause_interval", T::duration, "0s",
           "mean time between server pauses (GC or VM stalls), exponential (0s: none)", 0, kDaySeconds),
      spec("faults.pause_length", T::distribution, "uniform(100ms, 1s)", "how long a pause lasts"),
      spec("buggify", T::boolean, "true", "switch on ctx.buggify() sites (each with probability 1/4)"),
      spec("buggify_probability", T::real, "0.05", "how often an enabled buggify site fires", 0, 1),
  };
}

Params to_defaults(const std::vector<ParamSpec>& specs) {
  Params params;
  for (const ParamSpec& s : specs) {
    std::string error;
    auto value = parse_param(s, s.default_text, &error);
    // Invariant: every declared default parses under its own spec.
    if (!value) assert_failed(__FILE__, __LINE__, ("default of " + s.key + ": " + error).c_str());
    params.set(s.key, *value);
  }
  return params;
}

WorldOptions world_options(const Params& p, Time heal_at, Time end_at) {
  WorldOptions options;
  options.heal_at = heal_at;
  options.end_at = end_at;
  options.network.latency = p.distribution("net.latency");
  options.network.loss = p.real("net.loss");
  options.network.duplicate = p.real("net.duplicate");
  options.buggify = p.boolean("buggify");
  options.buggify_fire_probability = p.real("buggify_probability");
  return options;
}

NemesisOptions nemesis_options(const Params& p) {
  NemesisOptions options;
  options.crash_interval = p.duration("faults.crash_interval");
  options.down_time = p.distribution("faults.down_time");
  options.max_down = static_cast<int>(p.integer("faults.max_down"));
  options.pause_interval = p.duration("faults.pause_interval");
  options.pause_length = p.distribution("faults.pause_length");
  return options;
}

// Runs the model's check; an exception there is the model's crash too.
CheckResult run_check(Model& model) {
  try {
    return model.check();
  } catch (const std::exception& error) {
    return {Verdict::model_crashed, "model_crashed", fmt::format("check() threw: {}", error.what())};
  }
}

}  // namespace

const std::vector<ParamSpec>& world_param_specs() {
  static const std::vector<ParamSpec> specs = make_world_specs();
  return specs;
}

std::vector<ParamSpec> all_param_specs(const ModelInfo& model) {
  std::vector<ParamSpec> specs = world_param_specs();
  ParamSpec bug = spec("bug", ParamType::choice, "none", "a planted bug of the model to switch on");
  bug.choices.push_back("none");
  for (const BugSpec& b : model.bugs) bug.choices.push_back(b.name);
  specs.push_back(bug);
  specs.insert(specs.end(), model.params.begin(), model.params.end());
  return specs;
}

Params default_params(const ModelInfo& model) { return to_defaults(all_param_specs(model)); }

RunResult simulate(const RunRequest& request) {
  DETSIM_ASSERT(request.model != nullptr);
  const Params& params = request.params;
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
  Engine engine(engine_options);

  const Rng root(request.seed);
  World world(engine, root.fork("world"), world_options(params, heal_at, end_at));
  std::unique_ptr<Model> model = request.model->make(params);
  model->setup(world);
  world.set_trace(request.trace);

  RunResult result;
  result.seed = request.seed;
  result.faults = request.faults ? *request.faults
                                 : generate_nemesis(root.fork("nemesis"), nemesis_options(params),
                                                    world.servers(), heal_at).schedule;
  world.apply(result.faults);
  world.start();

  CheckResult check;
  // check() and report() run before the fibers unwind: node state is
  // still there to inspect.
  const StopReason stop = engine.run([&] {
    if (engine.stop_reason() != StopReason::model_crashed) check = run_check(*model);
    model->report(result.metrics);
  });
  if (stop == StopReason::model_crashed) {
    check = {Verdict::model_crashed, "model_crashed", engine.stop_detail()};
  } else if (stop == StopReason::livelock && check.verdict == Verdict::pass) {
    check = CheckResult::liveness("livelock", engine.stop_detail());
  }
  result.verdict = check.verdict;
  result.property = check.property;
  result.detail = check.detail;
  result.events = engine.events_fired();
  result.sim_seconds = engine.now().to_seconds();
  result.stop_reason = to_string(stop);
  result.metrics.push_back({"messages", static_cast<double>(world.messages_sent())});
  if (request.trace != nullptr) {
    request.trace->record({engine.now(), TraceKind::verdict, NodeId(), NodeId(), 0, Time(),
                           fmt::format("{} {}", to_string(result.verdict), result.property)});
  }
  result.fingerprint = engine.fingerprint();
  return result;
}

}  // namespace detsim
