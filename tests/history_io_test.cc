// History files (sim/check/history_io.h): JSON lines round-trip through the
// writer, Jepsen EDN lines parse with the values Jepsen writes, and every
// malformed line is one error naming the file and line.
#include "sim/check/history_io.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/history_gen.h"

namespace detsim::check {
namespace {

LoadedHistory parse_ok(const std::string& text) {
  std::string error;
  std::optional<LoadedHistory> loaded = parse_history(text, "h.txt", &error);
  EXPECT_TRUE(loaded.has_value()) << error;
  return loaded ? std::move(*loaded) : LoadedHistory{};
}

std::string parse_error(const std::string& text) {
  std::string error;
  EXPECT_FALSE(parse_history(text, "h.txt", &error).has_value()) << text;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  return error;
}

TEST(HistoryIo, JsonLinesRoundTripThroughTheWriter) {
  History history =
      testing::generate_history({.seed = 5, .keys = 3, .operations = 200, .kv = true, .info_probability = 0.2});
  std::ostringstream out;
  write_history_jsonl(history, out);
  LoadedHistory loaded = parse_ok(out.str());
  ASSERT_EQ(loaded.history.events().size(), history.events().size());
  for (size_t i = 0; i < history.events().size(); ++i) {
    const HistoryEvent& a = history.events()[i];
    const HistoryEvent& b = loaded.history.events()[i];
    EXPECT_EQ(a.process, b.process);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.f, b.f);
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.value, b.value) << i;
    EXPECT_EQ(a.time, b.time);
    EXPECT_TRUE(b.has_time);
  }
  EXPECT_EQ(loaded.lines.back(), history.events().size());
}

TEST(HistoryIo, JsonLineFieldsAndOptionalKeyAndTime) {
  LoadedHistory loaded = parse_ok(
      "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"x\",\"value\":3,\"time_ns\":1200}\n\n"
      "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"x\",\"value\":3,\"extra\":{\"a\":1}}\n");
  ASSERT_EQ(loaded.history.events().size(), 2u);
  EXPECT_EQ(loaded.history.events()[0].key, "x");
  EXPECT_EQ(loaded.history.events()[0].value, OpValue::of(3));
  EXPECT_FALSE(loaded.history.events()[0].has_time);  // not every line has a time
  EXPECT_EQ(loaded.lines[1], 3u);
  ASSERT_EQ(loaded.operations.size(), 1u);
  EXPECT_EQ(loaded.operations[0].outcome, OpType::ok);
}

TEST(HistoryIo, EdnLinesAsJepsenWritesThem) {
  LoadedHistory loaded = parse_ok(
      "{:process 0, :type :invoke, :f :read, :value nil, :time 10}\n"
      "{:type :info, :f :start, :process :nemesis, :value [:isolated {\"n1\" #{\"n2\"}}], :time 11}\n"
      "{:process 0, :type :ok, :f :read, :value 3, :time 12, :index 1}\n"
      "{:process 9, :type :invoke, :f :append, :key \"0\", :value \"x \\\"9\\\" 0\\ty\", :time 13}\n"
      "{:process 9, :type :fail, :f :append, :key \"0\", :value nil, :error [:timeout \"t\"], :time 14}\n"
      "{:process 1, :type :invoke, :f :cas, :value [1 2], :time 15} ; comment\n"
      "{:process 1, :type :ok, :f :cas, :value (1 2), :time 16}\n");
  const auto& events = loaded.history.events();
  ASSERT_EQ(events.size(), 6u);  // the nemesis line is skipped
  EXPECT_EQ(events[1].value, OpValue::of(3));
  EXPECT_EQ(events[2].key, "0");
  EXPECT_EQ(events[2].value, OpValue::of("x \"9\" 0\ty"));
  EXPECT_EQ(events[4].value, testing::pair_value(1, 2));
  EXPECT_EQ(events[5].value, testing::pair_value(1, 2));
  EXPECT_TRUE(events[0].has_time);
  EXPECT_EQ(events[5].time, Time::from_ns(16));
  EXPECT_EQ(loaded.lines[1], 3u);
  EXPECT_EQ(loaded.operations.size(), 3u);
}

