// `detsim check-history --model register|kv FILE [--budget STEPS]
// [--time-limit SECONDS] [--memory-limit MB] [--json]`: checks a history
// file (JSON lines or Jepsen EDN) for linearizability. Exit 0
// linearizable, 1 not, 2 unknown (budget, time or memory limit, or the
// allocator failing), 64 bad input. docs/checker.md.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <new>
#include <nlohmann/json.hpp>

#include "replay/commands.h"
#include "sim/check/history_io.h"
#include "sim/check/linearizability.h"

namespace detsim {
namespace {

constexpr int kExitNotLinearizable = 1;
constexpr int kExitUnknown = 2;

int exit_code(check::Linearizability verdict) {
  switch (verdict) {
    case check::Linearizability::linearizable: return 0;
    case check::Linearizability::not_linearizable: return kExitNotLinearizable;
    case check::Linearizability::unknown: return kExitUnknown;
  }
  return kExitUnknown;
}

using Clock = std::chrono::steady_clock;

check::CheckOptions options_of(const CheckHistoryOptions& options, Clock::time_point start) {
  check::CheckOptions check_options;
  if (options.budget) check_options.step_budget = *options.budget;
  if (options.memory_limit_mb) {
    if (*options.memory_limit_mb == 0 || *options.memory_limit_mb > (uint64_t{1} << 40))
      throw UsageError(fmt::format("--memory-limit {}: expected a positive number of MB", *options.memory_limit_mb));
    check_options.memory_limit_bytes = *options.memory_limit_mb << 20;
  }
  if (options.time_limit_s) {
    if (!std::isfinite(*options.time_limit_s) || *options.time_limit_s <= 0)
      throw UsageError(fmt::format("--time-limit {}: expected a positive number of seconds", *options.time_limit_s));
    const auto limit = std::chrono::duration<double>(*options.time_limit_s);
    check_options.should_stop = [start, limit] { return Clock::now() - start >= limit; };
  }
  return check_options;
}

void print_report(const check::CheckReport& report, double wall_s, bool json, std::ostream& out) {
  if (json) {
    nlohmann::ordered_json line;
    line["verdict"] = to_string(report.verdict);
    line["ops"] = report.operations;
    line["keys"] = report.keys;
    line["steps"] = report.steps;
    line["wall_s"] = wall_s;
    if (report.verdict != check::Linearizability::linearizable) {
      line["key"] = report.key;
      line["counterexample"] = report.counterexample;
    }
    out << line.dump() << '\n';
    return;
  }
  // No key when none was reached (the time limit ran out while reading).
  std::string key = report.verdict == check::Linearizability::linearizable || report.keys == 0
                        ? ""
                        : " key=" + check::format_value(OpValue::of(report.key));
  out << fmt::format("verdict={}{} ops={} keys={} steps={} wall_s={:.3f}\n", to_string(report.verdict), key,
                     report.operations, report.keys, report.steps, wall_s);
  for (const std::string& line : report.counterexample) out << "  " << line << '\n';
}

}  // namespace

namespace {

// An unknown verdict that no search produced: the time limit ran out while
// reading, or the allocator failed.
check::CheckReport unknown_report(std::string why) {
  check::CheckReport report;
  report.verdict = check::Linearizability::unknown;
  report.summary = std::move(why);
  report.counterexample.push_back(report.summary);
  return report;
}

check::CheckReport read_and_check(const CheckHistoryOptions& options, check::Datatype datatype,
                                  const check::CheckOptions& check_options) {
  std::string error;
  std::optional<check::LoadedHistory> loaded =
      check::read_history_file(options.file, &error, check_options.should_stop);
  if (!loaded) throw UsageError(error);
  // Nothing to check is no pass: an empty file or one with only nemesis
  // lines would otherwise read as "linearizable" in a CI log.
  if (loaded->operations.empty()) throw UsageError(options.file + ": no client operations to check");
  if (std::optional<check::HistoryError> invalid = check::validate_operations(loaded->operations, datatype)) {
    throw UsageError(fmt::format("{}:{}: {}", options.file, loaded->lines[invalid->event], invalid->message));
  }
  return check::check_operations(loaded->operations, datatype, check_options);
}

}  // namespace

int check_history_command(const CheckHistoryOptions& options, std::ostream& out) {
  // The time limit counts from here: reading a large file is part of it.
  const auto start = Clock::now();
  std::optional<check::Datatype> datatype = check::parse_datatype(options.model);
  if (!datatype) throw UsageError("--model " + options.model + ": expected register or kv");
  const check::CheckOptions check_options = options_of(options, start);
  check::CheckReport report;
  try {
    report = read_and_check(options, *datatype, check_options);
  } catch (const check::ReadStopped&) {
    report = unknown_report("time limit reached while reading " + options.file);
  } catch (const std::bad_alloc&) {
    // The counted limit (--memory-limit) is meant to come first; a
    // smaller address space or container limit can still beat it.
    report = unknown_report("out of memory (std::bad_alloc); try a smaller --memory-limit");
  }
  const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  print_report(report, wall_s, options.json, out);
  return exit_code(report.verdict);
}

}  // namespace detsim
