// `detsim explore SCENARIO --budget T [--seeds A..B] [--set k=v]...
// [--faults F] [--jobs J] [--fanout K] [--depth D] [--json]`: the driver.
// It forks a worker per seed while slots are free (explore.h), reads every
// process's start and result records, prints each failure with its
// reproduce line (the branch path included), and ends with a summary:
// runs, branches, failures, the properties violated, and the probes the
// branches covered against those the plain seeds covered.
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>

#include "replay/commands.h"
#include "replay/explore.h"
#include "replay/jobs.h"
#include "replay/outcome.h"
#include "replay/progress.h"
#include "sim/core/assert.h"
#include "sim/core/duration_dist.h"

namespace detsim {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kRecordMax = 1 << 16;

// CPU seconds of the reaped descendants: every process of an exploration
// is reaped (by the driver, or by a parent the driver reaps) before the
// summary, so the difference is the search's cost, comparable across runs
// on a machine shared with other work.
double children_cpu_s() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Tracked {
  uint64_t seed = 0;
  std::string branch;
  bool owns_slot = true;
};

// What the summary reports.
struct Tally {
  uint64_t seeds = 0;     // seeds' own runs that completed
  uint64_t branches = 0;  // branches that completed
  uint64_t failures = 0;
  uint64_t plain_failures = 0;  // of them, seeds' own runs
  std::set<uint64_t> failing_seeds;
  std::set<uint64_t> plain_failing_seeds;  // their own run failed
  // Seeds whose own run failed on no branch: what branching alone found.
  size_t branch_only_seeds() const {
    size_t count = 0;
    for (uint64_t seed : failing_seeds) count += plain_failing_seeds.count(seed) == 0 ? 1 : 0;
    return count;
  }
  std::set<std::string> properties;
  std::set<std::string> probes_all;
  std::set<std::string> probes_plain;
  std::optional<double> first_failure_s;
  int exit_code = 0;
};

class Driver {
 public:
  Driver(const Scenario& scenario, const ExploreOptions& options, SeedRange seeds, Duration budget, std::ostream& out,
         std::ostream& err)
      : scenario_(scenario),
        options_(options),
        seeds_(seeds),
        next_seed_(seeds.first),
        budget_(budget),
        out_(out),
        progress_(err, !options.json && is_terminal_stderr(err), 0) {}

  int run();

 private:
  bool seeds_left() const { return next_seed_ <= seeds_.last && !seeds_done_; }
  bool launch();  // false: the system refused the fork
  void wait_for_records(int timeout_ms);
  void drain();
  void on_record(const nlohmann::json& message);
  bool reap();  // whether it reaped any
  void finish();
  void record(const SeedOutcome& outcome);
  void show_progress();
  void print_summary(double wall_s, double cpu_s);

  const Scenario& scenario_;
  const ExploreOptions& options_;
  SeedRange seeds_;
  uint64_t next_seed_;
  bool seeds_done_ = false;  // next_seed_ passed UINT64_MAX
  Duration budget_;
  std::ostream& out_;
  Progress progress_;
  ExploreShared* shared_ = nullptr;
  int sockets_[2] = {-1, -1};  // [0] the driver reads, [1] every worker writes
  std::map<pid_t, Tracked> tracked_;
  std::set<pid_t> finished_;  // reported, not yet reaped
  bool stopping_ = false;     // the budget is spent: kills are not crashes
  Clock::time_point start_;
  Tally tally_;
};

int Driver::run() {
  shared_ = map_explore_shared();
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sockets_) != 0) {
    throw WorkerStartError(std::string("explore: cannot start a worker process (socketpair: ") + std::strerror(errno) +
                           ")");
  }
  // Branches outlive the workers that forked them; as a subreaper the
  // driver inherits and reaps them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  start_ = Clock::now();
  const double cpu_start_s = children_cpu_s();
  const Clock::time_point deadline = start_ + std::chrono::nanoseconds(budget_.count_ns());
  while (Clock::now() < deadline) {
    // A refused fork is retried on the next turn, once a worker has ended.
    while (seeds_left() && shared_->live.load() < options_.jobs && launch()) {
    }
    // Reported but unreaped branches do not hold the loop: finish() waits.
    if (!seeds_left() && tracked_.empty()) break;
    wait_for_records(50);
    drain();
    reap();
    show_progress();
  }
  finish();
  progress_.clear();
  print_summary(std::chrono::duration<double>(Clock::now() - start_).count(), children_cpu_s() - cpu_start_s);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  ::close(sockets_[0]);
  ::close(sockets_[1]);
  unmap_explore_shared(shared_);
  return tally_.exit_code;
}

