// Knobs and planted bugs of the resource state machine model
// (docs/resource_fsm.md): a control plane whose API servers change
// resources by compare-and-set and whose async workers carry the slow part
// out at a provider under leases and fencing tokens.
#pragma once

#include <cstdint>

#include "sim/api/bindings.h"

namespace detsim::rfsm {

struct FsmParams {
  int64_t api_servers = 2;
  int64_t workers = 3;
  int64_t clients = 4;
  double rate = 10;                                        // requests per second, per client
  int64_t resources = 4;                                   // resource ids per 5 s generation
  Duration api_think = Duration::milliseconds(5);          // between an API server's read and its write
  Duration lease_ttl = Duration::milliseconds(500);        // a job's lease, granted and renewed by the store
  double lease_safety = 0.75;                              // a worker trusts its lease for this share of the TTL
  Duration provider_latency = Duration::milliseconds(50);  // mean time the provider takes per call
  double provider_fail_ratio = 0.05;                       // create/update calls the provider refuses
  double completion_duplicate = 0.1;                       // completions that are delivered again, late
  Duration completion_delay_max = Duration::seconds(2);    // how late a duplicate completion comes
  Duration resend = Duration::milliseconds(100);           // RPC resend period (idempotent calls)
  Duration rpc_timeout = Duration::milliseconds(500);      // an RPC gives up after this
  Duration poll_interval = Duration::milliseconds(50);     // a worker's pause when no job was free
  // Planted bugs.
  bool no_version_check = false;
  bool lease_without_fencing = false;
  bool non_idempotent_completion = false;
  bool lease_by_wall_clock = false;
};

inline const ParamBindings<FsmParams>& bindings() {
  using P = FsmParams;
  static const auto b =
      ParamBindings<P>()
          .integer("api_servers", &P::api_servers, "API servers the clients spread their requests over", 1, 8)
          .integer("workers", &P::workers, "async workers taking jobs under leases", 1, 16)
          .integer("clients", &P::clients, "clients, each with one request in flight", 1, 64)
          .real("rate", &P::rate, "requests per second per client (exponential think time)", 1e-3, 1e5)
          .swarm({"4", "10", "30"})
          .integer("resources", &P::resources, "resource ids in play per 5 s generation (contention)", 1, 10'000)
          .swarm({"2", "4", "16"})
          .duration("api_think", &P::api_think, "mean time between an API server's read and its write", 0, 10)
          .swarm({"0s", "5ms", "30ms"})
          .duration("lease_ttl", &P::lease_ttl, "a job lease's time to live at the store", 0.01, 60)
          .swarm({"300ms", "500ms", "1s"})
          .real("lease_safety", &P::lease_safety,
                "share of the TTL a worker trusts its lease for, from before it asked (drift margin)", 0.05, 0.99)
          .duration("provider_latency", &P::provider_latency, "mean time the provider takes per call", 0, 10)
          .swarm({"10ms", "50ms", "200ms"})
          .real("provider_fail_ratio", &P::provider_fail_ratio, "create and update calls the provider refuses", 0, 1)
          .real("completion_duplicate", &P::completion_duplicate,
                "completions a worker's callback delivers a second time, late", 0, 1)
          .duration("completion_delay_max", &P::completion_delay_max, "how late a duplicate completion comes", 0, 60)
          .duration("resend", &P::resend, "resend period of idempotent RPCs", 0.001, 10)
          .duration("rpc_timeout", &P::rpc_timeout, "an RPC gives up after this", 0.001, 60)
          .duration("poll_interval", &P::poll_interval, "a worker's pause when no job was free", 0.001, 10)
          .bug("no_version_check", &P::no_version_check,
               "API servers read, modify and write a resource without compare-and-set: concurrent requests "
               "overwrite each other")
          .bug("lease_without_fencing", &P::lease_without_fencing,
               "the provider accepts any fencing token: a worker that woke after its lease ran out overwrites "
               "the new holder's work (Kleppmann 2016)")
          .bug("non_idempotent_completion", &P::non_idempotent_completion,
               "the store applies a completion without checking the job and its token: a duplicated or delayed "
               "callback moves the resource again")
          .bug("lease_by_wall_clock", &P::lease_by_wall_clock,
               "a worker judges its lease by comparing its own wall clock with the store's expiry time: a "
               "skewed clock trusts a lease that ran out");
  return b;
}

}  // namespace detsim::rfsm
