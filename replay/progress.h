// A single updating status line on a terminal while many seeds run:
// seeds done/total, failures, ETA. Only for people watching; when stderr
// is not a terminal (CI logs, pipes, tests) it prints nothing at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace detsim {

class Progress {
 public:
  // enabled: the caller decided a person is watching `err`. unit names
  // what is counted: "12/100 seeds".
  Progress(std::ostream& err, bool enabled, uint64_t total, std::string unit = "seeds");
  ~Progress() { clear(); }

  void update(uint64_t done, uint64_t failed);
  // A line of the caller's own instead of "done/total" (explore's time
  // left, seeds, branches, probes), redrawn at the same pace.
  void update(std::string line);
  // Erases the line. Call before printing a result line to a terminal, so
  // the two do not share a row; see before_output().
  void clear();
  // clear(), but only if output goes to a terminal too: when stdout is a
  // file or a pipe, the status line can stay up without flicker.
  void before_output(const std::ostream& out);
  // Redraws the last state after clear().
  void redraw();

 private:
  std::ostream& err_;
  bool enabled_;
  bool shown_ = false;
  uint64_t total_;
  std::string unit_;
  std::string line_;  // update(line)'s, drawn instead of the counts
  uint64_t done_ = 0;
  uint64_t failed_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// True if err is this process's stderr and that is a terminal.
bool is_terminal_stderr(const std::ostream& err);
// True if out is this process's stdout and that is a terminal.
bool is_terminal_stdout(const std::ostream& out);

}  // namespace detsim