bool Driver::launch() {
  const uint64_t seed = next_seed_;
  shared_->live.fetch_add(1);
  shared_->family_branches[seed % ExploreShared::kFamilies].store(0);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    shared_->live.fetch_sub(1);
    // With workers still running the seed waits for one to end; with none,
    // nothing would ever free the system's resources: exit 71.
    if (tracked_.empty()) {
      throw WorkerStartError(std::string("explore: cannot start a worker process (fork: ") + std::strerror(error) +
                             ")");
    }
    return false;
  }
  if (next_seed_ == seeds_.last) seeds_done_ = true;
  ++next_seed_;
  if (pid == 0) {
    ::close(sockets_[0]);
    ExploreLimits limits{options_.jobs, options_.fanout, static_cast<size_t>(options_.depth), options_.rare_percent,
                         static_cast<uint32_t>(options_.branches_per_seed)};
    explore_seed_worker(scenario_, seed, shared_, limits, sockets_[1]);
  }
  tracked_[pid] = {seed, "", true};
  return true;
}

void Driver::wait_for_records(int timeout_ms) {
  pollfd fd{sockets_[0], POLLIN, 0};
  ::poll(&fd, 1, timeout_ms);
}

void Driver::drain() {
  std::string buffer(kRecordMax, '\0');
  while (true) {
    const ssize_t got = ::recv(sockets_[0], buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return;
    on_record(nlohmann::json::parse(buffer.substr(0, static_cast<size_t>(got))));
  }
}

void Driver::on_record(const nlohmann::json& message) {
  if (message.contains("start")) {
    const nlohmann::json& start = message.at("start");
    const pid_t pid = start.at("pid").get<pid_t>();
    tracked_[pid] = {start.at("seed").get<uint64_t>(), start.at("branch").get<std::string>(),
                     start.at("owns_slot").get<bool>()};
    // A branch forked just as the budget ran out: end it too.
    if (stopping_) ::kill(pid, SIGKILL);
    return;
  }
  if (message.contains("result")) {
    const nlohmann::json& result = message.at("result");
    const pid_t pid = result.at("pid").get<pid_t>();
    if (result.at("owns_slot").get<bool>()) shared_->live.fetch_sub(1);
    tracked_.erase(pid);
    finished_.insert(pid);
    record(from_wire(result.at("outcome")));
    return;
  }
  const nlohmann::json& crashed = message.at("crashed");
  auto it = tracked_.find(crashed.at("pid").get<pid_t>());
  if (it == tracked_.end()) return;
  SeedOutcome outcome = crashed_outcome(it->second.seed, crashed.at("why").get<std::string>(), 0);
  outcome.branch = it->second.branch;
  tracked_.erase(it);
  if (!stopping_) record(outcome);
}

// A process reaped without a result died mid-run (or was killed at the
// end of the budget). Its record may still be queued: drain first.
bool Driver::reap() {
  int status = 0;
  pid_t pid;
  bool reaped = false;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    reaped = true;
    drain();
    if (finished_.erase(pid) > 0) continue;
    auto it = tracked_.find(pid);
    if (it == tracked_.end()) continue;
    if (it->second.owns_slot) shared_->live.fetch_sub(1);
    SeedOutcome outcome = crashed_outcome(it->second.seed, describe_exit(status), 0);
    outcome.branch = it->second.branch;
    tracked_.erase(it);
    if (!stopping_) record(outcome);
  }
  return reaped;
}

// Ends every process still running (their partial runs are not counted)
// and waits until none is left, so no zombie or orphan outlives the call.
// A child this search did not start (the host process's own, in a test)
// must not hold it forever: with none of ours known and nothing reaped
// for a second, it stops waiting.
void Driver::finish() {
  stopping_ = !tracked_.empty() || seeds_left();
  shared_->stop.store(1);
  Clock::time_point last_reaped = Clock::now();
  while (true) {
    drain();
    if (stopping_) {
      for (const auto& [pid, tracked] : tracked_) ::kill(pid, SIGKILL);
    }
    if (reap()) last_reaped = Clock::now();
    // WNOWAIT: only asks whether any child is left; reap() reaps.
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD) break;
    if (tracked_.empty() && Clock::now() - last_reaped > std::chrono::seconds(1)) break;
    wait_for_records(10);
  }
  drain();
}

