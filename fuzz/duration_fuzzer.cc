// Durations and distributions (sim/core/duration_dist.h), as a scenario
// file or --set writes them. Whatever parses must print back to text that
// parses to the same value, and sample without trapping (UBSan catches a
// double-to-integer overflow here).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/core/assert.h"
#include "sim/core/duration_dist.h"
#include "sim/core/rng.h"

namespace {

void check_duration(std::string_view text) {
  std::optional<detsim::Duration> duration = detsim::parse_duration(text);
  if (!duration) return;
  std::optional<detsim::Duration> again = detsim::parse_duration(detsim::format_duration(*duration));
  // Invariant: format_duration is exact, so it reads back to the same value.
  DETSIM_ASSERT(again.has_value());
  DETSIM_ASSERT(*again == *duration);
}

void check_distribution(std::string_view text) {
  std::string error;
  std::optional<detsim::DurationDist> dist = detsim::DurationDist::parse(text, &error);
  if (!dist) {
    // Invariant: a rejection always says why.
    DETSIM_ASSERT(!error.empty());
    return;
  }
  const std::string printed = dist->to_string();
  std::optional<detsim::DurationDist> again = detsim::DurationDist::parse(printed, &error);
  // Invariant: to_string() reads back (docs: "Text that parse() reads back").
  DETSIM_ASSERT(again.has_value());
  DETSIM_ASSERT(again->to_string() == printed);
  detsim::Rng rng(text.size());
  for (int i = 0; i < 8; ++i) {
    // Invariant: samples are never negative (duration_dist.h).
    DETSIM_ASSERT(dist->sample(rng) >= detsim::Duration());
  }
  (void)dist->mean();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_duration(text);
  check_distribution(text);
  return 0;
}
