// Closed forms of queueing theory, for checking simulated timing against
// theory: the queue model reports them next to what it measured, and
// notebooks compare sweep CSVs with them. Times are in seconds, rates in
// jobs per second; every formula is for the steady state of a FIFO queue
// with Poisson arrivals and needs rho = lambda / (c mu) < 1 (the callers
// check; these assert).
//
// Sources:
// - Kleinrock, Queueing Systems vol. 1 (1975), §3.5 "M/M/m: the m-server
//   case" (Erlang's C formula and the M/M/m waiting-time distribution) and
//   ch. 5 "The queue M/G/1" (the Pollaczek-Khinchine mean-value formula).
// - Harchol-Balter, Performance Modeling and Design of Computer Systems
//   (2013), the chapters "Server Farms: M/M/k and M/M/k/k" (Erlang B and C)
//   and "The M/G/1 Queue and the Inspection Paradox" (P-K).
// - Cosmetatos (1976), "Some approximate equilibrium results for the
//   multi-server queue (M/G/r)", Operational Research Quarterly 27: the
//   M/D/c approximation, which refines the two-moment approximation
//   Wq(M/G/c) ~ (1 + Cs^2) / 2 Wq(M/M/c) of Lee & Longton (1959).
#pragma once

#include <cstdint>

namespace detsim::queueing {

// Erlang's B formula: the probability that an arrival finds all c servers
// busy in the loss system M/M/c/c with offered load a = lambda / mu
// (Erlangs). Computed by the recursion B(0) = 1,
// B(k) = a B(k-1) / (k + a B(k-1)): every step stays in [0, 1], so there are
// no factorials or powers to overflow, even for thousands of servers.
double erlang_b(int64_t servers, double offered_load);

// Erlang's C formula: the probability that an arrival waits in M/M/c
// (all c servers busy), from Erlang B:
// C = c B / (c - a (1 - B)). Needs a < c.
double erlang_c(int64_t servers, double offered_load);

// M/M/c mean wait in the queue (not counting service):
// Wq = C(c, a) / (c mu - lambda). For c = 1 this is rho / (mu - lambda).
double mmc_wait_mean_s(double arrival_rate, double service_rate, int64_t servers);

// M/M/c FIFO waiting time, P(Wq > t) = C(c, a) e^{-(c mu - lambda) t} for
// t >= 0: a waiting arrival waits for the first of c busy servers to
// free up, once per job ahead of it. Kleinrock §3.5; Harchol-Balter, "Server
// Farms".
double mmc_wait_exceed_probability(double arrival_rate, double service_rate, int64_t servers, double t_s);

// The q-quantile of the M/M/c wait: the smallest t with P(Wq <= t) >= q,
// t = ln(C / (1 - q)) / (c mu - lambda), or 0 when 1 - q >= C (at least a
// fraction q of arrivals never wait). q in [0, 1).
double mmc_wait_quantile_s(double arrival_rate, double service_rate, int64_t servers, double q);

// Pollaczek-Khinchine, M/G/1 mean wait: Wq = lambda E[S^2] / (2 (1 - rho)).
double mg1_wait_mean_s(double arrival_rate, double service_mean_s, double service_second_moment_s2);

// M/D/1 (constant service 1/mu), P-K with E[S^2] = 1/mu^2:
// Wq = rho / (2 mu (1 - rho)), half the M/M/1 wait.
double md1_wait_mean_s(double arrival_rate, double service_rate);

// M/D/c has no simple closed form (Crommelin 1932 solves it through the
// roots of a characteristic equation). This is Cosmetatos's approximation, the two-moment (Lee-Longton)
// halving of the M/M/c wait with a correction for light traffic:
//   Wq(M/D/c) ~ 1/2 Wq(M/M/c) [1 + (1 - rho)(c - 1)(sqrt(4 + 5c) - 2) / (16 rho c)].
// Exact for c = 1 (it is P-K there); for c > 1 it is an approximation, and
// docs/queue.md says how far it is from the simulator.
double mdc_wait_mean_approx_s(double arrival_rate, double service_rate, int64_t servers);

}  // namespace detsim::queueing
