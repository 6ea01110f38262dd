// The worker pool behind --jobs. The parent hands out one task at a time
// over a socket pair ("INDEX\n": the worker, forked from the parent, holds
// the same task list) and reads one JSON line back per task, so a crash
// costs exactly the run in flight, and slow runs do not hold up a fixed
// share of the work. Results are handed on in task order.
//
// Workers die with the parent (PR_SET_PDEATHSIG), so a killed sweep leaves
// no orphan running on. When the system refuses a worker (fork or
// socketpair fails: a process or file limit), the pool carries on with the
// workers it has and says so once; with none at all it throws
// WorkerStartError (exit 71) instead of aborting.
#include "replay/jobs.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "sim/core/assert.h"

namespace detsim {
namespace {

using Clock = std::chrono::steady_clock;

// MSG_NOSIGNAL: writing to a worker that just died must fail with EPIPE,
// not kill the parent with SIGPIPE. (A process-wide SIG_IGN would also stop
// `detsim run ... | head` from ending the run when head exits.)
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t written = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    text.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

// Appends what is available to *buffer; false on end of file or error.
bool read_some(int fd, std::string* buffer) {
  char chunk[4096];
  while (true) {
    ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(got));
    return true;
  }
}

// Takes one complete line off the front of *buffer, if there is one.
std::optional<std::string> take_line(std::string* buffer) {
  size_t newline = buffer->find('\n');
  if (newline == std::string::npos) return std::nullopt;
  std::string line = buffer->substr(0, newline);
  buffer->erase(0, newline + 1);
  return line;
}

void close_fd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

// A SIGKILLed parent cannot shut the sockets, and an orphaned worker would
// finish its run for nobody; the kernel kills it instead. The parent may
// have died between fork() and prctl(), which no signal reports: hence the
// getppid() check after it.
void die_with_parent(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) _exit(1);
}

// The child's whole life: read task numbers until the parent shuts its side.
[[noreturn]] void worker_main(const TaskList& tasks, int socket) {
  std::string buffer;
  while (true) {
    std::optional<std::string> line = take_line(&buffer);
    if (!line) {
      if (!read_some(socket, &buffer)) _exit(0);
      continue;
    }
    SeedTask task = tasks.at(std::stoull(*line));
    SeedOutcome outcome = run_seed(*task.scenario, task.seed);
    std::string reply = to_wire(outcome).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    // _exit, not exit: the child must not flush stdio buffers it inherited
    // from the parent, nor run the parent's atexit handlers (gtest's).
    if (!write_all(socket, reply + "\n")) _exit(1);
  }
}

struct Worker {
  pid_t pid = -1;
  int socket = -1;  // task numbers out, JSON lines back
  std::string buffer;
  std::optional<uint64_t> task;  // the index in flight
  Clock::time_point started;
  std::string failure;  // why the parent gave up on it, if it did
  bool active() const { return pid > 0; }
};

