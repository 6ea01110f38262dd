// Knobs of the queue model: an M/M/c or M/D/c FIFO service queue. The
// scenario loader validates each value against these specs, one key at a
// time; whether the combination is stable (rho < 1) and whether the warmup
// leaves anything to measure are cross-key questions, so the model answers
// them in check() (models/queue/checks.h) instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/api/bindings.h"

namespace detsim::queue {

struct QueueParams {
  double arrival_rate = 800;               // jobs per second, Poisson
  double service_rate = 1000;              // jobs per second, per server
  int64_t servers = 1;                     // c
  bool deterministic = false;              // service: constant 1/mu instead of exponential
  Duration warmup = Duration::seconds(1);  // jobs arriving earlier are served, not measured

  // rho = lambda / (c mu): each server's share of the offered load.
  double rho() const { return arrival_rate / (static_cast<double>(servers) * service_rate); }
  friend bool operator==(const QueueParams&, const QueueParams&) = default;
};

// Every knob, declared once (sim/api/bindings.h).
inline const ParamBindings<QueueParams>& bindings() {
  using P = QueueParams;
  static const auto b =
      ParamBindings<P>()
          .real("arrival_rate", &P::arrival_rate, "jobs per second arriving (Poisson: exponential gaps)", 1e-6, 1e9)
          .real("service_rate", &P::service_rate, "jobs per second one server completes (mu)", 1e-6, 1e9)
          .integer("servers", &P::servers, "servers taking jobs from the one FIFO queue (c)", 1, 1024)
          .choice("service", &P::deterministic,
                  "service-time distribution: exponential (M/M/c) or deterministic 1/mu (M/D/c)",
                  {{"exponential", false}, {"deterministic", true}})
          .duration("warmup", &P::warmup,
                    "jobs arriving before this are served but not measured (the empty-queue transient)", 0,
                    100 * 86400);
  return b;
}

inline QueueParams read_params(const Params& params) {
  QueueParams out = bindings().read(params);
  // Invariant: the loader enforced the ranges declared above.
  DETSIM_ASSERT(out.arrival_rate > 0);
  DETSIM_ASSERT(out.service_rate > 0);
  DETSIM_ASSERT(out.servers >= 1);
  return out;
}

}  // namespace detsim::queue