void Driver::record(const SeedOutcome& outcome) {
  (outcome.branch.empty() ? tally_.seeds : tally_.branches) += 1;
  for (const ProbeCount& probe : outcome.probes) {
    if (probe.hits == 0) continue;
    tally_.probes_all.insert(probe.name);
    if (outcome.branch.empty()) tally_.probes_plain.insert(probe.name);
  }
  if (outcome.verdict == Verdict::pass) return;
  ++tally_.failures;
  if (outcome.branch.empty()) {
    ++tally_.plain_failures;
    tally_.plain_failing_seeds.insert(outcome.seed);
  }
  tally_.failing_seeds.insert(outcome.seed);
  tally_.properties.insert(outcome.property);
  if (!tally_.first_failure_s) tally_.first_failure_s = std::chrono::duration<double>(Clock::now() - start_).count();
  // Like run: the first failure's verdict is the exit code.
  if (tally_.exit_code == 0) tally_.exit_code = static_cast<int>(outcome.verdict);
  progress_.before_output(out_);
  print_outcome(scenario_, outcome, options_.json, out_);
}

void Driver::show_progress() {
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - start_).count();
  const double left_s = std::max(0.0, budget_.to_seconds() - elapsed_s);
  progress_.update(fmt::format("{:.0f}s left, {} seeds, {} branches, {} failed, {}/{} probes", left_s, tally_.seeds,
                               tally_.branches, tally_.failures, tally_.probes_all.size(),
                               scenario_.model->probes.size()));
}

std::string join(const std::set<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ",") + name;
  return text.empty() ? "none" : text;
}

void Driver::print_summary(double wall_s, double cpu_s) {
  const Tally& t = tally_;
  const size_t probes = scenario_.model->probes.size();
  const std::string first = t.first_failure_s ? fmt::format("{:.3f}", *t.first_failure_s) : "never";
  if (!options_.json) {
    out_ << fmt::format(
        "summary: runs={} seeds={} branches={} fail={} plain_fail={} branch_fail={} failing_seeds={} "
        "branch_only_seeds={} properties={} probes={}/{} plain_probes={}/{} first_fail_s={} wall_s={:.3f} "
        "cpu_s={:.3f}\n",
        t.seeds + t.branches, t.seeds, t.branches, t.failures, t.plain_failures, t.failures - t.plain_failures,
        t.failing_seeds.size(), t.branch_only_seeds(), join(t.properties), t.probes_all.size(), probes,
        t.probes_plain.size(), probes, first, wall_s, cpu_s);
    return;
  }
  nlohmann::ordered_json summary = {{"runs", t.seeds + t.branches},
                                    {"seeds", t.seeds},
                                    {"branches", t.branches},
                                    {"fail", t.failures},
                                    {"plain_fail", t.plain_failures},
                                    {"branch_fail", t.failures - t.plain_failures},
                                    {"failing_seeds", t.failing_seeds.size()},
                                    {"branch_only_seeds", t.branch_only_seeds()},
                                    {"properties", t.properties},
                                    {"probes", t.probes_all.size()},
                                    {"plain_probes", t.probes_plain.size()},
                                    {"probes_declared", probes},
                                    {"first_fail_s", t.first_failure_s ? nlohmann::json(*t.first_failure_s) : nullptr},
                                    {"wall_s", wall_s},
                                    {"cpu_s", cpu_s},
                                    {"exit", t.exit_code}};
  out_ << nlohmann::ordered_json{{"summary", summary}}.dump() << '\n';
}

SeedRange explore_seeds(const ExploreOptions& options) {
  if (options.seeds) return parse_seed_range(*options.seeds);
  return {1, UINT64_MAX};
}

}  // namespace

int explore_command(const ExploreOptions& options, const ModelRegistry& registry, std::ostream& out,
                    std::ostream& err) {
  const SeedRange seeds = explore_seeds(options);
  std::optional<Duration> budget = parse_duration(options.budget);
  if (!budget || *budget <= Duration::zero())
    throw UsageError("--budget " + options.budget + ": expected a positive wall-clock duration, like 90s or 10m");
  check_jobs(options.jobs);
  if (options.fanout < 0 || options.fanout > 16)
    throw UsageError("--fanout " + std::to_string(options.fanout) + ": expected 0 to 16");
  if (!(options.rare_percent >= 0 && options.rare_percent <= 100))
    throw UsageError("--rare " + fmt::format("{}", options.rare_percent) + ": expected a percentage, 0 to 100");
  if (options.branches_per_seed < 0)
    throw UsageError("--branches " + std::to_string(options.branches_per_seed) + ": expected 0 or more");
  if (options.depth < 1 || options.depth > 64)
    throw UsageError("--depth " + std::to_string(options.depth) + ": expected 1 to 64");
  Scenario scenario = load_scenario(options.scenario, options.sets, registry, options.faults);
  scenario.program = options.program;
  // Nothing buffered may be written twice by a forked child's exit path.
  out.flush();
  err.flush();
  return Driver(scenario, options, seeds, *budget, out, err).run();
}

}  // namespace detsim
