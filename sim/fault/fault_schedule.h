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
  crash, restart, pause,  // node
  partition, heal,        // network: heal ends all partitions and clogs (not crashes)
  clog,                   // link node -> peer: + amount delay, for length
  corrupt,                // disk of node: one durable sector; value = which (pick, modulo eligible count)
  misdirect,              // disk of node: the next write lands at a wrong offset
  disk_full,              // disk of node is full for length
  disk_slow,              // disk of node: latency x value, for length
  clock_jump,             // node's wall clock += amount (may be negative)
  clock_drift,            // node's wall clock drift becomes value ppm (may be negative)
};
inline constexpr int kFaultKindCount = static_cast<int>(FaultKind::clock_drift) + 1;
const char* to_string(FaultKind kind);
std::optional<FaultKind> parse_fault_kind(std::string_view name);

struct FaultAction {
  Time at;
  FaultKind kind = FaultKind::crash;
  NodeId node;
  Duration length;      // pause, clog, disk_full, disk_slow
  NodeId peer;          // clog destination
  Duration amount;      // clog extra delay; clock_jump offset (signed)
  int64_t value = 0;    // corrupt pick; disk_slow factor; clock_drift ppm
  std::vector<std::vector<NodeId>> groups;  // partition: nodes in different groups are cut
  bool one_way = false;  // partition: only groups[0] -> the other groups is cut
  auto operator<=>(const FaultAction&) const = default;
};

// "" if the action is well formed on its own (node indexes aside), else a
// reason: partitions need two or more nonempty groups and no node twice, a
// clog's peer differs from its node, lengths are positive (a pause's may be
// zero), a corrupt pick is not negative, a disk_slow factor is at least 1.
std::string check_action(const FaultAction& action);
// One action in the text form above.
std::string to_short_string(const FaultAction& action);

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

  // Every node index is below node_count and every action passes
  // check_action; otherwise false and a one-line reason.
  bool validate(size_t node_count, std::string* error) const;
};

}  // namespace detsim
