#include "sim/trace/trace_event.h"

namespace detsim {

const char* to_string(TraceKind kind) {
  switch (kind) {
    case TraceKind::boot: return "boot";
    case TraceKind::crash: return "crash";
    case TraceKind::pause: return "pause";
    case TraceKind::resume: return "resume";
    case TraceKind::send: return "send";
    case TraceKind::deliver: return "deliver";
    case TraceKind::drop: return "drop";
    case TraceKind::fault: return "fault";
    case TraceKind::log: return "log";
    case TraceKind::verdict: return "verdict";
  }
  // Only reachable through a cast from an out-of-range integer; a trace
  // line saying so beats a crash while writing a failure's trace.
  return "unknown";
}

}  // namespace detsim
