#include "replay/trace_compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "replay/commands.h"
#include "replay/shard.h"
#include "sim/trace/jsonl_writer.h"

namespace detsim {
namespace {

constexpr int kTraceFormatVersion = 1;

std::string shown(const std::optional<std::string>& line, const char* end) { return line ? *line : end; }

// "net.latency (file uniform(1ms, 10ms), here uniform(5ms, 50ms)), ..."
// for the keys whose values differ; "" if none do.
std::string params_difference(const TraceHeader& file, const TraceHeader& here) {
  std::map<std::string, std::string> theirs(file.params.begin(), file.params.end());
  std::map<std::string, std::string> ours(here.params.begin(), here.params.end());
  std::vector<std::string> differing;
  for (const auto& [key, value] : ours) {
    auto found = theirs.find(key);
    const std::string other = found == theirs.end() ? "unset" : found->second;
    if (other != value) differing.push_back(fmt::format("{} (file {}, here {})", key, other, value));
  }
  for (const auto& [key, value] : theirs) {
    if (ours.count(key) == 0) differing.push_back(fmt::format("{} (file {}, here unset)", key, value));
  }
  std::string text;
  for (const std::string& item : differing) text += (text.empty() ? "" : ", ") + item;
  return text;
}

}  // namespace

TraceHeader trace_header_of(const Scenario& scenario, uint64_t seed, std::string_view branch) {
  TraceHeader header{scenario.name, seed, std::string(branch), {}, detsim_version(), {}};
  for (const auto& [key, value] : scenario.params.all()) header.params.emplace_back(key, format_param(value));
  return header;
}

void set_trace_processes(const History& history, const std::vector<std::string>& names, TraceHeader* header) {
  header->processes.clear();
  for (const auto& [process, client] : history.process_clients()) {
    const std::string name = client.index() < names.size() ? names[client.index()] : fmt::format("n{}", client.index());
    header->processes.emplace_back(fmt::format("p{}", process), name);
  }
}

std::string trace_header_line(const TraceHeader& header) {
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  for (const auto& [key, value] : header.params) params[key] = value;
  nlohmann::ordered_json line = {{"detsim_trace", kTraceFormatVersion},
                                 {"version", header.version},
                                 {"scenario", header.scenario},
                                 {"seed", header.seed},
                                 {"branch", header.branch},
                                 {"params", params}};
  if (!header.processes.empty()) {
    nlohmann::ordered_json processes = nlohmann::ordered_json::object();
    for (const auto& [process, client] : header.processes) processes[process] = client;
    line["processes"] = processes;
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<TraceHeader> parse_trace_header(std::string_view line) {
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(line, nullptr, false);
  if (!json.is_object() || !json.contains("detsim_trace")) return std::nullopt;
  try {
    if (json.at("detsim_trace").get<int>() != kTraceFormatVersion) return std::nullopt;
    TraceHeader header;
    header.version = json.at("version").get<std::string>();
    header.scenario = json.at("scenario").get<std::string>();
    header.seed = json.at("seed").get<uint64_t>();
    header.branch = json.value("branch", "");
    for (const auto& [key, value] : json.at("params").items())
      header.params.emplace_back(key, value.get<std::string>());
    // Optional: traces written before it, and models with no history.
    if (json.contains("processes")) {
      for (const auto& [process, client] : json.at("processes").items())
        header.processes.emplace_back(process, client.get<std::string>());
    }
    return header;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a field missing or of another type: not a header this detsim reads
  }
}

std::optional<std::string> TraceComparer::next_expected() {
  std::string line;
  if (!std::getline(expected_, line)) return std::nullopt;
  ++file_events_;
  return line;
}

void TraceComparer::differ(std::optional<std::string> run_line, std::string at, std::optional<std::string> file_line) {
  Difference difference;
  difference.index = run_events_ + (run_line ? 0 : 1);
  difference.at = std::move(at);
  difference.run = std::move(run_line);
  difference.file = std::move(file_line);
  for (size_t i = 0; i < kContext && difference.file; ++i) {
    std::optional<std::string> line = next_expected();
    if (!line) break;
    difference.file_after.push_back(std::move(*line));
  }
  difference_ = std::move(difference);
}

void TraceComparer::record(const TraceEvent& event) {
  ++run_events_;
  std::string line = JsonlTraceWriter::format_line(event, names_);
  if (difference_) {
    if (difference_->run && difference_->run_after.size() < kContext) difference_->run_after.push_back(std::move(line));
    return;
  }
  std::optional<std::string> expected = next_expected();
  if (expected && *expected == line) {
    before_.push_back(std::move(line));
    if (before_.size() > kContext) before_.pop_front();
    return;
  }
  differ(std::move(line), format_trace_time(event.at), std::move(expected));
}

bool TraceComparer::report(std::string_view file_name, std::ostream& out) {
  if (!difference_) {
    // The run ended: any line left in the file is the first difference.
    if (std::optional<std::string> left = next_expected()) differ(std::nullopt, "", std::move(left));
  }
  while (next_expected()) {
    // counting the file's events to its end
  }
  if (!difference_) {
    out << "compare: the same as " << file_name << ": " << run_events_ << " trace events\n";
    return true;
  }
  const Difference& d = *difference_;
  out << "compare: differs from " << file_name << " at trace event " << d.index
      << (d.at.empty() ? " (after the run's last event)" : " (t=" + d.at + ")") << "; the file has " << file_events_
      << " trace events, this run " << run_events_ << '\n';
  uint64_t index = d.index - before_.size();
  for (const std::string& line : before_) out << fmt::format("  {:>9}  both  {}\n", index++, line);
  out << fmt::format("> {:>9}  file  {}\n", d.index, shown(d.file, "(the file ends)"));
  out << fmt::format("> {:>9}  run   {}\n", d.index, shown(d.run, "(the run ends)"));
  const size_t after = std::max(d.file_after.size(), d.run_after.size());
  for (size_t i = 0; i < after; ++i) {
    if (i < d.file_after.size()) out << fmt::format("  {:>9}  file  {}\n", d.index + 1 + i, d.file_after[i]);
    if (i < d.run_after.size()) out << fmt::format("  {:>9}  run   {}\n", d.index + 1 + i, d.run_after[i]);
  }
  return false;
}

CompareAgainst::CompareAgainst(const std::string& path, TraceHeader here)
    : path_(path), here_(std::move(here)), file_(path) {
  const std::string prefix = "--compare " + path + ": ";
  std::string first;
  if (!file_ || !std::getline(file_, first)) throw UsageError(prefix + "cannot read it (or it is empty)");
  std::optional<TraceHeader> header = parse_trace_header(first);
  if (!header) throw UsageError(prefix + "not a detsim trace: its first line is no header (write one with --trace)");
  if (header->scenario != here_.scenario || header->seed != here_.seed) {
    throw UsageError(fmt::format("{}a trace of {} seed {}, not of {} seed {}", prefix, header->scenario, header->seed,
                                 here_.scenario, here_.seed));
  }
  file_header_ = std::move(*header);
}

int CompareAgainst::report(std::ostream& out) {
  const bool same = comparer_.report(path_, out);
  const std::string params = params_difference(file_header_, here_);
  if (!params.empty()) out << "compare: params differ: " << params << '\n';
  if (file_header_.branch != here_.branch) {
    out << "compare: branch differs: file '" << file_header_.branch << "', here '" << here_.branch << "'\n";
  }
  if (file_header_.version != here_.version) {
    out << "compare: the file was written by detsim " << file_header_.version << ", this is " << here_.version << '\n';
  }
  return same ? 0 : 1;
}

}  // namespace detsim