TEST(HistoryIo, EveryMalformedLineNamesFileAndLine) {
  const std::string good = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n";
  EXPECT_EQ(parse_error(good + "{\"process\":1,\"type\":\"ok\",\"f\":\"read\"}\n")
                .rfind("h.txt:2: ok of process 1 with no outstanding invoke", 0),
            0u);
  EXPECT_EQ(
      parse_error(good + "{\"process\":0,\"type\":\"done\",\"f\":\"read\"}\n").rfind("h.txt:2: expected \"type\"", 0),
      0u);
  EXPECT_EQ(parse_error("{\"type\":\"invoke\",\"f\":\"read\"}\n").rfind("h.txt:1: expected \"process\"", 0), 0u);
  EXPECT_EQ(parse_error("{\"process\":0,\"type\":\"invoke\"}\n").rfind("h.txt:1: expected \"f\"", 0), 0u);
  EXPECT_EQ(parse_error("{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1.5}\n")
                .rfind("h.txt:1: expected \"value\"", 0),
            0u);
  EXPECT_EQ(parse_error(good + "\n{\"process\":0} junk\n").rfind("h.txt:3: expected one JSON object", 0), 0u);
  EXPECT_EQ(parse_error(good + good).rfind("h.txt:2: process 0 invokes again", 0), 0u);
  EXPECT_EQ(
      parse_error("{:process 0, :type :invoke, :f :read} junk\n").rfind("h.txt:1: expected the end of the line", 0),
      0u);
  EXPECT_EQ(
      parse_error("{:process 0, :type :invoke, :f :read\n").rfind("h.txt:1: expected an EDN map: expected '}'", 0), 0u);
  EXPECT_EQ(parse_error("{:process 0, :type :begin, :f :read}\n").rfind("h.txt:1: expected :type", 0), 0u);
  EXPECT_EQ(parse_error("{:type :invoke, :f :read}\n").rfind("h.txt:1: expected :process", 0), 0u);
  EXPECT_EQ(parse_error("{:process 0, :type :invoke}\n").rfind("h.txt:1: expected :f", 0), 0u);
  EXPECT_EQ(parse_error("{:process 0, :type :invoke, :f :write, :value 1.5}\n").rfind("h.txt:1: expected :value", 0),
            0u);
  EXPECT_EQ(parse_error("{:process 0, :type :invoke, :f :write, :value \"a\\q\"}\n")
                .rfind("h.txt:1: expected an EDN map: expected a string escape", 0),
            0u);
  EXPECT_EQ(parse_error("{:process 1, :type :ok, :f :read}\n").rfind("h.txt:1: ok of process 1", 0), 0u);
}

// Knossos ships its test histories as one vector (or list) of maps, maps
// spanning lines, with comments and discards; they used to be rejected
// with a message about JSON.
TEST(HistoryIo, EdnWholeFileVectorAsKnossosShipsIt) {
  LoadedHistory loaded = parse_ok(
      "; a cas register, Knossos's layout\n"
      "[{:process 0, :type :invoke, :f :write, :value 1}\n"
      " {:process 0,\n"
      "  :type :ok,\n"
      "  :f :write, :value 1}\n"
      " #_{:process 9, :type :invoke, :f :read, :value nil} ; discarded\n"
      " {:process :nemesis, :type :info, :f :start, :value nil}\n"
      " {:process 1, :type :invoke, :f :cas, :value [1 2]}\n"
      " {:process 1, :type :ok, :f :cas, :value [1 2]}]\n");
  const auto& events = loaded.history.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].type, OpType::ok);
  EXPECT_EQ(events[3].value, testing::pair_value(1, 2));
  EXPECT_EQ(loaded.lines, (std::vector<size_t>{2, 3, 8, 9}));  // where each map starts
  EXPECT_EQ(loaded.operations.size(), 2u);
  LoadedHistory list = parse_ok(
      "({:process 0 :type :invoke :f :read :value nil}\n"
      " {:process 0 :type :ok :f :read :value nil})");
  EXPECT_EQ(list.history.events().size(), 2u);
  LoadedHistory spanning = parse_ok("{:process 0, :type :invoke,\n :f :read}\n{:process 0, :type :ok, :f :read}\n");
  EXPECT_EQ(spanning.lines, (std::vector<size_t>{1, 3}));
}

// Errors name the format being read and the line of the problem.
TEST(HistoryIo, ErrorsNameTheFormatBeingRead) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[{:process 0, :type :invoke, :f :read}\n :oops]\n", "h.txt:2: expected an EDN map {:process"},
      {"[{:process 0, :type :invoke, :f :read}\n {:process 0, :type :ok, :f :read}\n",
       "h.txt:1: expected an EDN map: expected ']' closing the vector or list at column 1"},
      {"\n[{:process 0, :type :invoke\n   :f :read, :value \"a\\q\"}]",
       "h.txt:3: expected an EDN map: expected a string escape"},
      {"[{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}]\n", "h.txt:1: a JSON array: expected JSON lines"},
      {"\n\nprocess 0 invoke read\n", "h.txt:3: expected a history: JSON lines like"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(parse_error(text).rfind(expected, 0), 0u) << parse_error(text);
}

TEST(HistoryIo, UnreadableFileIsOneError) {
  std::string error;
  EXPECT_FALSE(read_history_file("/nonexistent/h.jsonl", &error).has_value());
  EXPECT_EQ(error.rfind("cannot read /nonexistent/h.jsonl", 0), 0u) << error;
}

}  // namespace
}  // namespace detsim::check
