// Fault kinds, the checks an action must pass, and schedule validation.
// The text form lives in fault_text.cc, generation in nemesis.cc.
#include "sim/fault/fault_schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "sim/core/duration_dist.h"

namespace detsim {
namespace {

constexpr std::array<const char*, kFaultKindCount> kKindNames = {
    "crash",     "restart",   "pause",     "partition",  "heal",        "clog",    "corrupt",
    "misdirect", "disk_full", "disk_slow", "clock_jump", "clock_drift", "isolate", "figure8",
    "kill",      "ring",      "flap",      "rolling",    "power_fsync",
};

bool takes_length(FaultKind kind) {
  return kind == FaultKind::clog || kind == FaultKind::disk_full || kind == FaultKind::disk_slow || is_shape(kind) ||
         kind == FaultKind::flap || kind == FaultKind::rolling || kind == FaultKind::power_fsync;
}

// ring and power_fsync name one group of distinct nodes.
std::string check_node_list(const FaultAction& action, size_t at_least) {
  if (action.groups.size() != 1) return fmt::format("{} takes one list of nodes", to_string(action.kind));
  if (action.groups[0].size() < at_least) {
    return fmt::format("{} needs at least {} nodes", to_string(action.kind), at_least);
  }
  std::set<NodeId> seen;
  for (NodeId node : action.groups[0]) {
    if (!seen.insert(node).second) return fmt::format("{} names {} twice", to_string(action.kind), node);
  }
  return "";
}

// The kinds added with Jepsen's nemesis shapes (ring, flap, rolling,
// power_fsync); "" for any other kind.
std::string check_jepsen_shape(const FaultAction& action) {
  switch (action.kind) {
    // Three nodes in a ring all see each other: a ring of 3 cuts nothing.
    case FaultKind::ring: return check_node_list(action, 4);
    case FaultKind::power_fsync:
      if (action.amount < Duration::zero()) return "a power_fsync wait must not be negative";
      return check_node_list(action, 1);
    case FaultKind::flap:
      if (action.amount <= Duration::zero()) return "a flap needs a period > 0";
      if (action.role.empty() && action.node == action.peer) return "a flap needs two different nodes";
      return "";
    case FaultKind::rolling:
      return action.amount < Duration::zero() ? "a rolling restart's gap must not be negative" : "";
    default: return "";
  }
}

std::string check_partition(const FaultAction& action) {
  if (action.groups.size() < 2) return "a partition needs at least two groups";
  std::set<NodeId> seen;
  for (const std::vector<NodeId>& group : action.groups) {
    if (group.empty()) return "a partition's groups must not be empty";
    for (NodeId node : group) {
      if (!seen.insert(node).second) return fmt::format("{} is in a partition twice", node);
    }
  }
  return "";
}

// The node (and peer) an action names, for the range check; a partition
// names its groups' nodes and heal names none.
std::vector<NodeId> nodes_named(const FaultAction& action) {
  if (action.kind == FaultKind::flap) {
    return action.role.empty() ? std::vector{action.node, action.peer} : std::vector{action.peer};
  }
  if (action.kind == FaultKind::heal || action.kind == FaultKind::rolling || !action.role.empty()) return {};
  if (action.kind == FaultKind::partition || action.kind == FaultKind::ring || action.kind == FaultKind::power_fsync) {
    std::vector<NodeId> nodes;
    for (const std::vector<NodeId>& group : action.groups) nodes.insert(nodes.end(), group.begin(), group.end());
    return nodes;
  }
  if (action.kind == FaultKind::clog) return {action.node, action.peer};
  return {action.node};
}

}  // namespace

const char* to_string(FaultKind kind) {
  auto index = static_cast<size_t>(kind);
  if (index >= kKindNames.size()) return "?";
  return kKindNames[index];
}

std::optional<FaultKind> parse_fault_kind(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (name == kKindNames[i]) return static_cast<FaultKind>(i);
  }
  return std::nullopt;
}

