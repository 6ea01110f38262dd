#include "sim/trace/dot_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "sim/core/assert.h"
#include "sim/trace/jsonl_writer.h"  // format_trace_time

namespace detsim {
namespace {

// All lengths are in points; with dpi=72 a point is a PNG pixel.
constexpr double kMargin = 20;
constexpr double kAxisWidth = 90;        // time labels left of the first lane
constexpr double kHeaderHeight = 40;     // lifeline name boxes, top and bottom
constexpr double kLaneWidthMax = 200;    // room for a 40-character arrow label
constexpr double kRowGapMin = 18;        // between two distinct event times
constexpr double kRowGapExtraMax = 100;  // time-proportional part, capped
// Cairo refuses PNGs above 32767 px a side; leave room for overhanging labels.
constexpr double kCanvasMax = 30000;
// Below this row gap (after shrinking to fit) arrow labels would pile up, so
// arrows keep only their tooltip.
constexpr double kLabelRowGapMin = 9;
constexpr double kAxisLabelGap = 30;
constexpr double kCharWidth = 4.5;  // Helvetica 8 pt, average
constexpr size_t kLabelChars = 40;
constexpr size_t kTooltipChars = 200;

// Length of the valid UTF-8 sequence starting at text[i], or 0.
size_t utf8_length(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  size_t length = lead < 0x80                   ? 1
                  : lead >= 0xC2 && lead < 0xE0 ? 2
                  : lead >= 0xE0 && lead < 0xF0 ? 3
                  : lead >= 0xF0 && lead < 0xF5 ? 4
                                                : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  // Overlong 3- and 4-byte forms, surrogates and code points past U+10FFFF.
  if (lead == 0xE0 && byte(i + 1) < 0xA0) return 0;
  if (lead == 0xED && byte(i + 1) >= 0xA0) return 0;
  if (lead == 0xF0 && byte(i + 1) < 0x90) return 0;
  if (lead == 0xF4 && byte(i + 1) >= 0x90) return 0;
  return length;
}

// Text for a DOT double-quoted string: at most max_chars code points (then
// "..."). Quotes and backslashes are escaped (a lone backslash would start
// \N, \l and friends), '&' becomes an entity because Graphviz decodes them,
// control characters become spaces and invalid UTF-8 bytes become '?'.
std::string dot_escape(std::string_view text, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++chars) {
    if (chars == max_chars) return out + "...";
    size_t length = utf8_length(text, i);
    char c = text[i];
    if (length == 0)
      out += '?';
    else if (c == '"' || c == '\\')
      (out += '\\') += c;
    else if (c == '&')
      out += "&amp;";
    else if (length == 1 && (static_cast<unsigned char>(c) < 0x20 || c == 0x7F))
      out += ' ';
    else
      out.append(text, i, length);
    i += std::max<size_t>(length, 1);
  }
  return out;
}

size_t display_chars(std::string_view escaped) {
  size_t chars = 0;
  for (char c : escaped) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return chars;
}

// Maps lanes and event times to points.
class Canvas {
 public:
  Canvas(std::vector<int64_t> rows_ns, uint32_t lanes) : rows_ns_(std::move(rows_ns)) {
    // Invariant: rows are sorted and distinct, so y() can binary-search them.
    DETSIM_ASSERT(std::adjacent_find(rows_ns_.begin(), rows_ns_.end(), std::greater_equal<>()) == rows_ns_.end());
    offsets_.assign(rows_ns_.size(), 0.0);
    double span_s = rows_ns_.empty() ? 0 : (rows_ns_.back() - rows_ns_.front()) / 1e9;
    // The time-proportional part gets about twice the room of the minimum
    // gaps: enough that a long silence shows, not so much that bursts shrink.
    double points_per_s = span_s > 0 ? 2 * kRowGapMin * rows_ns_.size() / span_s : 0;
    for (size_t i = 1; i < rows_ns_.size(); ++i) {
      double elapsed_s = (rows_ns_[i] - rows_ns_[i - 1]) / 1e9;
      offsets_[i] = offsets_[i - 1] + kRowGapMin + std::min(elapsed_s * points_per_s, kRowGapExtraMax);
    }
    double content_max = kCanvasMax - 2 * (kMargin + kHeaderHeight);
    double content = offsets_.empty() ? 0 : offsets_.back();
    scale_ = content > content_max ? content_max / content : 1.0;
    for (double& offset : offsets_) offset *= scale_;
    content_height_ = content * scale_;
    lane_width_ = std::min(kLaneWidthMax, (kCanvasMax - kAxisWidth - 2 * kMargin) / std::max(lanes, 1u));
  }

