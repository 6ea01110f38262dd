// Running seeds in worker processes (--jobs J). Processes rather than
// threads: the engine is single-threaded by design, and a model that
// aborts or segfaults takes down only its worker. That seed is reported
// as model_crashed ("process_crashed") and a fresh worker takes over.
#pragma once

#include <functional>

#include "replay/commands.h"
#include "replay/outcome.h"
#include "replay/scenario.h"

namespace detsim {

using OutcomeCallback = std::function<void(const SeedOutcome&)>;

// Calls on_outcome once per seed of `seeds`, in seed order, from this
// thread. jobs == 1 runs in this process.
void run_seeds(const Scenario& scenario, SeedRange seeds, int jobs, const OutcomeCallback& on_outcome);

}  // namespace detsim
