// The machine-readable trace: one JSON object per line, one line per event,
// in the order the world reported them.
//
//   {"t_ns":1204000000,"t":"1.204s","kind":"send","node":"n2","peer":"c3","msg_id":17,"text":"Append"}
//   {"t_ns":1206500000,"t":"1.2065s","kind":"deliver","node":"n3","peer":"n2","msg_id":17,
//    "sent_ns":1204000000,"text":"Append"}                  (one line in the file)
//
// Fields that do not apply are left out rather than written as null: "peer"
// when there is no other end, "msg_id" when it is 0, "sent_ns" except for
// deliver and drop, "text" when empty, "node" for world-wide events. Keys
// keep that fixed order, so two runs of one seed give byte-equal files.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sim/trace/trace_event.h"

namespace detsim {

// "t" of a trace line and the time axis of the diagram: the largest unit
// that fits (s, ms, us, ns), exact, trailing zeros dropped: "1.2065s",
// "83.033ms", "0s". Unlike format_duration it never picks "83033us" or
// minutes, so neighbouring lines read alike.
std::string format_trace_time(Time at);

class JsonlTraceWriter final : public TraceSink {
 public:
  // `out` must outlive the writer. Lines are not flushed one by one (that
  // would cost a syscall per event); the destructor flushes.
  explicit JsonlTraceWriter(std::ostream& out);
  ~JsonlTraceWriter() override;

  void record(const TraceEvent& event) override;
  // "node" and "peer" carry these names (stable_node_names); a node past
  // the end is written "n<index>".
  void set_node_names(const std::vector<std::string>& names) override { names_ = names; }

  // The line (without '\n') that record() writes for `event`.
  static std::string format_line(const TraceEvent& event, const std::vector<std::string>& names = {});

 private:
  std::ostream& out_;
  std::vector<std::string> names_;
};

}  // namespace detsim