  double x(uint32_t lane) const { return kMargin + kAxisWidth + lane_width_ * (lane + 0.5); }
  double lane_width() const { return lane_width_; }
  double row_gap_min() const { return kRowGapMin * scale_; }
  const std::vector<int64_t>& rows_ns() const { return rows_ns_; }
  // Graphviz's y grows upwards; time grows downwards from the header.
  double header_y() const { return kMargin + kHeaderHeight * 1.5 + content_height_; }
  double footer_y() const { return kMargin + kHeaderHeight * 0.5; }
  double y(Time at) const {
    auto row = std::lower_bound(rows_ns_.begin(), rows_ns_.end(), at.count_ns());
    // Invariant: every drawn time was registered as a row.
    DETSIM_ASSERT(row != rows_ns_.end());
    DETSIM_ASSERT(*row == at.count_ns());
    return kMargin + kHeaderHeight + content_height_ - offsets_[row - rows_ns_.begin()];
  }

 private:
  std::vector<int64_t> rows_ns_;
  std::vector<double> offsets_;  // points below the first row
  double scale_ = 1.0;
  double content_height_ = 0;
  double lane_width_ = kLaneWidthMax;
};

std::string pos(double x, double y) { return fmt::format("pos=\"{:.1f},{:.1f}!\"", x, y); }

const char* mark_color(TraceKind kind) {
  switch (kind) {
    case TraceKind::crash: return "red3";
    case TraceKind::boot: return "green4";
    case TraceKind::pause:
    case TraceKind::resume: return "darkorange2";
    case TraceKind::fault: return "purple3";
    case TraceKind::verdict: return "blue3";
    default: return "gray35";
  }
}

// The diagram being written: lanes resolved, points declared once each.
class DotEmitter {
 public:
  DotEmitter(std::ostream& out, const Canvas& canvas, uint32_t world_lane)
      : out_(out), canvas_(canvas), world_lane_(world_lane) {}

  uint32_t lane(uint32_t raw) const { return raw == DotTraceWriter::kWorldLane ? world_lane_ : raw; }

  void lifeline(uint32_t lane, const std::string& name) {
    double x = canvas_.x(lane);
    std::string label = dot_escape(name, 24);
    out_ << fmt::format(
        "  h{0} [shape=box, style=filled, fillcolor=gray95, label=\"{1}\", {2}];\n"
        "  f{0} [shape=box, style=filled, fillcolor=gray95, label=\"{1}\", {3}];\n"
        "  h{0} -> f{0} [dir=none, color=gray60];\n",
        lane, label, pos(x, canvas_.header_y()), pos(x, canvas_.footer_y()));
  }

  void time_axis() {
    double last_y = 1e300;
    for (size_t i = 0; i < canvas_.rows_ns().size(); ++i) {
      Time at = Time::from_ns(canvas_.rows_ns()[i]);
      double y = canvas_.y(at);
      if (last_y - y < kAxisLabelGap) continue;
      last_y = y;
      out_ << fmt::format("  a{} [shape=plaintext, fontsize=8, fontcolor=gray40, label=\"{}\", {}];\n", i,
                          dot_escape(format_trace_time(at), kLabelChars), pos(kMargin + kAxisWidth / 2, y));
    }
  }

  // Declares the point (lane, at) once and returns its id.
  std::string point(uint32_t lane, Time at) {
    std::string id = fmt::format("p{}_{}", lane, at.count_ns());
    if (declared_.insert({lane, at.count_ns()}).second) {
      out_ << fmt::format("  {} [shape=point, width=0.04, {}];\n", id, pos(canvas_.x(lane), canvas_.y(at)));
    }
    return id;
  }

