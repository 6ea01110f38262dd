#include "sim/fault/nemesis.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "sim/core/assert.h"

namespace detsim {
namespace {

// Generated faults land on whole milliseconds: the schedule a failure
// prints then reads "1.204s crash n2", not "1.204137912s crash n2", and
// nothing a fault can reveal depends on sub-millisecond placement.
Time round_to_ms(Time t) {
  constexpr int64_t kMs = 1'000'000;
  return Time::from_ns((t.count_ns() + kMs / 2) / kMs * kMs);
}

Duration round_to_ms(Duration d) { return round_to_ms(Time::zero() + d).since_start(); }

// A sampled length on whole ms, at least 1ms (a zero-length fault would not
// validate), ending no later than heal_at.
Duration sample_length(Rng& rng, const DurationDist& dist, Time t, Time heal_at) {
  DETSIM_ASSERT(t < heal_at);
  return std::min(std::max(round_to_ms(dist.sample(rng)), Duration::milliseconds(1)), heal_at - t);
}

// A poisson process over (0, heal_at) on whole ms: calls add(t) at each
// arrival; add returns the time the next gap starts from (t, or later for a
// fault that must end before the next begins). From a redraw point on,
// the stream is perturbed: the arrival that crosses it keeps its time, and
// what it draws and every later gap differ.
// Redraws: NemesisOptions::redraws (explore's branches).
using Redraws = std::vector<NemesisOptions::Redraw>;
template <class Add>
void each_arrival(Rng& rng, Duration interval, Time heal_at, const Redraws& redraws, Add add) {
  if (interval <= Duration::zero()) return;
  Time t = Time::zero();
  size_t redrawn = 0;
  for (;;) {
    t = round_to_ms(t + rng.exponential(interval));
    if (t >= heal_at) break;
    while (redrawn < redraws.size() && redraws[redrawn].from <= t) rng.perturb(redraws[redrawn++].salt);
    const Time next = add(t);
    // Invariant: time only moves forward, so the loop ends.
    DETSIM_ASSERT(next >= t);
    t = next;
  }
}

FaultAction action_at(Time at, FaultKind kind, NodeId node) {
  FaultAction action;
  action.at = at;
  action.kind = kind;
  action.node = node;
  return action;
}

NodeId pick(Rng& rng, const std::vector<NodeId>& servers) { return servers[rng.below(servers.size())]; }

// When a rolling restart or a power loss during fsync may hold a server
// down: random crashes keep out of these windows and count them against
// max_down, so together they still take down at most a minority (a model
// that keeps state in memory survives no more).
struct DownWindow {
  NodeId node;
  Time from;
  Time until;
};

// Whether the window, with a restarted server counted down for `rejoin`
// more, meets [from, until).
bool overlaps(const DownWindow& window, Time from, Time until, Duration rejoin) {
  return window.until + rejoin > from && window.from < until;
}

// Whether crashing victim over [from, until) keeps max_down with the
// reserved windows: the victim has none there, and the servers that do,
// with `down` already crashed, leave room for one more.
bool fits_windows(const std::vector<DownWindow>& windows, NodeId victim, Time from, Time until, int down, int max_down,
                  Duration rejoin) {
  std::set<NodeId> busy;
  for (const DownWindow& window : windows) {
    if (!overlaps(window, from, until, rejoin)) continue;
    if (window.node == victim) return false;
    busy.insert(window.node);
  }
  return down + static_cast<int>(busy.size()) < max_down;
}

// One roll at a time, and only one that ends before heal_at.
void add_rolling_restarts(Rng& rng, const NemesisOptions& options, Duration interval,
                          const std::vector<NodeId>& servers, Time heal_at, std::vector<FaultAction>& out,
                          std::vector<DownWindow>& windows) {
  if (servers.empty()) return;
  each_arrival(rng, interval, heal_at, options.redraws, [&](Time t) {
    FaultAction action = action_at(t, FaultKind::rolling, NodeId());
    // An operator waits for a restarted server to rejoin before the next:
    // a gap shorter than a gossip or replication round would lose what a
    // memory-only model held on the servers rolled in a row, which no
    // protocol survives.
    action.amount = Duration::milliseconds(rng.uniform_int(500, 2000));
    // A rolling restart restarts quickly: an operator's upgrade, not an outage.
    const Duration down = round_to_ms(options.down_time.sample(rng));
    action.length = std::clamp(down, Duration::milliseconds(1), Duration::seconds(1));
    Time end = t;
    for (size_t i = 0; i < servers.size(); ++i) end = end + action.length + action.amount;
    if (end > heal_at) return t;
    Time from = t;
    for (NodeId server : servers) {
      windows.push_back({server, from, from + action.length});
      from = from + action.length + action.amount;
    }
    out.push_back(action);
    return end;
  });
}

// One at a time: the next arms after this one's wait and down time.
void add_power_fsync(Rng& rng, const NemesisOptions& options, Duration interval, const std::vector<NodeId>& servers,
                     Time heal_at, std::vector<FaultAction>& out, std::vector<DownWindow>& windows) {
  const auto n = static_cast<int64_t>(servers.size());
  const int64_t most = options.power_fsync_nodes < 0 ? n : std::min(n, int64_t{options.power_fsync_nodes});
  if (most < 1) return;
  each_arrival(rng, interval, heal_at, options.redraws, [&](Time t) {
    std::vector<NodeId> shuffled = servers;
    rng.shuffle(shuffled.begin(), shuffled.end());
    std::vector<NodeId> struck(shuffled.begin(), shuffled.begin() + rng.uniform_int(1, most));
    std::sort(struck.begin(), struck.end());
    FaultAction action = action_at(t, FaultKind::power_fsync, NodeId());
    action.groups = {struck};
    action.amount = std::min(Duration::seconds(1), heal_at - t);
    action.length = sample_length(rng, options.down_time, t, heal_at);
    const Time end = t + action.amount + action.length;
    // Never on top of a rolling restart: together they would take down
    // more than a minority (seed 70 of broadcast lost a 3-server cluster's
    // memory so), and a model may keep state in memory only.
    const bool on_top = std::any_of(windows.begin(), windows.end(), [&](const DownWindow& window) {
      return overlaps(window, t, end + options.rejoin_time, options.rejoin_time);
    });
    if (on_top) return end;
    out.push_back(action);
    // The loss strikes somewhere in the wait: reserve all of it.
    for (NodeId node : struck) windows.push_back({node, t, t + action.amount + action.length});
    return t + action.amount + action.length;
  });
}

// Candidate crash times; each crashes a random server that is up, if fewer
// than max_down are down, and schedules its restart. Unchanged since before
// the other families, so existing seeds keep their crashes.
void add_crashes(Rng& rng, const NemesisOptions& options, Duration interval, const std::vector<NodeId>& servers,
                 Time heal_at, const std::vector<DownWindow>& windows, std::vector<FaultAction>& out) {
  if (servers.empty()) return;
  const int minority = static_cast<int>((servers.size() - 1) / 2);
  const int max_down = options.max_down < 0 ? minority : options.max_down;
  if (max_down == 0) return;
  std::map<uint32_t, Time> down_until;  // ordered: deterministic iteration
  each_arrival(rng, interval, heal_at, options.redraws, [&](Time t) {
    std::vector<NodeId> up;
    int down = 0;
    for (NodeId server : servers) {
      auto it = down_until.find(server.index());
      // A server back for less than rejoin_time still counts as down.
      if (it != down_until.end() && it->second + options.rejoin_time > t)
        ++down;
      else
        up.push_back(server);
    }
    if (down >= max_down || up.empty()) return t;
    NodeId victim = up[rng.below(up.size())];
    Time restart_at = std::min(round_to_ms(t + options.down_time.sample(rng)), heal_at);
    if (!fits_windows(windows, victim, t, restart_at, down, max_down, options.rejoin_time)) return t;
    down_until[victim.index()] = restart_at;
    out.push_back(action_at(t, FaultKind::crash, victim));
    out.push_back(action_at(restart_at, FaultKind::restart, victim));
    return t;
  });
}

// One power loss at a time: the next starts after every server is back.
void add_power_losses(Rng& rng, const NemesisOptions& options, Duration interval, const std::vector<NodeId>& servers,
                      Time heal_at, std::vector<FaultAction>& out) {
  if (servers.empty()) return;
  each_arrival(rng, interval, heal_at, options.redraws, [&](Time t) {
    Time last_restart = t;
    for (NodeId server : servers) out.push_back(action_at(t, FaultKind::crash, server));
    for (NodeId server : servers) {
      const Time restart_at = std::min(round_to_ms(t + options.down_time.sample(rng)), heal_at);
      out.push_back(action_at(restart_at, FaultKind::restart, server));
      last_restart = std::max(last_restart, restart_at);
    }
    return last_restart;
  });
}

// Also unchanged: a pause may round to zero length, which is a no-op.
void add_pauses(Rng& rng, const NemesisOptions& options, Duration interval, const std::vector<NodeId>& servers,
                Time heal_at, std::vector<FaultAction>& out) {
  if (servers.empty()) return;
  each_arrival(rng, interval, heal_at, options.redraws, [&](Time t) {
    FaultAction action = action_at(t, FaultKind::pause, pick(rng, servers));
    action.length = std::min(round_to_ms(options.pause_length.sample(rng)), heal_at - t);
    out.push_back(action);
    return t;
  });
}

// Jepsen's client placement: clients on the sides of a partition, so one
// can be cut off with a deposed leader. Its own stream, so placing clients
// or not never moves the partitions themselves.
struct ClientPlacement {
  Rng rng;
  double probability = 0;
  const std::vector<NodeId>& clients;

