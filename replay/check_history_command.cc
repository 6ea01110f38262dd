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

// Where the counterexample's operations are in the file: their invoke and
// completion lines (1-based), and the client their process belongs to.
struct OperationPlaces {
  const std::vector<size_t>* lines = nullptr;  // per event (LoadedHistory::lines)
  const std::map<int64_t, std::string>* clients = nullptr;

  size_t line(size_t event) const { return lines != nullptr && event < lines->size() ? (*lines)[event] : 0; }
  std::string client(int64_t process) const {
    if (clients == nullptr) return "";
    auto it = clients->find(process);
    return it == clients->end() ? "" : it->second;
  }
};

nlohmann::ordered_json value_json(const OpValue& value) {
  return nlohmann::ordered_json::parse(check::format_value(value));
}

// {process, client, f, key, value, result, type, invoke_s, complete_s,
// line, complete_line}: one object per counterexample operation.
nlohmann::ordered_json operation_json(const check::Operation& op, const OperationPlaces& places) {
  nlohmann::ordered_json json;
  json["process"] = op.process;
  const std::string client = places.client(op.process);
  if (!client.empty()) json["client"] = client;
  json["f"] = op.f;
  json["key"] = op.key;
  json["value"] = value_json(op.argument);
  json["result"] = value_json(op.result);
  json["type"] = to_string(op.outcome);
  const bool completed = op.complete_at != Time::max();
  json["invoke_s"] = op.has_time ? nlohmann::ordered_json(op.invoke_at.to_seconds()) : nlohmann::ordered_json();
  json["complete_s"] =
      op.has_time && completed ? nlohmann::ordered_json(op.complete_at.to_seconds()) : nlohmann::ordered_json();
  json["line"] = places.line(op.invoke_event);
  if (op.complete_event != SIZE_MAX) json["complete_line"] = places.line(op.complete_event);
  return json;
}

// The text counterexample's "after:" and "cannot linearize:" lines name
// operations in counterexample_operations' order; each gets its line.
std::vector<std::string> cited_lines(const check::CheckReport& report, const OperationPlaces& places) {
  std::vector<std::string> lines = report.counterexample;
  size_t next = 0;
  for (std::string& line : lines) {
    if (!line.starts_with("after: ") && !line.starts_with("cannot linearize: ")) continue;
    if (next >= report.counterexample_operations.size()) break;
    const check::Operation& op = report.counterexample_operations[next++];
    const std::string client = places.client(op.process);
    const std::string lines_text =
        op.complete_event == SIZE_MAX
            ? fmt::format("line {}", places.line(op.invoke_event))
            : fmt::format("lines {}-{}", places.line(op.invoke_event), places.line(op.complete_event));
    line += fmt::format(" ({}{})", lines_text, client.empty() ? "" : ", client " + client);
  }
  return lines;
}

void print_report(const check::CheckReport& report, const OperationPlaces& places, double wall_s, bool json,
                  std::ostream& out) {
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
      nlohmann::ordered_json operations = nlohmann::ordered_json::array();
      for (const check::Operation& op : report.counterexample_operations)
        operations.push_back(operation_json(op, places));
      line["counterexample_ops"] = operations;
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
  for (const std::string& line : cited_lines(report, places)) out << "  " << line << '\n';
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
                                  const check::CheckOptions& check_options,
                                  std::optional<check::LoadedHistory>& loaded) {
  std::string error;
  loaded = check::read_history_file(options.file, &error, check_options.should_stop);
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
  std::optional<check::LoadedHistory> loaded;
  try {
    report = read_and_check(options, *datatype, check_options, loaded);
  } catch (const check::ReadStopped&) {
    report = unknown_report("time limit reached while reading " + options.file);
  } catch (const std::bad_alloc&) {
    // The counted limit (--memory-limit) is meant to come first; a
    // smaller address space or container limit can still beat it.
    report = unknown_report("out of memory (std::bad_alloc); try a smaller --memory-limit");
  }
  const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  OperationPlaces places;
  if (loaded) places = {&loaded->lines, &loaded->process_clients};
  print_report(report, places, wall_s, options.json, out);
  return exit_code(report.verdict);
}

}  // namespace detsim
