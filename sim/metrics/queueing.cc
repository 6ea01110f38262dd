#include "sim/metrics/queueing.h"

#include <cmath>

#include "sim/core/assert.h"

namespace detsim::queueing {
namespace {

// The queue's service capacity minus its load, c mu - lambda: the rate at
// which an M/M/c backlog drains. Positive exactly when rho < 1.
double spare_rate(double arrival_rate, double service_rate, int64_t servers) {
  // Invariant: a steady state exists only for rho = lambda / (c mu) < 1.
  DETSIM_ASSERT(arrival_rate > 0);
  DETSIM_ASSERT(service_rate > 0);
  DETSIM_ASSERT(servers >= 1);
  const double spare = static_cast<double>(servers) * service_rate - arrival_rate;
  DETSIM_ASSERT(spare > 0);
  return spare;
}

}  // namespace

double erlang_b(int64_t servers, double offered_load) {
  DETSIM_ASSERT(servers >= 0);
  DETSIM_ASSERT(offered_load >= 0);
  double blocking = 1;  // B(0): no server, every arrival is lost
  for (int64_t k = 1; k <= servers; ++k) {
    const double carried = offered_load * blocking;
    blocking = carried / (static_cast<double>(k) + carried);
  }
  // Invariant: a probability.
  DETSIM_ASSERT(blocking >= 0);
  DETSIM_ASSERT(blocking <= 1);
  return blocking;
}

double erlang_c(int64_t servers, double offered_load) {
  const double c = static_cast<double>(servers);
  // Invariant: the queue is stable, a < c.
  DETSIM_ASSERT(servers >= 1);
  DETSIM_ASSERT(offered_load < c);
  const double blocking = erlang_b(servers, offered_load);
  const double waiting = c * blocking / (c - offered_load * (1 - blocking));
  DETSIM_ASSERT(waiting >= 0);
  DETSIM_ASSERT(waiting <= 1);
  return waiting;
}

double mmc_wait_mean_s(double arrival_rate, double service_rate, int64_t servers) {
  const double spare = spare_rate(arrival_rate, service_rate, servers);
  return erlang_c(servers, arrival_rate / service_rate) / spare;
}

double mmc_wait_exceed_probability(double arrival_rate, double service_rate, int64_t servers, double t_s) {
  DETSIM_ASSERT(t_s >= 0);
  const double spare = spare_rate(arrival_rate, service_rate, servers);
  return erlang_c(servers, arrival_rate / service_rate) * std::exp(-spare * t_s);
}

double mmc_wait_quantile_s(double arrival_rate, double service_rate, int64_t servers, double q) {
  DETSIM_ASSERT(q >= 0);
  DETSIM_ASSERT(q < 1);
  const double spare = spare_rate(arrival_rate, service_rate, servers);
  const double waiting = erlang_c(servers, arrival_rate / service_rate);
  // The atom at zero: arrivals that find a free server.
  if (1 - q >= waiting) return 0;
  return std::log(waiting / (1 - q)) / spare;
}

double mg1_wait_mean_s(double arrival_rate, double service_mean_s, double service_second_moment_s2) {
  const double rho = arrival_rate * service_mean_s;
  // Invariant: stable, and E[S^2] >= E[S]^2 (a variance is not negative).
  DETSIM_ASSERT(rho > 0);
  DETSIM_ASSERT(rho < 1);
  DETSIM_ASSERT(service_second_moment_s2 >= service_mean_s * service_mean_s * (1 - 1e-12));
  return arrival_rate * service_second_moment_s2 / (2 * (1 - rho));
}

double md1_wait_mean_s(double arrival_rate, double service_rate) {
  DETSIM_ASSERT(service_rate > 0);
  const double service_s = 1 / service_rate;
  return mg1_wait_mean_s(arrival_rate, service_s, service_s * service_s);
}

double mdc_wait_mean_approx_s(double arrival_rate, double service_rate, int64_t servers) {
  const double c = static_cast<double>(servers);
  const double rho = arrival_rate / (c * service_rate);
  // Lee-Longton: (1 + Cs^2) / 2 with Cs^2 = 0 for constant service...
  constexpr double kDeterministicScale = 0.5;
  // ...and Cosmetatos's light-traffic correction, zero for c = 1.
  const double correction = (1 - rho) * (c - 1) * (std::sqrt(4 + 5 * c) - 2) / (16 * rho * c);
  return kDeterministicScale * mmc_wait_mean_s(arrival_rate, service_rate, servers) * (1 + correction);
}

}  // namespace detsim::queueing
