// A small world driven by a fault schedule: an engine, a world with the
// given options (healed at the time limit unless they say otherwise), a
// trace, and the schedule given in its file syntax (sim/fault/
// fault_schedule.h). For tests of the world's faults and of models' parts.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sim/world/world.h"
#include "tests/network_harness.h"

namespace detsim::testing {

inline FaultSchedule schedule(std::string_view text) {
  std::string error;
  std::optional<FaultSchedule> parsed = FaultSchedule::parse_file_text(text, &error);
  EXPECT_TRUE(parsed.has_value()) << error;
  return parsed.value_or(FaultSchedule{});
}

struct FaultHarness {
  explicit FaultHarness(Duration limit, WorldOptions options = {}, uint64_t seed = 5) {
    EngineOptions engine_options;
    engine_options.seed = seed;
    engine_options.time_limit = Time::zero() + limit;
    engine = std::make_unique<Engine>(engine_options);
    if (options.heal_at == Time::max()) options.heal_at = Time::zero() + limit;
    world = std::make_unique<World>(*engine, Rng(seed), options);
  }
  StopReason run(std::string_view faults = "none") {
    world->set_trace(&trace);
    world->apply(schedule(faults));
    world->start();
    return engine->run();
  }
  bool traced(std::string_view needle) const {
    for (const std::string& text : trace.texts(TraceKind::fault)) {
      if (text.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::unique_ptr<Engine> engine;
  std::unique_ptr<World> world;
  TraceCollector trace;
};

}  // namespace detsim::testing
