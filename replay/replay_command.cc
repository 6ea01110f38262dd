// `detsim replay SCENARIO --seed N [--set k=v]... [--faults FILE|none]
// [--save-faults FILE] [--trace F.jsonl] [--dot F.dot] [--perfetto F.json]
// [--window T1..T2|auto] [--compare TRACE.jsonl]`: one seed again,
// exactly, with trace writers attached. Output files are written whole or
// not at all (AtomicFile).
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "replay/atomic_file.h"
#include "replay/commands.h"
#include "replay/fanout_sink.h"
#include "replay/outcome.h"
#include "replay/report_data.h"
#include "replay/scenario.h"
#include "replay/trace_compare.h"
#include "sim/check/history_io.h"
#include "sim/core/assert.h"
#include "sim/fault/fault_schedule.h"
#include "sim/fault/node_names.h"

// The writers live in sim/trace/; a build without one still runs, and
// rejects the flag that needs it as bad input.
#if __has_include("sim/trace/jsonl_writer.h")
#include "sim/trace/jsonl_writer.h"
#define DETSIM_HAVE_JSONL_WRITER 1
#else
#define DETSIM_HAVE_JSONL_WRITER 0
#endif
#if __has_include("sim/trace/dot_writer.h")
#include "sim/trace/dot_writer.h"
#define DETSIM_HAVE_DOT_WRITER 1
#else
#define DETSIM_HAVE_DOT_WRITER 0
#endif
#if __has_include("sim/trace/perfetto_writer.h")
#include "sim/trace/perfetto_writer.h"
#define DETSIM_HAVE_PERFETTO_WRITER 1
#else
#define DETSIM_HAVE_PERFETTO_WRITER 0
#endif

namespace detsim {
namespace {

void require_writer(bool available, const std::optional<std::string>& path, const char* flag) {
  if (path && !available)
    throw UsageError(std::string(flag) + ": not available in this build (no writer in sim/trace/)");
}

// The files and writers one replay asked for. Every file is opened before
// the run, so an unwritable path is reported before anything runs.
class TraceOutputs {
 public:
  // trace_header: the --trace file's first line (trace_compare.h).
  TraceOutputs(const ReplayOptions& options, TimeWindow window, const std::string& trace_header) {
    if (options.trace_path) {
      jsonl_file_.emplace(*options.trace_path);
      jsonl_file_->stream() << trace_header << '\n';
    }
    if (options.dot_path) dot_file_.emplace(*options.dot_path);
    if (options.perfetto_path) perfetto_file_.emplace(*options.perfetto_path);
#if DETSIM_HAVE_JSONL_WRITER
    if (jsonl_file_) jsonl_ = add(std::make_unique<JsonlTraceWriter>(jsonl_file_->stream()));
#endif
#if DETSIM_HAVE_DOT_WRITER
    if (dot_file_) dot_ = add(std::make_unique<DotTraceWriter>(window.from, window.to));
#endif
#if DETSIM_HAVE_PERFETTO_WRITER
    if (perfetto_file_) perfetto_ = add(std::make_unique<PerfettoTraceWriter>());
#endif
  }

  // nullptr without writers: the world then skips formatting trace text.
  TraceSink* sink() { return fanout_.empty() ? nullptr : &fanout_; }
  // One more receiver of the events (--compare's).
  void add_sink(TraceSink* sink) { fanout_.add(sink); }

  // Points out one client operation in the diagram and the timeline.
  void mark_operation(NodeId client, Time invoke, Time complete, const std::string& label) {
#if DETSIM_HAVE_DOT_WRITER
    if (dot_) dot_->mark_operation(client, invoke, complete, label);
#endif
#if DETSIM_HAVE_PERFETTO_WRITER
    if (perfetto_) perfetto_->mark_operation(client, invoke, complete, label);
#endif
  }

  // Writes what the writers kept, then renames every file into place, and
  // says on out where each one went.
  void finish(std::ostream& out) {
#if DETSIM_HAVE_DOT_WRITER
    if (dot_) dot_->write(dot_file_->stream());
#endif
#if DETSIM_HAVE_PERFETTO_WRITER
    if (perfetto_) perfetto_->write(perfetto_file_->stream());
#endif
#if DETSIM_HAVE_JSONL_WRITER
    jsonl_.reset();  // its destructor flushes into the file, so before commit
#endif
    if (jsonl_file_) commit(&*jsonl_file_, "trace: " + jsonl_file_->path().string(), out);
    if (dot_file_) {
      std::string dot = dot_file_->path().string();
      std::string svg = std::filesystem::path(dot).replace_extension(".svg").string();
      commit(&*dot_file_,
             "dot: " + dot + " (render: neato -n2 -Tsvg " + shell_quote(dot) + " -o " + shell_quote(svg) + ")", out);
    }
    if (perfetto_file_) {
      commit(&*perfetto_file_, "perfetto: " + perfetto_file_->path().string() + " (open in https://ui.perfetto.dev)",
             out);
    }
  }

