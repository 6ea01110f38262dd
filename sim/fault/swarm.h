// Swarm testing: each seed runs with a random subset of the configured fault
// families, each at a random intensity. Groce, Zhang, Eide, Chen and Regehr,
// "Swarm Testing" (ISSTA 2012), found that leaving features out at random
// finds more bugs than always enabling all of them: some bugs need a fault
// to be absent (a crash-heavy run rarely keeps a partition up long enough),
// and FoundationDB's simulator picks its fault mix per seed for the same
// reason.
#pragma once

#include <array>
#include <string>

#include "sim/core/rng.h"

namespace detsim {

// The families of FaultKind that swarm testing switches as one.
enum class FaultFamily { crash, pause, partition, clog, disk, clock, shape };
inline constexpr size_t kFaultFamilyCount = 7;
const char* to_string(FaultFamily family);

struct FamilySwarm {
  bool configured = false;  // the options give it a nonzero interval
  bool enabled = true;      // configured families only; always true when swarm is off
  double multiplier = 1.0;  // rate multiplier: the family's intervals are divided by it
};

struct SwarmConfig {
  bool on = false;
  std::array<FamilySwarm, kFaultFamilyCount> families;

  const FamilySwarm& family(FaultFamily f) const { return families[static_cast<size_t>(f)]; }
  // Configured, and enabled when swarm is on.
  bool active(FaultFamily f) const { return family(f).configured && family(f).enabled; }
  // interval / multiplier; interval itself, exactly, when swarm is off or
  // interval is zero (off).
  Duration scaled(FaultFamily f, Duration interval) const;
  // "swarm: crash x1.7, pause off, partition x0.4" over the configured
  // families; "swarm: off" when swarm is off.
  std::string to_string() const;
};

inline constexpr double kSwarmEnableProbability = 0.5;
inline constexpr double kSwarmMultiplierMin = 0.25;
inline constexpr double kSwarmMultiplierMax = 4.0;

// With on false: every configured family enabled at x1. With on true: each
// configured family is enabled with kSwarmEnableProbability, and its
// multiplier is log-uniform in [kSwarmMultiplierMin, kSwarmMultiplierMax].
// Each family draws from rng.fork(its name), so adding a family leaves the
// others' choices alone.
SwarmConfig choose_swarm(const Rng& rng, bool on, const std::array<bool, kFaultFamilyCount>& configured);

}  // namespace detsim
