// RapidCheck over generated fault schedules (tests/fault_gen.h, through
// tests/property_harness.h) for the Raft key-value model: partitions,
// crashes with torn unsynced writes, pauses and clock jumps never break
// linearizability or Raft's invariants; and a planted bug's failure
// shrinks to a schedule of a few faults that replays as a --faults file.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <iostream>
#include <string>

#include "models/registry.h"
#include "replay/scenario.h"
#include "tests/property_harness.h"

namespace detsim {
namespace {

testing::PropertySetup raft_setup(const std::string& bug) {
  const Scenario scenario = load_scenario(
      "raft_kv", {"duration=15s", "settle=5s", "disk.tear=0.3", "disk.reorder=0.2", "bug=" + bug}, model_registry());
  testing::PropertySetup setup;
  setup.model = scenario.model;
  setup.params = scenario.params;
  setup.heal_ms = 10'000;
  setup.kinds = {testing::SpecKind::crash, testing::SpecKind::partition, testing::SpecKind::pause,
                 testing::SpecKind::clock_jump};
  return setup;
}

RC_GTEST_PROP(RaftKvProperty, StaysLinearizableAndSafeUnderGeneratedSchedules, ()) {
  const testing::PropertyCase c = testing::generate_property_case(raft_setup("none"));
  RC_LOG() << "seed " << c.seed << ": " << c.schedule.to_short_string() << "\n";
  RC_ASSERT(c.result.verdict == Verdict::pass);
}

TEST(RaftKvProperty, NoTruncateOnConflictShrinksToAFewFaultsThatReplay) {
  const testing::PropertySetup setup = raft_setup("no_truncate_on_conflict");
  const testing::ShrunkFailure found = testing::find_and_shrink(setup, /*rc_seed=*/1, /*max_success=*/100);
  ASSERT_TRUE(found.failed) << "no_truncate_on_conflict survived 100 generated schedules";
  const FaultSchedule& minimal = found.last_failure.schedule;
  EXPECT_EQ(found.last_failure.result.verdict, Verdict::safety);
  EXPECT_EQ(found.last_failure.result.property, "log_matching") << found.last_failure.result.detail;
  EXPECT_LE(found.last_failure.faults, 3u) << minimal.to_file_text();
  std::cout << "shrunk counterexample (seed " << found.last_failure.seed << ", " << found.last_failure.faults
            << " faults):\n"
            << minimal.to_file_text();
  std::string error;
  const std::optional<FaultSchedule> reread = FaultSchedule::parse_file_text(minimal.to_file_text(), &error);
  ASSERT_TRUE(reread.has_value()) << error;
  const testing::PropertyCase again = testing::run_property_case(setup, found.last_failure.seed, *reread);
  EXPECT_EQ(again.result.verdict, found.last_failure.result.verdict);
  EXPECT_EQ(again.result.property, found.last_failure.result.property);
  EXPECT_EQ(again.result.fingerprint, found.last_failure.result.fingerprint);
}

}  // namespace
}  // namespace detsim
