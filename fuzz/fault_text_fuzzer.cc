// The fault schedule's text (sim/fault/fault_text.cc): a --faults file, a
// scenario's faults.schedule, and the one-line short form of a failure
// report. A schedule that parses must validate without trapping and print
// back to text that parses to the same actions.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/assert.h"
#include "sim/fault/fault_schedule.h"

namespace {

// n0..n5 servers and n6, n7 clients: most n<digit> names are in range, so
// validate() gets past the node check to check_action, and both of its
// server-only and client-allowed paths run.
detsim::FaultTargets targets() {
  detsim::FaultTargets targets = detsim::FaultTargets::servers_only(6);
  targets.clients = {detsim::NodeId(6), detsim::NodeId(7)};
  return targets;
}

void check_round_trip(const detsim::FaultSchedule& schedule) {
  std::string error;
  static const detsim::FaultTargets kTargets = targets();
  (void)schedule.validate(kTargets, &error);
  std::optional<detsim::FaultSchedule> from_file =
      detsim::FaultSchedule::parse_file_text(schedule.to_file_text(), &error);
  // Invariant: what the writer prints, the reader reads back unchanged.
  DETSIM_ASSERT(from_file.has_value());
  DETSIM_ASSERT(from_file->actions == schedule.actions);
  std::optional<detsim::FaultSchedule> from_short =
      detsim::FaultSchedule::parse_short(schedule.to_short_string(), &error);
  DETSIM_ASSERT(from_short.has_value());
  DETSIM_ASSERT(from_short->actions == schedule.actions);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  std::optional<detsim::FaultSchedule> schedule = detsim::FaultSchedule::parse_file_text(text, &error);
  if (schedule) check_round_trip(*schedule);
  // Invariant: a rejection always says why.
  else
    DETSIM_ASSERT(!error.empty());
  error.clear();
  std::optional<detsim::FaultSchedule> short_form = detsim::FaultSchedule::parse_short(text, &error);
  if (short_form) check_round_trip(*short_form);
  return 0;
}
