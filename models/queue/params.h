// Knobs of the queue model: an M/M/c or M/D/c FIFO service queue. The
// scenario loader validates each value against these specs, one key at a
// time; whether the combination is stable (rho < 1) and whether the warmup
// leaves anything to measure are cross-key questions, so the model answers
// them in check() (models/queue/checks.h) instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/api/model.h"
#include "sim/api/params.h"

namespace detsim::queue {

inline constexpr const char* kServiceExponential = "exponential";
inline constexpr const char* kServiceDeterministic = "deterministic";

struct QueueParams {
  double arrival_rate = 800;               // jobs per second, Poisson
  double service_rate = 1000;              // jobs per second, per server
  int64_t servers = 1;                     // c
  bool deterministic = false;              // service: constant 1/mu instead of exponential
  Duration warmup = Duration::seconds(1);  // jobs arriving earlier are served, not measured

  // rho = lambda / (c mu): each server's share of the offered load.
  double rho() const { return arrival_rate / (static_cast<double>(servers) * service_rate); }
};

inline std::vector<ParamSpec> param_specs() {
  ParamSpec service = make_param("service", ParamType::choice, kServiceExponential,
                                 "service-time distribution: exponential (M/M/c) or deterministic 1/mu (M/D/c)");
  service.choices = {kServiceExponential, kServiceDeterministic};
  return {
      make_param("arrival_rate", ParamType::real, "800", "jobs per second arriving (Poisson: exponential gaps)", 1e-6,
                 1e9),
      make_param("service_rate", ParamType::real, "1000", "jobs per second one server completes (mu)", 1e-6, 1e9),
      make_param("servers", ParamType::integer, "1", "servers taking jobs from the one FIFO queue (c)", 1, 1024),
      service,
      make_param("warmup", ParamType::duration, "1s",
                 "jobs arriving before this are served but not measured (the empty-queue transient)", 0, 100 * 86400),
  };
}

inline QueueParams read_params(const Params& params) {
  QueueParams out;
  out.arrival_rate = params.real("arrival_rate");
  out.service_rate = params.real("service_rate");
  out.servers = params.integer("servers");
  out.deterministic = params.text("service") == kServiceDeterministic;
  out.warmup = params.duration("warmup");
  // Invariant: the loader enforced the ranges declared above.
  DETSIM_ASSERT(out.arrival_rate > 0);
  DETSIM_ASSERT(out.service_rate > 0);
  DETSIM_ASSERT(out.servers >= 1);
  return out;
}

}  // namespace detsim::queue
