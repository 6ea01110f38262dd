// The parameters every scenario has, whatever its model (run length, the
// network, disks, clocks and the nemesis), and their mapping onto the
// world's and the nemesis's options. docs/faults.md documents each one.
#include "sim/world/world_params.h"

#include <limits>

#include "sim/api/bindings.h"
#include "sim/core/assert.h"
#include "sim/fault/fault_schedule.h"
#include "sim/world/links.h"

namespace detsim {
namespace {

constexpr double kDaySeconds = 86400;

std::string check_links(std::string_view text) {
  std::string error;
  return parse_link_overrides(text, &error) ? "" : error;
}

std::string check_schedule(std::string_view text) {
  std::string error;
  return FaultSchedule::parse_file_text(text, &error) ? "" : error;
}

// The nemesis's defaults as a scenario sees them: every family off (its
// interval 0s), and lengths and sizes that make sense once one is on.
NemesisOptions default_faults() {
  NemesisOptions o;
  o.down_time = DurationDist::uniform(Duration::milliseconds(500), Duration::seconds(3));
  o.pause_length = DurationDist::uniform(Duration::milliseconds(100), Duration::seconds(1));
  o.partition_length = DurationDist::uniform(Duration::seconds(1), Duration::seconds(5));
  o.clog_length = DurationDist::uniform(Duration::seconds(1), Duration::seconds(5));
  o.clog_delay = DurationDist::uniform(Duration::milliseconds(100), Duration::seconds(1));
  o.disk_full_length = DurationDist::uniform(Duration::milliseconds(500), Duration::seconds(3));
  o.disk_slow_length = DurationDist::uniform(Duration::seconds(1), Duration::seconds(5));
  o.clock_jump_size = DurationDist::uniform(Duration::milliseconds(100), Duration::seconds(10));
  o.shape_length = DurationDist::uniform(Duration::milliseconds(200), Duration::seconds(2));
  o.swarm = true;
  return o;
}

// A fault family's mean interval: exponential gaps, 0s switches it off.
std::string interval_doc(const char* what) {
  return std::string("mean time between ") + what + ", exponential (0s: none)";
}

std::string check_role(std::string_view text) {
  return is_role_name(text) ? std::string() : std::string("expected a role name like leader (a-z, 0-9, _)");
}

// A field of WorldParams, nested structs included.
#define DETSIM_WORLD_FIELD(path) [](WorldParams& w) -> auto& { return w.path; }

void bind_run(ParamBindings<WorldParams>& b) {
  b.duration("duration", DETSIM_WORLD_FIELD(duration), "simulated length of the run", 0.001, 100 * kDaySeconds)
      .duration("settle", DETSIM_WORLD_FIELD(settle),
                "quiet period at the end: faults stop and everything heals at duration - settle", 0, 100 * kDaySeconds)
      .integer("events_max", DETSIM_WORLD_FIELD(events_max), "stop after this many events (0: no limit)", 0)
      .integer("livelock_events", DETSIM_WORLD_FIELD(livelock_events),
               "events at one instant of virtual time that count as a livelock", 1000)
      .integer("history_check_budget", DETSIM_WORLD_FIELD(history_check_budget),
               "search steps for the linearizability check of a model's client history (0: no check)", 0)
      .boolean("buggify", DETSIM_WORLD_FIELD(buggify), "switch on ctx.buggify() sites (each with probability 1/4)")
      .real("buggify_probability", DETSIM_WORLD_FIELD(buggify_probability), "how often an enabled buggify site fires",
            0, 1);
}

void bind_network(ParamBindings<WorldParams>& b) {
  // Swarmed from a LAN to latencies comparable with election timeouts, and
  // heavy tails (lognormal, pareto) where a few messages take very long.
  b.distribution("net.latency", DETSIM_WORLD_FIELD(net.latency), "one-way delay of every link")
      .swarm(
          {"uniform(1ms, 10ms)", "uniform(5ms, 40ms)", "uniform(10ms, 60ms)", "lognormal(4ms, 1)", "pareto(2ms, 1.2)"})
      .duration("net.jitter", DETSIM_WORLD_FIELD(net.jitter), "extra delay, uniform in [0, jitter], per message", 0, 60)
      .real("net.loss", DETSIM_WORLD_FIELD(net.loss), "probability that a datagram is lost", 0, 1)
      .real("net.duplicate", DETSIM_WORLD_FIELD(net.duplicate), "probability that a datagram arrives twice", 0, 1)
      .real("net.reorder", DETSIM_WORLD_FIELD(net.reorder),
            "probability that a datagram is held back so that later ones overtake it", 0, 1)
      .real("net.replay", DETSIM_WORLD_FIELD(net.replay),
            "probability that a datagram is delivered once more, net.replay_delay after the first copy", 0, 1)
      .distribution("net.replay_delay", DETSIM_WORLD_FIELD(net.replay_delay),
                    "how much later a replayed datagram arrives (it may outlive its sender's incarnation)")
      .real("net.bandwidth", DETSIM_WORLD_FIELD(net.bandwidth),
            "bytes per second of every link, for connections (0: unlimited)", 0)
      .text("net.links", DETSIM_WORLD_FIELD(links),
            "per-link overrides, ';'-separated: \"n0>n1 latency=const(50ms) loss=0.1 bandwidth=1e6\"", check_links);
}

void bind_disk(ParamBindings<WorldParams>& b) {
  b.distribution("disk.latency", DETSIM_WORLD_FIELD(disk.latency), "latency of each disk operation")
      .distribution("disk.fsync_latency", DETSIM_WORLD_FIELD(disk.fsync_latency), "latency of each fsync")
      .swarm({"uniform(1ms, 5ms)", "uniform(100us, 500us)", "uniform(5ms, 40ms)"})
      .real("disk.iops", DETSIM_WORLD_FIELD(disk.iops), "operations per second a disk serves (0: unlimited)", 0)
      .real("disk.bandwidth", DETSIM_WORLD_FIELD(disk.bandwidth), "bytes per second a disk serves (0: unlimited)", 0)
      .integer("disk.capacity", DETSIM_WORLD_FIELD(disk.capacity), "bytes a disk holds (0: unlimited)", 0)
      .integer("disk.sector_size", DETSIM_WORLD_FIELD(disk.sector_size), "unit of atomicity, tearing and corruption", 1,
               1 << 20)
      .real("disk.tear", DETSIM_WORLD_FIELD(disk.tear), "at a crash, probability that an unsynced write is torn", 0, 1)
      .real("disk.reorder", DETSIM_WORLD_FIELD(disk.reorder),
            "at a crash, probability that an unsynced operation persists anyway, out of order", 0, 1)
      .boolean("disk.fault_budget", DETSIM_WORLD_FIELD(disk.fault_budget),
               "corrupt a sector only while another server holds it intact (TigerBeetle)");
}

void bind_clock(ParamBindings<WorldParams>& b) {
  b.duration("clock.offset_max", DETSIM_WORLD_FIELD(clock.offset_max),
             "each wall clock starts off by uniform(-max, +max)", 0, kDaySeconds)
      .real("clock.drift_max_ppm", DETSIM_WORLD_FIELD(clock.drift_max_ppm),
            "each clock's rate error, uniform in (-max, +max) ppm", 0, 100000)
      .boolean("clock.ntp", DETSIM_WORLD_FIELD(clock.ntp), "NTP: step large clock errors, slew small ones")
      .duration("clock.ntp_interval", DETSIM_WORLD_FIELD(clock.ntp_interval), "time between NTP polls", 0.001,
                kDaySeconds);
}

void bind_node_faults(ParamBindings<WorldParams>& b) {
  b.duration("faults.crash_interval", DETSIM_WORLD_FIELD(faults.crash_interval), interval_doc("server crashes"), 0,
             kDaySeconds)
      .duration("faults.power_interval", DETSIM_WORLD_FIELD(faults.power_interval),
                interval_doc("power losses (every server crashes at once)"), 0, kDaySeconds)
      .duration("faults.rolling_interval", DETSIM_WORLD_FIELD(faults.rolling_interval),
                interval_doc("rolling restarts (every server in turn, down at most 1s)"), 0, kDaySeconds)
      .duration("faults.power_fsync_interval", DETSIM_WORLD_FIELD(faults.power_fsync_interval),
                interval_doc("power losses on k servers, each as its next fsync starts"), 0, kDaySeconds)
      .integer("faults.power_fsync_nodes", DETSIM_WORLD_FIELD(faults.power_fsync_nodes),
               "servers a power_fsync strikes, at most (k uniform from 1; -1: every server)", -1, 1000)
      .distribution("faults.down_time", DETSIM_WORLD_FIELD(faults.down_time), "how long a crashed server stays down")
      .integer("faults.max_down", DETSIM_WORLD_FIELD(faults.max_down), "servers down at once, at most (-1: a minority)",
               -1, 1000)
      .duration("faults.rejoin_time", DETSIM_WORLD_FIELD(faults.rejoin_time),
                "for max_down, a restarted server counts as down this much longer (time to rejoin)", 0, kDaySeconds)
      .duration("faults.pause_interval", DETSIM_WORLD_FIELD(faults.pause_interval),
                interval_doc("server pauses (GC or VM stalls)"), 0, kDaySeconds)
      .distribution("faults.pause_length", DETSIM_WORLD_FIELD(faults.pause_length), "how long a pause lasts");
}

void bind_network_faults(ParamBindings<WorldParams>& b) {
  b.duration("faults.partition_interval", DETSIM_WORLD_FIELD(faults.partition_interval),
             interval_doc("partitions (halves, isolate, bridge, minority, one-way, majorities ring, flapping link)"), 0,
             kDaySeconds)
      .distribution("faults.partition_length", DETSIM_WORLD_FIELD(faults.partition_length),
                    "how long a partition lasts")
      .real("faults.partition_clients", DETSIM_WORLD_FIELD(faults.partition_clients),
            "probability a partition also puts clients on its sides (each on a random side with odds 1/2)", 0, 1)
      .duration("faults.clog_interval", DETSIM_WORLD_FIELD(faults.clog_interval), interval_doc("clogged links"), 0,
                kDaySeconds)
      .distribution("faults.clog_length", DETSIM_WORLD_FIELD(faults.clog_length), "how long a clog lasts")
      .distribution("faults.clog_delay", DETSIM_WORLD_FIELD(faults.clog_delay), "extra delay on a clogged link");
}

void bind_disk_faults(ParamBindings<WorldParams>& b) {
  b.duration("faults.corrupt_interval", DETSIM_WORLD_FIELD(faults.corrupt_interval),
             interval_doc("latent sector corruptions"), 0, kDaySeconds)
      .duration("faults.misdirect_interval", DETSIM_WORLD_FIELD(faults.misdirect_interval),
                interval_doc("misdirected writes"), 0, kDaySeconds)
      .duration("faults.disk_full_interval", DETSIM_WORLD_FIELD(faults.disk_full_interval),
                interval_doc("disk-full spells"), 0, kDaySeconds)
      .distribution("faults.disk_full_length", DETSIM_WORLD_FIELD(faults.disk_full_length),
                    "how long a disk stays full")
      .duration("faults.disk_slow_interval", DETSIM_WORLD_FIELD(faults.disk_slow_interval),
                interval_doc("slow-disk spells"), 0, kDaySeconds)
      .distribution("faults.disk_slow_length", DETSIM_WORLD_FIELD(faults.disk_slow_length),
                    "how long a disk stays slow")
      .integer("faults.disk_slow_factor", DETSIM_WORLD_FIELD(faults.disk_slow_factor),
               "latency multiplier of a slow disk", 1, kDiskSlowFactorMax);
}

void bind_clock_faults(ParamBindings<WorldParams>& b) {
  b.duration("faults.clock_jump_interval", DETSIM_WORLD_FIELD(faults.clock_jump_interval),
             interval_doc("wall-clock jumps"), 0, kDaySeconds)
      .distribution("faults.clock_jump_size", DETSIM_WORLD_FIELD(faults.clock_jump_size),
                    "size of a jump; forwards or backwards with equal odds")
      .duration("faults.clock_drift_interval", DETSIM_WORLD_FIELD(faults.clock_drift_interval),
                interval_doc("clock drift changes"), 0, kDaySeconds)
      .integer("faults.clock_drift_max_ppm", DETSIM_WORLD_FIELD(faults.clock_drift_max_ppm),
               "a new drift is uniform in [-max, max] ppm", 0, 100000);
}

void bind_shapes_and_swarm(ParamBindings<WorldParams>& b) {
  b.duration("faults.shape_interval", DETSIM_WORLD_FIELD(faults.shape_interval),
             interval_doc("role shapes: isolate the role's holder (with some clients), figure8, kill, pause, "
                          "clock-jump it or flap one of its links"),
             0, kDaySeconds)
      .distribution("faults.shape_length", DETSIM_WORLD_FIELD(faults.shape_length),
                    "how long a shape's isolation, pause or down time lasts")
      .text("faults.shape_role", DETSIM_WORLD_FIELD(faults.shape_role), "the role shapes aim at (Context::set_role)",
            check_role)
      .boolean("faults.swarm", DETSIM_WORLD_FIELD(faults.swarm),
               "swarm testing: each seed runs a random subset of the configured fault families")
      .boolean("swarm.timing", DETSIM_WORLD_FIELD(timing_swarm),
               "timing swarm: each seed draws every swarmed knob (listed with its values) that the "
               "scenario and --set leave unset")
      .text("faults.schedule", DETSIM_WORLD_FIELD(schedule),
            "a fixed fault schedule instead of the generated one (--faults FILE; \"none\": no faults)", check_schedule);
}

// Same-instant order and timer jitter: sim/core/sched_order.h and
// docs/engine.md "Scheduling exploration".
void bind_sched(ParamBindings<WorldParams>& b) {
  b.choice("sched.policy", DETSIM_WORLD_FIELD(sched.policy),
           "order of events due at one instant: fifo (scheduling order), random, pct (PCT priorities)",
           {{"fifo", SchedPolicy::fifo}, {"random", SchedPolicy::random}, {"pct", SchedPolicy::pct}})
      // The timing swarm explores the same-instant orders too.
      .swarm({"fifo", "random", "pct"})
      .integer("sched.pct_depth", DETSIM_WORLD_FIELD(sched.pct_depth), "PCT's bug depth d: d-1 priority change points",
               1, SchedOrder::kDepthMax)
      .integer("sched.pct_steps", DETSIM_WORLD_FIELD(sched.pct_steps),
               "PCT draws its change points among the first this-many events", SchedOrder::kDepthMax, 1e12)
      .duration("sched.jitter", DETSIM_WORLD_FIELD(sched.jitter),
                "timers fire late by uniform [0, jitter] (0s: off); never earlier", 0, 60)
      .swarm({"0s", "0s", "100us"});
}

#undef DETSIM_WORLD_FIELD

ParamBindings<WorldParams> make_world_bindings() {
  ParamBindings<WorldParams> b;
  bind_run(b);
  bind_network(b);
  bind_disk(b);
  bind_clock(b);
  bind_node_faults(b);
  bind_network_faults(b);
  bind_disk_faults(b);
  bind_clock_faults(b);
  bind_shapes_and_swarm(b);
  bind_sched(b);
  return b;
}

}  // namespace

WorldParams::WorldParams() : faults(default_faults()) {}

const ParamBindings<WorldParams>& world_bindings() {
  static const ParamBindings<WorldParams> bindings = make_world_bindings();
  return bindings;
}

const std::vector<ParamSpec>& world_param_specs() {
  static const std::vector<ParamSpec> specs = world_bindings().specs();
  return specs;
}

WorldOptions world_options(const Params& p, Time heal_at, Time end_at) {
  const WorldParams w = world_bindings().read(p);
  WorldOptions options;
  options.heal_at = heal_at;
  options.end_at = end_at;
  options.network = w.net;
  options.disk = w.disk;
  options.clock = w.clock;
  options.buggify = w.buggify;
  options.buggify_fire_probability = w.buggify_probability;
  return options;
}

std::vector<LinkOverride> link_overrides(const Params& p) {
  std::string error;
  auto overrides = parse_link_overrides(p.text("net.links"), &error);
  // Invariant: the text passed check_links when the parameter was set.
  DETSIM_ASSERT(overrides.has_value());
  return *overrides;
}

NemesisOptions nemesis_options(const Params& p) { return world_bindings().read(p).faults; }

SchedOptions sched_options(const Params& p) { return world_bindings().read(p).sched; }

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