class WorkerPool {
 public:
  WorkerPool(const TaskList& tasks, int jobs, const TaskCallback& on_outcome, std::ostream& err)
      : tasks_(tasks), on_outcome_(on_outcome), err_(err), end_(tasks.count) {
    DETSIM_ASSERT(jobs >= 1);
    DETSIM_ASSERT(tasks.count >= 1);
    uint64_t count = std::min<uint64_t>(static_cast<uint64_t>(jobs), tasks.count);
    workers_.resize(count);
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Only reached with workers still running when on_outcome threw (a
  // journal that cannot be written): they must not outlive the pool.
  ~WorkerPool() {
    for (Worker& worker : workers_) {
      if (!worker.active()) continue;
      ::kill(worker.pid, SIGKILL);
      close_fd(&worker.socket);
      while (::waitpid(worker.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }

  void run() {
    for (Worker& worker : workers_) start(&worker);
    if (!any_active()) start_or_throw(&workers_.front());
    if (active_count() < workers_.size()) note_short();
    // A worker exits once told there are no tasks left; polling until all
    // have been reaped leaves no zombies behind.
    while (any_active()) {
      poll_once();
      // Every worker crashed and none could be restarted, with tasks left.
      if (!any_active() && dispatched_ < end_) start_or_throw(&workers_.front());
    }
    // Invariant: each task handed out was delivered exactly once, in order.
    DETSIM_ASSERT(next_to_deliver_ == end_);
    DETSIM_ASSERT(waiting_.empty());
  }

 private:
  bool any_active() const { return active_count() > 0; }
  size_t active_count() const {
    return static_cast<size_t>(
        std::count_if(workers_.begin(), workers_.end(), [](const Worker& w) { return w.active(); }));
  }
  bool start(Worker* worker);
  void start_or_throw(Worker* worker);
  void note_short();
  void dispatch(Worker* worker);
  void poll_once();
  void on_readable(Worker* worker);
  void on_end(Worker* worker);
  void deliver(uint64_t task, SeedOutcome outcome);

  const TaskList& tasks_;
  const TaskCallback& on_outcome_;
  std::ostream& err_;
  std::string start_failure_;  // why the last worker could not start
  bool noted_short_ = false;
  std::vector<Worker> workers_;
  uint64_t end_;  // tasks.count, or fewer once keep_going said stop
  uint64_t dispatched_ = 0;
  uint64_t next_to_deliver_ = 0;
  std::map<uint64_t, SeedOutcome> waiting_;  // by task index: finished out of order
};

// False, with start_failure_ saying why, if the system refuses.
bool WorkerPool::start(Worker* worker) {
  DETSIM_ASSERT(!worker->active());
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) != 0) {
    start_failure_ = std::string("socketpair: ") + std::strerror(errno);
    return false;
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    start_failure_ = std::string("fork: ") + std::strerror(errno);
    ::close(ends[0]);
    ::close(ends[1]);
    return false;
  }
  if (pid == 0) {
    die_with_parent(parent);
    // Other workers' sockets must not stay open here, or a worker would
    // never see end of file when the parent shuts its side.
    for (Worker& other : workers_) close_fd(&other.socket);
    ::close(ends[0]);
    worker_main(tasks_, ends[1]);
  }
  ::close(ends[1]);
  *worker = Worker{};
  worker->pid = pid;
  worker->socket = ends[0];
  dispatch(worker);
  return true;
}

void WorkerPool::start_or_throw(Worker* worker) {
  if (start(worker)) return;
  throw WorkerStartError("cannot start a worker process (" + start_failure_ + ")");
}

// Once per pool: fewer workers than --jobs asked for is slower, not wrong.
void WorkerPool::note_short() {
  if (noted_short_) return;
  noted_short_ = true;
  err_ << fmt::format("detsim: note: carrying on with {} of {} worker processes ({})\n", active_count(),
                      workers_.size(), start_failure_);
}

// The next task, or end of file for the worker when none are left.
void WorkerPool::dispatch(Worker* worker) {
  DETSIM_ASSERT(!worker->task.has_value());
  if (dispatched_ < end_ && tasks_.keep_going && !tasks_.keep_going()) end_ = dispatched_;
  if (dispatched_ == end_) {
    ::shutdown(worker->socket, SHUT_WR);
    return;
  }
  uint64_t task = dispatched_++;
  worker->task = task;
  worker->started = Clock::now();
  // A failed write means the worker is gone; its end of file on the
  // socket reports the task.
  write_all(worker->socket, std::to_string(task) + "\n");
}

void WorkerPool::poll_once() {
  std::vector<pollfd> fds;
  std::vector<Worker*> owners;
  for (Worker& worker : workers_) {
    if (!worker.active()) continue;
    fds.push_back({worker.socket, POLLIN, 0});
    owners.push_back(&worker);
  }
  DETSIM_ASSERT(!fds.empty());
  int ready = ::poll(fds.data(), fds.size(), -1);
  if (ready < 0 && errno == EINTR) return;
  DETSIM_ASSERT(ready > 0);
  for (size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents != 0) on_readable(owners[i]);
  }
}

void WorkerPool::on_readable(Worker* worker) {
  if (!read_some(worker->socket, &worker->buffer)) {
    on_end(worker);
    return;
  }
  while (std::optional<std::string> line = take_line(&worker->buffer)) {
    std::optional<SeedOutcome> outcome;
    try {
      outcome = from_wire(nlohmann::json::parse(*line));
    } catch (const nlohmann::json::exception& error) {
      // Only a corrupted worker writes this; treat it like a crash.
      worker->failure = std::string("worker process sent an unreadable result (") + error.what() + ")";
      ::kill(worker->pid, SIGKILL);
      return;
    }
    // Invariant: a worker answers only the task it was given.
    DETSIM_ASSERT(worker->task.has_value());
    DETSIM_ASSERT(tasks_.at(*worker->task).seed == outcome->seed);
    uint64_t task = *worker->task;
    worker->task.reset();
    deliver(task, std::move(*outcome));
    dispatch(worker);
  }
}

// The worker closed its end: it finished, or it died mid-run.
void WorkerPool::on_end(Worker* worker) {
  close_fd(&worker->socket);
  int status = 0;
  while (::waitpid(worker->pid, &status, 0) < 0 && errno == EINTR) {
  }
  worker->pid = -1;
  if (!worker->task) return;
  uint64_t task = *worker->task;
  uint64_t seed = tasks_.at(task).seed;
  double wall_s = std::chrono::duration<double>(Clock::now() - worker->started).count();
  std::string why = worker->failure.empty() ? describe_exit(status) : worker->failure;
  deliver(task, crashed_outcome(seed, why + " while running seed " + std::to_string(seed), wall_s));
  if (dispatched_ < end_ && !start(worker)) note_short();
}

void WorkerPool::deliver(uint64_t task, SeedOutcome outcome) {
  waiting_.emplace(task, std::move(outcome));
  while (!waiting_.empty() && waiting_.begin()->first == next_to_deliver_) {
    on_outcome_(next_to_deliver_, waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
    ++next_to_deliver_;
  }
}

}  // namespace

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    int signal_number = WTERMSIG(status);
    const char* abbreviation = sigabbrev_np(signal_number);
    std::string name = abbreviation != nullptr ? std::string("SIG") + abbreviation : std::to_string(signal_number);
    return fmt::format("worker process killed by {} ({})", name, strsignal(signal_number));
  }
  if (WIFEXITED(status)) return fmt::format("worker process exited with status {}", WEXITSTATUS(status));
  return "worker process ended";
}

