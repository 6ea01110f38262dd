// The three trace writers, fed synthetic event sequences: the JSONL trace
// parses back line by line, the DOT diagram has exactly the lifelines and
// arrows of its window and renders with `neato -n2`, and the Perfetto trace
// is JSON whose flow arrows all start somewhere.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/trace/dot_writer.h"
#include "sim/trace/jsonl_writer.h"
#include "sim/trace/perfetto_writer.h"
#include "sim/trace/trace_event.h"

namespace detsim {
namespace {

using namespace time_literals;
using nlohmann::json;

Time at_ms(int64_t ms) { return Time::zero() + Duration::milliseconds(ms); }

TraceEvent node_event(TraceKind kind, Time at, uint32_t node, std::string text = "") {
  TraceEvent event;
  event.at = at;
  event.kind = kind;
  event.node = NodeId(node);
  event.text = std::move(text);
  return event;
}

// The send and the deliver (or drop) of one message, in that order.
std::vector<TraceEvent> message(uint64_t id, uint32_t source, uint32_t target, Time sent, Time arrived,
                                std::string text, TraceKind end = TraceKind::deliver) {
  TraceEvent send{sent, TraceKind::send, NodeId(source), NodeId(target), id, sent, text};
  TraceEvent arrival = end == TraceKind::deliver
                           ? TraceEvent{arrived, end, NodeId(target), NodeId(source), id, sent, text}
                           : TraceEvent{arrived, end, NodeId(source), NodeId(target), id, sent, "loss"};
  return {send, arrival};
}

// Feeds events to a sink sorted by time, as the world reports them.
void feed(TraceSink& sink, std::vector<TraceEvent> events) {
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  for (const TraceEvent& event : events) sink.record(event);
}

void append(std::vector<TraceEvent>& to, const std::vector<TraceEvent>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

TEST(TraceKindTest, NamesEveryKind) {
  EXPECT_STREQ(to_string(TraceKind::boot), "boot");
  EXPECT_STREQ(to_string(TraceKind::crash), "crash");
  EXPECT_STREQ(to_string(TraceKind::pause), "pause");
  EXPECT_STREQ(to_string(TraceKind::resume), "resume");
  EXPECT_STREQ(to_string(TraceKind::send), "send");
  EXPECT_STREQ(to_string(TraceKind::deliver), "deliver");
  EXPECT_STREQ(to_string(TraceKind::drop), "drop");
  EXPECT_STREQ(to_string(TraceKind::fault), "fault");
  EXPECT_STREQ(to_string(TraceKind::log), "log");
  EXPECT_STREQ(to_string(TraceKind::verdict), "verdict");
}

TEST(FormatTraceTimeTest, PicksTheLargestUnitAndStaysExact) {
  EXPECT_EQ(format_trace_time(Time::zero()), "0s");
  EXPECT_EQ(format_trace_time(Time::from_ns(7)), "7ns");
  EXPECT_EQ(format_trace_time(Time::from_ns(1'500)), "1.5us");
  EXPECT_EQ(format_trace_time(Time::from_ns(83'033'000)), "83.033ms");
  EXPECT_EQ(format_trace_time(Time::from_ns(1'204'000'000)), "1.204s");
  EXPECT_EQ(format_trace_time(Time::from_ns(61'000'000'001)), "61.000000001s");
  EXPECT_EQ(format_trace_time(Time::from_ns(3'600'000'000'000)), "3600s");
}

std::vector<json> jsonl_lines(const std::vector<TraceEvent>& events) {
  std::ostringstream out;
  {
    JsonlTraceWriter writer(out);
    for (const TraceEvent& event : events) writer.record(event);
  }
  std::vector<json> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));  // throws if invalid
  return lines;
}

TEST(JsonlTraceWriterTest, WritesTheFieldsThatApply) {
  std::vector<TraceEvent> events =
      message(17, 2, 3, Time::from_ns(1'204'000'000), Time::from_ns(1'206'500'000), "Append{term=3}");
  events.push_back(node_event(TraceKind::log, at_ms(1300), 3, "became leader"));
  TraceEvent partition;
  partition.at = at_ms(1400);
  partition.kind = TraceKind::fault;
  partition.text = "partition {n1} | {n2,n3}";
  events.push_back(partition);
  std::vector<json> lines = jsonl_lines(events);
  ASSERT_EQ(lines.size(), 4u);

  EXPECT_EQ(lines[0], json::parse(R"({"t_ns":1204000000,"t":"1.204s","kind":"send","node":"n2","peer":"n3",
                                      "msg_id":17,"text":"Append{term=3}"})"));
  EXPECT_EQ(lines[1]["kind"], "deliver");
  EXPECT_EQ(lines[1]["node"], "n3");
  EXPECT_EQ(lines[1]["peer"], "n2");
  EXPECT_EQ(lines[1]["sent_ns"], 1'204'000'000);
  // A log line has no other end and no message id.
  EXPECT_FALSE(lines[2].contains("peer"));
  EXPECT_FALSE(lines[2].contains("msg_id"));
  EXPECT_FALSE(lines[2].contains("sent_ns"));
  // A world-wide fault names no node.
  EXPECT_FALSE(lines[3].contains("node"));
  EXPECT_EQ(lines[3]["text"], "partition {n1} | {n2,n3}");
}

TEST(JsonlTraceWriterTest, AnyTextStaysValidJson) {
  std::vector<std::string> texts = {"say \"hi\"",         "back\\slash\\",
                                    "line\nbreak\ttab\r", std::string("nul\0ctl\x01\x1f", 9),
                                    "héllo ✓ 🎉 日本",    "</script>{}[],:"};
  std::vector<TraceEvent> events;
  for (const std::string& text : texts) events.push_back(node_event(TraceKind::log, at_ms(1), 0, text));
  events.push_back(node_event(TraceKind::log, at_ms(2), 0, "bad \xff\xfe utf8 \xc3"));
  std::vector<json> lines = jsonl_lines(events);
  ASSERT_EQ(lines.size(), texts.size() + 1);
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(lines[i]["text"], texts[i]);
  // Invalid UTF-8 is replaced, not passed through or thrown on.
  EXPECT_EQ(lines.back()["text"].get<std::string>().rfind("bad ", 0), 0u);
}

TEST(JsonlTraceWriterTest, SameEventsGiveSameBytes) {
  std::vector<TraceEvent> events = message(5, 0, 1, at_ms(1), at_ms(3), "x");
  EXPECT_EQ(JsonlTraceWriter::format_line(events[1]), JsonlTraceWriter::format_line(events[1]));
  EXPECT_EQ(JsonlTraceWriter::format_line(events[1]),
            R"({"t_ns":3000000,"t":"3ms","kind":"deliver","node":"n1","peer":"n0","msg_id":5,)"
            R"("sent_ns":1000000,"text":"x"})");
}

std::string dot_of(DotTraceWriter& writer) {
  std::ostringstream out;
  writer.write(out);
  return out.str();
}

// Message ids of the arrows drawn, read from their tooltips ("m17 ...").
std::multiset<uint64_t> drawn_message_ids(const std::string& dot) {
  std::multiset<uint64_t> ids;
  std::regex arrow(R"(-> \w+ \[.*tooltip="m(\d+) )");
  std::istringstream in(dot);
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (std::regex_search(line, match, arrow)) ids.insert(std::stoull(match[1]));
  }
  return ids;
}

// Every declared node has a pinned position, and every edge end is declared.
void expect_all_positioned(const std::string& dot) {
  std::regex declaration(R"(^  (\w+) \[(.*)\];$)");
  std::regex edge(R"(^  (\w+) -> (\w+) \[)");
  std::set<std::string> declared;
  std::istringstream in(dot);
  std::vector<std::pair<std::string, std::string>> edges;
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (std::regex_match(line, match, declaration)) {
      if (match[1] == "graph" || match[1] == "node" || match[1] == "edge") continue;  // defaults
      EXPECT_TRUE(std::regex_search(match[2].str(), std::regex(R"(pos="[0-9.]+,[0-9.]+!")"))) << line;
      declared.insert(match[1]);
    } else if (std::regex_search(line, match, edge)) {
      edges.emplace_back(match[1], match[2]);
    }
  }
  EXPECT_FALSE(declared.empty());
  for (const auto& [source, target] : edges) {
    EXPECT_TRUE(declared.count(source)) << source;
    EXPECT_TRUE(declared.count(target)) << target;
  }
}

TEST(DotTraceWriterTest, DrawsExactlyTheMessagesOfTheWindow) {
  DotTraceWriter writer(at_ms(100), at_ms(200));
  writer.set_node_names({"alpha", "beta", "gamma"});
  std::vector<TraceEvent> events;
  append(events, message(1, 0, 1, at_ms(10), at_ms(20), "before"));
  append(events, message(2, 0, 1, at_ms(90), at_ms(110), "crosses the top"));
  append(events, message(3, 1, 2, at_ms(120), at_ms(130), "inside"));
  append(events, message(4, 2, 0, at_ms(150), at_ms(150), "same instant"));
  append(events, message(5, 2, 1, at_ms(190), at_ms(210), "crosses the bottom"));
  append(events, message(6, 1, 0, at_ms(300), at_ms(310), "after"));
  append(events, message(7, 0, 2, at_ms(160), at_ms(160), "lost", TraceKind::drop));
  events.push_back(node_event(TraceKind::crash, at_ms(170), 2));
  events.push_back(node_event(TraceKind::crash, at_ms(50), 1, "outside"));
  feed(writer, events);
  std::string dot = dot_of(writer);

  for (const char* name : {"alpha", "beta", "gamma"}) {
    EXPECT_NE(dot.find(fmt::format("label=\"{}\"", name)), std::string::npos) << name;
  }
  EXPECT_EQ(drawn_message_ids(dot), (std::multiset<uint64_t>{2, 3, 4, 5, 7}));
  // Clipped ends sit on the window's edges: m2 leaves n0 at 100 ms, m5 reaches n1 at 200 ms.
  EXPECT_NE(dot.find("p0_100000000 -> p1_110000000 "), std::string::npos);
  EXPECT_NE(dot.find("p2_190000000 -> p1_200000000 "), std::string::npos);
  EXPECT_NE(dot.find("label=\"X\""), std::string::npos);  // the drop ends in an X
  EXPECT_NE(dot.find("label=\"crash\""), std::string::npos);
  EXPECT_EQ(dot.find("outside"), std::string::npos);
  expect_all_positioned(dot);
}

TEST(DotTraceWriterTest, NamesNodesByIndexWithoutNames) {
  DotTraceWriter writer(Time::zero(), Time::max());
  feed(writer, message(1, 0, 3, at_ms(1), at_ms(2), "hello"));
  std::string dot = dot_of(writer);
  for (int node = 0; node < 4; ++node) {
    EXPECT_NE(dot.find(fmt::format("label=\"n{}\"", node)), std::string::npos) << node;
  }
  expect_all_positioned(dot);
}

TEST(DotTraceWriterTest, DrawsUndeliveredSendsAsInFlight) {
  DotTraceWriter writer(Time::zero(), Time::max());
  std::vector<TraceEvent> events = message(9, 0, 1, at_ms(1), at_ms(2), "never arrives");
  events.pop_back();
  events.push_back(node_event(TraceKind::log, at_ms(5), 1, "still waiting"));
  feed(writer, events);
  std::string dot = dot_of(writer);
  EXPECT_EQ(drawn_message_ids(dot), (std::multiset<uint64_t>{9}));
  EXPECT_NE(dot.find("style=dotted"), std::string::npos);
}

TEST(DotTraceWriterTest, EscapesAndTruncatesLabels) {
  DotTraceWriter writer(Time::zero(), Time::max());
  std::string text = "quote\" back\\ amp& ctl\x01 bad\xff " + std::string(60, 'z');
  feed(writer, message(1, 0, 1, at_ms(1), at_ms(2), text));
  std::string dot = dot_of(writer);
  // 40 characters, then "...": the tooltip keeps more of it.
  std::string label = R"(label="quote\" back\\ amp&amp; ctl  bad? zzzzzzzzzzzz...")";
  EXPECT_NE(dot.find(label), std::string::npos) << dot;
}

bool have_neato() { return std::system("command -v neato >/dev/null 2>&1") == 0; }

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / fmt::format("detsim_trace_{}_{}", getpid(), name);
}

// Renders `dot` with neato -n2 (at most 60 s) and returns the SVG.
std::string render_svg(const std::string& dot, const std::string& name) {
  std::filesystem::path dot_file = temp_path(name + ".dot");
  std::filesystem::path svg_file = temp_path(name + ".svg");
  std::ofstream(dot_file) << dot;
  std::string command = fmt::format("timeout 60 neato -n2 -Tsvg '{}' -o '{}'", dot_file.string(), svg_file.string());
  int status = std::system(command.c_str());
  EXPECT_EQ(status, 0) << command;
  std::ifstream in(svg_file);
  std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(dot_file);
  std::filesystem::remove(svg_file);
  return svg;
}

TEST(DotTraceWriterTest, TwoThousandMessagesRenderWithNeatoQuickly) {
  if (!have_neato()) GTEST_SKIP() << "neato is not on PATH";
  DotTraceWriter writer(Time::zero(), Time::max());
  std::vector<TraceEvent> events;
  uint64_t state = 42;  // a fixed LCG: the diagram is the same every run
  auto next = [&](uint64_t bound) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    return (state >> 33) % bound;
  };
  for (uint64_t id = 1; id <= 2000; ++id) {
    Time sent = at_ms(static_cast<int64_t>(id * 5));
    Time arrived = sent + Duration::microseconds(500 + static_cast<int64_t>(next(20'000)));
    uint32_t source = static_cast<uint32_t>(next(10));
    uint32_t target = (source + 1 + static_cast<uint32_t>(next(9))) % 10;
    append(events, message(id, source, target, sent, arrived, fmt::format("Request{{id={}, \"k\"}}", id),
                           id % 50 == 0 ? TraceKind::drop : TraceKind::deliver));
    if (id % 100 == 0) events.push_back(node_event(TraceKind::crash, sent, source, "kill -9"));
  }
  feed(writer, events);
  std::string dot = dot_of(writer);
  expect_all_positioned(dot);
  std::string svg = render_svg(dot, "big");
  // Canvas height in points, which is pixels at the 72 dpi the file asks for.
  std::smatch match;
  ASSERT_TRUE(std::regex_search(svg, match, std::regex(R"(<svg width="(\d+)pt" height="(\d+)pt")")));
  EXPECT_LT(std::stoi(match[1]), 32767);
  EXPECT_LT(std::stoi(match[2]), 32767);
}

TEST(DotTraceWriterTest, SmallDiagramWithAwkwardTextRenders) {
  if (!have_neato()) GTEST_SKIP() << "neato is not on PATH";
  DotTraceWriter writer(Time::zero(), Time::max());
  writer.set_node_names({"a \"quoted\" name", "back\\slash"});
  std::vector<TraceEvent> events = message(1, 0, 1, at_ms(1), at_ms(2), "x\\\"y\\ & é ✓");
  events.push_back(node_event(TraceKind::pause, at_ms(1), 1, "50ms"));
  TraceEvent verdict;
  verdict.at = at_ms(3);
  verdict.kind = TraceKind::verdict;
  verdict.text = "linearizability violated";
  events.push_back(verdict);
  feed(writer, events);
  std::string svg = render_svg(dot_of(writer), "small");
  EXPECT_NE(svg.find("linearizability violated"), std::string::npos);
}

json perfetto_of(PerfettoTraceWriter& writer) {
  std::ostringstream out;
  writer.write(out);
  return json::parse(out.str());
}

TEST(PerfettoTraceWriterTest, WritesProcessesSlicesAndMatchingFlows) {
  PerfettoTraceWriter writer;
  writer.set_node_names({"alpha", "beta", "gamma"});
  std::vector<TraceEvent> events;
  append(events, message(1, 0, 1, Time::from_ns(1'500), Time::from_ns(2'250), "ping"));
  append(events, message(2, 1, 2, at_ms(3), at_ms(4), "pong"));
  append(events, message(3, 2, 0, at_ms(5), at_ms(5), "lost", TraceKind::drop));
  events.push_back(node_event(TraceKind::pause, at_ms(10), 1, "20ms"));
  events.push_back(node_event(TraceKind::resume, at_ms(30), 1));
  events.push_back(node_event(TraceKind::crash, at_ms(40), 2));
  events.push_back(node_event(TraceKind::boot, at_ms(45), 2, "incarnation=2"));
  events.push_back(node_event(TraceKind::crash, at_ms(50), 0));  // never reboots
  events.push_back(node_event(TraceKind::log, at_ms(60), 1, "said \"hi\""));
  feed(writer, events);
  json trace = perfetto_of(writer);

  ASSERT_TRUE(trace["traceEvents"].is_array());
  std::set<std::string> process_names;
  std::multiset<uint64_t> flows_out, flows_in;
  std::vector<json> slices;
  for (const json& event : trace["traceEvents"]) {
    if (event["ph"] == "M" && event["name"] == "process_name") process_names.insert(event["args"]["name"]);
    if (event["ph"] == "X" && event["cat"] == "status") slices.push_back(event);
    if (event.contains("flow_out")) flows_out.insert(event["bind_id"].get<uint64_t>());
    if (event.contains("flow_in")) flows_in.insert(event["bind_id"].get<uint64_t>());
  }
  EXPECT_EQ(process_names, (std::set<std::string>{"alpha", "beta", "gamma"}));
  EXPECT_EQ(flows_out, (std::multiset<uint64_t>{1, 2, 3}));
  EXPECT_EQ(flows_in, flows_out);
  ASSERT_EQ(slices.size(), 3u);  // paused, down (closed), down (open at the end)
  EXPECT_EQ(slices[0]["name"], "paused");
  EXPECT_EQ(slices[0]["ts"], 10'000);
  EXPECT_EQ(slices[0]["dur"], 20'000);
  EXPECT_EQ(slices[1]["name"], "down");
  EXPECT_EQ(slices[1]["dur"], 5'000);
  EXPECT_EQ(slices[2]["dur"], 10'000);  // to the last event, at 60 ms
}

TEST(PerfettoTraceWriterTest, KeepsNanosecondsAsFractionalMicroseconds) {
  PerfettoTraceWriter writer;
  feed(writer, message(1, 0, 1, Time::from_ns(1'500), Time::from_ns(2'250), "ping"));
  std::ostringstream out;
  writer.write(out);
  EXPECT_NE(out.str().find(R"("ts":1.5,)"), std::string::npos);
  EXPECT_NE(out.str().find(R"("ts":2.25,)"), std::string::npos);
  json trace = json::parse(out.str());
  EXPECT_FALSE(trace["traceEvents"].empty());
}

TEST(PerfettoTraceWriterTest, EmptyTraceIsValidJson) {
  PerfettoTraceWriter writer;
  json trace = perfetto_of(writer);
  EXPECT_TRUE(trace["traceEvents"].is_array());
  EXPECT_TRUE(trace["traceEvents"].empty());
}

}  // namespace
}  // namespace detsim
