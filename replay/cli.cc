// Parsing the command line with CLI11 and mapping every way it can go
// wrong to the contract: one line "detsim: ..." on err and exit 64 for bad
// input, 71 when no worker process could start, 74 when output was lost.
// --help is the one parse "error" that is not: it prints help, exit 0.
#include "replay/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "models/registry.h"
#include "replay/commands.h"
#include "replay/scenario.h"
#include "replay/shard.h"

namespace detsim {
namespace {

constexpr std::array<std::string_view, 10> kCommands = {"list",  "run",           "replay",  "report", "shrink",
                                                        "sweep", "check-history", "explore", "ci",     "merge"};
constexpr const char* kCommandList = "list, run, replay, report, shrink, sweep, check-history, explore, ci, merge";

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

int fail(std::ostream& err, const std::string& message, int exit_code) {
  err << "detsim: " << one_line(message) << '\n';
  return exit_code;
}

int bad_input(std::ostream& err, const std::string& message) { return fail(err, message, kExitBadInput); }

// Output errors are errors: stdout is flushed and checked here, once for
// every command, so `detsim run ... > /dev/full` cannot exit 0. A failed
// write outranks the verdict: the verdict's report was lost.
int checked_stdout(int exit_code, std::ostream& out, std::ostream& err) {
  errno = 0;
  out.flush();
  if (out.good()) return exit_code;
  std::string reason = errno != 0 ? std::string(": ") + std::strerror(errno) : "";
  return fail(err, "cannot write to standard output" + reason, kExitOutput);
}

// Each --set takes exactly one value, so "--set a=1 SCENARIO" cannot
// swallow the scenario as a second assignment.
void add_set_option(CLI::App* command, std::vector<std::string>* sets) {
  command->add_option("--set", *sets, "Override a parameter: KEY=VALUE (repeatable)")
      ->allow_extra_args(false)
      ->type_name("KEY=VALUE");
}

void add_faults_option(CLI::App* command, std::optional<std::string>* faults) {
  command->add_option("--faults", *faults, "Use this fault schedule instead of generating one; none: no faults")
      ->type_name("FILE|none");
}

void add_shard_option(CLI::App* command, std::optional<std::string>* shard) {
  command
      ->add_option("--shard", *shard,
                   "Run only slice I of M (0-based, strided) and write it as a shard file for detsim merge; auto: "
                   "the index from Kubernetes, Slurm or GNU parallel (docs/scale-out.md)")
      ->type_name("I/M|auto[/M]");
}

CLI::App* add_run(CLI::App& app, RunOptions* options) {
  CLI::App* run = app.add_subcommand("run", "Run a scenario over one or more seeds");
  run->add_option("SCENARIO", options->scenario, "Scenario name or path to a .toml file")->required();
  run->add_option("--seed", options->seed, "Run one seed (default 1)")->type_name("N");
  run->add_option("--seeds", options->seeds, "Run seeds A to B inclusive (N alone: seed N)")->type_name("A..B|N");
  add_set_option(run, &options->sets);
  add_faults_option(run, &options->faults);
  run->add_option("--jobs", options->jobs, "Worker processes (default 1: in this process)")->type_name("J");
  run->add_flag("--json", options->json, "Print JSON lines instead of key=value lines");
  run->add_flag("--coverage", options->coverage, "After the summary, print each declared probe's hits and seeds");
  run->add_flag("--failures-only", options->failures_only,
                "Print only the failing seeds, then the summary (which lists them and counts them by property)");
  add_shard_option(run, &options->shard);
  return run;
}

CLI::App* add_replay(CLI::App& app, ReplayOptions* options) {
  CLI::App* replay = app.add_subcommand("replay", "Replay one seed exactly, writing traces");
  replay->add_option("SCENARIO", options->scenario, "Scenario name or path to a .toml file")->required();
  replay->add_option("--seed", options->seed, "The seed to replay")->required()->type_name("N");
  add_set_option(replay, &options->sets);
  add_faults_option(replay, &options->faults);
  replay
      ->add_option("--save-faults", options->save_faults_path,
                   "Write the run's fault schedule in the form --faults reads")
      ->type_name("FILE");
  replay->add_option("--trace", options->trace_path, "Write the event trace as JSON lines")->type_name("F.jsonl");
  replay->add_option("--dot", options->dot_path, "Write a Graphviz space-time diagram")->type_name("F.dot");
  replay->add_option("--perfetto", options->perfetto_path, "Write a Perfetto timeline")->type_name("F.json");
  replay
      ->add_option("--history", options->history_path,
                   "Write the run's client history as JSON lines (for check-history)")
      ->type_name("F.jsonl");
  replay->add_option("--window", options->window, "Limit the diagram to this span; auto: around the violation")
      ->type_name("T1..T2|auto");
  replay
      ->add_option("--compare", options->compare_path,
                   "Walk this run's trace in step with a --trace file of the same scenario and seed; print the first "
                   "event that differs with 3 events around it. Exit 0 the same, 1 different")
      ->type_name("TRACE.jsonl");
  replay
      ->add_option("--branch", options->branch,
                   "Reseed the future at these event boundaries, as detsim explore printed them")
      ->type_name("E:S,...");
  return replay;
}

CLI::App* add_report(CLI::App& app, ReportOptions* options) {
  CLI::App* report = app.add_subcommand("report", "Write a failing seed's HTML report page (docs/debugging.md)");
  report->add_option("SCENARIO", options->scenario, "Scenario name or path to a .toml file")->required();
  report->add_option("--seed", options->seed, "The failing seed")->required()->type_name("N");
  add_set_option(report, &options->sets);
  add_faults_option(report, &options->faults);
  report->add_option("--out", options->out_dir, "Write DIR/index.html, whole or not at all")
      ->required()
      ->type_name("DIR");
  report->add_option("--max-runs", options->max_runs, "The shrink's run budget (default 60)")->type_name("R");
  report->add_flag("--no-shrink", options->no_shrink, "Show the whole fault schedule, unshrunk");
  report->footer(
      "Exit: the seed's verdict (1 safety, 2 liveness); 64 when the seed passes, on bad input, or when DIR cannot "
      "be written (nothing is written then).");
  return report;
}

CLI::App* add_shrink(CLI::App& app, ShrinkOptions* options) {
  CLI::App* shrink = app.add_subcommand("shrink", "Shrink a failing seed's fault schedule to a minimal one");
  shrink->add_option("SCENARIO", options->scenario, "Scenario name or path to a .toml file")->required();
  shrink->add_option("--seed", options->seed, "The failing seed")->required()->type_name("N");
  add_set_option(shrink, &options->sets);
  add_faults_option(shrink, &options->faults);
  shrink->add_option("--save-faults", options->save_faults_path, "Write the shrunk schedule for --faults")
      ->type_name("FILE");
  shrink->add_option("--max-runs", options->max_runs, "Give up after this many runs (default 500)")->type_name("R");
  return shrink;
}

CLI::App* add_sweep(CLI::App& app, SweepOptions* options) {
  CLI::App* sweep = app.add_subcommand("sweep", "Run a scenario over a grid of parameters and seeds, writing CSV");
  sweep->add_option("SCENARIO", options->scenario, "Scenario name or path to a .toml file")->required();
  sweep
      ->add_option("--grid", options->grids,
                   "A parameter and its values: KEY=V1,V2,... (repeatable; the first varies slowest; "
                   "commas inside parentheses do not split)")
      ->required()
      ->allow_extra_args(false)
      ->type_name("KEY=V1,V2,...");
  sweep->add_option("--seeds", options->seeds, "Run seeds A to B inclusive at every grid point")
      ->required()
      ->type_name("A..B");
  sweep->add_option("--out", options->out_path, "Write the CSV here, whole, when the sweep ends")
      ->required()
      ->type_name("F.csv");
  add_set_option(sweep, &options->sets);
  add_faults_option(sweep, &options->faults);
  sweep->add_option("--jobs", options->jobs, "Worker processes (default 1)")->type_name("J");
  sweep->add_flag("--resume", options->resume,
                  "Continue an interrupted sweep from its journal F.csv.journal (the same options)");
  add_shard_option(sweep, &options->shard);
  sweep->footer(
      "One CSV row per (grid point, seed). Failing verdicts are data, not errors: the exit code is 0 once the "
      "CSV is written, 64 on bad input (nothing runs, no file is written), 71 if no worker process can start, "
      "74 if the journal or the CSV cannot be written. docs/sweep.md describes the columns and the journal.");
  return sweep;
}

CLI::App* add_explore(CLI::App& app, ExploreOptions* options) {
  CLI::App* explore =
      app.add_subcommand("explore", "Guided search: fork runs at new probe hits and reseed the branches");
  explore->add_option("SCENARIO", options->scenario, "Scenario name or path to a .toml file")->required();
  explore->add_option("--budget", options->budget, "Wall-clock time to search for")->required()->type_name("T");
  explore->add_option("--seeds", options->seeds, "Seeds to start from (default 1 on)")->type_name("A..B");
  add_set_option(explore, &options->sets);
  add_faults_option(explore, &options->faults);
  explore->add_option("--jobs", options->jobs, "Processes running at once (default 1)")->type_name("J");
  explore->add_option("--fanout", options->fanout, "Branches forked at a branch point (default 2)")->type_name("K");
  explore->add_option("--depth", options->depth, "Branch points on one path at most (default 4)")->type_name("D");
  explore
      ->add_option("--rare", options->rare_percent,
                   "Branch also at a feature fewer than this percentage of runs reached (default 1; 0: new only)")
      ->type_name("PERCENT");
  explore
      ->add_option("--branches", options->branches_per_seed,
                   "Branches forked from one seed at most, over its whole tree (default 64)")
      ->type_name("B");
  explore->add_flag("--json", options->json, "Print JSON lines instead of key=value lines");
  explore->footer(
      "Prints each failing run with its reproduce line (a branched run's includes --branch), then a summary. "
      "Exit 0 if nothing failed, else the first failure's verdict; 64 on bad input. docs/bug-finding.md "
      "describes the search.");
  return explore;
}

CLI::App* add_ci(CLI::App& app, CiOptions* options) {
  CLI::App* ci = app.add_subcommand("ci", "Run scenarios over seeds for a CI pipeline: JUnit XML and artifacts");
  ci->add_option("SCENARIO", options->scenarios, "Scenario names or .toml paths (default: every scenario)");
  ci->add_option("--seeds", options->seeds, "Seeds A to B of each scenario (default 1..100)")->type_name("A..B");
  ci->add_option("--time-budget", options->time_budget,
                 "Wall-clock time after which no more seeds start (seeds are interleaved across scenarios)")
      ->type_name("T");
  add_set_option(ci, &options->sets);
  ci->add_option("--jobs", options->jobs, "Worker processes (default 2)")->type_name("J");
  ci->add_option("--artifacts", options->artifacts_path,
                 "Per failing seed, DIR/SCENARIO/seed-N/ gets reproduce.txt, faults.txt, trace.jsonl, history.jsonl")
      ->type_name("DIR");
  ci->add_option("--max-artifacts", options->max_artifacts,
                 "Failing seeds saved per scenario, the quickest first (default 10; a trace can be megabytes)")
      ->type_name("N");
  ci->add_option("--junit", options->junit_path, "Write JUnit XML: a testcase per scenario, a failure per failing seed")
      ->type_name("FILE");
  ci->add_flag("--json", options->json, "Print failing runs as JSON lines");
  ci->add_option("--shard", options->shard,
                 "Run only the I-th of M strided slices of the (scenario x seed) runs, e.g. one per CI machine; "
                 "auto reads the index from Kubernetes, Slurm or GNU parallel (docs/scale-out.md)")
      ->type_name("I/M|auto[/M]");
  ci->footer(
      "Prints each failing run with its reproduce line, then a line per scenario and a total. Exit 0 if every run "
      "passed, else the first failure's verdict; 64 on bad input. docs/ci.md has per-PR and nightly budgets.");
  return ci;
}

CLI::App* add_merge(CLI::App& app, MergeOptions* options) {
  CLI::App* merge = app.add_subcommand("merge", "Combine the shard files of a run or sweep made with --shard");
  merge->add_option("INPUT", options->inputs, "Shard files, or directories of *.jsonl shard files")->required();
  merge->add_option("--out", options->out_path, "Write the CSV the unsharded sweep would write")->type_name("F.csv");
  merge->add_flag("--json", options->json, "Print JSON lines, as run --json does");
  merge->footer(
      "Prints what the unsharded command prints (wall_s is the sum over runs), then the failing runs by property, "
      "fastest first. Exit as the unsharded command would (run: the first failing seed's verdict; sweep: 0); 64 "
      "when a shard is missing, incomplete, or from another run or detsim version. docs/scale-out.md.");
  return merge;
}

CLI::App* add_check_history(CLI::App& app, CheckHistoryOptions* options) {
  CLI::App* check = app.add_subcommand("check-history", "Check a history file (JSON lines or EDN) for linearizability");
  check->add_option("--model", options->model, "The datatype: register or kv")->required()->type_name("register|kv");
  check
      ->add_option("FILE", options->file,
                   "The history: JSON lines, or Jepsen EDN (a map per line, or a vector of maps)")
      ->required();
  check->add_option("--budget", options->budget, "Give up (unknown, exit 2) after this many search steps")
      ->type_name("STEPS");
  check->add_option("--time-limit", options->time_limit_s, "Give up (unknown, exit 2) after this wall-clock time")
      ->type_name("SECONDS");
  check
      ->add_option("--memory-limit", options->memory_limit_mb,
                   "Give up (unknown, exit 2) before the search holds more than this (default 2048)")
      ->type_name("MB");
  check->add_flag("--json", options->json, "Print one JSON object instead of key=value");
  return check;
}

// CLI11 says "A subcommand is required" for a misspelt command; name it.
std::optional<std::string> unknown_command(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return std::nullopt;
  std::string_view first = argv[1];
  if (std::find(kCommands.begin(), kCommands.end(), first) != kCommands.end()) return std::nullopt;
  return "unknown command '" + std::string(first) + "' (commands: " + kCommandList + ")";
}

int run_unchecked(int argc, char** argv, std::ostream& out, std::ostream& err, const ModelRegistry& registry) {
  CLI::App app("detsim: a deterministic simulator for distributed systems", "detsim");
  app.require_subcommand(1);
  app.set_version_flag("--version", "detsim " + detsim_version(), "Print detsim's version and exit");
  CLI::App* list = app.add_subcommand("list", "List scenarios, models, parameters and planted bugs");
  bool list_json = false;
  list->add_flag("--json", list_json, "Print one JSON object instead of text");
  RunOptions run_options;
  CLI::App* run = add_run(app, &run_options);
  ReplayOptions replay_options;
  CLI::App* replay = add_replay(app, &replay_options);
  ReportOptions report_options;
  CLI::App* report = add_report(app, &report_options);
  ShrinkOptions shrink_options;
  CLI::App* shrink = add_shrink(app, &shrink_options);
  SweepOptions sweep_options;
  CLI::App* sweep = add_sweep(app, &sweep_options);
  CheckHistoryOptions check_history_options;
  CLI::App* check_history = add_check_history(app, &check_history_options);
  ExploreOptions explore_options;
  CLI::App* explore = add_explore(app, &explore_options);
  CiOptions ci_options;
  CLI::App* ci = add_ci(app, &ci_options);
  MergeOptions merge_options;
  CLI::App* merge = add_merge(app, &merge_options);

  if (argc < 2)
    return bad_input(err, std::string("no command given (commands: ") + kCommandList + "; --help for more)");
  if (std::optional<std::string> message = unknown_command(argc, argv)) return bad_input(err, *message);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help, --help-all and --version are "successes" with exit code 0.
    if (error.get_exit_code() == 0) return app.exit(error, out, err);
    return bad_input(err, error.what());
  }
  const std::string program = program_name(argv[0], process_env()("PATH"));
  run_options.program = program;
  replay_options.program = program;
  shrink_options.program = program;
  report_options.program = program;
  sweep_options.program = program;
  explore_options.program = program;
  ci_options.program = program;
  try {
    if (list->parsed()) return list_command(registry, list_json, out);
    if (run->parsed()) return run_command(run_options, registry, out, err);
    if (replay->parsed()) return replay_command(replay_options, registry, out);
    if (report->parsed()) return report_command(report_options, registry, out);
    if (shrink->parsed()) return shrink_command(shrink_options, registry, out, err);
    if (sweep->parsed()) return sweep_command(sweep_options, registry, out, err);
    if (check_history->parsed()) return check_history_command(check_history_options, out);
    if (explore->parsed()) return explore_command(explore_options, registry, out, err);
    if (ci->parsed()) return ci_command(ci_options, registry, out, err);
    if (merge->parsed()) return merge_command(merge_options, out, err);
  } catch (const UsageError& error) {
    return bad_input(err, error.what());
  } catch (const ScenarioError& error) {
    return bad_input(err, error.what());
  } catch (const OutputError& error) {
    return fail(err, error.what(), kExitOutput);
  } catch (const WorkerStartError& error) {
    return fail(err, error.what(), kExitNoWorker);
  }
  return bad_input(err, std::string("no command given (commands: ") + kCommandList + ")");
}

}  // namespace

int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  return run_cli(argc, argv, out, err, model_registry());
}

ModelRegistry simulator_registry(bool with_builtin_models) {
  ModelRegistry registry;
  if (with_builtin_models) {
    for (const ModelInfo& info : model_registry().all()) registry.add(info);
  }
  std::vector<ModelInfo> own;
  for (ModelInfoFunction function : registered_models()) own.push_back(function());
  // Registration order is the link order; list by name instead.
  std::sort(own.begin(), own.end(), [](const ModelInfo& a, const ModelInfo& b) { return a.name < b.name; });
  for (ModelInfo& info : own) registry.add(std::move(info));
  return registry;
}

int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err, const ModelRegistry& registry) {
  return checked_stdout(run_unchecked(argc, argv, out, err, registry), out, err);
}

}  // namespace detsim
