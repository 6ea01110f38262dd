// Running seeds in worker processes (--jobs J). Processes rather than
// threads: the engine is single-threaded by design, and a model that
// aborts or segfaults takes down only its worker. That run is reported
// as model_crashed ("process_crashed") and a fresh worker takes over.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "replay/commands.h"
#include "replay/outcome.h"
#include "replay/scenario.h"

namespace detsim {

// One run: a scenario (with its overrides applied) at one seed.
struct SeedTask {
  const Scenario* scenario = nullptr;
  uint64_t seed = 0;
};

// The runs to make, numbered 0..count-1. Made on demand, so a range of a
// billion seeds needs no list in memory; `at` must give the same task for
// the same index every time, in the parent and in a forked worker alike.
struct TaskList {
  uint64_t count = 0;
  std::function<SeedTask(uint64_t index)> at;
  // Asked before each task is handed out; once false, no more are (a time
  // budget): tasks in flight finish and are delivered, later ones never run.
  std::function<bool()> keep_going;
};

enum class Isolation {
  in_process_for_one_job,  // jobs == 1 runs here: no fork (what `run` does)
  always_workers,          // even jobs == 1 forks, so a crash costs one run
};

using TaskCallback = std::function<void(uint64_t index, const SeedOutcome&)>;
using OutcomeCallback = std::function<void(const SeedOutcome&)>;

// What a worker's wait status says about how it ended: "worker process
// killed by SIGSEGV (Segmentation fault)".
std::string describe_exit(int status);

// Calls on_outcome once per task, in index order, from this thread, while
// up to `jobs` workers run the tasks in any order. Fewer workers than asked
// for, because the system refused more, is noted once on err; none at all
// throws WorkerStartError. An exception from on_outcome kills the workers
// and propagates.
void run_tasks(const TaskList& tasks, int jobs, Isolation isolation, const TaskCallback& on_outcome, std::ostream& err);

// Every seed of `seeds` for one scenario, in seed order. jobs == 1 runs in
// this process.
void run_seeds(const Scenario& scenario, SeedRange seeds, int jobs, const OutcomeCallback& on_outcome,
               std::ostream& err);

}  // namespace detsim
