// Generating a fault schedule from the seed. Each family of faults is a
// poisson process of its own (exponential gaps with the given mean; a zero
// interval switches the family off) drawing from its own fork of the rng,
// so switching one family on or off never moves another's faults.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/api/node_id.h"
#include "sim/core/duration_dist.h"
#include "sim/core/rng.h"
#include "sim/core/time.h"
#include "sim/fault/fault_schedule.h"
#include "sim/fault/swarm.h"

namespace detsim {

struct NemesisOptions {
  // crash: a random up server crashes and restarts after down_time.
  Duration crash_interval;
  DurationDist down_time;
  int max_down = -1;  // servers down at once, at most; -1: a minority
  // For max_down, a restarted server counts as down this much longer: a
  // model that keeps state in memory needs time to copy it back before
  // the next holder goes (0: counts as up at once, as before).
  Duration rejoin_time;
  // power loss: every server crashes at the same instant (a rack or data
  // centre losing power), and each restarts after its own down_time. It is
  // in the crash family for swarm testing; max_down does not apply.
  Duration power_interval;
  // rolling restart: every server in turn crashes for its own down_time,
  // the next one a gap (uniform 500ms..2s: time to rejoin) after the last
  // came back. In
  // the crash family; the whole roll must end before heal_at, else it is
  // left out.
  Duration rolling_interval;
  // power loss during fsync: k random servers (1..power_fsync_nodes; -1:
  // every server) each lose power when their next fsync starts (or 1s
  // later), and restart after down_time. In the crash family.
  Duration power_fsync_interval;
  int power_fsync_nodes = -1;
  // pause: a random server stalls (GC, VM) for pause_length.
  Duration pause_interval;
  DurationDist pause_length;
  // partition: a random shape over the servers, healed after partition_length.
  Duration partition_interval;
  DurationDist partition_length;
  // Probability that a partition also places clients: each client joins a
  // random side with probability 1/2 (else it reaches every node), so a
  // client can be cut off with a deposed leader. With swarm on, a seed
  // places clients at all only with probability 1/2.
  double partition_clients = 0;
  // clog: a random ordered pair of servers gets clog_delay extra latency.
  Duration clog_interval;
  DurationDist clog_length;
  DurationDist clog_delay;
  // disk, all on a random server.
  Duration corrupt_interval;  // pick: a random u32
  Duration misdirect_interval;
  Duration disk_full_interval;
  DurationDist disk_full_length;
  Duration disk_slow_interval;
  DurationDist disk_slow_length;
  int64_t disk_slow_factor = 10;  // latency multiplier, >= 1
  // clock, on a random server.
  Duration clock_jump_interval;
  DurationDist clock_jump_size;  // magnitude; the sign is a coin flip
  Duration clock_drift_interval;
  int64_t clock_drift_max_ppm = 100;  // drift uniform in [-max, max]
  // shapes aimed at a role (fault_schedule.h): isolate it (with some
  // clients), figure8, kill it, pause it, jump its clock.
  Duration shape_interval;
  DurationDist shape_length;  // isolation, pause and down times
  std::string shape_role = "leader";
  // Swarm testing (swarm.h): the seed picks which configured families run
  // and how hard.
  bool swarm = false;
  // detsim explore's branches: from each point's time on, every family's
  // stream is perturbed with its salt, so the schedule before the first
  // point is the unbranched one and the rest is redrawn (times ascending).
  struct Redraw {
    Time from;
    uint64_t salt = 0;
  };
  std::vector<Redraw> redraws;
};

// How generate_nemesis shapes a partition, each picked with equal
// probability among those the server count allows.
// ring (5 or more servers): Jepsen's majorities ring; flap: one link of two
// servers goes down and up every period (uniform 20..400ms).
enum class PartitionShape { halves, isolate, bridge, minority, one_way, ring, flap };
inline constexpr size_t kPartitionShapeCount = 7;
const char* to_string(PartitionShape shape);
// A partition action of this shape over servers (at least 2; bridge needs
// 3, ring 4). A flap's length is left for the caller to set.
FaultAction make_partition(Rng& rng, PartitionShape shape, const std::vector<NodeId>& servers, Time at);

struct NemesisPlan {
  FaultSchedule schedule;
  SwarmConfig swarm;
  // "partition_clients on" or "... off" when partition_clients and the
  // partition family are configured (the seed's draw), else "".
  std::string client_placement;
};

// Faults of the servers in [0, heal_at), on whole milliseconds. Every
// crash's restart, partition's heal and fault's length ends no later than
// heal_at, where the world restarts and heals everything anyway. With swarm
// off and only crashes and pauses configured, the schedule is the one
// generate_fault_schedule gave before the other families existed.
// clients: the nodes partition_clients may place on a side.
NemesisPlan generate_nemesis(Rng rng, const NemesisOptions& options, const std::vector<NodeId>& servers, Time heal_at,
                             const std::vector<NodeId>& clients = {});

}  // namespace detsim