void run_tasks(const TaskList& tasks, int jobs, Isolation isolation, const TaskCallback& on_outcome,
               std::ostream& err) {
  DETSIM_ASSERT(jobs >= 1);
  if (tasks.count == 0) return;
  if (jobs == 1 && isolation == Isolation::in_process_for_one_job) {
    for (uint64_t i = 0; i < tasks.count; ++i) {
      if (tasks.keep_going && !tasks.keep_going()) return;
      SeedTask task = tasks.at(i);
      on_outcome(i, run_seed(*task.scenario, task.seed));
    }
    return;
  }
  WorkerPool(tasks, jobs, on_outcome, err).run();
}

void run_seeds(const Scenario& scenario, SeedRange seeds, int jobs, const OutcomeCallback& on_outcome,
               std::ostream& err) {
  DETSIM_ASSERT(seeds.first <= seeds.last);
  TaskList tasks{seeds.count(),
                 [&scenario, seeds](uint64_t index) {
                   return SeedTask{&scenario, seeds.first + index};
                 },
                 {}};
  run_tasks(
      tasks, std::max(jobs, 1), Isolation::in_process_for_one_job,
      [&on_outcome](uint64_t, const SeedOutcome& outcome) { on_outcome(outcome); }, err);
}

}  // namespace detsim
