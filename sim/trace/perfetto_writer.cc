#include "sim/trace/perfetto_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>

#include "sim/core/assert.h"

namespace detsim {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kNameBytesMax = 80;
// Thread ids live far above process ids: Perfetto treats a thread whose id
// equals its process id as the main thread, and thread ids as global.
constexpr uint64_t kTidBase = 1'000'000;
constexpr uint64_t kTracksPerNode = 8;
constexpr const char* kTrackNames[] = {"events", "messages", "down", "paused"};

// pid 0 is the idle process in Linux traces; start at 1.
uint64_t pid_of(uint32_t node) { return uint64_t{node} + 1; }
uint64_t tid_of(uint32_t node, uint32_t track) { return kTidBase + pid_of(node) * kTracksPerNode + track; }

// A JSON string literal for any bytes: invalid UTF-8 becomes U+FFFD.
std::string quote(std::string_view text) {
  return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Microseconds with the nanoseconds as exact decimals: no double rounding.
std::string micros(int64_t ns) {
  std::string sign = ns < 0 ? "-" : "";
  uint64_t magnitude = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  if (magnitude % 1000 == 0) return fmt::format("{}{}", sign, magnitude / 1000);
  std::string fraction = fmt::format("{:03}", magnitude % 1000);
  fraction.erase(fraction.find_last_not_of('0') + 1);
  return fmt::format("{}{}.{}", sign, magnitude / 1000, fraction);
}

// At most kNameBytesMax bytes, cut on a UTF-8 character boundary.
std::string short_name(std::string_view text) {
  if (text.size() <= kNameBytesMax) return std::string(text);
  size_t cut = kNameBytesMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

// `flow` is empty or the top-level flow keys, starting with a comma.
std::string slice(uint32_t node, uint32_t track, std::string_view name, std::string_view category, Time begin,
                  Duration length, const Json& args, std::string_view flow = {}) {
  return fmt::format(R"({{"ph":"X","name":{},"cat":"{}","ts":{},"dur":{},"pid":{},"tid":{}{},"args":{}}})", quote(name),
                     category, micros(begin.count_ns()), micros(length.count_ns()), pid_of(node), tid_of(node, track),
                     flow, args.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string metadata(std::string_view what, uint64_t pid, uint64_t tid, const Json& args) {
  return fmt::format(R"({{"ph":"M","name":"{}","pid":{},"tid":{},"args":{}}})", what, pid, tid,
                     args.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string node_name(const std::vector<std::string>& names, NodeId node) {
  return node.index() < names.size() ? names[node.index()] : fmt::format("{}", node);
}

std::string message_name(const TraceEvent& event, const std::vector<std::string>& names) {
  switch (event.kind) {
    case TraceKind::send: return fmt::format("to {}: {}", node_name(names, event.peer), event.text);
    case TraceKind::deliver: return fmt::format("from {}: {}", node_name(names, event.peer), event.text);
    default: return fmt::format("lost ({}) from {}", event.text, node_name(names, event.node));
  }
}

Json text_args(const std::string& text) {
  Json args = Json::object();
  if (!text.empty()) args["text"] = text;
  return args;
}

}  // namespace

void PerfettoTraceWriter::set_node_names(const std::vector<std::string>& names) {
  names_ = names;
  node_count_ = std::max(node_count_, static_cast<uint32_t>(names.size()));
}

void PerfettoTraceWriter::note_node(NodeId id) {
  if (id.valid()) node_count_ = std::max(node_count_, id.index() + 1);
}

void PerfettoTraceWriter::append(std::string object) {
  events_ += ",\n";
  events_ += object;
}

void PerfettoTraceWriter::record(const TraceEvent& event) {
  note_node(event.node);
  note_node(event.peer);
  last_seen_ = std::max(last_seen_, event.at);
  switch (event.kind) {
    case TraceKind::send:
    case TraceKind::deliver:
    case TraceKind::drop: message(event); return;
    default: break;
  }
  if (event.node.valid()) {
    uint32_t node = event.node.index();
    auto close = [&](std::map<uint32_t, Open>& open, Track track, const char* name) {
      auto it = open.find(node);
      if (it == open.end()) return;
      append(slice(node, track, name, "status", it->second.since, event.at - it->second.since,
                   text_args(it->second.text)));
      open.erase(it);
    };
    // A crash while already down (or a pause while paused) keeps the first start.
    if (event.kind == TraceKind::crash) down_since_.try_emplace(node, Open{event.at, event.text});
    if (event.kind == TraceKind::boot) close(down_since_, kDown, "down");
    if (event.kind == TraceKind::pause) paused_since_.try_emplace(node, Open{event.at, event.text});
    if (event.kind == TraceKind::resume) close(paused_since_, kPaused, "paused");
  }
  instant(event);
}

void PerfettoTraceWriter::instant(const TraceEvent& event) {
  std::string name = event.kind == TraceKind::log ? event.text
                     : event.text.empty()         ? std::string(to_string(event.kind))
                                                  : fmt::format("{} {}", to_string(event.kind), event.text);
  std::string where = event.node.valid() ? fmt::format(R"("s":"t","pid":{},"tid":{})", pid_of(event.node.index()),
                                                       tid_of(event.node.index(), kEvents))
                                         : std::string(R"("s":"g")");
  append(fmt::format(R"({{"ph":"i","name":{},"cat":"{}","ts":{},{},"args":{}}})", quote(short_name(name)),
                     to_string(event.kind), micros(event.at.count_ns()), where,
                     text_args(event.text).dump(-1, ' ', false, Json::error_handler_t::replace)));
}

// Sends, deliveries and drops are zero-length slices on the messages track:
// flow arrows can only join slices, not instants.
void PerfettoTraceWriter::message(const TraceEvent& event) {
  // A deliver happens at its receiver (`node`); a drop is shown at the
  // receiver it never reached, so its arrow points where it was going.
  NodeId track_node = event.kind == TraceKind::drop && event.peer.valid() ? event.peer : event.node;
  if (!track_node.valid()) return;
  Json args = Json::object();
  if (event.message_id != 0) args["msg_id"] = event.message_id;
  if (event.peer.valid()) args[event.kind == TraceKind::send ? "to" : "from"] = node_name(names_, event.peer);
  if (event.kind == TraceKind::drop) args["from"] = node_name(names_, event.node);
  if (event.kind != TraceKind::send) args["sent_ns"] = event.sent_at.count_ns();
  if (!event.text.empty()) args[event.kind == TraceKind::drop ? "why" : "text"] = event.text;
  std::string flow;
  if (event.message_id != 0) {
    flow = fmt::format(R"(,"bind_id":{},"{}":true)", event.message_id,
                       event.kind == TraceKind::send ? "flow_out" : "flow_in");
  }
  append(slice(track_node.index(), kMessages, short_name(message_name(event, names_)), to_string(event.kind), event.at,
               Duration::zero(), args, flow));
}

void PerfettoTraceWriter::mark_operation(NodeId client, Time invoke, Time complete, const std::string& label) {
  if (!client.valid()) return;
  note_node(client);
  const Duration length = complete == Time::max() ? Duration::zero() : complete - invoke;
  append(slice(client.index(), kEvents, short_name("counterexample: " + label), "counterexample", invoke, length,
               text_args(label)));
}

std::string PerfettoTraceWriter::node_metadata(uint32_t node) const {
  std::string name = node < names_.size() ? names_[node] : fmt::format("n{}", node);
  uint64_t pid = pid_of(node);
  uint64_t events_tid = tid_of(node, kEvents);
  std::string out = ",\n" + metadata("process_name", pid, events_tid, Json{{"name", name}}) + ",\n" +
                    metadata("process_sort_index", pid, events_tid, Json{{"sort_index", node}});
  for (uint32_t track = 0; track < kTrackCount; ++track) {
    uint64_t tid = tid_of(node, track);
    out += ",\n" + metadata("thread_name", pid, tid, Json{{"name", kTrackNames[track]}});
    out += ",\n" + metadata("thread_sort_index", pid, tid, Json{{"sort_index", track}});
  }
  return out;
}

void PerfettoTraceWriter::write(std::ostream& out) const {
  std::string head;
  for (uint32_t node = 0; node < node_count_; ++node) head += node_metadata(node);
  // Periods still open when the trace ends are drawn up to the last event.
  std::string tail;
  for (const auto& [node, open] : down_since_) {
    tail += ",\n" + slice(node, kDown, "down", "status", open.since, last_seen_ - open.since, text_args(open.text));
  }
  for (const auto& [node, open] : paused_since_) {
    tail += ",\n" + slice(node, kPaused, "paused", "status", open.since, last_seen_ - open.since, text_args(open.text));
  }
  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
  // Every element starts with ",\n"; the very first comma is left out.
  bool first = true;
  for (std::string_view part : {std::string_view(head), std::string_view(events_), std::string_view(tail)}) {
    if (part.empty()) continue;
    out << (first ? part.substr(1) : part);
    first = false;
  }
  out << "\n]}\n";
}

}  // namespace detsim
