// History files (sim/check/history_io.h): JSON lines and Jepsen EDN, told
// apart by the first line. What parses is then checked for
// linearizability as a register and as a key-value map, with a small step
// budget, so the checker sees hostile operations too.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/check/history_io.h"
#include "sim/check/linearizability.h"
#include "sim/core/assert.h"

namespace {

// Small enough that one input stays well under a millisecond of search.
constexpr uint64_t kStepBudget = 2000;

void check(const detsim::check::LoadedHistory& loaded, detsim::check::Datatype datatype) {
  detsim::check::CheckOptions options;
  options.step_budget = kStepBudget;
  std::optional<detsim::check::HistoryError> error;
  detsim::check::CheckReport report = detsim::check::check_history(loaded.history, datatype, options, &error);
  if (error) return;
  // Invariant: the budget is honoured (a little over: it is polled).
  DETSIM_ASSERT(report.steps <= 2 * kStepBudget + 1000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  std::optional<detsim::check::LoadedHistory> loaded = detsim::check::parse_history(text, "fuzz", &error);
  if (!loaded) {
    // Invariant: a rejection always says why.
    DETSIM_ASSERT(!error.empty());
    return 0;
  }
  // Invariant: every event knows its line.
  DETSIM_ASSERT(loaded->lines.size() == loaded->history.events().size());
  check(*loaded, detsim::check::Datatype::register_);
  check(*loaded, detsim::check::Datatype::kv);
  return 0;
}
