#include "replay/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

namespace detsim {
namespace {

// Redrawing faster than this only costs terminal time.
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
// Carriage return, then "erase to end of line".
constexpr const char* kEraseLine = "\r\x1b[K";

std::string format_eta(double seconds) {
  auto whole = static_cast<uint64_t>(seconds + 0.5);
  if (whole < 60) return fmt::format("{}s", whole);
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, whole % 3600 / 60);
}

}  // namespace

bool is_terminal_stderr(const std::ostream& err) { return &err == &std::cerr && isatty(STDERR_FILENO) == 1; }

bool is_terminal_stdout(const std::ostream& out) { return &out == &std::cout && isatty(STDOUT_FILENO) == 1; }

Progress::Progress(std::ostream& err, bool enabled, uint64_t total, std::string unit)
    : err_(err), enabled_(enabled), total_(total), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()) {}

void Progress::update(uint64_t done, uint64_t failed) {
  done_ = done;
  failed_ = failed;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  redraw();
}

void Progress::update(std::string line) {
  line_ = std::move(line);
  update(done_, failed_);
}

void Progress::redraw() {
  if (!enabled_) return;
  last_draw_ = std::chrono::steady_clock::now();
  std::string line = fmt::format("{}/{} {}, {} failed", done_, total_, unit_, failed_);
  if (done_ > 0 && done_ < total_) {
    double elapsed_s = std::chrono::duration<double>(last_draw_ - start_).count();
    double remaining_s = elapsed_s / static_cast<double>(done_) * static_cast<double>(total_ - done_);
    line += ", eta " + format_eta(remaining_s);
  }
  err_ << kEraseLine << (line_.empty() ? line : line_) << std::flush;
  shown_ = true;
}

void Progress::before_output(const std::ostream& out) {
  if (is_terminal_stdout(out)) clear();
}

void Progress::clear() {
  if (!shown_) return;
  err_ << kEraseLine << std::flush;
  shown_ = false;
}

}  // namespace detsim
