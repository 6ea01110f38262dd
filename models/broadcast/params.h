// Knobs and planted bugs of the broadcast model. The scenario loader
// validates every value against these specs before the model sees it.
#pragma once

#include <limits>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/api/model.h"
#include "sim/api/params.h"

namespace detsim::broadcast {

inline constexpr const char* kBugNoRetry = "no_retry";
inline constexpr const char* kBugAckBeforeFsync = "ack_before_fsync";
inline constexpr const char* kBugTrustWallClock = "trust_wall_clock";

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
};

inline std::vector<ParamSpec> param_specs() {
  return {
      // Three servers make every miscounted holder decisive: the acker and
      // one peer are a majority.
      swarmed(make_param("nodes", ParamType::integer, "5", "number of server nodes", 1, 64), {"3", "5"}),
      swarmed(make_param("clients", ParamType::integer, "3",
                         "number of clients, each with one broadcast in flight", 1, 64),
              {"1", "3", "8"}),
      swarmed(make_param("rate", ParamType::real, "20",
                         "broadcasts per second per client (exponential think time), > 0", 1e-9, 1e6),
              {"5", "20", "80"}),
      swarmed(make_param("gossip_interval", ParamType::duration, "100ms",
                         "how often a server re-sends each peer the values it has not confirmed", 0.001, 60),
              {"20ms", "100ms", "400ms"}),
      make_param("gossip_batch", ParamType::integer, "256", "most values carried by one Gossip message", 1,
                 1'000'000),
      swarmed(make_param("client_timeout", ParamType::duration, "500ms",
                         "how long a client waits for broadcast_ok before retrying on another server", 0.001, 3600),
              {"100ms", "500ms", "2s"}),
      swarmed(make_param("durable", ParamType::boolean, "false",
                         "log every value to disk and fsync it before it counts as held; a restart recovers the log"),
              {"false", "true"}),
      make_param("flush_interval", ParamType::duration, "200ms",
                 "with bug=ack_before_fsync: how often the background flusher fsyncs the log", 0.001, 60),
  };
}

inline std::vector<BugSpec> bug_specs() {
  return {
      {kBugNoRetry,
       "gossip each value to each peer once, when first learned, and never again; ignore "
       "restarts; ack clients at once (Maelstrom's naive broadcast): loss and crashes lose "
       "acknowledged values"},
      {kBugAckBeforeFsync,
       "durable mode, but a value counts as held (and is acknowledged) once written to the page "
       "cache; a background flusher fsyncs later: a power loss drops acknowledged values"},
      {kBugTrustWallClock,
       "gossip is deduplicated by the sender's wall-clock timestamp: a message not newer than the "
       "last one from that sender is taken for a retransmission and acknowledged unread; a clock "
       "jumping back makes peers confirm values they never stored"},
  };
}

inline BroadcastParams read_params(const Params& params) {
  BroadcastParams out;
  out.nodes = params.integer("nodes");
  out.clients = params.integer("clients");
  out.rate = params.real("rate");
  out.gossip_interval = params.duration("gossip_interval");
  out.gossip_batch = params.integer("gossip_batch");
  out.client_timeout = params.duration("client_timeout");
  out.flush_interval = params.duration("flush_interval");
  const std::string& bug = params.text("bug");
  out.no_retry = bug == kBugNoRetry;
  out.ack_before_fsync = bug == kBugAckBeforeFsync;
  out.trust_wall_clock = bug == kBugTrustWallClock;
  // The fsync bug lives in the durable mode.
  out.durable = params.boolean("durable") || out.ack_before_fsync;
  // Invariant: the loader enforced the ranges declared above.
  DETSIM_ASSERT(out.nodes >= 1);
  DETSIM_ASSERT(out.rate > 0);
  return out;
}

}  // namespace detsim::broadcast