  void place(FaultAction& action) {
    if (action.kind != FaultKind::partition || probability <= 0 || !rng.bernoulli(probability)) return;
    for (NodeId client : clients) {
      if (!rng.bernoulli(0.5)) continue;  // this one reaches every node
      action.groups[rng.below(action.groups.size())].push_back(client);
    }
    for (std::vector<NodeId>& group : action.groups) std::sort(group.begin(), group.end());
  }
};

// One partition at a time: the next starts only after this one's heal.
void add_partitions(Rng& rng, const NemesisOptions& options, Duration interval, const std::vector<NodeId>& servers,
                    Time heal_at, ClientPlacement& placement, std::vector<FaultAction>& out) {
  if (servers.size() < 2) return;
  std::vector<PartitionShape> shapes = {PartitionShape::halves, PartitionShape::isolate, PartitionShape::minority,
                                        PartitionShape::one_way, PartitionShape::flap};
  // A bridge needs a node in the middle and one on each side.
  if (servers.size() >= 3) shapes.push_back(PartitionShape::bridge);
  // A ring of 4 is a pair of crossed cuts; from 5 on each node's majority
  // differs from both neighbours' in a way no group partition gives.
  if (servers.size() >= 5) shapes.push_back(PartitionShape::ring);
  each_arrival(rng, interval, heal_at, options.redraws, [&](Time t) {
    PartitionShape shape = shapes[rng.below(shapes.size())];
    FaultAction action = make_partition(rng, shape, servers, t);
    Time heal = t + sample_length(rng, options.partition_length, t, heal_at);
    if (action.kind == FaultKind::flap) action.length = heal - t;
    placement.place(action);
    out.push_back(action);
    out.push_back(action_at(heal, FaultKind::heal, NodeId()));
    return heal;
  });
}

void add_clogs(Rng& rng, const NemesisOptions& options, Duration interval, const std::vector<NodeId>& servers,
               Time heal_at, std::vector<FaultAction>& out) {
  if (servers.size() < 2) return;
  each_arrival(rng, interval, heal_at, options.redraws, [&](Time t) {
    const size_t source = rng.below(servers.size());
    size_t target = rng.below(servers.size() - 1);
    if (target >= source) ++target;  // uniform over the others
    FaultAction action = action_at(t, FaultKind::clog, servers[source]);
    action.peer = servers[target];
    action.amount = round_to_ms(options.clog_delay.sample(rng));
    action.length = sample_length(rng, options.clog_length, t, heal_at);
    out.push_back(action);
    return t;
  });
}

// The simple families: a random server, then whatever fill adds.
template <class Fill>
void add_node_faults(Rng& rng, Duration interval, FaultKind kind, const std::vector<NodeId>& servers, Time heal_at,
                     const Redraws& redraws, std::vector<FaultAction>& out, Fill fill) {
  if (servers.empty()) return;
  each_arrival(rng, interval, heal_at, redraws, [&](Time t) {
    FaultAction action = action_at(t, kind, pick(rng, servers));
    fill(action);
    out.push_back(action);
    return t;
  });
}

struct Generator {
  const Rng& rng;
  const NemesisOptions& options;
  const SwarmConfig& swarm;
  const std::vector<NodeId>& servers;
  Time heal_at;
  std::vector<FaultAction>& out;

