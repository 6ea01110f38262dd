// The noisy-neighbours model's messages. Requests travel in batches: one
// message carries every request one tenant made in one tick, so millions of
// requests per second cost thousands of messages (docs/noisy_neighbours.md).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/api/basics.h"
#include "sim/api/message.h"

namespace detsim::noisy {

// Generator -> front tier (the cache node of the tenant's pod, or of the pool).
struct Batch {
  int64_t tenant = 0;
  uint64_t id = 0;        // per generator, from 0, in send order
  int64_t generator = 0;  // where the answers go (an index into the clients)
  uint64_t count = 0;     // requests, arriving evenly over the tick that starts at the send
  uint64_t hot = 0;       // of them, on the tenant's hot key
};

// Which server answered a part of a batch, so the generator can attribute
// failures and check the blast radius.
enum class Part : uint8_t { front, db };

// Server -> generator: one part of a batch's answers. The front tier
// answers hits and throttled requests at once and says how many misses it
// forwarded; the database answers those. Latencies: ok requests took the
// batch's round trip, less the database's time since it received the batch
// (span), plus each request's own time in the database: `sojourn` holds up
// to 16 points of its sorted sojourns, `weight` how many requests each
// stands for (empty for the front tier: a hit's time is the round trip).
struct Answer {
  int64_t tenant = 0;
  uint64_t batch = 0;
  Part part = Part::front;
  int64_t pod = 0;  // the pod of the server that answered
  uint64_t ok = 0;
  uint64_t throttled = 0;
  uint64_t failed = 0;     // shed by an overloaded database
  uint64_t forwarded = 0;  // front only: misses sent on to the database
  Duration span;           // db only: receive to answer
  std::vector<Duration> sojourn;
  std::vector<uint64_t> weight;
  size_t size_bytes() const { return 64 + sojourn.size() * 16; }
};

// Front tier -> database: a batch's misses.
struct MissBatch {
  int64_t tenant = 0;
  uint64_t batch = 0;
  int64_t generator = 0;
  uint64_t count = 0;
  uint64_t hot = 0;  // of them, on the hot key: served by one worker (its shard)
  Duration tick;     // the requests are spread evenly over this
};

}  // namespace detsim::noisy

DETSIM_MESSAGE_FORMAT(detsim::noisy::Batch, "batch t{} id={} gen={} n={} hot={}", m.tenant, m.id, m.generator, m.count,
                      m.hot);
DETSIM_MESSAGE_FORMAT(detsim::noisy::Answer, "answer t{} batch={} {} pod={} ok={} throttled={} failed={} fwd={}",
                      m.tenant, m.batch, m.part == detsim::noisy::Part::front ? "front" : "db", m.pod, m.ok,
                      m.throttled, m.failed, m.forwarded);
DETSIM_MESSAGE_FORMAT(detsim::noisy::MissBatch, "misses t{} batch={} gen={} n={} hot={}", m.tenant, m.batch,
                      m.generator, m.count, m.hot);