bool is_role_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string check_action(const FaultAction& action) {
  if (action.at < Time::zero()) return "time must not be negative";
  // Times and spans past kLongestDuration would overflow once added to the
  // clock or to each other.
  const std::string longest = format_duration(kLongestDuration);
  if (action.at > Time::zero() + kLongestDuration) return "time must be at most " + longest;
  if (action.length > kLongestDuration) return "a length must be at most " + longest;
  if (action.amount > kLongestDuration || action.amount < -kLongestDuration) {
    return "a delay, size or period must be within " + longest + " either way";
  }
  if (action.kind == FaultKind::disk_slow && action.value > kDiskSlowFactorMax) {
    return fmt::format("a disk_slow factor must be at most {}", kDiskSlowFactorMax);
  }
  if (action.kind == FaultKind::clock_drift &&
      (action.value > kClockDriftPpmMax || action.value < -kClockDriftPpmMax)) {
    return fmt::format("a clock drift must be within {} ppm either way", kClockDriftPpmMax);
  }
  if (action.kind == FaultKind::partition) return check_partition(action);
  if (action.kind == FaultKind::pause && action.length < Duration::zero()) return "a pause length must not be negative";
  // A generated pause can round to zero length; it is a harmless no-op and
  // must survive a save and a load. The other lengths are written by hand
  // or clamped to 1ms when generated.
  if (takes_length(action.kind) && action.length <= Duration::zero()) {
    return fmt::format("{} needs a length > 0", to_string(action.kind));
  }
  if (action.kind == FaultKind::clog && action.node == action.peer) return "a clog needs two different nodes";
  if (action.kind == FaultKind::clog && action.amount < Duration::zero()) return "a clog delay must not be negative";
  if (action.kind == FaultKind::corrupt && action.value < 0) return "a corrupt pick must not be negative";
  if (action.kind == FaultKind::disk_slow && action.value < 1) return "a disk_slow factor must be at least 1";
  if (is_shape(action.kind) && action.role.empty())
    return fmt::format("{} needs a role like @leader", to_string(action.kind));
  if (action.kind == FaultKind::isolate && action.value < 0) return "an isolate's client count must not be negative";
  if (action.kind == FaultKind::figure8 && action.amount < Duration::zero())
    return "a figure8 delay must not be negative";
  if (action.kind == FaultKind::figure8 && action.value < 0) return "a figure8 next-claim delay must not be negative";
  return check_jepsen_shape(action);
}

void FaultSchedule::sort() {
  std::stable_sort(actions.begin(), actions.end(),
                   [](const FaultAction& x, const FaultAction& y) { return x.at < y.at; });
}

FaultTargets FaultTargets::servers_only(uint32_t count) {
  FaultTargets targets;
  for (uint32_t i = 0; i < count; ++i) targets.servers.push_back(NodeId(i));
  return targets;
}

namespace {

// "n0..n4" for a run of consecutive nodes, else "n0,n2,n5".
std::string describe_nodes(const std::vector<NodeId>& nodes) {
  bool consecutive = nodes.size() > 2;
  for (size_t i = 1; i < nodes.size() && consecutive; ++i) consecutive = nodes[i].index() == nodes[0].index() + i;
  if (consecutive) return fmt::format("{}..{}", nodes.front(), nodes.back());
  return fmt::format("{}", fmt::join(nodes, ","));
}

std::string describe_targets(const FaultTargets& targets) {
  if (targets.servers.empty()) return "the world has no servers";
  std::string text = "faults may name servers " + describe_nodes(targets.servers);
  if (!targets.clients.empty()) text += "; partition groups may also hold clients " + describe_nodes(targets.clients);
  return text;
}

bool contains(const std::vector<NodeId>& nodes, NodeId node) {
  return std::find(nodes.begin(), nodes.end(), node) != nodes.end();
}

// Why `action` may not name `node`, or "" if it may.
std::string check_target(const FaultAction& action, NodeId node, const FaultTargets& targets) {
  if (contains(targets.servers, node)) return "";
  if (contains(targets.clients, node)) {
    if (action.kind == FaultKind::partition) return "";
    return fmt::format("{} is a client, and faults never touch clients ({})", node, describe_targets(targets));
  }
  return fmt::format("there is no node {} ({})", node, describe_targets(targets));
}

}  // namespace

bool FaultSchedule::validate(const FaultTargets& targets, std::string* error) const {
  for (const FaultAction& action : actions) {
    std::string why = check_action(action);
    for (NodeId node : nodes_named(action)) {
      if (!why.empty()) break;
      why = check_target(action, node, targets);
    }
    if (!why.empty()) {
      if (error != nullptr) *error = fmt::format("fault '{}': {}", detsim::to_short_string(action), why);
      return false;
    }
  }
  return true;
}

}  // namespace detsim