  // interval as swarm scales it; zero when the family is off.
  Duration interval(FaultFamily family, Duration configured) const {
    return swarm.active(family) ? swarm.scaled(family, configured) : Duration::zero();
  }

  template <class Fill>
  void node_faults(const char* label, FaultFamily family, Duration configured, FaultKind kind, Fill fill) {
    Rng stream = rng.fork(label);
    add_node_faults(stream, interval(family, configured), kind, servers, heal_at, options.redraws, out,
                    [&](FaultAction& action) { fill(stream, action); });
  }

  void disk_faults() {
    const FaultFamily disk = FaultFamily::disk;
    node_faults("corrupt", disk, options.corrupt_interval, FaultKind::corrupt,
                [](Rng& r, FaultAction& a) { a.value = static_cast<int64_t>(r.next_u64() >> 32); });
    node_faults("misdirect", disk, options.misdirect_interval, FaultKind::misdirect, [](Rng&, FaultAction&) {});
    node_faults("disk_full", disk, options.disk_full_interval, FaultKind::disk_full,
                [&](Rng& r, FaultAction& a) { a.length = sample_length(r, options.disk_full_length, a.at, heal_at); });
    node_faults("disk_slow", disk, options.disk_slow_interval, FaultKind::disk_slow, [&](Rng& r, FaultAction& a) {
      a.value = options.disk_slow_factor;
      a.length = sample_length(r, options.disk_slow_length, a.at, heal_at);
    });
  }

