// Runs a model under RapidCheck-generated fault schedules (fault_gen.h)
// with a fixed RapidCheck seed, so a property test is as reproducible as
// the simulator: the same seed generates, fails and shrinks the same way.
// find_and_shrink() is for planted bugs: it expects the property to fail
// and returns the schedule RapidCheck shrank it to.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "sim/world/simulation.h"
#include "tests/fault_gen.h"

namespace detsim::testing {

struct PropertySetup {
  const ModelInfo* model = nullptr;
  Params params;  // all_param_specs(*model), validated
  int servers = 5;
  int heal_ms = 10'000;
  std::vector<SpecKind> kinds = {SpecKind::crash, SpecKind::partition, SpecKind::pause, SpecKind::clock_jump};
  int max_faults = 12;
};

struct PropertyCase {
  uint64_t seed = 0;
  size_t faults = 0;  // generated fault specs (a power loss is one fault, many actions)
  FaultSchedule schedule;
  RunResult result;
};

inline PropertyCase run_property_case(const PropertySetup& setup, uint64_t seed, FaultSchedule schedule) {
  RunRequest request;
  request.model = setup.model;
  request.params = setup.params;
  request.seed = seed;
  request.faults = schedule;
  return {seed, 0, std::move(schedule), simulate(request)};
}

// One generated case: a seed and a schedule, run.
inline PropertyCase generate_property_case(const PropertySetup& setup) {
  const int count = *rc::gen::inRange(0, setup.max_faults + 1);
  const auto specs = *rc::gen::container<std::vector<FaultSpec>>(
      static_cast<size_t>(count), gen_fault_spec(setup.servers, setup.heal_ms, setup.kinds));
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
  PropertyCase c = run_property_case(setup, seed, build_fault_schedule(specs, setup.servers, setup.heal_ms));
  c.faults = specs.size();
  return c;
}

struct ShrunkFailure {
  bool failed = false;
  PropertyCase last_failure;  // after shrinking: RapidCheck's minimal case
  int successes = 0;          // cases that passed before the first failure
};

// Checks "every generated case passes" with a fixed RapidCheck seed. When
// it fails, RapidCheck shrinks; the last failing case it ran is the
// minimal one it reports.
inline ShrunkFailure find_and_shrink(const PropertySetup& setup, uint64_t rc_seed, int max_success) {
  ShrunkFailure outcome;
  rc::detail::TestParams params;
  params.seed = rc_seed;
  params.maxSuccess = max_success;
  rc::detail::TestMetadata metadata;
  metadata.id = "find_and_shrink";
  const auto result = rc::detail::checkTestable(
      [&] {
        PropertyCase c = generate_property_case(setup);
        if (c.result.verdict != Verdict::pass) outcome.last_failure = c;
        RC_ASSERT(c.result.verdict == Verdict::pass);
      },
      metadata, params);
  rc::detail::FailureResult failure;
  if (result.match(failure)) {
    outcome.failed = true;
    outcome.successes = failure.numSuccess;
  }
  return outcome;
}

}  // namespace detsim::testing
