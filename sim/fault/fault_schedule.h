// The nemesis's plan as data: a timed list of actions. A schedule is either
// generated from the seed (sim/fault/nemesis.h) or given (by a test, or a
// file through --faults), printed in short form when a run fails, and
// applied by the world.
//
// Text form of one action (fault_text.cc reads and writes it):
//
//   TIME crash NODE                  1.2s crash n2
//   TIME restart NODE                3.9s restart n2
//   TIME pause NODE LENGTH           5s pause n1 200ms
//   TIME partition GROUP|GROUP...    2s partition n0,n1|n2,n3,n4   (nodes not listed stay connected)
//   TIME partition GROUP>GROUP...    2s partition n0>n1,n2         (one way: only n0 -> n1,n2 is cut)
//   TIME heal                        3s heal
//   TIME clog NODE>PEER DELAY LENGTH 4s clog n1>n2 300ms 2s
//   TIME corrupt NODE PICK           5s corrupt n2 17
//   TIME misdirect NODE              5s misdirect n2
//   TIME disk_full NODE LENGTH       6s disk_full n2 2s
//   TIME disk_slow NODE FACTORx LEN  6s disk_slow n2 10x 2s
//   TIME clock_jump NODE [-]DURATION 7s clock_jump n1 -2s
//   TIME clock_drift NODE [-]Nppm    8s clock_drift n1 -200ppm
//   TIME isolate ROLE LENGTH K       9s isolate @leader 2s 1  (cut ROLE's holder and K random clients
//                                                             from the other servers for LENGTH)
//   TIME figure8 ROLE DELAY DOWN N   9s figure8 @leader 80ms 1s 3 (cut ROLE's holder and one random
//                                    server from the rest; DELAY later crash the holder; DOWN later
//                                    restart it and heal; the next node to claim ROLE is crashed N ms
//                                    after its claim (0: not), for DOWN: Raft's Figure 8)
//   TIME kill ROLE DOWN              9s kill @leader 1s  (crash ROLE's holder, restart it DOWN later)
//   TIME ring NODE,NODE,...          2s ring n0,n2,n4,n1,n3  (Jepsen's majorities ring over the nodes in
//                                    this ring order: each sees its ring neighbours out to a majority,
//                                    no two neighbours see the same majority; see ring_cuts, links.h)
//   TIME flap NODE PEER LEN PERIOD   2s flap n1 n3 2s 200ms  (the link n1<->n3 is cut for PERIOD, up for
//                                    PERIOD, cut again... for LEN; NODE may be @ROLE: if PEER then holds
//                                    the role, the server after it stands in)
//   TIME rolling GAP DOWN            2s rolling 500ms 1s  (rolling restart: each server in index order
//                                    crashes, restarts DOWN later, and the next crashes GAP after that)
//   TIME power_fsync NODES WAIT DOWN 2s power_fsync n0,n2 1s 800ms  (each node loses power at the
//                                    moment its next fsync starts, or WAIT later if none does; each
//                                    restarts DOWN after its own loss)
//
// A shape names a ROLE (@leader), not a node: the world resolves it when
// the action is applied, to the node that most recently claimed the role
// with Context::set_role and still holds it (nothing happens if none does).
// pause, clock_jump and flap take @ROLE in place of NODE too. So a saved
// schedule replays the same run, and a shrunk one still aims at the leader.
//
// GROUP is NODE[,NODE...]; after '>' further groups are separated by '|'.
// TIME and durations use parse_duration/format_duration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/node_id.h"
#include "sim/core/time.h"

