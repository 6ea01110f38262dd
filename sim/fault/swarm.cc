#include "sim/fault/swarm.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/core/assert.h"

namespace detsim {
namespace {

constexpr std::array<const char*, kFaultFamilyCount> kFamilyNames = {"crash", "pause", "partition", "clog",
                                                                     "disk",  "clock", "shape"};

}  // namespace

const char* to_string(FaultFamily family) {
  auto index = static_cast<size_t>(family);
  DETSIM_ASSERT(index < kFamilyNames.size());
  return kFamilyNames[index];
}

Duration SwarmConfig::scaled(FaultFamily f, Duration interval) const {
  const FamilySwarm& swarm = family(f);
  // Exactly the configured interval when swarm is off: the schedules of
  // existing seeds must not move by a rounding.
  if (!on || swarm.multiplier == 1.0) return interval;
  // Zero is "off" for one kind of a family (misdirect while corrupt runs):
  // it must stay off, not become the shortest interval there is.
  if (interval <= Duration::zero()) return interval;
  DETSIM_ASSERT(swarm.multiplier > 0.0);
  Duration result = Duration::from_seconds(interval.to_seconds() / swarm.multiplier);
  // A positive interval stays positive: zero would mean "off".
  return std::max(result, Duration::nanoseconds(1));
}

std::string SwarmConfig::to_string() const {
  if (!on) return "swarm: off";
  std::string text = "swarm:";
  bool first = true;
  for (size_t i = 0; i < families.size(); ++i) {
    if (!families[i].configured) continue;
    text += first ? " " : ", ";
    first = false;
    text += kFamilyNames[i];
    text += families[i].enabled ? fmt::format(" x{:.1f}", families[i].multiplier) : std::string(" off");
  }
  return first ? text + " nothing configured" : text;
}

SwarmConfig choose_swarm(const Rng& rng, bool on, const std::array<bool, kFaultFamilyCount>& configured) {
  SwarmConfig config;
  config.on = on;
  const double log_min = std::log(kSwarmMultiplierMin);
  const double log_max = std::log(kSwarmMultiplierMax);
  for (size_t i = 0; i < kFaultFamilyCount; ++i) {
    FamilySwarm& family = config.families[i];
    family.configured = configured[i];
    if (!on || !family.configured) continue;
    Rng family_rng = rng.fork(kFamilyNames[i]);
    family.enabled = family_rng.bernoulli(kSwarmEnableProbability);
    family.multiplier = std::exp(family_rng.uniform_real(log_min, log_max));
    // Invariant: the multiplier stays in its range, whatever rounding does.
    DETSIM_ASSERT(family.multiplier >= kSwarmMultiplierMin * 0.999);
    DETSIM_ASSERT(family.multiplier <= kSwarmMultiplierMax * 1.001);
  }
  return config;
}

}  // namespace detsim
