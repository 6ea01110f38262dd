#include "replay/fault_prose.h"

#include <fmt/format.h>

#include <algorithm>

namespace detsim {
namespace {

// Seconds with at least two decimals and at most nine: "0.80 s", "1.448 s".
std::string seconds(double value) {
  std::string text = fmt::format("{:.9f}", value);
  const size_t dot = text.find('.');
  size_t keep = text.find_last_not_of('0') + 1;
  keep = std::max(keep, dot + 3);
  return text.substr(0, keep) + " s";
}
std::string seconds(Duration d) { return seconds(d.to_seconds()); }

class Namer {
 public:
  Namer(const std::vector<std::string>& names, const std::vector<NodeId>& clients) : names_(names), clients_(clients) {}
  std::string node(NodeId id) const {
    if (id.index() < names_.size()) return names_[id.index()];
    return fmt::format("n{}", id.index());
  }
  // A node, or the holder of its role when the action aims at one.
  std::string target(const FaultAction& action) const {
    return action.role.empty() ? node(action.node) : "the holder of @" + action.role;
  }
  // Servers, then "and client(s) ..." for the clients among them.
  std::string group(const std::vector<NodeId>& nodes) const {
    std::string servers;
    std::string clients;
    size_t client_count = 0;
    for (NodeId id : nodes) {
      const bool client = std::find(clients_.begin(), clients_.end(), id) != clients_.end();
      std::string& list = client ? clients : servers;
      list += (list.empty() ? "" : ", ") + node(id);
      client_count += client ? 1 : 0;
    }
    if (clients.empty()) return servers;
    const std::string named = (client_count == 1 ? "client " : "clients ") + clients;
    return servers.empty() ? named : servers + " and " + named;
  }
  // "n0, n1 | n2 | n3, n4"
  std::string groups(const std::vector<std::vector<NodeId>>& all, size_t from) const {
    std::string text;
    for (size_t i = from; i < all.size(); ++i) text += (text.empty() ? "" : " | ") + group(all[i]);
    return text;
  }

 private:
  const std::vector<std::string>& names_;
  const std::vector<NodeId>& clients_;
};

std::string partition_prose(const FaultAction& action, const Namer& n) {
  const std::vector<std::vector<NodeId>>& groups = action.groups;
  if (groups.size() < 2) return "a partition with one side (ignored)";
  const std::string first = n.group(groups[0]);
  const char* verb = groups[0].size() == 1 ? "is" : "are";
  if (action.one_way) return fmt::format("{} can no longer send to {}", first, n.groups(groups, 1));
  if (groups.size() == 2) return fmt::format("{} {} cut off from {}", first, verb, n.group(groups[1]));
  return "the network splits into " + n.groups(groups, 0);
}

std::string figure8_prose(const FaultAction& action, const Namer& n) {
  std::string text = fmt::format(
      "Figure 8 on {}: it and one other server are cut off, it crashes {} later, restarts and all heals {} "
      "after that",
      n.target(action), seconds(action.amount), seconds(action.length));
  if (action.value > 0)
    text += fmt::format("; the next holder crashes {} after its claim", seconds(action.value / 1e3));
  return text;
}

std::string what(const FaultAction& action, const Namer& n) {
  const std::string who = n.target(action);
  switch (action.kind) {
    case FaultKind::crash: return who + " crashes";
    case FaultKind::restart: return who + " restarts";
    case FaultKind::pause: return fmt::format("{} pauses for {}", who, seconds(action.length));
    case FaultKind::partition: return partition_prose(action, n);
    case FaultKind::heal: return "the network heals: partitions and clogs end";
    case FaultKind::clog:
      return fmt::format("messages from {} to {} are delayed by {} for {}", who, n.node(action.peer),
                         seconds(action.amount), seconds(action.length));
    case FaultKind::corrupt:
      return fmt::format("a durable sector of {}'s disk is corrupted (pick {})", who, action.value);
    case FaultKind::misdirect: return who + "'s next disk write lands at a wrong offset";
    case FaultKind::disk_full: return fmt::format("{}'s disk is full for {}", who, seconds(action.length));
    case FaultKind::disk_slow:
      return fmt::format("{}'s disk is {}x slower for {}", who, action.value, seconds(action.length));
    case FaultKind::clock_jump:
      return fmt::format("{}'s wall clock jumps {} by {}", who, action.amount < Duration::zero() ? "back" : "forward",
                         seconds(action.amount < Duration::zero() ? -action.amount : action.amount));
    case FaultKind::clock_drift: return fmt::format("{}'s wall clock drifts at {} ppm", who, action.value);
    case FaultKind::isolate:
      // With no clients on its side, every client still reaches it: the
      // shape of a stale read from a deposed leader.
      if (action.value == 0) {
        return fmt::format("{} is cut off from the other servers for {}; every client still reaches it", who,
                           seconds(action.length));
      }
      return fmt::format("{} and {} random client{} are cut off from the other servers for {}", who, action.value,
                         action.value == 1 ? "" : "s", seconds(action.length));
    case FaultKind::figure8: return figure8_prose(action, n);
    case FaultKind::kill: return fmt::format("{} crashes and restarts {} later", who, seconds(action.length));
    case FaultKind::ring:
      return fmt::format("majorities ring over {}: each sees only its ring neighbours out to a majority",
                         action.groups.empty() ? "" : n.group(action.groups[0]));
    case FaultKind::flap:
      return fmt::format("the link {} <-> {} is cut and restored every {} for {}", who, n.node(action.peer),
                         seconds(action.amount), seconds(action.length));
    case FaultKind::rolling:
      return fmt::format("rolling restart: each server in turn is down for {}, the next crashes {} after",
                         seconds(action.length), seconds(action.amount));
    case FaultKind::power_fsync:
      return fmt::format("{} lose power at their next fsync (or {} later), each down for {}",
                         action.groups.empty() ? "" : n.group(action.groups[0]), seconds(action.amount),
                         seconds(action.length));
  }
  return to_short_string(action);
}

}  // namespace

std::string action_prose(const FaultAction& action, const std::vector<std::string>& names,
                         const std::vector<NodeId>& clients) {
  const Namer namer(names, clients);
  return seconds(action.at.to_seconds()) + ": " + what(action, namer);
}

std::vector<std::string> schedule_prose(const FaultSchedule& schedule, const std::vector<std::string>& names,
                                        const std::vector<NodeId>& clients) {
  std::vector<std::string> lines;
  for (const FaultAction& action : schedule.actions) lines.push_back(action_prose(action, names, clients));
  return lines;
}

}  // namespace detsim
