// Links of the simulated network. A link is one direction (from, to); each
// can override the network's latency, loss and bandwidth, be cut by a
// partition, or be clogged (FoundationDB's swizzle-clog: extra delay for a
// while). The table is sparse: a link with no override, cut, clog or
// connection traffic has no entry, so the common datagram path stays one
// empty-map check.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/api/node_id.h"
#include "sim/core/duration_dist.h"
#include "sim/core/time.h"

namespace detsim {

struct LinkOptions {
  std::optional<DurationDist> latency;
  std::optional<double> loss;  // datagrams only; connections never lose
  // bytes/s; 0: unlimited. Connection messages and datagrams alike queue
  // behind each other for size / bandwidth before their latency.
  std::optional<double> bandwidth;
};

// One clause of the text form. An invalid NodeId stands for "*": any node.
struct LinkOverride {
  NodeId from;
  NodeId to;
  bool both_directions = false;
  LinkOptions options;
};

// Parses "n0>n1 latency=const(50ms) loss=0.1; n2<>n3 bandwidth=1000000; *>n4 loss=0.5".
// Clauses are separated by ';'. Endpoints are nN or '*'; '>' is one
// direction, '<>' both. Keys: latency (a DurationDist), loss (in [0, 1]),
// bandwidth (bytes/s, >= 0; 0 is unlimited). Every clause needs at least one
// key. On bad text returns nullopt and sets *error to one line naming the
// clause and what was expected.
std::optional<std::vector<LinkOverride>> parse_link_overrides(std::string_view text, std::string* error);
// "n0>n1 latency=const(50ms) loss=0.1": what parse_link_overrides reads back.
std::string format_link_override(const LinkOverride& link);

// Jepsen's majorities ring over the nodes in ring order: a node keeps the
// links to its ring neighbours out to distance reach = majority / 2, so it
// sees 2 * reach + 1 >= a majority, and two neighbours see majorities that
// differ (each sees one node at its far end the other does not). Returns
// the pairs (a, b), a before b in ring order, to cut both ways: those at
// ring distance greater than reach. Empty for 3 or fewer nodes, where every
// node is within reach.
std::vector<std::pair<NodeId, NodeId>> ring_cuts(const std::vector<NodeId>& ring);

class LinkTable {
 public:
  struct Link {
    LinkOptions options;
    bool cut = false;
    bool flapped = false;  // cut by a flapping link; apart from cut so a flap's up phase keeps a partition
    Time clog_until;       // no clog once now >= clog_until
    Duration clog_extra;
    Time busy_until;  // bytes (connection messages, datagrams) serialize one after another
  };

  bool empty() const { return links_.empty(); }
  // nullptr when the link has no entry (everything at the network default).
  const Link* find(NodeId from, NodeId to) const;
  Link& at(NodeId from, NodeId to) { return links_[key(from, to)]; }

  // Later fields replace earlier ones; fields left empty stay as they were.
  void set_options(NodeId from, NodeId to, const LinkOptions& options);
  bool is_cut(NodeId from, NodeId to) const;
  // A flapping link's phase; returns whether it changed.
  bool set_flapped(NodeId from, NodeId to, bool flapped);
  // The extra delay a message sent now on this link gets from a clog.
  Duration clog_delay(NodeId from, NodeId to, Time now) const;
  // Removes every cut and clog; returns whether there was any.
  bool heal(Time now);

 private:
  static uint64_t key(NodeId from, NodeId to) { return (uint64_t{from.index()} << 32) | to.index(); }
  // Ordered, so any iteration is deterministic.
  std::map<uint64_t, Link> links_;
};

}  // namespace detsim
