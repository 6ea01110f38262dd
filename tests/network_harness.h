// A small world for network and connection tests: a harness that owns the
// engine and world, a trace collector, and a message type with a size.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/world/world.h"

namespace detsim::testing {

using namespace time_literals;

struct Packet {
  int seq = 0;
  int64_t sent_ns = 0;
  size_t bytes = 64;
  size_t size_bytes() const { return bytes; }
};

class TraceCollector final : public TraceSink {
 public:
  void record(const TraceEvent& event) override { events.push_back(event); }
  std::vector<std::string> texts(TraceKind kind) const {
    std::vector<std::string> out;
    for (const TraceEvent& e : events) {
      if (e.kind == kind) out.push_back(e.text);
    }
    return out;
  }
  std::vector<TraceEvent> events;
};

struct NetHarness {
  explicit NetHarness(Duration limit, NetworkOptions network = {}, uint64_t seed = 3, Time heal_at = Time::max()) {
    EngineOptions options;
    options.seed = seed;
    options.time_limit = Time::zero() + limit;
    engine = std::make_unique<Engine>(options);
    WorldOptions world_options;
    world_options.network = network;
    world_options.heal_at = heal_at;
    world = std::make_unique<World>(*engine, Rng(seed), world_options);
  }
  StopReason run() {
    world->set_trace(&trace);
    world->start();
    return engine->run();
  }
  std::unique_ptr<Engine> engine;
  std::unique_ptr<World> world;
  TraceCollector trace;
};

inline NetworkOptions constant_latency(Duration d) {
  NetworkOptions network;
  network.latency = DurationDist::constant(d);
  return network;
}

}  // namespace detsim::testing

template <>
struct fmt::formatter<detsim::testing::Packet> : fmt::formatter<std::string_view> {
  auto format(const detsim::testing::Packet& p, format_context& ctx) const {
    return fmt::format_to(ctx.out(), "Packet({})", p.seq);
  }
};
