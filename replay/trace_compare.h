// The divergence finder (`detsim replay ... --compare TRACE.jsonl`): a
// replay walks its own trace in step with a saved one and reports the first
// event that differs, with a few events of context on each side. A
// fingerprint that differs between two builds, commits or compilers then
// has its answer in one command: run `replay --trace` with one binary and
// `replay --compare` with the other (FoundationDB's unseed check, with the
// first divergent event named). docs/bug-finding.md "Where two runs part".
#pragma once

#include <cstdint>
#include <deque>
#include <fstream>
#include <istream>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "replay/scenario.h"
#include "sim/api/history.h"
#include "sim/trace/trace_event.h"

namespace detsim {

// The first line of a --trace file: what was run, so --compare can refuse
// a trace of another scenario or seed, and say when the params or the
// detsim version differ.
struct TraceHeader {
  std::string scenario;  // Scenario::name
  uint64_t seed = 0;
  std::string branch;                                       // explore's branch path, "" for none
  std::vector<std::pair<std::string, std::string>> params;  // every key, format_param()
  std::string version;                                      // detsim_version()
  // The client history's process ids by client name, "p11" -> "c9" (a
  // client takes a new process after an info), so that a history's
  // `process` reads as the node the trace names. Empty when the model
  // records no history; absent from older traces.
  std::vector<std::pair<std::string, std::string>> processes;
};
TraceHeader trace_header_of(const Scenario& scenario, uint64_t seed, std::string_view branch);
// header.processes from a run's history and node names (RunResult::node_names).
void set_trace_processes(const History& history, const std::vector<std::string>& names, TraceHeader* header);
// One JSON line, no newline: {"detsim_trace":1,"version":...,...}.
std::string trace_header_line(const TraceHeader& header);
// The header from a trace's first line; nullopt if that line is not one.
std::optional<TraceHeader> parse_trace_header(std::string_view line);

// Compares the events of a run, as JSON lines (JsonlTraceWriter), with the
// lines of a saved trace whose header was already read from `expected`.
// Keeps only a few lines of context, so a long trace costs no memory.
class TraceComparer final : public TraceSink {
 public:
  static constexpr size_t kContext = 3;
  explicit TraceComparer(std::istream& expected) : expected_(expected) {}
  void record(const TraceEvent& event) override;
  // Lines name nodes as the --trace file does (JsonlTraceWriter).
  void set_node_names(const std::vector<std::string>& names) override { names_ = names; }

  // After the run: the summary line, then the aligned context lines.
  // Returns true if the run's trace and the file are the same.
  bool report(std::string_view file_name, std::ostream& out);
  // The 1-based index of the first differing event, 0 if none (yet).
  uint64_t first_difference() const { return difference_ ? difference_->index : 0; }

 private:
  struct Difference {
    uint64_t index = 0;
    std::string at;                   // the run's event time there, "" at the run's end
    std::optional<std::string> file;  // nullopt: the file ended first
    std::optional<std::string> run;   // nullopt: the run ended first
    std::vector<std::string> file_after;
    std::vector<std::string> run_after;
  };
  std::optional<std::string> next_expected();
  // Records the first difference, then reads the file's context after it.
  void differ(std::optional<std::string> run_line, std::string at, std::optional<std::string> file_line);

  std::istream& expected_;
  std::vector<std::string> names_;
  uint64_t run_events_ = 0;
  uint64_t file_events_ = 0;
  std::deque<std::string> before_;  // the last kContext equal lines
  std::optional<Difference> difference_;
};

// `replay --compare FILE`: opens the saved trace and checks its header
// against this replay's before anything runs. Throws UsageError (exit 64,
// one line) when the file cannot be read, has no trace header, or is a
// trace of another scenario or seed.
class CompareAgainst {
 public:
  CompareAgainst(const std::string& path, TraceHeader here);
  TraceSink* sink() { return &comparer_; }
  // The comparison (TraceComparer::report), then a line on params or a
  // detsim version that differ from the file's. 0: the same, 1: differs.
  int report(std::ostream& out);

 private:
  std::string path_;
  TraceHeader here_;
  TraceHeader file_header_;
  std::ifstream file_;
  TraceComparer comparer_{file_};  // after file_, which it reads
};

}  // namespace detsim
