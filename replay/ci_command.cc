// `detsim ci [SCENARIO...] [--seeds A..B] [--time-budget T] [--jobs J]
// [--set k=v]... [--artifacts DIR [--max-artifacts N]] [--junit FILE] [--json]
// [--shard I/M|auto[/M]]`: a team's
// pipeline step. Every scenario (default: every scenario file) runs over
// the seeds in worker processes, interleaved so each scenario gets its
// share when the time budget cuts the run short. It prints each failing
// seed as `run` does, then one summary line per scenario; writes JUnit XML
// (one testcase per scenario, one failure per failing seed, with its
// property and reproduce line); and saves, per failing seed, the
// reproduce line, the fault schedule, the trace and the client history.
// Exit 0 when every run passed, else the first failure's verdict; 64 on
// bad input, before anything runs.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <tuple>

#include "replay/atomic_file.h"
#include "replay/commands.h"
#include "replay/jobs.h"
#include "replay/outcome.h"
#include "replay/progress.h"
#include "replay/scenario.h"
#include "replay/shard.h"
#include "sim/core/duration_dist.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// What one scenario's runs came to.
struct ScenarioReport {
  const Scenario* scenario = nullptr;
  uint64_t runs = 0;
  double wall_s = 0;
  std::vector<SeedOutcome> failures;  // in seed order
};

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows no control characters but tab, newline and return.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// JUnit XML as Jenkins, GitLab and GitHub's test reporters read it.
void write_junit(const std::vector<ScenarioReport>& reports, double wall_s, std::ostream& out) {
  uint64_t failures = 0;
  for (const ScenarioReport& report : reports) failures += report.failures.empty() ? 0 : 1;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format("<testsuites name=\"detsim\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n", reports.size(),
                     failures, wall_s);
  out << fmt::format("  <testsuite name=\"detsim.ci\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n", reports.size(),
                     failures, wall_s);
  for (const ScenarioReport& report : reports) {
    const Scenario& scenario = *report.scenario;
    out << fmt::format("    <testcase classname=\"detsim.{}\" name=\"{}\" time=\"{:.3f}\">\n",
                       xml_escape(scenario.model->name), xml_escape(scenario.name), report.wall_s);
    for (const SeedOutcome& failure : report.failures) {
      const std::string message =
          fmt::format("seed {}: {} {}: {}", failure.seed, to_string(failure.verdict), failure.property, failure.detail);
      out << fmt::format("      <failure message=\"{}\" type=\"{}\">{}\nreproduce: {}\nfaults: {}</failure>\n",
                         xml_escape(message), to_string(failure.verdict), xml_escape(message),
                         xml_escape(reproduce_command(scenario, failure.seed)), xml_escape(failure.faults));
    }
    out << fmt::format("      <system-out>{} seeds run, {} failed</system-out>\n", report.runs, report.failures.size());
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

// Replays a failing seed with every writer on, into DIR/SCENARIO/seed-N/.
void save_artifacts(const fs::path& root, const Scenario& scenario, const SeedOutcome& failure,
                    const ModelRegistry& registry) {
  const fs::path dir = root / scenario.name / fmt::format("seed-{}", failure.seed);
  fs::create_directories(dir);
  {
    AtomicFile reproduce(dir / "reproduce.txt");
    reproduce.stream() << reproduce_command(scenario, failure.seed) << '\n'
                       << to_string(failure.verdict) << ' ' << failure.property << ": " << failure.detail << '\n';
    reproduce.commit();
  }
  ReplayOptions replay;
  replay.scenario = scenario.argument;
  replay.seed = std::to_string(failure.seed);
  replay.sets = scenario.overrides;
  replay.faults = scenario.faults;
  replay.save_faults_path = (dir / "faults.txt").string();
  replay.trace_path = (dir / "trace.jsonl").string();
  replay.history_path = (dir / "history.jsonl").string();
  std::ostringstream ignored;
  replay_command(replay, registry, ignored);
}

// The failures whose artifacts are kept: the quickest max_artifacts runs
// (simulated time, then events, then seed), the cheapest to replay and
// read, as merge lists them. Every failure still has its reproduce line
// in the output and the JUnit file.
std::vector<const SeedOutcome*> quickest_failures(const ScenarioReport& report, size_t max_artifacts) {
  std::vector<const SeedOutcome*> chosen;
  for (const SeedOutcome& failure : report.failures) chosen.push_back(&failure);
  std::sort(chosen.begin(), chosen.end(), [](const SeedOutcome* a, const SeedOutcome* b) {
    return std::tie(a->sim_s, a->events, a->seed) < std::tie(b->sim_s, b->events, b->seed);
  });
  if (chosen.size() > max_artifacts) chosen.resize(max_artifacts);
  return chosen;
}

void save_all_artifacts(const fs::path& root, const std::vector<ScenarioReport>& reports, const CiOptions& options,
                        const ModelRegistry& registry, std::ostream& out) {
  for (const ScenarioReport& report : reports) {
    const std::vector<const SeedOutcome*> kept = quickest_failures(report, static_cast<size_t>(options.max_artifacts));
    for (const SeedOutcome* failure : kept) save_artifacts(root, *report.scenario, *failure, registry);
    if (kept.size() < report.failures.size()) {
      out << fmt::format("ci: scenario={} artifacts for {} of {} failing seeds, the quickest (--max-artifacts {})\n",
                         report.scenario->name, kept.size(), report.failures.size(), options.max_artifacts);
    }
  }
}

struct CiPlan {
  std::vector<Scenario> scenarios;
  SeedRange seeds;
  std::optional<Duration> budget;
  ShardSpec shard;  // 0/1: every task
};

// Every input is checked, and every scenario loaded, before the first run.
CiPlan plan_of(const CiOptions& options, const ModelRegistry& registry) {
  check_jobs(options.jobs);
  if (options.max_artifacts < 1) {
    throw UsageError(fmt::format("--max-artifacts {}: expected a positive count", options.max_artifacts));
  }
  CiPlan plan;
  plan.seeds = parse_seed_range(options.seeds);
  if (options.shard) plan.shard = parse_shard(*options.shard, process_env());
  if (options.time_budget) {
    plan.budget = parse_duration(*options.time_budget);
    if (!plan.budget || *plan.budget <= Duration::zero()) {
      throw UsageError("--time-budget " + *options.time_budget + ": expected a positive duration like 10m or 90s");
    }
  }
  if (options.junit_path && !fs::is_directory(fs::absolute(*options.junit_path).parent_path())) {
    throw UsageError("--junit " + *options.junit_path + ": its directory does not exist");
  }
  // Made now, so an unusable path is bad input before any seed runs.
  std::error_code error;
  if (options.artifacts_path && !fs::create_directories(*options.artifacts_path, error) && error) {
    throw UsageError("--artifacts " + *options.artifacts_path + ": " + error.message());
  }
  std::vector<std::string> names = options.scenarios.empty() ? scenario_names() : options.scenarios;
  if (names.empty()) throw UsageError("ci: no scenarios given and none found in " + scenario_dir().string());
  for (const std::string& name : names) {
    plan.scenarios.push_back(load_scenario(name, options.sets, registry));
    plan.scenarios.back().program = options.program;
  }
  return plan;
}

}  // namespace

int ci_command(const CiOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err) {
  const CiPlan plan = plan_of(options, registry);
  const Clock::time_point start = Clock::now();
  const auto scenario_count = static_cast<uint64_t>(plan.scenarios.size());
  std::vector<ScenarioReport> reports(plan.scenarios.size());
  for (size_t i = 0; i < reports.size(); ++i) reports[i].scenario = &plan.scenarios[i];

  // Task k is scenario k mod S at the (k div S)-th seed: a budget that ends
  // the run early leaves every scenario with its share of seeds.
  // --shard: this machine's strided slice of those tasks (shard.h), so each
  // slice still holds every scenario.
  const ShardSpec shard = plan.shard;
  TaskList tasks;
  tasks.count = shard.size(scenario_count * plan.seeds.count());
  tasks.at = [&plan, scenario_count, shard](uint64_t k) {
    const uint64_t index = shard.task(k);
    return SeedTask{&plan.scenarios[index % scenario_count], plan.seeds.first + index / scenario_count};
  };
  if (plan.budget) {
    const Clock::time_point deadline = start + std::chrono::nanoseconds(plan.budget->count_ns());
    tasks.keep_going = [deadline] { return Clock::now() < deadline; };
  }
  Progress progress(err, !options.json && is_terminal_stderr(err), tasks.count);
  uint64_t done = 0;
  uint64_t failed = 0;
  std::optional<Verdict> first_failure;
  run_tasks(
      tasks, options.jobs, Isolation::always_workers,
      [&](uint64_t k, const SeedOutcome& outcome) {
        ScenarioReport& report = reports[shard.task(k) % scenario_count];
        ++report.runs;
        report.wall_s += outcome.wall_s;
        ++done;
        if (outcome.verdict != Verdict::pass) {
          ++failed;
          if (!first_failure) first_failure = outcome.verdict;
          report.failures.push_back(outcome);
          progress.before_output(out);
          print_outcome(*report.scenario, outcome, options.json, out);
        }
        progress.update(done, failed);
      },
      err);
  progress.clear();

  if (options.artifacts_path) save_all_artifacts(fs::path(*options.artifacts_path), reports, options, registry, out);
  const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (options.junit_path) {
    AtomicFile junit(*options.junit_path);
    write_junit(reports, wall_s, junit.stream());
    junit.commit();
  }
  for (const ScenarioReport& report : reports) {
    out << fmt::format("ci: scenario={} seeds={} fail={}\n", report.scenario->name, report.runs,
                       report.failures.size());
  }
  out << fmt::format("ci: scenarios={} runs={} fail={} wall_s={:.3f}{}{}\n", reports.size(), done, failed, wall_s,
                     shard.count > 1 ? " shard=" + shard.text() : "",
                     done < tasks.count ? " (time budget reached)" : "");
  return first_failure ? static_cast<int>(*first_failure) : 0;
}

}  // namespace detsim