 private:
  template <class Writer>
  std::unique_ptr<Writer> add(std::unique_ptr<Writer> writer) {
    fanout_.add(writer.get());
    return writer;
  }
  static void commit(AtomicFile* file, const std::string& note, std::ostream& out) {
    file->commit();
    out << note << '\n';
  }

  std::optional<AtomicFile> jsonl_file_;
  std::optional<AtomicFile> dot_file_;
  std::optional<AtomicFile> perfetto_file_;
#if DETSIM_HAVE_JSONL_WRITER
  std::unique_ptr<JsonlTraceWriter> jsonl_;
#endif
#if DETSIM_HAVE_DOT_WRITER
  std::unique_ptr<DotTraceWriter> dot_;
#endif
#if DETSIM_HAVE_PERFETTO_WRITER
  std::unique_ptr<PerfettoTraceWriter> perfetto_;
#endif
  // Last: destroyed first, while the writers it points at still exist.
  FanoutSink fanout_;
};

// The schedule as --faults reads it, headed by where it came from.
void save_faults(const Scenario& scenario, const SeedOutcome& outcome, AtomicFile* file, std::ostream& out) {
  std::string error;
  std::optional<FaultSchedule> schedule = FaultSchedule::parse_short(outcome.faults, &error);
  // Invariant: a schedule's short form reads back (fault_schedule_test).
  DETSIM_ASSERT(schedule.has_value());
  const std::string path = file->path().string();
  Scenario replayed = scenario;
  replayed.faults = path;
  file->stream() << "# " << scenario.name << " seed " << outcome.seed << " (" << to_string(outcome.verdict) << ")"
                 << (outcome.swarm.empty() ? "" : ", " + outcome.swarm) << '\n'
                 << "# replay: " << reproduce_command(replayed, outcome.seed, outcome.branch) << '\n'
                 << name_nodes_in_fault_text(schedule->to_file_text(), outcome.node_names);
  file->commit();
  out << "faults: " << path << " (" << schedule->size() << " actions)" << '\n';
}

// The run's client history as JSON lines, which `check-history` reads
// back to the run's own verdict. A model that records no history gets an
// empty file, and the note says so: scripts can rely on the file existing.
void save_history(const Scenario& scenario, const ClientHistory& client, const std::vector<std::string>& names,
                  AtomicFile* file, std::ostream& out) {
  check::write_history_jsonl(client.history, file->stream(), names);
  file->commit();
  const std::string path = file->path().string();
  if (!client.recorded) {
    out << "history: " << path << " (empty: model " << scenario.model->name << " records no client history)\n";
    return;
  }
  out << "history: " << path << " (" << client.history.events().size()
      << " events; check: detsim check-history --model " << client.datatype << " " << shell_quote(path) << ")\n";
}

// The linearizability counterexample's operations (report_data.h), marked
// at their own invoke and completion times on their clients' lifelines.
void mark_counterexample(const ClientHistory& history, const SeedOutcome& outcome, TraceOutputs* outputs,
                         std::ostream& out) {
  const std::optional<check::CheckReport> report = check_client_history(history, counterexample_cutoff(outcome));
  if (!report || report->counterexample_operations.empty()) return;
  const auto& clients = history.history.process_clients();
  for (const check::Operation& op : report->counterexample_operations) {
    auto client = clients.find(op.process);
    if (client == clients.end()) continue;
    const uint32_t index = client->second.index();
    const std::string name = index < outcome.node_names.size() ? outcome.node_names[index] : fmt::format("n{}", index);
    outputs->mark_operation(client->second, op.invoke_at, op.complete_at,
                            name + " " + check::format_operation_short(op));
  }
  out << "counterexample: " << report->counterexample_operations.size()
      << " operations marked (linearizability: " << check::to_string(report->verdict) << ")\n";
}

// `--window auto`: 1 s before the violation to 200 ms after, within the
// run. The seed runs once without writers to learn when; replay is exact,
// so the second run, with writers, is the same run.
constexpr Duration kAutoBefore = Duration::seconds(1);
constexpr Duration kAutoAfter = Duration::milliseconds(200);

TimeWindow auto_window(const Scenario& scenario, uint64_t seed, const SeedOutcome& probe, std::ostream& out) {
  if (!probe.violation_at_s) {
    throw UsageError(fmt::format("--window auto: seed {} ({}) reports no violation time; give --window T1..T2", seed,
                                 to_string(probe.verdict)));
  }
  const Time at = Time::zero() + Duration::from_seconds(*probe.violation_at_s);
  const Time end = Time::zero() + Duration::from_seconds(probe.sim_s);
  const Time from = at - Time::zero() > kAutoBefore ? at - kAutoBefore : Time::zero();
  const Time to = std::min(at + kAutoAfter, std::max(end, at));
  out << fmt::format("window: {:.3f}s..{:.3f}s (auto: violation at {:.3f}s)\n", from.to_seconds(), to.to_seconds(),
                     at.to_seconds());
  return {from, to};
}

// What the files need to know before the run that writes them: the
// violation time (--window auto) and the history's processes (the trace
// header's first line). Replay is exact, so a first run without writers
// tells; only a replay that needs either pays for it.
struct Probe {
  SeedOutcome outcome;
  ClientHistory history;
};

bool records_history(const Scenario& scenario) { return scenario.model->make(scenario.params)->history() != nullptr; }

std::optional<Probe> probe_run(const ReplayOptions& options, const Scenario& scenario, uint64_t seed,
                               const BranchSetup& branches, bool window_auto) {
  if (!window_auto && !(options.trace_path && records_history(scenario))) return std::nullopt;
  Probe probe;
  probe.outcome = run_seed(scenario, seed, nullptr, &probe.history, &branches);
  return probe;
}

// A window that starts after the run can end shows nothing: bad input.
void check_window_in_run(const TimeWindow& window, const Scenario& scenario, std::string_view text) {
  const Duration duration = scenario.params.duration("duration");
  if (window.from - Time::zero() > duration) {
    throw UsageError(fmt::format("--window {}: starts after the run ends ({})", text, format_duration(duration)));
  }
}

}  // namespace

int replay_command(const ReplayOptions& options, const ModelRegistry& registry, std::ostream& out) {
  uint64_t seed = parse_seed(options.seed);
  BranchSetup branches;
  if (options.branch) branches.path = parse_branch_path(*options.branch);
  TimeWindow window;
  const bool window_auto = options.window && *options.window == "auto";
  if (options.window) {
    if (!options.dot_path) throw UsageError("--window selects the --dot diagram's time range; give --dot too");
    if (!window_auto) window = parse_window(*options.window);
  }
  require_writer(DETSIM_HAVE_JSONL_WRITER, options.trace_path, "--trace");
  require_writer(DETSIM_HAVE_DOT_WRITER, options.dot_path, "--dot");
  require_writer(DETSIM_HAVE_PERFETTO_WRITER, options.perfetto_path, "--perfetto");
  Scenario scenario = load_scenario(options.scenario, options.sets, registry, options.faults);
  scenario.program = options.program;
  if (options.window && !window_auto) check_window_in_run(window, scenario, *options.window);
  const std::optional<Probe> probe = probe_run(options, scenario, seed, branches, window_auto);
  if (window_auto) window = auto_window(scenario, seed, probe->outcome, out);

  TraceHeader header = trace_header_of(scenario, seed, options.branch.value_or(""));
  if (probe) set_trace_processes(probe->history.history, probe->outcome.node_names, &header);
  std::optional<CompareAgainst> compare;
  if (options.compare_path) compare.emplace(*options.compare_path, header);
  TraceOutputs outputs(options, window, trace_header_line(header));
  if (compare) outputs.add_sink(compare->sink());
  std::optional<AtomicFile> faults_file;
  if (options.save_faults_path) faults_file.emplace(*options.save_faults_path);
  std::optional<AtomicFile> history_file;
  if (options.history_path) history_file.emplace(*options.history_path);
  ClientHistory history;
  SeedOutcome outcome = run_seed(scenario, seed, outputs.sink(), &history, &branches);
  // --compare's answer first: the first differing event, then the run.
  const int compared = compare ? compare->report(out) : 0;
  print_text(scenario, outcome, out);
  // A passing run's report has no swarm line; a replay always says.
  if (outcome.verdict == Verdict::pass && !outcome.swarm.empty()) out << "  " << outcome.swarm << '\n';
  if (outcome.verdict != Verdict::pass && (options.dot_path || options.perfetto_path))
    mark_counterexample(history, outcome, &outputs, out);
  outputs.finish(out);
  if (faults_file) save_faults(scenario, outcome, &*faults_file, out);
  if (history_file) save_history(scenario, history, outcome.node_names, &*history_file, out);
  // With --compare the comparison is the result: 0 the same, 1 differs.
  if (compare) return compared;
  return static_cast<int>(outcome.verdict);
}

}  // namespace detsim
