// Running a seed and printing its result in the forms scripts rely on
// (DESIGN.md "Command line"): key=value text lines or JSON lines.
#include "replay/outcome.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cmath>
#include <exception>

#include "replay/commands.h"
#include "sim/core/assert.h"
#include "sim/fault/node_names.h"
#include "sim/world/simulation.h"

namespace detsim {
namespace {

constexpr Verdict kVerdicts[] = {Verdict::pass, Verdict::safety, Verdict::liveness, Verdict::model_crashed};

Verdict verdict_from_code(int code) {
  DETSIM_ASSERT(code >= 0);
  DETSIM_ASSERT(code <= static_cast<int>(Verdict::model_crashed));
  return static_cast<Verdict>(code);
}

// Counters print as integers; anything else with 6 significant digits.
bool is_integral(double value) { return std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15; }

std::string format_metric(double value) {
  if (is_integral(value)) return fmt::format("{}", static_cast<int64_t>(value));
  return fmt::format("{:.6g}", value);
}

nlohmann::json metric_json(double value) {
  if (is_integral(value)) return static_cast<int64_t>(value);
  if (!std::isfinite(value)) return nullptr;  // JSON has no NaN or infinity
  return value;
}

nlohmann::json violation_at_json(const SeedOutcome& outcome) {
  if (!outcome.violation_at_s) return nullptr;
  return *outcome.violation_at_s;
}

// " violation_at=1.358s violation_nodes=s0,c9", or "" when the check did
// not say when or where. Millisecond precision, like sim_s.
std::string violation_text(const SeedOutcome& outcome) {
  std::string text;
  if (outcome.violation_at_s) text += fmt::format(" violation_at={:.3f}s", *outcome.violation_at_s);
  if (!outcome.violation_nodes.empty())
    text += fmt::format(" violation_nodes={}", fmt::join(outcome.violation_nodes, ","));
  return text;
}

}  // namespace

std::string named_faults(const SeedOutcome& outcome) {
  return name_nodes_in_fault_text(outcome.faults, outcome.node_names);
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string fingerprint_text(uint64_t fingerprint) { return fmt::format("{:016x}", fingerprint); }

SeedOutcome run_seed(const Scenario& scenario, uint64_t seed, TraceSink* trace, ClientHistory* history,
                     const BranchSetup* branches) {
  RunRequest request;
  if (branches != nullptr) {
    request.branches = branches->path;
    request.wants_branch = branches->wants_branch;
    request.branch_salt = branches->branch_salt;
  }
  request.model = scenario.model;
  request.params = scenario.params;
  request.seed = seed;
  request.trace = trace;
  request.history_out = history;
  auto start = std::chrono::steady_clock::now();
  SeedOutcome outcome;
  try {
    RunResult result = simulate(request);
    outcome.verdict = result.verdict;
    outcome.property = std::move(result.property);
    outcome.detail = std::move(result.detail);
    outcome.stop_reason = std::move(result.stop_reason);
    outcome.faults = result.faults.to_short_string();
    outcome.node_names = std::move(result.node_names);
    if (result.violation_at) outcome.violation_at_s = result.violation_at->to_seconds();
    outcome.violation_nodes = std::move(result.violation_nodes);
    outcome.swarm = std::move(result.swarm);
    outcome.events = result.events;
    outcome.sim_s = result.sim_seconds;
    outcome.fingerprint = result.fingerprint;
    outcome.metrics = std::move(result.metrics);
    outcome.probes = std::move(result.probes);
    outcome.clients = std::move(result.clients);
  } catch (const std::exception& error) {
    // simulate() turns model failures into verdicts itself; this is the
    // last line of defence, so one seed cannot take the others down.
    outcome = crashed_outcome(seed, std::string("uncaught exception: ") + error.what(), 0);
    outcome.property = "uncaught_exception";
  }
  outcome.seed = seed;
  if (branches != nullptr) outcome.branch = branch_path_text(branches->path);
  outcome.wall_s = seconds_since(start);
  return outcome;
}

SeedOutcome crashed_outcome(uint64_t seed, std::string detail, double wall_s) {
  SeedOutcome outcome;
  outcome.seed = seed;
  outcome.verdict = Verdict::model_crashed;
  outcome.property = "process_crashed";
  outcome.detail = std::move(detail);
  outcome.stop_reason = "crashed";
  outcome.wall_s = wall_s;
  return outcome;
}

nlohmann::json to_wire(const SeedOutcome& outcome) {
  nlohmann::json metrics = nlohmann::json::array();
  for (const Metric& metric : outcome.metrics) metrics.push_back({metric.name, metric.value});
  nlohmann::json probes = nlohmann::json::array();
  for (const ProbeCount& probe : outcome.probes) probes.push_back({probe.name, probe.hits});
  return {{"seed", outcome.seed},
          {"branch", outcome.branch},
          {"verdict", static_cast<int>(outcome.verdict)},
          {"property", outcome.property},
          {"detail", outcome.detail},
          {"stop_reason", outcome.stop_reason},
          {"faults", outcome.faults},
          {"swarm", outcome.swarm},
          {"events", outcome.events},
          {"sim_s", outcome.sim_s},
          {"wall_s", outcome.wall_s},
          {"fingerprint", outcome.fingerprint},
          {"metrics", metrics},
          {"probes", probes},
          {"violation_at_s", violation_at_json(outcome)},
          {"violation_nodes", outcome.violation_nodes},
          {"node_names", outcome.node_names}};
}

SeedOutcome from_wire(const nlohmann::json& wire) {
  SeedOutcome outcome;
  outcome.seed = wire.at("seed").get<uint64_t>();
  outcome.branch = wire.at("branch").get<std::string>();
  outcome.verdict = verdict_from_code(wire.at("verdict").get<int>());
  outcome.property = wire.at("property").get<std::string>();
  outcome.detail = wire.at("detail").get<std::string>();
  outcome.stop_reason = wire.at("stop_reason").get<std::string>();
  outcome.faults = wire.at("faults").get<std::string>();
  outcome.swarm = wire.at("swarm").get<std::string>();
  outcome.events = wire.at("events").get<uint64_t>();
  outcome.sim_s = wire.at("sim_s").get<double>();
  outcome.wall_s = wire.at("wall_s").get<double>();
  outcome.fingerprint = wire.at("fingerprint").get<uint64_t>();
  for (const nlohmann::json& metric : wire.at("metrics")) {
    // JSON has no NaN: a NaN metric crosses the pipe as null.
    double value = metric.at(1).is_null() ? std::nan("") : metric.at(1).get<double>();
    outcome.metrics.push_back({metric.at(0).get<std::string>(), value});
  }
  if (wire.contains("violation_at_s") && !wire.at("violation_at_s").is_null())
    outcome.violation_at_s = wire.at("violation_at_s").get<double>();
  if (wire.contains("violation_nodes"))
    outcome.violation_nodes = wire.at("violation_nodes").get<std::vector<std::string>>();
  if (wire.contains("node_names")) outcome.node_names = wire.at("node_names").get<std::vector<std::string>>();
  for (const nlohmann::json& probe : wire.at("probes")) {
    outcome.probes.push_back({probe.at(0).get<std::string>(), probe.at(1).get<uint64_t>()});
  }
  return outcome;
}

std::string reproduce_command(const Scenario& scenario, uint64_t seed, std::string_view branch) {
  std::string command =
      shell_quote(scenario.program) + " replay " + shell_quote(scenario.argument) + " --seed " + std::to_string(seed);
  if (!branch.empty()) command += " --branch " + shell_quote(branch);
  for (const std::string& assignment : scenario.overrides) command += " --set " + shell_quote(assignment);
  if (scenario.faults) command += " --faults " + shell_quote(*scenario.faults);
  return command;
}

void print_text(const Scenario& scenario, const SeedOutcome& outcome, std::ostream& out) {
  print_text(outcome, reproduce_command(scenario, outcome.seed, outcome.branch), out);
}

void print_text(const SeedOutcome& outcome, std::string_view reproduce, std::ostream& out) {
  // branch= only on a branched run: run's lines stay as scripts know them.
  const std::string branch = outcome.branch.empty() ? "" : " branch=" + outcome.branch;
  std::string line = fmt::format("seed={}{} verdict={} events={} sim_s={:.3f} wall_s={:.3f} fingerprint={}",
                                 outcome.seed, branch, to_string(outcome.verdict), outcome.events, outcome.sim_s,
                                 outcome.wall_s, fingerprint_text(outcome.fingerprint));
  line += violation_text(outcome);
  for (const Metric& metric : outcome.metrics) line += " " + metric.name + "=" + format_metric(metric.value);
  out << line << '\n';
  if (outcome.verdict == Verdict::pass) return;
  out << "  property: " << outcome.property << ": " << outcome.detail << '\n';
  if (!outcome.swarm.empty()) out << "  " << outcome.swarm << '\n';
  out << "  faults: " << (outcome.faults.empty() ? "none" : named_faults(outcome)) << '\n';
  out << "  reproduce: " << reproduce << '\n';
}

nlohmann::ordered_json run_json_line(const Scenario& scenario, const SeedOutcome& outcome) {
  nlohmann::ordered_json line = {
      {"type", "seed"},  // tells a seed row from the summary object in one stream
      {"seed", outcome.seed},
      {"verdict", to_string(outcome.verdict)},
      {"exit", static_cast<int>(outcome.verdict)},
      {"events", outcome.events},
      {"sim_s", outcome.sim_s},
      {"wall_s", outcome.wall_s},
      {"fingerprint", fingerprint_text(outcome.fingerprint)},
      {"stop_reason", outcome.stop_reason},
      {"property", outcome.property},
      {"detail", outcome.detail},
      {"violation_at_s", violation_at_json(outcome)},
      {"violation_nodes", outcome.violation_nodes},
      {"faults", named_faults(outcome)},
      {"swarm", outcome.swarm},
      {"reproduce", reproduce_command(scenario, outcome.seed, outcome.branch)},
  };
  if (!outcome.branch.empty()) line["branch"] = outcome.branch;
  // A metric never overwrites a fixed field that scripts rely on.
  for (const Metric& metric : outcome.metrics) {
    if (!line.contains(metric.name)) line[metric.name] = metric_json(metric.value);
  }
  return line;
}

std::string json_line_text(const nlohmann::ordered_json& line) {
  // replace: a model's detail text may hold bytes that are not UTF-8.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void print_json(const Scenario& scenario, const SeedOutcome& outcome, std::ostream& out) {
  out << json_line_text(run_json_line(scenario, outcome)) << '\n';
}

void print_outcome(const Scenario& scenario, const SeedOutcome& outcome, bool json, std::ostream& out) {
  if (json) {
    print_json(scenario, outcome, out);
  } else {
    print_text(scenario, outcome, out);
  }
  out.flush();
}

void Summary::add(const SeedOutcome& outcome) {
  ++seeds_;
  ++by_verdict_[static_cast<int>(outcome.verdict)];
  events_ += outcome.events;
  if (exit_code_ == 0) exit_code_ = static_cast<int>(outcome.verdict);
  if (outcome.verdict == Verdict::pass) return;
  if (failing_seeds_.size() < kListedFailingSeeds) failing_seeds_.push_back(outcome.seed);
  ++by_property_[outcome.property];
}

uint64_t Summary::failed() const { return seeds_ - by_verdict_[0]; }

void Summary::print_failures_text(std::ostream& out) const {
  if (failed() == 0) return;
  std::string seeds;
  // fmt rather than string +: GCC 12 warns falsely (-Wrestrict) on that.
  for (uint64_t seed : failing_seeds_) seeds += fmt::format("{}{}", seeds.empty() ? "" : " ", seed);
  if (failed() > failing_seeds_.size()) seeds += fmt::format(" and {} more", failed() - failing_seeds_.size());
  std::string properties;
  for (const auto& [property, count] : by_property_) {
    properties += fmt::format("{}{}={}", properties.empty() ? "" : " ", property, count);
  }
  out << "  failing seeds: " << seeds << '\n' << "  failures per property: " << properties << '\n';
}

void Summary::print_text(double wall_s, std::ostream& out) const {
  uint64_t failed = seeds_ - by_verdict_[0];
  std::string line = fmt::format("summary: seeds={} pass={} fail={}", seeds_, by_verdict_[0], failed);
  std::string breakdown;
  for (Verdict verdict : kVerdicts) {
    uint64_t count = by_verdict_[static_cast<int>(verdict)];
    if (verdict == Verdict::pass || count == 0) continue;
    breakdown += fmt::format("{}{}={}", breakdown.empty() ? "" : " ", to_string(verdict), count);
  }
  if (!breakdown.empty()) line += " (" + breakdown + ")";
  out << line << fmt::format(" events={} wall_s={:.3f}", events_, wall_s) << '\n';
  print_failures_text(out);
}

void Summary::print_json(double wall_s, std::ostream& out) const {
  nlohmann::ordered_json summary = {{"seeds", seeds_}, {"pass", by_verdict_[0]}, {"fail", seeds_ - by_verdict_[0]}};
  for (Verdict verdict : kVerdicts) {
    if (verdict != Verdict::pass) summary[to_string(verdict)] = by_verdict_[static_cast<int>(verdict)];
  }
  summary["events"] = events_;
  summary["wall_s"] = wall_s;
  summary["exit"] = exit_code_;
  summary["failing_seeds"] = failing_seeds_;
  summary["failing_seeds_more"] = failed() - failing_seeds_.size();
  summary["by_property"] = by_property_;
  // "type" beside the nested object: readers of {"summary":{...}} keep working.
  out << nlohmann::ordered_json{{"type", "summary"}, {"summary", summary}}.dump() << '\n';
}

}  // namespace detsim