  // One of the role shapes at each arrival, on whole ms like the rest.
  void shapes() {
    Rng stream = rng.fork("shape");
    // figure8 twice: it bites only when the partial replication, the crash
    // and the second strike line up, so it needs more tries than the others
    // (with one entry, adding flap took raft_kv's commit_previous_term catch
    // from 7 to 6 of 200 seeds; with two it is 12).
    constexpr FaultKind kShapes[] = {FaultKind::isolate,    FaultKind::figure8, FaultKind::kill,   FaultKind::pause,
                                     FaultKind::clock_jump, FaultKind::flap,    FaultKind::figure8};
    each_arrival(stream, interval(FaultFamily::shape, options.shape_interval), heal_at, options.redraws, [&](Time t) {
      FaultAction action = action_at(t, kShapes[stream.below(std::size(kShapes))], NodeId());
      action.role = options.shape_role;
      action.length = sample_length(stream, options.shape_length, t, heal_at);
      if (action.kind == FaultKind::isolate) action.value = static_cast<int64_t>(stream.below(3));
      if (action.kind == FaultKind::figure8) {
        action.amount = Duration::milliseconds(stream.uniform_int(5, 150));
        // The second strike: the next leader dies a few ms after its claim,
        // before its own entries spread (Figure 8's second step).
        action.value = stream.uniform_int(1, 8);
      }
      if (action.kind == FaultKind::clock_jump) {
        const bool backwards = stream.bernoulli(0.5);
        const Duration size = round_to_ms(options.clock_jump_size.sample(stream));
        action.amount = backwards ? -size : size;
      }
      if (action.kind == FaultKind::flap) {
        // The holder's link to a random server, flapping around the election timeout.
        action.peer = pick(stream, servers);
        action.amount = Duration::milliseconds(stream.uniform_int(20, 400));
      }
      out.push_back(action);
      return t;
    });
  }

