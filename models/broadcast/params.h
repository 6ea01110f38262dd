// Knobs and planted bugs of the broadcast model. The scenario loader
// validates every value against these specs before the model sees it.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sim/api/bindings.h"

namespace detsim::broadcast {

struct BroadcastParams {
  int64_t nodes = 5;
  int64_t clients = 3;
  double rate = 20;  // operations per second, per client
  Duration gossip_interval = Duration::milliseconds(100);
  int64_t gossip_batch = 256;  // values per Gossip message, at most
  Duration client_timeout = Duration::milliseconds(500);
  // Durable mode: values are logged and fsynced before they count as held
  // here, and a restarted node recovers them from its disk.
  bool durable = false;
  Duration flush_interval = Duration::milliseconds(200);  // ack_before_fsync's background fsync
  // The planted bugs.
  bool no_retry = false;
  bool ack_before_fsync = false;
  bool trust_wall_clock = false;
  friend bool operator==(const BroadcastParams&, const BroadcastParams&) = default;
};

// Every knob and planted bug, declared once (sim/api/bindings.h).
inline const ParamBindings<BroadcastParams>& bindings() {
  using P = BroadcastParams;
  static const auto b =
      ParamBindings<P>()
          // Three servers make every miscounted holder decisive: the acker and
          // one peer are a majority.
          .integer("nodes", &P::nodes, "number of server nodes", 1, 64)
          .swarm({"3", "5"})
          .integer("clients", &P::clients, "number of clients, each with one broadcast in flight", 1, 64)
          .swarm({"1", "3", "8"})
          .real("rate", &P::rate, "broadcasts per second per client (exponential think time), > 0", 1e-9, 1e6)
          .swarm({"5", "20", "80"})
          .duration("gossip_interval", &P::gossip_interval,
                    "how often a server re-sends each peer the values it has not confirmed", 0.001, 60)
          .swarm({"20ms", "100ms", "400ms"})
          .integer("gossip_batch", &P::gossip_batch, "most values carried by one Gossip message", 1, 1'000'000)
          .duration("client_timeout", &P::client_timeout,
                    "how long a client waits for broadcast_ok before retrying on another server", 0.001, 3600)
          .swarm({"100ms", "500ms", "2s"})
          .boolean("durable", &P::durable,
                   "log every value to disk and fsync it before it counts as held; a restart recovers the log")
          .swarm({"false", "true"})
          .duration("flush_interval", &P::flush_interval,
                    "with bug=ack_before_fsync: how often the background flusher fsyncs the log", 0.001, 60)
          .bug("no_retry", &P::no_retry,
               "gossip each value to each peer once, when first learned, and never again; ignore "
               "restarts; ack clients at once (Maelstrom's naive broadcast): loss and crashes lose "
               "acknowledged values")
          .bug("ack_before_fsync", &P::ack_before_fsync,
               "durable mode, but a value counts as held (and is acknowledged) once written to the page "
               "cache; a background flusher fsyncs later: a power loss drops acknowledged values")
          .bug("trust_wall_clock", &P::trust_wall_clock,
               "gossip is deduplicated by the sender's wall-clock timestamp: a message not newer than the "
               "last one from that sender is taken for a retransmission and acknowledged unread; a clock "
               "jumping back makes peers confirm values they never stored");
  return b;
}

inline BroadcastParams read_params(const Params& params) {
  BroadcastParams out = bindings().read(params);
  // The fsync bug lives in the durable mode.
  out.durable = out.durable || out.ack_before_fsync;
  // Invariant: the loader enforced the ranges declared above.
  DETSIM_ASSERT(out.nodes >= 1);
  DETSIM_ASSERT(out.rate > 0);
  return out;
}

}  // namespace detsim::broadcast
