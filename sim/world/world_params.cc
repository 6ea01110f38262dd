// The parameters every scenario has, whatever its model (run length, the
// network, disks, clocks and the nemesis), and their mapping onto the
// world's and the nemesis's options. docs/faults.md documents each one.
#include "sim/world/world_params.h"

#include <limits>

#include "sim/core/assert.h"
#include "sim/fault/fault_schedule.h"
#include "sim/world/links.h"

namespace detsim {
namespace {

constexpr double kDaySeconds = 86400;
constexpr double kInf = std::numeric_limits<double>::infinity();

ParamSpec spec(std::string key, ParamType type, std::string default_text, std::string doc, double min = -kInf,
               double max = kInf) {
  ParamSpec s;
  s.key = std::move(key);
  s.type = type;
  s.default_text = std::move(default_text);
  s.doc = std::move(doc);
  s.min = min;
  s.max = max;
  return s;
}

// A fault family's mean interval: exponential gaps, 0s switches it off.
ParamSpec interval(std::string key, std::string what) {
  return spec(std::move(key), ParamType::duration, "0s",
              "mean time between " + what + ", exponential (0s: none)", 0, kDaySeconds);
}

ParamSpec text_spec(std::string key, std::string doc, std::function<std::string(std::string_view)> check) {
  ParamSpec s = spec(std::move(key), ParamType::text, "", std::move(doc));
  s.check_text = std::move(check);
  return s;
}

std::string check_links(std::string_view text) {
  std::string error;
  return parse_link_overrides(text, &error) ? "" : error;
}

std::string check_schedule(std::string_view text) {
  std::string error;
  return FaultSchedule::parse_file_text(text, &error) ? "" : error;
}

void add_run_specs(std::vector<ParamSpec>& out) {
  using T = ParamType;
  out.push_back(spec("duration", T::duration, "30s", "simulated length of the run", 0.001, 100 * kDaySeconds));
  out.push_back(spec("settle", T::duration, "10s",
                     "quiet period at the end: faults stop and everything heals at duration - settle", 0,
                     100 * kDaySeconds));
  out.push_back(spec("events_max", T::integer, "0", "stop after this many events (0: no limit)", 0));
  out.push_back(spec("livelock_events", T::integer, "5000000",
                     "events at one instant of virtual time that count as a livelock", 1000));
  out.push_back(spec("history_check_budget", T::integer, "20000000",
                     "search steps for the linearizability check of a model's client history (0: no check)", 0));
  out.push_back(spec("buggify", T::boolean, "true", "switch on ctx.buggify() sites (each with probability 1/4)"));
  out.push_back(spec("buggify_probability", T::real, "0.05", "how often an enabled buggify site fires", 0, 1));
}

void add_network_specs(std::vector<ParamSpec>& out) {
  using T = ParamType;
  // Swarmed from a LAN to latencies comparable with election timeouts, and
  // heavy tails (lognormal, pareto) where a few messages take very long.
  out.push_back(swarmed(spec("net.latency", T::distribution, "uniform(1ms, 10ms)", "one-way delay of every link"),
                        {"uniform(1ms, 10ms)", "uniform(5ms, 40ms)", "uniform(10ms, 60ms)", "lognormal(4ms, 1)",
                         "pareto(2ms, 1.2)"}));
  out.push_back(spec("net.jitter", T::duration, "0s", "extra delay, uniform in [0, jitter], per message", 0, 60));
  out.push_back(spec("net.loss", T::real, "0", "probability that a datagram is lost", 0, 1));
  out.push_back(spec("net.duplicate", T::real, "0", "probability that a datagram arrives twice", 0, 1));
  out.push_back(spec("net.reorder", T::real, "0",
                     "probability that a datagram is held back so that later ones overtake it", 0, 1));
  out.push_back(spec("net.replay", T::real, "0",
                     "probability that a datagram is delivered once more, net.replay_delay after the first copy", 0,
                     1));
  out.push_back(spec("net.replay_delay", T::distribution, "uniform(200ms, 5s)",
                     "how much later a replayed datagram arrives (it may outlive its sender's incarnation)"));
  out.push_back(spec("net.bandwidth", T::real, "0",
                     "bytes per second of every link, for connections (0: unlimited)", 0));
  out.push_back(text_spec("net.links",
                          "per-link overrides, ';'-separated: \"n0>n1 latency=const(50ms) loss=0.1 bandwidth=1e6\"",
                          check_links));
}

void add_disk_specs(std::vector<ParamSpec>& out) {
  using T = ParamType;
  out.push_back(spec("disk.latency", T::distribution, "uniform(50us, 200us)", "latency of each disk operation"));
  out.push_back(swarmed(spec("disk.fsync_latency", T::distribution, "uniform(1ms, 5ms)", "latency of each fsync"),
                        {"uniform(1ms, 5ms)", "uniform(100us, 500us)", "uniform(5ms, 40ms)"}));
  out.push_back(spec("disk.iops", T::real, "0", "operations per second a disk serves (0: unlimited)", 0));
  out.push_back(spec("disk.bandwidth", T::real, "0", "bytes per second a disk serves (0: unlimited)", 0));
  out.push_back(spec("disk.capacity", T::integer, "0", "bytes a disk holds (0: unlimited)", 0));
  out.push_back(spec("disk.sector_size", T::integer, "4096", "unit of atomicity, tearing and corruption", 1,
                     1 << 20));
  out.push_back(spec("disk.tear", T::real, "0", "at a crash, probability that an unsynced write is torn", 0, 1));
  out.push_back(spec("disk.reorder", T::real, "0",
                     "at a crash, probability that an unsynced operation persists anyway, out of order", 0, 1));
  out.push_back(spec("disk.fault_budget", T::boolean, "true",
                     "corrupt a sector only while another server holds it intact (TigerBeetle)"));
}

void add_clock_specs(std::vector<ParamSpec>& out) {
  using T = ParamType;
  out.push_back(spec("clock.offset_max", T::duration, "0s", "each wall clock starts off by uniform(-max, +max)", 0,
                     kDaySeconds));
  out.push_back(spec("clock.drift_max_ppm", T::real, "0", "each clock's rate error, uniform in (-max, +max) ppm", 0,
                     100000));
  out.push_back(spec("clock.ntp", T::boolean, "false", "NTP: step large clock errors, slew small ones"));
  out.push_back(spec("clock.ntp_interval", T::duration, "16s", "time between NTP polls", 0.001, kDaySeconds));
}

void add_node_fault_specs(std::vector<ParamSpec>& out) {
  using T = ParamType;
  out.push_back(interval("faults.crash_interval", "server crashes"));
  out.push_back(interval("faults.power_interval", "power losses (every server crashes at once)"));
  out.push_back(interval("faults.rolling_interval", "rolling restarts (every server in turn, down at most 1s)"));
  out.push_back(interval("faults.power_fsync_interval", "power losses on k servers, each as its next fsync starts"));
  out.push_back(spec("faults.power_fsync_nodes", T::integer, "-1",
                     "servers a power_fsync strikes, at most (k uniform from 1; -1: every server)", -1, 1000));
  out.push_back(
      spec("faults.down_time", T::distribution, "uniform(500ms, 3s)", "how long a crashed server stays down"));
  out.push_back(spec("faults.max_down", T::integer, "-1", "servers down at once, at most (-1: a minority)", -1, 1000));
  out.push_back(spec("faults.rejoin_time", T::duration, "0s",
                     "for max_down, a restarted server counts as down this much longer (time to rejoin)", 0,
                     kDaySeconds));
  out.push_back(interval("faults.pause_interval", "server pauses (GC or VM stalls)"));
  out.push_back(spec("faults.pause_length", T::distribution, "uniform(100ms, 1s)", "how long a pause lasts"));
}

void add_network_fault_specs(std::vector<ParamSpec>& out) {
  using T = ParamType;
  out.push_back(interval("faults.partition_interval",
                         "partitions (halves, isolate, bridge, minority, one-way, majorities ring, flapping link)"));
  out.push_back(spec("faults.partition_length", T::distribution, "uniform(1s, 5s)", "how long a partition lasts"));
  out.push_back(spec("faults.partition_clients", T::real, "0",
                     "probability a partition also puts clients on its sides (each on a random side with odds 1/2)",
                     0, 1));
  out.push_back(interval("faults.clog_interval", "clogged links"));
  out.push_back(spec("faults.clog_length", T::distribution, "uniform(1s, 5s)", "how long a clog lasts"));
  out.push_back(spec("faults.clog_delay", T::distribution, "uniform(100ms, 1s)", "extra delay on a clogged link"));
}

void add_disk_fault_specs(std::vector<ParamSpec>& out) {
  using T = ParamType;
  out.push_back(interval("faults.corrupt_interval", "latent sector corruptions"));
  out.push_back(interval("faults.misdirect_interval", "misdirected writes"));
  out.push_back(interval("faults.disk_full_interval", "disk-full spells"));
  out.push_back(spec("faults.disk_full_length", T::distribution, "uniform(500ms, 3s)", "how long a disk stays full"));
  out.push_back(interval("faults.disk_slow_interval", "slow-disk spells"));
  out.push_back(spec("faults.disk_slow_length", T::distribution, "uniform(1s, 5s)", "how long a disk stays slow"));
  out.push_back(spec("faults.disk_slow_factor", T::integer, "10", "latency multiplier of a slow disk", 1, 100000));
}

void add_clock_fault_specs(std::vector<ParamSpec>& out) {
  using T = ParamType;
  out.push_back(interval("faults.clock_jump_interval", "wall-clock jumps"));
  out.push_back(spec("faults.clock_jump_size", T::distribution, "uniform(100ms, 10s)",
                     "size of a jump; forwards or backwards with equal odds"));
  out.push_back(interval("faults.clock_drift_interval", "clock drift changes"));
  out.push_back(spec("faults.clock_drift_max_ppm", T::integer, "100", "a new drift is uniform in [-max, max] ppm",
                     0, 100000));
}

void add_shape_specs(std::vector<ParamSpec>& out) {
  out.push_back(interval("faults.shape_interval",
                         "role shapes: isolate the role's holder (with some clients), figure8, kill, pause, "
                         "clock-jump it or flap one of its links"));
  out.push_back(spec("faults.shape_length", ParamType::distribution, "uniform(200ms, 2s)",
                     "how long a shape's isolation, pause or down time lasts"));
  ParamSpec role = text_spec("faults.shape_role", "the role shapes aim at (Context::set_role)", [](std::string_view text) {
    return is_role_name(text) ? std::string() : std::string("expected a role name like leader (a-z, 0-9, _)");
  });
  role.default_text = "leader";
  out.push_back(role);
}

void add_nemesis_specs(std::vector<ParamSpec>& out) {
  out.push_back(spec("faults.swarm", ParamType::boolean, "true",
                     "swarm testing: each seed runs a random subset of the configured fault families"));
  out.push_back(spec("swarm.timing", ParamType::boolean, "false",
                     "timing swarm: each seed draws every swarmed knob (listed with its values) that the "
                     "scenario and --set leave unset"));
  out.push_back(text_spec("faults.schedule",
                          "a fixed fault schedule instead of the generated one (--faults FILE; \"none\": no faults)",
                          check_schedule));
}

// Same-instant order and timer jitter: sim/core/sched_order.h and
// docs/engine.md "Scheduling exploration".
void add_sched_specs(std::vector<ParamSpec>& out) {
  using T = ParamType;
  ParamSpec policy = spec("sched.policy", T::choice, "fifo",
                          "order of events due at one instant: fifo (scheduling order), random, pct (PCT priorities)");
  policy.choices = {"fifo", "random", "pct"};
  // The timing swarm explores the same-instant orders too.
  policy.swarm = policy.choices;
  out.push_back(policy);
  out.push_back(spec("sched.pct_depth", T::integer, "3", "PCT's bug depth d: d-1 priority change points", 1,
                     SchedOrder::kDepthMax));
  out.push_back(spec("sched.pct_steps", T::integer, "20000",
                     "PCT draws its change points among the first this-many events", SchedOrder::kDepthMax, 1e12));
  out.push_back(swarmed(spec("sched.jitter", T::duration, "0s",
                             "timers fire late by uniform [0, jitter] (0s: off); never earlier", 0, 60),
                        {"0s", "0s", "100us"}));
}

std::vector<ParamSpec> make_world_specs() {
  std::vector<ParamSpec> specs;
  add_run_specs(specs);
  add_network_specs(specs);
  add_disk_specs(specs);
  add_clock_specs(specs);
  add_node_fault_specs(specs);
  add_network_fault_specs(specs);
  add_disk_fault_specs(specs);
  add_clock_fault_specs(specs);
  add_shape_specs(specs);
  add_nemesis_specs(specs);
  add_sched_specs(specs);
  return specs;
}

NetworkOptions network_options(const Params& p) {
  NetworkOptions options;
  options.latency = p.distribution("net.latency");
  options.jitter = p.duration("net.jitter");
  options.loss = p.real("net.loss");
  options.duplicate = p.real("net.duplicate");
  options.reorder = p.real("net.reorder");
  options.replay = p.real("net.replay");
  options.replay_delay = p.distribution("net.replay_delay");
  options.bandwidth = p.real("net.bandwidth");
  return options;
}

DiskOptions disk_options(const Params& p) {
  DiskOptions options;
  options.latency = p.distribution("disk.latency");
  options.fsync_latency = p.distribution("disk.fsync_latency");
  options.iops = p.real("disk.iops");
  options.bandwidth = p.real("disk.bandwidth");
  options.capacity = static_cast<uint64_t>(p.integer("disk.capacity"));
  options.sector_size = static_cast<uint32_t>(p.integer("disk.sector_size"));
  options.tear = p.real("disk.tear");
  options.reorder = p.real("disk.reorder");
  options.fault_budget = p.boolean("disk.fault_budget");
  return options;
}

ClockOptions clock_options(const Params& p) {
  ClockOptions options;
  options.offset_max = p.duration("clock.offset_max");
  options.drift_max_ppm = p.real("clock.drift_max_ppm");
  options.ntp = p.boolean("clock.ntp");
  options.ntp_interval = p.duration("clock.ntp_interval");
  return options;
}

}  // namespace

const std::vector<ParamSpec>& world_param_specs() {
  static const std::vector<ParamSpec> specs = make_world_specs();
  return specs;
}

WorldOptions world_options(const Params& p, Time heal_at, Time end_at) {
  WorldOptions options;
  options.heal_at = heal_at;
  options.end_at = end_at;
  options.network = network_options(p);
  options.disk = disk_options(p);
  options.clock = clock_options(p);
  options.buggify = p.boolean("buggify");
  options.buggify_fire_probability = p.real("buggify_probability");
  return options;
}

std::vector<LinkOverride> link_overrides(const Params& p) {
  std::string error;
  auto overrides = parse_link_overrides(p.text("net.links"), &error);
  // Invariant: the text passed check_links when the parameter was set.
  DETSIM_ASSERT(overrides.has_value());
  return *overrides;
}

NemesisOptions nemesis_options(const Params& p) {
  NemesisOptions o;
  o.crash_interval = p.duration("faults.crash_interval");
  o.power_interval = p.duration("faults.power_interval");
  o.rolling_interval = p.duration("faults.rolling_interval");
  o.power_fsync_interval = p.duration("faults.power_fsync_interval");
  o.power_fsync_nodes = static_cast<int>(p.integer("faults.power_fsync_nodes"));
  o.down_time = p.distribution("faults.down_time");
  o.max_down = static_cast<int>(p.integer("faults.max_down"));
  o.rejoin_time = p.duration("faults.rejoin_time");
  o.pause_interval = p.duration("faults.pause_interval");
  o.pause_length = p.distribution("faults.pause_length");
  o.partition_interval = p.duration("faults.partition_interval");
  o.partition_length = p.distribution("faults.partition_length");
  o.partition_clients = p.real("faults.partition_clients");
  o.clog_interval = p.duration("faults.clog_interval");
  o.clog_length = p.distribution("faults.clog_length");
  o.clog_delay = p.distribution("faults.clog_delay");
  o.corrupt_interval = p.duration("faults.corrupt_interval");
  o.misdirect_interval = p.duration("faults.misdirect_interval");
  o.disk_full_interval = p.duration("faults.disk_full_interval");
  o.disk_full_length = p.distribution("faults.disk_full_length");
  o.disk_slow_interval = p.duration("faults.disk_slow_interval");
  o.disk_slow_length = p.distribution("faults.disk_slow_length");
  o.disk_slow_factor = p.integer("faults.disk_slow_factor");
  o.clock_jump_interval = p.duration("faults.clock_jump_interval");
  o.clock_jump_size = p.distribution("faults.clock_jump_size");
  o.clock_drift_interval = p.duration("faults.clock_drift_interval");
  o.clock_drift_max_ppm = p.integer("faults.clock_drift_max_ppm");
  o.shape_interval = p.duration("faults.shape_interval");
  o.shape_length = p.distribution("faults.shape_length");
  o.shape_role = p.text("faults.shape_role");
  o.swarm = p.boolean("faults.swarm");
  return o;
}

SchedOptions sched_options(const Params& p) {
  SchedOptions options;
  std::optional<SchedPolicy> policy = parse_sched_policy(p.text("sched.policy"));
  // Invariant: the value is one of the spec's choices, which all parse.
  DETSIM_ASSERT(policy.has_value());
  options.policy = *policy;
  options.pct_depth = static_cast<uint32_t>(p.integer("sched.pct_depth"));
  options.pct_steps = static_cast<uint64_t>(p.integer("sched.pct_steps"));
  options.jitter = p.duration("sched.jitter");
  return options;
}

std::optional<FaultSchedule> given_schedule(const Params& p) {
  const std::string& text = p.text("faults.schedule");
  if (text.empty()) return std::nullopt;
  std::string error;
  auto schedule = FaultSchedule::parse_file_text(text, &error);
  // Invariant: the text passed check_schedule when the parameter was set.
  DETSIM_ASSERT(schedule.has_value());
  return schedule;
}

}  // namespace detsim