  void arrow(const DotTraceWriter::Arrow& arrow, std::size_t index) {
    using Kind = DotTraceWriter::ArrowKind;
    std::string source = point(lane(arrow.source_lane), arrow.sent);
    std::string tooltip = fmt::format("m{} {} -> {}: {}", arrow.message_id, format_trace_time(arrow.sent),
                                      format_trace_time(arrow.arrived), arrow.text);
    std::string attributes = fmt::format("tooltip=\"{}\"", dot_escape(tooltip, kTooltipChars));
    if (canvas_.row_gap_min() >= kLabelRowGapMin && !arrow.text.empty()) {
      attributes += fmt::format(", label=\"{}\"", dot_escape(arrow.text, kLabelChars));
    }
    if (arrow.kind == Kind::dropped) {
      out_ << fmt::format("  {} -> {} [color=red3, fontcolor=red3, style=dashed, arrowhead=none, {}];\n", source,
                          drop_cross(arrow, index), attributes);
      return;
    }
    std::string target = point(lane(arrow.target_lane), arrow.arrived);
    const char* style = arrow.kind == Kind::in_flight ? "color=gray50, style=dotted" : "color=navy";
    out_ << fmt::format("  {} -> {} [{}, {}];\n", source, target, style, attributes);
  }

  // Crash, boot, log...: a coloured dot on the lifeline and its text to the
  // right. Marks at one (lane, time) share a single label.
  void marks(const std::vector<DotTraceWriter::Mark>& marks) {
    std::map<std::pair<uint32_t, int64_t>, std::pair<const char*, std::string>> merged;
    for (const DotTraceWriter::Mark& mark : marks) {
      const char* color = mark.highlight ? "red" : mark_color(mark.kind);
      auto [it, fresh] = merged.try_emplace({lane(mark.lane), mark.at.count_ns()}, color, mark.label);
      if (fresh) continue;
      it->second.second += "; " + mark.label;
      if (mark.highlight) it->second.first = color;  // a highlighted mark stays visible
    }
    for (const auto& [where, what] : merged) {
      auto [lane, at_ns] = where;
      double x = canvas_.x(lane);
      double y = canvas_.y(Time::from_ns(at_ns));
      std::string label = dot_escape(what.second, kLabelChars);
      double label_x = x + 8 + display_chars(label) * kCharWidth / 2;
      out_ << fmt::format(
          "  k{0}_{1} [shape=point, width=0.09, color={2}, {3}];\n"
          "  l{0}_{1} [shape=plaintext, fontsize=8, fontcolor={2}, label=\"{4}\", {5}];\n",
          lane, at_ns, what.first, pos(x, y), label, pos(label_x, y));
    }
  }

 private:
  // A drop ends part-way to the receiver, slightly below its send, in an X.
  std::string drop_cross(const DotTraceWriter::Arrow& arrow, std::size_t index) {
    double source_x = canvas_.x(lane(arrow.source_lane));
    double target_x = canvas_.x(lane(arrow.target_lane));
    double x = source_x == target_x ? source_x + canvas_.lane_width() * 0.3 : source_x + (target_x - source_x) * 0.4;
    double y = canvas_.y(arrow.arrived) - canvas_.row_gap_min() / 2;
    std::string id = fmt::format("x{}", index);
    out_ << fmt::format("  {} [shape=plaintext, fontsize=10, fontcolor=red3, label=\"X\", {}];\n", id, pos(x, y));
    return id;
  }

  std::ostream& out_;
  const Canvas& canvas_;
  uint32_t world_lane_;
  std::set<std::pair<uint32_t, int64_t>> declared_;
};

}  // namespace

DotTraceWriter::DotTraceWriter(Time from, Time to) : from_(from), to_(to) {
  // Invariant: the window is not empty, or nothing could ever be drawn.
  DETSIM_ASSERT(from <= to);
}

void DotTraceWriter::set_node_names(const std::vector<std::string>& names) {
  names_ = names;
  lane_count_ = std::max(lane_count_, static_cast<uint32_t>(names.size()));
}

void DotTraceWriter::note_lane(NodeId id) {
  if (id.valid()) lane_count_ = std::max(lane_count_, id.index() + 1);
}

void DotTraceWriter::record(const TraceEvent& event) {
  note_lane(event.node);
  note_lane(event.peer);
  last_seen_ = std::max(last_seen_, event.at);
  switch (event.kind) {
    case TraceKind::send: record_send(event); return;
    case TraceKind::deliver: record_arrival(event, ArrowKind::delivered); return;
    case TraceKind::drop: record_arrival(event, ArrowKind::dropped); return;
    default: break;
  }
  if (!in_window(event.at)) return;
  std::string label = event.kind == TraceKind::log ? event.text
                      : event.text.empty()         ? std::string(to_string(event.kind))
                                                   : fmt::format("{} {}", to_string(event.kind), event.text);
  marks_.push_back(Mark{event.kind, event.node.valid() ? event.node.index() : kWorldLane, event.at, label});
}