namespace detsim {

enum class FaultKind {
  crash,
  restart,
  pause,  // node
  partition,
  heal,         // network: heal ends all partitions and clogs (not crashes)
  clog,         // link node -> peer: + amount delay, for length
  corrupt,      // disk of node: one durable sector; value = which (pick, modulo eligible count)
  misdirect,    // disk of node: the next write lands at a wrong offset
  disk_full,    // disk of node is full for length
  disk_slow,    // disk of node: latency x value, for length
  clock_jump,   // node's wall clock += amount (may be negative)
  clock_drift,  // node's wall clock drift becomes value ppm (may be negative)
  isolate,      // shapes, on the holder of role (see above)
  figure8,
  kill,
  ring,         // groups[0]: the ring order (Jepsen's majorities ring)
  flap,         // link node <-> peer (node may be a role): cut and healed every amount, for length
  rolling,      // every server in turn: crash, restart length later, the next amount after that
  power_fsync,  // each of groups[0] loses power at its next fsync start, or amount later; down length
};
inline constexpr int kFaultKindCount = static_cast<int>(FaultKind::power_fsync) + 1;
// Whether the kind is a shape: it names a role, never a node.
inline bool is_shape(FaultKind kind) {
  return kind == FaultKind::isolate || kind == FaultKind::figure8 || kind == FaultKind::kill;
}
const char* to_string(FaultKind kind);
std::optional<FaultKind> parse_fault_kind(std::string_view name);
// A role name as Context::set_role and "@ROLE" take it: nonempty,
// lowercase letters, digits and '_'.
bool is_role_name(std::string_view name);

struct FaultAction {
  Time at;
  FaultKind kind = FaultKind::crash;
  NodeId node;
  Duration length;    // pause, clog, disk_full, disk_slow, flap; isolate; figure8, kill, rolling,
                      // power_fsync: down time
  NodeId peer;        // clog destination; flap's other end
  Duration amount;    // clog extra delay; clock_jump offset (signed); figure8 delay before the crash;
                      // flap period; rolling gap; power_fsync wait for an fsync
  int64_t value = 0;  // corrupt pick; disk_slow factor; clock_drift ppm; isolate clients
  std::vector<std::vector<NodeId>> groups;  // partition: nodes in different groups are cut; ring,
                                            // power_fsync: one group, the nodes
  bool one_way = false;                     // partition: only groups[0] -> the other groups is cut
  std::string role;                         // shapes, pause, clock_jump, flap: aim at the role's holder instead of node
  auto operator<=>(const FaultAction&) const = default;
};

// A disk_slow factor's bound, in a schedule file and in
// faults.disk_slow_factor alike; and a clock_drift action's (a generated
// one stays within faults.clock_drift_max_ppm, a smaller bound).
inline constexpr int64_t kDiskSlowFactorMax = 100000;
inline constexpr int64_t kClockDriftPpmMax = 1'000'000;

// "" if the action is well formed on its own (node indexes aside), else a
// reason: partitions need two or more nonempty groups and no node twice, a
// clog's peer differs from its node, lengths are positive (a pause's may be
// zero), a corrupt pick is not negative, a disk_slow factor is at least 1.
std::string check_action(const FaultAction& action);
// One action in the text form above.
std::string to_short_string(const FaultAction& action);

// The nodes a schedule may name. Faults touch servers only (sim/api/model.h:
// clients drive the workload, and a crashed client would corrupt its own
// history); a partition group may also hold clients, as Jepsen places
// clients on the sides of a partition. Models add their servers first, so a
// server's number does not change with the client count.
struct FaultTargets {
  std::vector<NodeId> servers;
  std::vector<NodeId> clients;
  // n0..n{count-1}, all servers.
  static FaultTargets servers_only(uint32_t count);
};

struct FaultSchedule {
  std::vector<FaultAction> actions;  // sorted by time, stable

  size_t size() const { return actions.size(); }
  // Stable sort by time: equal times keep the order they were added in.
  void sort();

  // "1.204s crash n2; 3.9s restart n2; 5s pause n1 200ms": one line, for
  // failure reports; "" for an empty schedule.
  std::string to_short_string() const;
  // Reads to_short_string()'s form back ("none" is an empty schedule);
  // nullopt and a one-line reason on bad text.
  static std::optional<FaultSchedule> parse_short(std::string_view text, std::string* error);

  // The --faults FILE form: a '#' header line, then one action per line.
  std::string to_file_text() const;
  // Accepts actions on lines and/or separated by ';', '#' comments, blank
  // lines and "none". An error reads "line 3: fault '...': expected ...".
  static std::optional<FaultSchedule> parse_file_text(std::string_view text, std::string* error);

  // Every action passes check_action and names only nodes it may touch:
  // servers, and in partition groups clients too; otherwise false and a
  // one-line reason that names the valid nodes.
  bool validate(const FaultTargets& targets, std::string* error) const;
};

}  // namespace detsim
