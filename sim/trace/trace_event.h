// What the world reports while it runs: the raw material of the JSONL trace,
// the space-time diagram and the Perfetto timeline. Writers implement
// TraceSink; the world formats message text only when a sink is attached.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/api/node_id.h"
#include "sim/core/time.h"

namespace detsim {

enum class TraceKind {
  boot,     // node: a node incarnation started (text: "incarnation=N")
  crash,    // node: crashed; its fibers unwind, its memory is lost
  pause,    // node: paused (text: the length)
  resume,   // node: resumed after a pause
  send,     // node -> peer: a message left (message_id, text)
  deliver,  // peer -> node: arrived (node is the receiver, peer the sender)
  drop,     // node -> peer: lost (text: why: "loss", "down")
  fault,    // a nemesis action or a world change (text)
  log,      // node: model code's ctx.log() line (text)
  verdict,  // the run's end (text)
};
const char* to_string(TraceKind kind);

struct TraceEvent {
  Time at;
  TraceKind kind = TraceKind::log;
  NodeId node;  // who it happened to; the receiver for deliver
  NodeId peer;  // the other end of a message, if any
  uint64_t message_id = 0;
  Time sent_at;      // for deliver and drop: when it was sent
  std::string text;  // message text, log line, fault description
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void record(const TraceEvent& event) = 0;
  // Node names, known before the first event, for writers that need them.
  virtual void set_node_names(const std::vector<std::string>& /*names*/) {}
};

}  // namespace detsim
