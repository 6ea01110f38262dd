// A space-time diagram of one window of a run, in Graphviz DOT: one
// vertical lifeline per node, time flowing down, one arrow per message from
// (sender, send time) to (receiver, arrival time), and small labelled marks
// for crash, boot, pause, resume, fault and log events.
//
// Every node carries `pos="x,y!"` in points, so the file is rendered with
//
//   neato -n2 -Tsvg trace.dot -o trace.svg
//
// which only draws; `dot` would lay out 2000 messages in minutes.
//
// The vertical axis is monotone in time but not linear: each distinct event
// time is a row, and the gap between rows is a fixed minimum plus a part
// that grows with the elapsed time (capped). So a burst of events 1 us apart
// stays readable next to a quiet second, and a long idle stretch does not
// push the rest off the page. The time axis on the left labels the rows.
// The whole canvas stays under 32767 px so that -Tpng works (dpi is set to
// 72: one point is one pixel).
//
// A message whose life overlaps the window is drawn with its ends clipped
// to the window; a message wholly outside it is not drawn.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "sim/trace/trace_event.h"

namespace detsim {

class DotTraceWriter final : public TraceSink {
 public:
  // Events with from <= at <= to appear.
  DotTraceWriter(Time from, Time to);

  // Lifeline headers; nodes without a name are shown as "n<index>".
  void set_node_names(const std::vector<std::string>& names) override;
  void record(const TraceEvent& event) override;
  void write(std::ostream& out) const;
  // A client operation to point out (a linearizability counterexample's):
  // red marks on the client's lifeline at its invoke and its completion
  // (complete = Time::max(): never completed, the invoke only), where they
  // fall inside the window. Call after the run, before write().
  void mark_operation(NodeId client, Time invoke, Time complete, const std::string& label);

  enum class ArrowKind { delivered, dropped, in_flight };
  // Lanes are node indexes; kWorldLane holds events that name no node.
  static constexpr uint32_t kWorldLane = UINT32_MAX;

  struct Arrow {
    ArrowKind kind = ArrowKind::delivered;
    uint32_t source_lane = 0;
    uint32_t target_lane = 0;
    Time sent;     // already clipped to the window
    Time arrived;  // already clipped; for a drop, when it was dropped
    uint64_t message_id = 0;
    std::string text;  // message text, or "why" for a drop
  };
  struct Mark {
    TraceKind kind = TraceKind::log;
    uint32_t lane = 0;
    Time at;
    std::string label;
    bool highlight = false;  // mark_operation's: drawn red
  };

 private:
  struct WindowSend {
    uint32_t source_lane = 0;
    uint32_t target_lane = 0;
    Time at;
    std::string text;
    bool resolved = false;  // a deliver or drop with its id was seen
  };

  bool in_window(Time at) const { return from_ <= at && at <= to_; }
  void note_lane(NodeId id);
  void record_send(const TraceEvent& event);
  void record_arrival(const TraceEvent& event, ArrowKind kind);
  std::vector<Arrow> arrows_with_in_flight() const;

  Time from_;
  Time to_;
  Time last_seen_;  // latest event time reported, in the window or not
  std::vector<std::string> names_;
  uint32_t lane_count_ = 0;  // one more than the largest node index seen
  std::vector<Arrow> arrows_;
  std::vector<Mark> marks_;
  // Sends inside the window, by message id (ordered: output is deterministic).
  std::map<uint64_t, WindowSend> sends_;
};

}  // namespace detsim
