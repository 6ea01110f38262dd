// Each node's clocks. The simulated Time is true time; a node reads it
// through its own crystal: a wall clock (CLOCK_REALTIME) with an offset, a
// drift, jumps and optional NTP discipline, and a monotonic clock
// (CLOCK_MONOTONIC) that drifts and is slewed with it but never jumps. The
// clock hardware outlives crashes: a restarted node reads the same clock.
#pragma once

#include <cstdint>
#include <string>

#include "sim/core/rng.h"
#include "sim/core/time.h"

namespace detsim {

// 2026-01-01T00:00:00Z: true wall time at Time::zero() in every run.
inline constexpr WallTime kSimulationEpoch = WallTime::from_unix_ns(1'767'225'600LL * 1'000'000'000LL);

struct ClockOptions {
  Duration offset_max;       // each node starts off by uniform(-max, +max)
  double drift_max_ppm = 0;  // each node's rate error, uniform in (-max, +max)
  bool ntp = false;          // discipline clocks toward true time
  Duration ntp_interval = Duration::seconds(16);
  // ntpd's limits: the kernel slews at most 500 ppm, and an offset beyond
  // 128 ms is stepped rather than slewed (ntpd(8), "-x" and "step").
  double ntp_max_slew_ppm = 500;
  Duration ntp_step_threshold = Duration::milliseconds(128);
};

class NodeClock {
 public:
  NodeClock() = default;
  NodeClock(Duration offset, int64_t drift_ppb);
  // Offset and drift drawn from the options.
  static NodeClock make(Rng& rng, const ClockOptions& options);

  WallTime wall(Time now) const { return kSimulationEpoch + now.since_start() + error(now); }
  // Starts at zero with the run; never goes backwards.
  Time monotonic(Time now) const;
  // wall(now) - true wall time.
  Duration error(Time now) const;
  int64_t drift_ppb() const { return drift_ppb_; }
  int64_t slew_ppb() const { return slew_ppb_; }

  // A step of the wall clock (an operator, a VM migration, a bad NTP
  // server). The monotonic clock does not move.
  void jump(Time now, Duration delta);
  void set_drift_ppb(Time now, int64_t ppb);
  // One NTP poll: steps a large error away, slews a small one over the
  // next interval. Returns what it did, for the trace ("" if nothing).
  std::string discipline(Time now, const ClockOptions& options);

 private:
  // Moves the anchor to now, so a rate change applies from now on.
  void rebase(Time now);
  static int64_t scaled(Duration elapsed, int64_t ppb);

  Time anchor_;
  int64_t error_at_anchor_ns_ = 0;
  int64_t monotonic_at_anchor_ns_ = 0;
  int64_t drift_ppb_ = 0;  // the crystal's own rate error
  int64_t slew_ppb_ = 0;   // NTP's correction, added to the drift
};

}  // namespace detsim
