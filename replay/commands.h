// The subcommands behind run_cli, with their options already parsed by
// CLI11 but not yet validated: each command checks its own input and throws
// UsageError (or ScenarioError) before anything runs.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/model.h"
#include "sim/core/time.h"
#include "sim/world/simulation.h"

namespace detsim {

// Exit codes beyond the verdicts (0..3), after BSD sysexits.h.
constexpr int kExitBadInput = 64;  // EX_USAGE: nothing ran
constexpr int kExitNoWorker = 71;  // EX_OSERR: not one worker process could start
constexpr int kExitOutput = 74;    // EX_IOERR: writing stdout or an output file failed

// Bad command-line input; what() is one line, printed after "detsim: ".
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An output that could not be written (a full disk, a closed pipe's
// error, a failed rename): exit 74, never a silent success.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The system refused what --jobs needs (fork, socketpair) for even one
// worker: exit 71.
class WorkerStartError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  std::string scenario;
  std::optional<std::string> seed;    // "42"
  std::optional<std::string> seeds;   // "1..20"
  std::vector<std::string> sets;      // "k=v", in order
  std::optional<std::string> faults;  // FILE or "none"
  int jobs = 1;
  bool json = false;
  bool coverage = false;             // after the summary, each declared probe's hits
  bool failures_only = false;        // print only the failing seeds, then the summary
  std::string program = "detsim";    // program_name(): how reproduce lines name detsim
  std::optional<std::string> shard;  // "I/M", "auto", "auto/M" (shard.h): JSON lines of that slice
};

struct ReplayOptions {
  std::string program = "detsim";  // program_name(): how reproduce lines name detsim
  std::string scenario;
  std::string seed;
  std::vector<std::string> sets;
  std::optional<std::string> faults;  // FILE or "none"
  std::optional<std::string> save_faults_path;
  std::optional<std::string> trace_path;
  std::optional<std::string> dot_path;
  std::optional<std::string> perfetto_path;
  std::optional<std::string> window;        // "1s..2.5s"
  std::optional<std::string> history_path;  // the client history, JSON lines
  std::optional<std::string> branch;        // "E:S,...", from detsim explore
  std::optional<std::string> compare_path;  // a --trace file to walk in step with (trace_compare.h)
};

struct ShrinkOptions {
  std::string program = "detsim";  // program_name(): how reproduce lines name detsim
  std::string scenario;
  std::string seed;
  std::vector<std::string> sets;
  std::optional<std::string> faults;  // start from this schedule instead of the seed's
  std::optional<std::string> save_faults_path;
  int max_runs = 500;
};

struct ReportOptions {
  std::string program = "detsim";  // program_name(): how reproduce lines name detsim
  std::string scenario;
  std::string seed;
  std::vector<std::string> sets;
  std::optional<std::string> faults;  // FILE or "none"
  std::string out_dir;                // DIR: DIR/index.html
  int max_runs = 60;                  // the shrink's budget
  bool no_shrink = false;             // show the whole schedule, unshrunk
};

struct SweepOptions {
  std::string program = "detsim";  // program_name(): how reproduce lines name detsim
  std::string scenario;
  std::vector<std::string> grids;     // "k=v1,v2,...", in order: the first varies slowest
  std::string seeds;                  // "1..20"
  std::vector<std::string> sets;      // "k=v", applied before the grid values
  std::optional<std::string> faults;  // FILE or "none"
  std::string out_path;               // the CSV
  int jobs = 1;
  bool resume = false;               // continue from out_path's journal (sweep_journal.h)
  std::optional<std::string> shard;  // out_path is then this slice's shard file (shard.h), not a CSV
};

struct MergeOptions {
  std::vector<std::string> inputs;      // shard files, or directories of *.jsonl
  std::optional<std::string> out_path;  // the CSV
  bool json = false;
};

struct ExploreOptions {
  std::string program = "detsim";  // program_name(): how reproduce lines name detsim
  std::string scenario;
  std::optional<std::string> seeds;  // "1..20"; default: from 1 on until the budget ends
  std::vector<std::string> sets;
  std::optional<std::string> faults;  // FILE or "none"
  std::string budget;                 // wall clock: "90s", "10m"
  int jobs = 1;
  int fanout = 2;              // branches forked at one branch point
  int depth = 4;               // branch points on one path
  double rare_percent = 1;     // a feature fewer runs reached branches too
  int branches_per_seed = 64;  // over a seed's whole tree of branches
  bool json = false;
};

struct CiOptions {
  std::string program = "detsim";             // program_name(): how reproduce lines name detsim
  std::vector<std::string> scenarios;         // names or paths; empty: every scenario file
  std::string seeds = "1..100";               // "A..B", per scenario
  std::optional<std::string> time_budget;     // wall clock: "10m"; then stop handing out seeds
  std::vector<std::string> sets;              // "k=v", applied to every scenario
  std::optional<std::string> artifacts_path;  // DIR/SCENARIO/seed-N/ per failing seed
  int max_artifacts = 10;                     // per scenario: the quickest failures
  std::optional<std::string> shard;           // "I/M" | "auto" | "auto/M" (shard.h): a slice of the tasks
  std::optional<std::string> junit_path;
  int jobs = 2;
  bool json = false;
};
struct CheckHistoryOptions {
  std::string model;  // "register" | "kv"
  std::string file;
  std::optional<uint64_t> budget;           // search steps
  std::optional<double> time_limit_s;       // wall clock
  std::optional<uint64_t> memory_limit_mb;  // counted memo and stack (check::CheckOptions)
  bool json = false;
};

// --json: one JSON object with the scenarios, the world's params and each
// model's params, bugs and probes.
int list_command(const ModelRegistry& registry, bool json, std::ostream& out);
int run_command(const RunOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err);
// The seed's verdict; with --compare, 0 if its trace is the file's, 1 if
// not (the first differing event is printed). UsageError on bad input.
int replay_command(const ReplayOptions& options, const ModelRegistry& registry, std::ostream& out);
// A failing seed's HTML page in DIR (report_command.cc). Exit: the seed's
// verdict; UsageError ("seed N passes ...") for a passing seed, nothing
// written.
int report_command(const ReportOptions& options, const ModelRegistry& registry, std::ostream& out);
int shrink_command(const ShrinkOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err);
// Exit 0 once the CSV is written, whatever the verdicts; throws UsageError
// or ScenarioError on bad input, before anything runs.
int sweep_command(const SweepOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err);

// Combines the shard files of one sharded run or sweep: the output (and
// --out CSV) the unsharded command gives, then the failures by property.
// Exit as that command would; 64 when shards are missing, duplicated with
// different results, or from different runs or versions.
int merge_command(const MergeOptions& options, std::ostream& out, std::ostream& err);

// Exit 0 if no run failed, else the first failure's verdict; throws
// UsageError or ScenarioError on bad input, before anything runs.
int explore_command(const ExploreOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err);

// Exit 0 if every run passed, else the first failure's verdict; throws
// UsageError or ScenarioError on bad input, before anything runs.
int ci_command(const CiOptions& options, const ModelRegistry& registry, std::ostream& out, std::ostream& err);
// Exit 0 linearizable, 1 not, 2 unknown; throws UsageError on bad input.
int check_history_command(const CheckHistoryOptions& options, std::ostream& out);

// ---- argument syntax shared by the commands (cli_args.cc) ----

struct SeedRange {
  uint64_t first = 1;
  uint64_t last = 1;  // inclusive
  uint64_t count() const { return last - first + 1; }
};
// The most --jobs any command takes: 4 per CPU, and 64 on a machine with
// 16 or fewer, 1024 at most. Beyond it is a typo or a fork bomb, not a plan.
int jobs_max();
// --jobs J for every command that takes it: 1 <= J <= jobs_max(), else
// UsageError "--jobs 1000: expected at most 64".
void check_jobs(int jobs);

// Decimal digits only, no sign or space; nullopt on anything else or overflow.
std::optional<uint64_t> parse_u64(std::string_view text);
uint64_t parse_seed(std::string_view text);         // throws UsageError
SeedRange parse_seed_range(std::string_view text);  // "A..B", A <= B

struct TimeWindow {
  Time from = Time::zero();
  Time to = Time::max();
};
TimeWindow parse_window(std::string_view text);  // "1s..2.5s"

// "E:S,E:S,...": a branch path (BranchPoint), event indexes ascending,
// salts above 0; "" is the empty path. Throws UsageError naming --branch.
std::vector<BranchPoint> parse_branch_path(std::string_view text);
std::string branch_path_text(const std::vector<BranchPoint>& path);

// How reproduce lines name detsim (Scenario::program): argv[0] as typed
// when it has no '/' (the shell found it on PATH by that name); "detsim"
// when argv[0] is a path to the same file as the first detsim on path_env
// ($PATH); else argv[0] as invoked, so the line pastes back as it is.
std::string program_name(std::string_view argv0, const std::optional<std::string>& path_env);

// An argument as a POSIX shell reads it back: bare if safe, else quoted.
std::string shell_quote(std::string_view argument);

}  // namespace detsim
