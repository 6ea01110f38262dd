// Histories on disk: JSON lines (what detsim writes) and Jepsen's EDN,
// either one map per line (what Jepsen's history.edn holds) or one
// vector or list of maps (how Knossos ships its test histories), detected
// per file from its first character that is not blank or an EDN comment:
// `{:`, `[`, `(` or `#_` is EDN, any other `{` JSON. docs/checker.md
// shows all three.
//
//   {"process":0,"type":"invoke","f":"write","key":"x","value":3,"time_ns":1200}
//   {:process 0, :type :invoke, :f :write, :value 3, :time 1200}
//   [{:process 0, :type :invoke, :f :write, :value 3}
//    {:process 0, :type :ok, :f :write, :value 3}]
//
// `key` and `time_ns` (EDN: :key, :time) are optional; times are used only
// when every line has one, else the line order is the real-time order.
// Unknown keys are ignored. EDN events of the nemesis (a keyword
// :process) are skipped. A malformed line is one error "FILE:LINE: what
// was expected", naming the format being read, and nothing else is
// returned (STYLE.md rule 6).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/history.h"
#include "sim/check/operations.h"

namespace detsim::check {

struct LoadedHistory {
  History history;
  std::vector<size_t> lines;          // per event: its 1-based line in the file
  std::vector<Operation> operations;  // paired (pair_operations)
  // Each process's client, from the lines' "client" (what detsim writes).
  std::map<int64_t, std::string> process_clients;
};

// Thrown by the readers when should_stop said to stop: reading a large
// file takes seconds, longer than a time limit's margin.
struct ReadStopped {};

// name is what error messages call the input (the file's path).
// should_stop, if given, is polled every few hundred events.
std::optional<LoadedHistory> parse_history(std::string_view text, const std::string& name, std::string* error,
                                           const std::function<bool()>& should_stop = {});
// Reads path; an unreadable file is an error too ("cannot read FILE: ...").
std::optional<LoadedHistory> read_history_file(const std::string& path, std::string* error,
                                               const std::function<bool()>& should_stop = {});

// One JSON line per event, in the form parse_history reads back. With
// node names (RunResult::node_names), each line whose process is bound to
// a client (History::bind_process) says which: "client":"c3".
void write_history_jsonl(const History& history, std::ostream& out, const std::vector<std::string>& names = {});

// ---- the two formats (history_io.cc, history_edn.cc) ----

// How deep a value may nest ([, {, (): a history value nests two deep (a
// cas's [old new]); the readers recurse per level, so a hostile line is
// rejected here rather than run them off the stack. (A top-level vector
// of maps is read map by map and does not count.)
inline constexpr size_t kMaxHistoryNesting = 64;

// What one line says. ok = false with a reason (the "what was expected").
struct ParsedLine {
  bool skip = false;  // a nemesis line
  HistoryEvent event;
  bool has_time = false;
  std::string client;  // JSON "client": the node the process belongs to
};
std::optional<ParsedLine> parse_json_line(std::string_view line, std::string* reason);

struct LocatedEvent {
  ParsedLine parsed;
  size_t line = 0;  // 1-based: where its map starts
};
// Every event of an EDN text, in either layout; nemesis events are left
// out. nullopt with *line and *reason at the first malformed place.
// Throws ReadStopped when should_stop says so.
std::optional<std::vector<LocatedEvent>> parse_edn_events(std::string_view text, size_t* line, std::string* reason,
                                                          const std::function<bool()>& should_stop);

}  // namespace detsim::check
