#include "sim/world/timing_swarm.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/core/assert.h"

namespace detsim {

std::string TimingDraw::to_string() const {
  if (assignments.empty()) return "";
  return fmt::format("timing: {}", fmt::join(assignments, ", "));
}

TimingDraw draw_timing(const std::vector<ParamSpec>& specs, const Rng& rng, Params& params) {
  TimingDraw draw;
  if (!params.has("swarm.timing") || !params.boolean("swarm.timing")) return draw;
  for (const ParamSpec& spec : specs) {
    if (spec.swarm.empty() || params.pinned(spec.key)) continue;
    Rng key_rng = rng.fork(spec.key);
    const std::string& text = spec.swarm[key_rng.below(spec.swarm.size())];
    std::string error;
    std::optional<ParamValue> value = parse_param(spec, text, &error);
    // Invariant: a declared swarm value parses under its own spec
    // (tests/timing_swarm_test.cc checks every registered model's).
    if (!value) assert_failed(__FILE__, __LINE__, ("swarm value of " + spec.key + ": " + error).c_str());
    params.set_default(spec.key, std::move(*value));
    draw.assignments.push_back(spec.key + "=" + text);
  }
  return draw;
}

}  // namespace detsim
