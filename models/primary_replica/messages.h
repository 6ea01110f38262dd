// The primary_replica model's datagrams: clients to proxies to the
// primary, binlog fetches between servers, and the manager's heartbeats
// and routing updates.
#pragma once

#include <cstdint>
#include <vector>

#include "models/primary_replica/checks.h"
#include "sim/api/message.h"

namespace detsim::primary_replica {

// One binlog event: a single-row write. `epoch` is the primary's when it
// accepted the write.
struct Event {
  Gtid gtid;
  int64_t key = 0;
  int64_t value = 0;
  int64_t epoch = 0;
};

// A GTID set as origin -> highest sequence (transactions of an origin are
// applied in order, so a prefix), flattened for the wire.
using GtidMax = std::vector<int64_t>;  // origin, seq, origin, seq, ...

enum class OpKind : uint8_t { get, put };

struct ClientOp {  // client -> proxy
  uint64_t req = 0;
  OpKind kind = OpKind::get;
  int64_t key = 0;
  int64_t value = 0;
};
struct ClientReply {  // proxy -> client
  uint64_t req = 0;
  bool found = false;  // a get: the key has a value
  int64_t value = 0;
  Gtid gtid;  // of the write the value comes from, or the write acknowledged
};
struct DbOp {  // proxy -> primary
  uint64_t req = 0;
  ClientOp op;
};
struct DbReply {  // primary -> proxy
  uint64_t req = 0;
  ClientReply reply;
};
struct Fetch {  // replica -> its source: what I have (GTID auto-positioning)
  GtidMax have;
};
struct Events {  // source -> replica
  std::vector<Event> events;
  bool errant = false;  // the replica has transactions this source never had
  GtidMax source_has;
};
struct Ack {  // replica -> source: what my relay log holds (semi-sync ACK)
  GtidMax received;
};
struct Ping {  // manager -> server: the topology
  uint64_t seq = 0;
  int64_t epoch = 0;
  int64_t primary = 0;
};
struct Pong {  // server -> manager
  uint64_t seq = 0;
  int64_t node = 0;
  int64_t epoch = 0;
  bool primary = false;       // writable primary at `epoch`
  int64_t received = 0;       // transactions in its binlog and relay log
  bool source_fresh = false;  // a replica heard from its source lately (a second vantage point)
};
struct Route {  // manager -> proxy
  int64_t epoch = 0;
  int64_t primary = 0;
};

}  // namespace detsim::primary_replica

DETSIM_MESSAGE_FORMAT(detsim::primary_replica::ClientOp, "op req={} {} k={} v={}", m.req,
                      m.kind == detsim::primary_replica::OpKind::get ? "get" : "put", m.key, m.value);
DETSIM_MESSAGE_FORMAT(detsim::primary_replica::ClientReply, "reply req={} found={} v={} gtid={}:{}", m.req, m.found,
                      m.value, m.gtid.origin, m.gtid.seq);
DETSIM_MESSAGE_FORMAT(detsim::primary_replica::DbOp, "db_op req={} k={} v={}", m.req, m.op.key, m.op.value);
DETSIM_MESSAGE_FORMAT(detsim::primary_replica::DbReply, "db_reply req={} v={}", m.req, m.reply.value);
DETSIM_MESSAGE_FORMAT(detsim::primary_replica::Fetch, "fetch have={}", m.have.size() / 2);
DETSIM_MESSAGE_FORMAT(detsim::primary_replica::Events, "events n={} errant={}", m.events.size(), m.errant);
DETSIM_MESSAGE_FORMAT(detsim::primary_replica::Ack, "ack origins={}", m.received.size() / 2);
DETSIM_MESSAGE_FORMAT(detsim::primary_replica::Ping, "ping seq={} epoch={} primary={}", m.seq, m.epoch, m.primary);
DETSIM_MESSAGE_FORMAT(detsim::primary_replica::Pong, "pong seq={} node={} epoch={} primary={} received={} fresh={}",
                      m.seq, m.node, m.epoch, m.primary, m.received, m.source_fresh);
DETSIM_MESSAGE_FORMAT(detsim::primary_replica::Route, "route epoch={} primary={}", m.epoch, m.primary);
