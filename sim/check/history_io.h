// Histories on disk: JSON lines (what detsim writes) and Jepsen's EDN map
// lines (what Jepsen's history.edn holds), detected per file from the first
// non-blank line: `{"` is JSON, `{:` is EDN. docs/checker.md shows both.
//
//   {"process":0,"type":"invoke","f":"write","key":"x","value":3,"time_ns":1200}
//   {:process 0, :type :invoke, :f :write, :value 3, :time 1200}
//
// `key` and `time_ns` (EDN: :key, :time) are optional; times are used only
// when every line has one, else the line order is the real-time order.
// Unknown keys are ignored. EDN lines of the nemesis (a keyword :process)
// are skipped. A malformed line is one error "FILE:LINE: what was
// expected", and nothing else is returned (STYLE.md rule 6).
#pragma once

#include <functional>
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

// One JSON line per event, in the form parse_history reads back.
void write_history_jsonl(const History& history, std::ostream& out);

// ---- one line of each format (history_io.cc, history_edn.cc) ----

// How deep a line may nest ([, {, (): a history value nests two deep (a
// cas's [old new]); the readers recurse per level, so a hostile line is
// rejected here rather than run them off the stack.
inline constexpr size_t kMaxHistoryNesting = 64;

// What one line says. ok = false with a reason (the "what was expected").
struct ParsedLine {
  bool skip = false;  // a nemesis line
  HistoryEvent event;
  bool has_time = false;
};
std::optional<ParsedLine> parse_json_line(std::string_view line, std::string* reason);
std::optional<ParsedLine> parse_edn_line(std::string_view line, std::string* reason);

}  // namespace detsim::check