void DotTraceWriter::mark_operation(NodeId client, Time invoke, Time complete, const std::string& label) {
  if (!client.valid()) return;
  note_lane(client);
  if (in_window(invoke)) marks_.push_back(Mark{TraceKind::log, client.index(), invoke, "invoke: " + label, true});
  if (complete != Time::max() && in_window(complete))
    marks_.push_back(Mark{TraceKind::log, client.index(), complete, "complete: " + label, true});
}

void DotTraceWriter::record_send(const TraceEvent& event) {
  // Only sends in the window can be drawn as in flight; id 0 cannot be paired.
  if (!in_window(event.at) || event.message_id == 0 || !event.node.valid() || !event.peer.valid()) return;
  sends_[event.message_id] = WindowSend{event.node.index(), event.peer.index(), event.at, event.text, false};
}

void DotTraceWriter::record_arrival(const TraceEvent& event, ArrowKind kind) {
  // A deliver names the receiver as `node`; a drop names the sender.
  NodeId source = kind == ArrowKind::delivered ? event.peer : event.node;
  NodeId target = kind == ArrowKind::delivered ? event.node : event.peer;
  std::string text = event.text;
  auto send = event.message_id == 0 ? sends_.end() : sends_.find(event.message_id);
  if (send != sends_.end()) {
    send->second.resolved = true;
    if (kind == ArrowKind::dropped)
      text = fmt::format("lost ({}): {}", event.text, send->second.text);
    else if (text.empty())
      text = send->second.text;
  }
  // Drawn when the message's life [sent_at, at] overlaps the window.
  if (event.sent_at > to_ || event.at < from_ || !source.valid() || !target.valid()) return;
  arrows_.push_back(Arrow{kind, source.index(), target.index(), std::max(event.sent_at, from_), std::min(event.at, to_),
                          event.message_id, std::move(text)});
}

std::vector<DotTraceWriter::Arrow> DotTraceWriter::arrows_with_in_flight() const {
  std::vector<Arrow> arrows = arrows_;
  Time end = std::min(to_, last_seen_);
  for (const auto& [message_id, send] : sends_) {
    if (send.resolved) continue;
    arrows.push_back(Arrow{ArrowKind::in_flight, send.source_lane, send.target_lane, send.at, std::max(send.at, end),
                           message_id, send.text});
  }
  return arrows;
}

void DotTraceWriter::write(std::ostream& out) const {
  std::vector<Arrow> arrows = arrows_with_in_flight();
  bool has_world = std::any_of(marks_.begin(), marks_.end(), [](const Mark& mark) { return mark.lane == kWorldLane; });
  std::vector<int64_t> rows_ns;
  for (const Arrow& arrow : arrows) {
    rows_ns.push_back(arrow.sent.count_ns());
    rows_ns.push_back(arrow.arrived.count_ns());
  }
  for (const Mark& mark : marks_) rows_ns.push_back(mark.at.count_ns());
  std::sort(rows_ns.begin(), rows_ns.end());
  rows_ns.erase(std::unique(rows_ns.begin(), rows_ns.end()), rows_ns.end());
  Canvas canvas(std::move(rows_ns), lane_count_ + (has_world ? 1 : 0));
  DotEmitter emit(out, canvas, lane_count_);

  out << "digraph detsim {\n"
      << fmt::format("  // window {} .. {}; render with: neato -n2 -Tsvg\n", format_trace_time(from_),
                     to_ == Time::max() ? std::string("end") : format_trace_time(to_))
      << "  graph [dpi=72, overlap=true, splines=line, outputorder=edgesfirst, pad=0.2];\n"
         "  node [fontname=\"Helvetica\", fontsize=10];\n"
         "  edge [fontname=\"Helvetica\", fontsize=8, arrowsize=0.5];\n";
  // Lifelines first: with outputorder=edgesfirst they are drawn underneath.
  for (uint32_t lane = 0; lane < lane_count_; ++lane) {
    emit.lifeline(lane, lane < names_.size() ? names_[lane] : fmt::format("n{}", lane));
  }
  if (has_world) emit.lifeline(lane_count_, "world");
  emit.time_axis();
  for (size_t i = 0; i < arrows.size(); ++i) emit.arrow(arrows[i], i);
  emit.marks(marks_);
  out << "}\n";
}

}  // namespace detsim