  void clock_faults() {
    const FaultFamily clock = FaultFamily::clock;
    node_faults("clock_jump", clock, options.clock_jump_interval, FaultKind::clock_jump, [&](Rng& r, FaultAction& a) {
      const bool backwards = r.bernoulli(0.5);
      const Duration size = round_to_ms(options.clock_jump_size.sample(r));
      a.amount = backwards ? -size : size;
    });
    const int64_t max_ppm = options.clock_drift_max_ppm;
    node_faults("clock_drift", clock, options.clock_drift_interval, FaultKind::clock_drift,
                [&](Rng& r, FaultAction& a) { a.value = r.uniform_int(-max_ppm, max_ppm); });
  }
};

std::array<bool, kFaultFamilyCount> configured_families(const NemesisOptions& o) {
  auto on = [](Duration interval) { return interval > Duration::zero(); };
  std::array<bool, kFaultFamilyCount> configured{};
  configured[static_cast<size_t>(FaultFamily::crash)] =
      on(o.crash_interval) || on(o.power_interval) || on(o.rolling_interval) || on(o.power_fsync_interval);
  configured[static_cast<size_t>(FaultFamily::pause)] = on(o.pause_interval);
  configured[static_cast<size_t>(FaultFamily::partition)] = on(o.partition_interval);
  configured[static_cast<size_t>(FaultFamily::clog)] = on(o.clog_interval);
  configured[static_cast<size_t>(FaultFamily::disk)] =
      on(o.corrupt_interval) || on(o.misdirect_interval) || on(o.disk_full_interval) || on(o.disk_slow_interval);
  configured[static_cast<size_t>(FaultFamily::clock)] = on(o.clock_jump_interval) || on(o.clock_drift_interval);
  configured[static_cast<size_t>(FaultFamily::shape)] = on(o.shape_interval);
  return configured;
}

// Splits shuffled at cut into two sorted groups (sorted: easier to read).
void cut_into(FaultAction& action, std::vector<NodeId>::iterator begin, std::vector<NodeId>::iterator cut,
              std::vector<NodeId>::iterator end) {
  DETSIM_ASSERT(begin < cut);
  DETSIM_ASSERT(cut < end);
  action.groups = {std::vector<NodeId>(begin, cut), std::vector<NodeId>(cut, end)};
  for (std::vector<NodeId>& group : action.groups) std::sort(group.begin(), group.end());
}

}  // namespace

const char* to_string(PartitionShape shape) {
  switch (shape) {
    case PartitionShape::halves: return "halves";
    case PartitionShape::isolate: return "isolate";
    case PartitionShape::bridge: return "bridge";
    case PartitionShape::minority: return "minority";
    case PartitionShape::one_way: return "one_way";
    case PartitionShape::ring: return "ring";
    case PartitionShape::flap: return "flap";
  }
  return "?";
}

FaultAction make_partition(Rng& rng, PartitionShape shape, const std::vector<NodeId>& servers, Time at) {
  const int64_t n = static_cast<int64_t>(servers.size());
  DETSIM_ASSERT(n >= 2);
  std::vector<NodeId> shuffled = servers;
  rng.shuffle(shuffled.begin(), shuffled.end());
  FaultAction action = action_at(at, FaultKind::partition, NodeId());
  auto begin = shuffled.begin();
  switch (shape) {
    case PartitionShape::halves: cut_into(action, begin, begin + n / 2, shuffled.end()); break;
    case PartitionShape::isolate: cut_into(action, begin, begin + 1, shuffled.end()); break;
    case PartitionShape::minority:
      cut_into(action, begin, begin + rng.uniform_int(1, std::max<int64_t>(1, (n - 1) / 2)), shuffled.end());
      break;
    case PartitionShape::bridge:
      // The last node is left out of both groups: it talks to both sides
      // (Jepsen's "bridge"), so the sides can each reach it but not each other.
      DETSIM_ASSERT(n >= 3);
      cut_into(action, begin, begin + (n - 1) / 2, shuffled.end() - 1);
      break;
    case PartitionShape::one_way:
      cut_into(action, begin, begin + rng.uniform_int(1, n - 1), shuffled.end());
      action.one_way = true;
      break;
    case PartitionShape::ring:
      DETSIM_ASSERT(n >= 4);
      action.kind = FaultKind::ring;
      action.groups = {shuffled};  // the shuffled order is the ring
      break;
    case PartitionShape::flap:
      action.kind = FaultKind::flap;
      action.node = shuffled[0];
      action.peer = shuffled[1];
      action.amount = Duration::milliseconds(rng.uniform_int(20, 400));
      action.length = action.amount;  // one period; the caller sets the real length
      break;
  }
  // Invariant: a generated partition always validates.
  DETSIM_ASSERT(check_action(action).empty());
  return action;
}

NemesisPlan generate_nemesis(Rng rng, const NemesisOptions& options, const std::vector<NodeId>& servers, Time heal_at,
                             const std::vector<NodeId>& clients) {
  DETSIM_ASSERT(options.disk_slow_factor >= 1);
  DETSIM_ASSERT(options.clock_drift_max_ppm >= 0);
  NemesisPlan plan;
  plan.swarm = choose_swarm(rng.fork("swarm"), options.swarm, configured_families(options));
  // Invariant: redraw points ascend (explore's branch paths do).
  DETSIM_ASSERT(std::is_sorted(options.redraws.begin(), options.redraws.end(),
                               [](const auto& a, const auto& b) { return a.from < b.from; }));

  std::vector<FaultAction>& out = plan.schedule.actions;
  Generator generator{rng, options, plan.swarm, servers, heal_at, out};
  // Crashes, then pauses, first: equal times keep this order in the stable
  // sort, as they did before the other families.
  // Rolling restarts and power losses during fsync first, so random crashes
  // keep out of their windows; their actions go after the crashes'.
  std::vector<FaultAction> rolls;
  std::vector<DownWindow> windows;
  Rng rolling_rng = rng.fork("rolling");
  add_rolling_restarts(rolling_rng, options, generator.interval(FaultFamily::crash, options.rolling_interval), servers,
                       heal_at, rolls, windows);
  Rng power_fsync_rng = rng.fork("power_fsync");
  add_power_fsync(power_fsync_rng, options, generator.interval(FaultFamily::crash, options.power_fsync_interval),
                  servers, heal_at, rolls, windows);
  Rng crash_rng = rng.fork("crash");
  add_crashes(crash_rng, options, generator.interval(FaultFamily::crash, options.crash_interval), servers, heal_at,
              windows, out);
  out.insert(out.end(), rolls.begin(), rolls.end());
  Rng power_rng = rng.fork("power");
  add_power_losses(power_rng, options, generator.interval(FaultFamily::crash, options.power_interval), servers, heal_at,
                   out);
  Rng pause_rng = rng.fork("pause");
  add_pauses(pause_rng, options, generator.interval(FaultFamily::pause, options.pause_interval), servers, heal_at, out);
  Rng partition_rng = rng.fork("partition");
  ClientPlacement placement{rng.fork("partition_clients"), options.partition_clients, clients};
  // Swarm: half the seeds keep every client connected to every side.
  if (options.swarm && !rng.fork("partition_clients_swarm").bernoulli(0.5)) placement.probability = 0;
  add_partitions(partition_rng, options, generator.interval(FaultFamily::partition, options.partition_interval),
                 servers, heal_at, placement, out);
  if (options.partition_clients > 0 && !clients.empty() && plan.swarm.family(FaultFamily::partition).configured) {
    plan.client_placement = placement.probability > 0 ? "partition_clients on" : "partition_clients off";
  }
  Rng clog_rng = rng.fork("clog");
  add_clogs(clog_rng, options, generator.interval(FaultFamily::clog, options.clog_interval), servers, heal_at, out);
  generator.disk_faults();
  generator.clock_faults();
  generator.shapes();
  plan.schedule.sort();
  return plan;
}

}  // namespace detsim
