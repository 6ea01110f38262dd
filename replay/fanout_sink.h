// One TraceSink that forwards every event to several, so a replay can
// write a JSONL trace, a space-time diagram and a Perfetto timeline from a
// single run (the world takes one sink).
#pragma once

#include <vector>

#include "sim/core/assert.h"
#include "sim/trace/trace_event.h"

namespace detsim {

class FanoutSink final : public TraceSink {
 public:
  void add(TraceSink* sink) {
    DETSIM_ASSERT(sink != nullptr);
    DETSIM_ASSERT(sink != this);
    sinks_.push_back(sink);
  }
  bool empty() const { return sinks_.empty(); }

  void record(const TraceEvent& event) override {
    for (TraceSink* sink : sinks_) sink->record(event);
  }
  void set_node_names(const std::vector<std::string>& names) override {
    for (TraceSink* sink : sinks_) sink->set_node_names(names);
  }

 private:
  std::vector<TraceSink*> sinks_;
};

}  // namespace detsim
