#include "sim/world/clock.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/core/duration_dist.h"

namespace detsim {

NodeClock::NodeClock(Duration offset, int64_t drift_ppb)
    : error_at_anchor_ns_(offset.count_ns()), drift_ppb_(drift_ppb) {}

NodeClock NodeClock::make(Rng& rng, const ClockOptions& options) {
  const int64_t max_offset = options.offset_max.count_ns();
  const int64_t offset = max_offset > 0 ? rng.uniform_int(-max_offset, max_offset) : 0;
  const auto max_ppb = static_cast<int64_t>(std::llround(options.drift_max_ppm * 1000));
  const int64_t drift = max_ppb > 0 ? rng.uniform_int(-max_ppb, max_ppb) : 0;
  return NodeClock(Duration::nanoseconds(offset), drift);
}

// Integer arithmetic (128-bit) so that a clock reads the same on every
// compiler and optimisation level: elapsed * ppb / 1e9.
int64_t NodeClock::scaled(Duration elapsed, int64_t ppb) {
  const __int128 product = static_cast<__int128>(elapsed.count_ns()) * ppb;
  return static_cast<int64_t>(product / 1'000'000'000);
}

Duration NodeClock::error(Time now) const {
  return Duration::nanoseconds(error_at_anchor_ns_ + scaled(now - anchor_, drift_ppb_ + slew_ppb_));
}

Time NodeClock::monotonic(Time now) const {
  const Duration elapsed = now - anchor_;
  return Time::from_ns(monotonic_at_anchor_ns_ + elapsed.count_ns() + scaled(elapsed, drift_ppb_ + slew_ppb_));
}

void NodeClock::rebase(Time now) {
  error_at_anchor_ns_ = error(now).count_ns();
  monotonic_at_anchor_ns_ = monotonic(now).count_ns();
  anchor_ = now;
}

void NodeClock::jump(Time now, Duration delta) {
  rebase(now);
  error_at_anchor_ns_ += delta.count_ns();
}

void NodeClock::set_drift_ppb(Time now, int64_t ppb) {
  rebase(now);
  drift_ppb_ = ppb;
}

std::string NodeClock::discipline(Time now, const ClockOptions& options) {
  rebase(now);
  const Duration offset = error(now);
  const Duration magnitude = offset < Duration::zero() ? -offset : offset;
  if (magnitude > options.ntp_step_threshold) {
    error_at_anchor_ns_ = 0;
    slew_ppb_ = 0;
    return fmt::format("ntp step {}{}", offset < Duration::zero() ? "+" : "-", format_duration(magnitude));
  }
  // Correct the whole error over one interval, within the kernel's limit.
  const auto limit = static_cast<int64_t>(std::llround(options.ntp_max_slew_ppm * 1000));
  const __int128 wanted =
      -static_cast<__int128>(offset.count_ns()) * 1'000'000'000 / std::max<int64_t>(options.ntp_interval.count_ns(), 1);
  const int64_t correction = static_cast<int64_t>(std::clamp<__int128>(wanted, -limit, limit));
  // The crystal's drift is not learned (no frequency loop): the error it
  // builds over an interval is slewed away in the next one.
  if (correction == slew_ppb_) return "";
  slew_ppb_ = correction;
  return fmt::format("ntp slew {:+.1f}ppm", static_cast<double>(correction) / 1000);
}

}  // namespace detsim
