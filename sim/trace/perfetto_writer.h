// A timeline for the Perfetto UI (ui.perfetto.dev) or chrome://tracing, in
// the Chrome JSON trace event format. Each node is a "process" with four
// tracks ("threads"):
//
//   events    instants: crash, boot, fault, log
//   messages  zero-length slices for each send, deliver and drop, joined by
//             flow arrows (send -> deliver, send -> drop)
//   down      one slice per crash..boot period
//   paused    one slice per pause..resume period
//
// Events that name no node (a partition, the verdict) are global instants.
// Timestamps are microseconds with exact nanosecond decimals ("ts":1204.5).
//
// Flows use the "v2" form: the slices themselves carry "bind_id" with
// "flow_out" or "flow_in". Perfetto binds those to exactly that slice,
// whereas v1 "s"/"f" events bind to whichever slice encloses them, which
// for zero-length slices depends on event order within one timestamp.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/trace/trace_event.h"

namespace detsim {

class PerfettoTraceWriter final : public TraceSink {
 public:
  void set_node_names(const std::vector<std::string>& names) override;
  void record(const TraceEvent& event) override;
  // The whole trace; pauses and down periods still open end at the last
  // event recorded. May be called more than once.
  void write(std::ostream& out) const;
  // A client operation to point out (a linearizability counterexample's):
  // a slice "counterexample: LABEL" from invoke to complete on the
  // client's events track (complete = Time::max(): never completed, an
  // instant at the invoke). Call after the run, before write().
  void mark_operation(NodeId client, Time invoke, Time complete, const std::string& label);

 private:
  enum Track : uint32_t { kEvents, kMessages, kDown, kPaused, kTrackCount };
  struct Open {
    Time since;
    std::string text;
  };

  void note_node(NodeId id);
  void instant(const TraceEvent& event);
  void message(const TraceEvent& event);
  // Process and track names of one node, each object preceded by ",\n".
  std::string node_metadata(uint32_t node) const;
  // Appends one JSON object to events_.
  void append(std::string object);

  std::vector<std::string> names_;
  uint32_t node_count_ = 0;  // one more than the largest node index seen
  Time last_seen_;
  // Every event so far, each as ",\n{...}"; write() drops the first comma.
  std::string events_;
  // By node index; ordered maps keep write() deterministic.
  std::map<uint32_t, Open> down_since_;
  std::map<uint32_t, Open> paused_since_;
};

}  // namespace detsim
