// Knobs and the planted bug of the noisy-neighbours model
// (docs/noisy_neighbours.md): a multi-tenant serving tier, a cache in front
// of a database, shared by tenants with zipf-skewed load and one burst.
#pragma once

#include <cstdint>

#include "sim/api/bindings.h"

namespace detsim::noisy {

// shared: one cache and one database for every tenant. pods: scale units,
// each tenant pinned to one pod (its cache and its database). quota: the
// shared pool with a token bucket and a cache quota per tenant.
enum class Isolation { shared, pods, quota };
// batch: one message per tenant per tick carrying a Poisson count.
// explicit: the same, but every batch holds exactly one request, sent at
// its own Poisson arrival instant (low rates only: a cross-check).
enum class Requests { batch, explicit_requests };

struct NoisyParams {
  Isolation isolation = Isolation::quota;
  Requests requests = Requests::batch;
  int64_t tenants = 8;
  int64_t pods = 2;  // scale units in pods mode; the pool has pods x the resources of one
  int64_t generators = 2;
  double load = 200000;                               // offered requests per second over every tenant, nominal
  double tenant_skew = 1;                             // zipf exponent of the tenants' shares of the load
  double key_skew = 0.9;                              // zipf exponent of the key popularity inside a tenant
  int64_t keys = 20000;                               // distinct keys per tenant
  int64_t cache_entries = 20000;                      // per pod (the pool holds pods x this)
  int64_t db_workers = 16;                            // per pod (the pool has pods x this)
  Duration db_service = Duration::microseconds(200);  // mean, exponential, per request
  Duration cache_service = Duration::microseconds(100);
  Duration tick = Duration::milliseconds(1);
  Duration request_timeout = Duration::milliseconds(300);
  double quota_factor = 1.5;                                // a tenant's rate limit, x its nominal rate
  Duration quota_depth = Duration::milliseconds(20);        // bucket size, as time at the limit
  Duration cache_epoch = Duration::milliseconds(20);        // how often hit ratios are recomputed
  Duration db_disk_baseline = Duration::microseconds(200);  // a healthy probe read takes at most this
  // The burst (after the heal) and the hot key (during the faults).
  int64_t burst_tenant = -1;  // -1: drawn per seed
  double burst_factor = 0;    // 0: drawn per seed in [10, 50]; 1: no burst
  Duration burst_length = Duration::seconds(1);
  Duration recover = Duration::seconds(1);  // after the heal, before the baseline window
  double hot_key_share = 0.5;               // of the hot tenant's requests, while it lasts; 0: none
  Duration hot_key_length = Duration::seconds(1);
  // The checks.
  double isolation_factor = 2.0;
  Duration isolation_floor = Duration::milliseconds(1);
  int64_t min_window_requests = 2000;
  double throttle_tolerance = 0.01;
  // The planted bug.
  bool quota_keyed_globally = false;
  bool pods_share_database = false;

  bool bursts() const { return burst_factor != 1; }
};

inline const ParamBindings<NoisyParams>& bindings() {
  using P = NoisyParams;
  static const auto b =
      ParamBindings<P>()
          .choice("isolation", &P::isolation,
                  "shared: one pool; pods: each tenant pinned to one pod's cache and database; quota: the pool "
                  "with per-tenant rate limits and cache quotas",
                  {{"shared", Isolation::shared}, {"pods", Isolation::pods}, {"quota", Isolation::quota}})
          .choice("requests", &P::requests,
                  "batch: one message per tenant per tick with a Poisson count; explicit: one message per request "
                  "(low rates; a cross-check)",
                  {{"batch", Requests::batch}, {"explicit", Requests::explicit_requests}})
          .integer("tenants", &P::tenants, "tenants", 1, 4096)
          .integer("pods", &P::pods, "pods (scale units); the shared pool has pods x one pod's resources", 1, 1024)
          .integer("generators", &P::generators, "load generators (clients), tenants dealt round robin", 1, 64)
          .real("load", &P::load, "nominal offered requests per second, over every tenant (Poisson)", 1, 1e9)
          .swarm({"100000", "200000", "300000"})
          .real("tenant_skew", &P::tenant_skew, "zipf exponent of the tenants' shares of the load", 0, 4)
          .real("key_skew", &P::key_skew, "zipf exponent of key popularity within a tenant", 0, 4)
          .swarm({"0.8", "0.9", "1.0"})
          .integer("keys", &P::keys, "distinct keys per tenant", 1, 1e9)
          .integer("cache_entries", &P::cache_entries, "cache entries per pod (the pool: pods x this)", 1, 1e9)
          .integer("db_workers", &P::db_workers, "database workers per pod (the pool: pods x this)", 1, 4096)
          .swarm({"12", "16", "24"})
          .duration("db_service", &P::db_service, "mean database service time per request (exponential)", 1e-7, 10)
          .duration("cache_service", &P::cache_service, "constant cache service time per hit", 0, 1)
          .duration("tick", &P::tick, "batch granularity: one message per tenant per tick", 1e-6, 1)
          .swarm({"1ms", "2ms"})
          .duration("request_timeout", &P::request_timeout, "a request unanswered after this has failed", 1e-3, 60)
          .real("quota_factor", &P::quota_factor, "quota mode: a tenant's rate limit, x its nominal rate", 0.01, 1e6)
          .duration("quota_depth", &P::quota_depth, "quota mode: bucket size, as time at the limit rate", 1e-6, 60)
          .duration("cache_epoch", &P::cache_epoch, "how often a cache recomputes its hit ratios", 1e-4, 10)
          .duration("db_disk_baseline", &P::db_disk_baseline,
                    "a healthy disk probe read takes at most this; slower probes scale the database's service", 1e-7,
                    10)
          .integer("burst_tenant", &P::burst_tenant, "the bursting tenant; -1: drawn per seed", -1, 4095)
          .real("burst_factor", &P::burst_factor, "the burst's rate multiplier; 0: drawn per seed in [10, 50]; 1: none",
                0, 1000)
          .duration("burst_length", &P::burst_length, "length of the burst window and of its baseline window", 0.01,
                    600)
          .duration("recover", &P::recover, "after the heal, before the baseline window (cold caches warm up)", 0, 600)
          .real("hot_key_share", &P::hot_key_share, "share of the hot tenant's requests on one key; 0: no hot key", 0,
                1)
          .duration("hot_key_length", &P::hot_key_length, "how long the hot key lasts (during the faults)", 0, 600)
          .real("isolation_factor", &P::isolation_factor,
                "isolation SLO: an other tenant's p99 in the burst window over its baseline p99, at most", 1, 1000)
          .duration("isolation_floor", &P::isolation_floor,
                    "isolation SLO: a baseline p99 below this counts as this (sub-millisecond noise)", 0, 60)
          .integer("min_window_requests", &P::min_window_requests,
                   "a tenant counts in the isolation checks with at least this many answers in each window", 1, 1e9)
          .real("throttle_tolerance", &P::throttle_tolerance,
                "quota mode: an other tenant's throttled share may rise by this much in the burst window", 0, 1)
          .bug("quota_keyed_globally", &P::quota_keyed_globally,
               "the rate limiter's bucket is keyed by nothing: one bucket, sized for every tenant, shared by all of "
               "them, so a burst spends the others' tokens")
          .bug("pods_share_database", &P::pods_share_database,
               "pods mode: every pod's cache sends its misses to pod 0's database, so pod 0's faults and load reach "
               "every pod's tenants (the scale units are not independent)");
  return b;
}

}  // namespace detsim::noisy
