#include "sim/trace/jsonl_writer.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace detsim {
namespace {

// ordered_json keeps keys in insertion order; plain json would sort them
// and put "kind" after "msg_id", which reads badly.
using Json = nlohmann::ordered_json;

bool carries_sent_at(TraceKind kind) { return kind == TraceKind::deliver || kind == TraceKind::drop; }

struct TimeUnit {
  int64_t ns;
  int decimals;  // digits of the fraction: log10(ns)
  const char* suffix;
};
constexpr TimeUnit kTimeUnits[] = {{1'000'000'000, 9, "s"}, {1'000'000, 6, "ms"}, {1'000, 3, "us"}, {1, 0, "ns"}};

}  // namespace

std::string format_trace_time(Time at) {
  int64_t ns = at.count_ns();
  if (ns == 0) return "0s";
  // Virtual time starts at zero; a negative one is a bug worth seeing plainly.
  if (ns < 0) return fmt::format("{}ns", ns);
  for (const TimeUnit& unit : kTimeUnits) {
    if (ns < unit.ns) continue;
    std::string text = fmt::format("{}", ns / unit.ns);
    if (ns % unit.ns != 0) {
      std::string fraction = fmt::format("{:0{}}", ns % unit.ns, unit.decimals);
      // Appended piece by piece: `"." + std::string` trips g++ 12's false
      // -Wrestrict (GCC bug 105651), fatal under -Werror.
      text += '.';
      text.append(fraction, 0, fraction.find_last_not_of('0') + 1);
    }
    return text + unit.suffix;
  }
  return "0s";  // not reached: every positive ns is at least 1 ns
}

JsonlTraceWriter::JsonlTraceWriter(std::ostream& out) : out_(out) {}

JsonlTraceWriter::~JsonlTraceWriter() { out_.flush(); }

void JsonlTraceWriter::record(const TraceEvent& event) { out_ << format_line(event, names_) << '\n'; }

std::string JsonlTraceWriter::format_line(const TraceEvent& event, const std::vector<std::string>& names) {
  auto name = [&names](NodeId node) {
    return node.index() < names.size() ? names[node.index()] : fmt::format("{}", node);
  };
  Json line;
  line["t_ns"] = event.at.count_ns();
  line["t"] = format_trace_time(event.at);
  line["kind"] = to_string(event.kind);
  if (event.node.valid()) line["node"] = name(event.node);
  if (event.peer.valid()) line["peer"] = name(event.peer);
  if (event.message_id != 0) line["msg_id"] = event.message_id;
  if (carries_sent_at(event.kind)) line["sent_ns"] = event.sent_at.count_ns();
  if (!event.text.empty()) line["text"] = event.text;
  // Model text may hold any bytes. `replace` turns invalid UTF-8 into
  // U+FFFD instead of throwing mid-run; valid UTF-8 is kept as is, and
  // quotes, backslashes and control characters are escaped by the library.
  return line.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace detsim
