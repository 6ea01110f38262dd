// engine_bench -- engine-overhead benchmark of detsim, the counterpart of
// bench/peer/simgrid_peer.cpp (SimGrid 3.32). Same workloads, same
// arguments, same output line; see bench/peer/WORKLOADS.md.
//
// Usage: engine_bench WORKLOAD N T [--stack-kib=K] [--guard=0|1] [--seed=S]
//   WORKLOAD  W1 | W2 | W3
//   N         number of timer/sender actors; one server node per actor
//   T         simulated seconds
//
//   W1 timers  : N nodes; each node's main loops { x = Exp(mean 1 ms); if now + x > T stop;
//                ctx.sleep_for(x) }. events = completed sleeps.
//   W2 messages: N nodes; each node's main spawns (ctx.spawn) a receiver fiber that loops on
//                ctx.net().receive(), then loops { sleep Exp(mean 1 ms) as in W1; ctx.net().send() a
//                64-byte message to a uniformly random *other* node }. send() never blocks. The
//                network is a constant 1 ms latency, no loss, no duplication (detsim has no bandwidth
//                model, so "bandwidth high enough not to matter" holds). events = messages received
//                at simulated time <= T.
//   W3 scale   : W1 semantics, meant for N=100000, T=0.1, with 16 KiB stacks and no guard page.
//
// Everything goes through the model API (World / Context / Network), the same path model code
// takes, so the figures include the world's per-message work (fingerprint mixing, in-flight slots,
// the node's inbox). Events are counted in the actors, not with engine.events_fired().
//
// Randomness: ctx.rng(), the node's own xoshiro256** stream forked from the run seed by node
// (one seeded stream per actor, as WORKLOADS.md asks).
//
// Stacks: W3 defaults to 16 KiB without a guard page (a guard page costs two memory mappings per
// fiber, and 100k fibers exceed vm.max_map_count = 65530). 16 KiB is safe here: the W1/W3 and W2
// paths (including the crash unwinding of W2's receivers at the end, and event handlers, which
// the engine's park() fast path runs on fiber stacks) run with a guard page at 10 KiB, and crash
// at 8 KiB. W1/W2 use the engine's default 64 KiB, also without a guard page:
// safe (6x the measured need), creating a node is ~9 us cheaper (no mmap + mprotect + munmap),
// and the steady state was the same or faster without the guard in A/B runs on this (noisy)
// machine. The price is RSS (malloc'd stacks): W1 N=10000 peaks at ~100 MiB instead of ~48 MiB.
// See docs/performance.md. --stack-kib / --guard override both.
//
// Output: one line, the field set and order of simgrid_peer, then extras:
//   workload=W1 n=1000 sim_seconds=10 events=... wall_seconds=... events_per_sec=... peak_rss_kib=... [extras]
// wall_seconds = actor creation (add_server + start) + engine.run() (which includes unwinding the
// fibers still blocked at the end, e.g. W2's receivers); building the Engine and World is
// reported as setup_seconds. cpu_seconds is the process's user+system time over the same span
// (the machine is shared: cpu_seconds well below wall_seconds means we were descheduled).
// peak_rss_kib = getrusage(RUSAGE_SELF).ru_maxrss at the end; rss_started_kib = resident set
// right after world.start() (every fiber created, none run yet).

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sim/api/context.h"
#include "sim/core/duration_dist.h"
#include "sim/core/engine.h"
#include "sim/core/rng.h"
#include "sim/core/time.h"
#include "sim/world/world.h"

namespace {

using detsim::Duration;
using detsim::Time;

// The simulated message: 64 bytes on the wire, a cheap digest for the fingerprint.
struct BenchMsg {
  uint64_t seq = 0;
  size_t size_bytes() const { return 64; }
  uint64_t digest() const { return seq; }
};

}  // namespace

template <>
struct fmt::formatter<BenchMsg> : fmt::formatter<uint64_t> {
  auto format(const BenchMsg& m, format_context& ctx) const { return fmt::format_to(ctx.out(), "msg#{}", m.seq); }
};

namespace {

constexpr Duration kMeanDelay = Duration::milliseconds(1);  // mean of the exponential sleeps
constexpr Duration kLatency = Duration::milliseconds(1);    // constant network latency (W2)
constexpr uint64_t kBaseSeed = 0x5EEDBA5EULL;               // as simgrid_peer

// Counters (one thread runs the whole simulation).
uint64_t g_timer_events = 0;
uint64_t g_sent = 0;
uint64_t g_delivered = 0;
int64_t g_latency_sum_ns = 0;

double cpu_seconds() {  // user + system time of the process so far
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

long current_rss_kib() {  // resident now (/proc/self/statm), not the peak
  long pages_total = 0, pages_resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(f);
  }
  return pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

long max_rss_kib() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;  // KiB on Linux
}

int usage(const char* prog) {
  std::fprintf(stderr, "usage: %s W1|W2|W3 N T [--stack-kib=K] [--guard=0|1] [--seed=S]\n", prog);
  return 2;
}

// W1 / W3: one timer actor as a node's main.
void timer_main(detsim::Context& ctx, Time limit) {
  detsim::Rng& rng = ctx.rng();
  for (;;) {
    const Duration x = rng.exponential(kMeanDelay);
    if (ctx.now() + x > limit) break;
    ctx.sleep_for(x);
    ++g_timer_events;
  }
}

// W2: a receiver fiber plus the sender loop, as a node's main.
void sender_main(detsim::Context& ctx, uint32_t n, Time limit) {
  ctx.spawn("rx", [&ctx, limit] {
    for (;;) {
      std::optional<detsim::Envelope> envelope = ctx.net().receive();
      if (!envelope) continue;
      const Time now = ctx.now();
      if (now > limit) continue;
      g_latency_sum_ns += (now - envelope->sent_at).count_ns();
      ++g_delivered;
    }
  });
  const uint32_t self = ctx.self().index();
  detsim::Rng& rng = ctx.rng();
  for (;;) {
    const Duration x = rng.exponential(kMeanDelay);
    if (ctx.now() + x > limit) break;
    ctx.sleep_for(x);
    ++g_timer_events;
    uint32_t dst = static_cast<uint32_t>(rng.below(n - 1));
    if (dst >= self) ++dst;
    ctx.net().send(detsim::NodeId(dst), BenchMsg{g_sent});
    ++g_sent;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using clk = std::chrono::steady_clock;
  std::vector<std::string> args;
  long stack_kib = -1;
  int guard = -1;
  uint64_t seed = kBaseSeed;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a.rfind("--stack-kib=", 0) == 0) {
      stack_kib = std::strtol(a.c_str() + 12, nullptr, 10);
      if (stack_kib <= 0) return usage(argv[0]);
    } else if (a.rfind("--guard=", 0) == 0) {
      std::string v = a.substr(8);
      if (v != "0" && v != "1") return usage(argv[0]);
      guard = v == "1";
    } else if (a.rfind("--seed=", 0) == 0) {
      seed = std::strtoull(a.c_str() + 7, nullptr, 0);
    } else {
      args.push_back(a);
    }
  }
  if (args.size() != 3) return usage(argv[0]);
  const std::string workload = args[0];
  const uint64_t n = std::strtoull(args[1].c_str(), nullptr, 10);
  const double T = std::strtod(args[2].c_str(), nullptr);
  if ((workload != "W1" && workload != "W2" && workload != "W3") || n < 2 || n > UINT32_MAX || !(T > 0))
    return usage(argv[0]);
  const bool messages = workload == "W2";
  const bool scale = workload == "W3";
  const Time limit = Time::from_ns(static_cast<int64_t>(T * 1e9 + 0.5));

  detsim::EngineOptions engine_options;
  engine_options.seed = seed;
  engine_options.time_limit = limit;
  // W3: the smallest safe stack (16 KiB); W1/W2: the engine's default 64 KiB.
  engine_options.stack_bytes = static_cast<size_t>(stack_kib > 0 ? stack_kib : (scale ? 16 : 64)) * 1024;
  engine_options.stack_guard = guard == 1;  // default: no guard page (see the header comment)

  detsim::WorldOptions world_options;
  world_options.network.latency = detsim::DurationDist::constant(kLatency);
  world_options.network.loss = 0;
  world_options.network.duplicate = 0;

  auto t0 = clk::now();
  detsim::Engine engine(engine_options);
  detsim::World world(engine, detsim::Rng(seed), world_options);
  const long rss_platform = max_rss_kib();
  auto t1 = clk::now();
  const double cpu1 = cpu_seconds();

  const uint32_t nodes = static_cast<uint32_t>(n);
  for (uint32_t i = 0; i < nodes; i++) {
    if (messages) {
      world.add_server("s" + std::to_string(i),
                       [nodes, limit](detsim::Context& ctx) { sender_main(ctx, nodes, limit); });
    } else {
      world.add_server("t" + std::to_string(i), [limit](detsim::Context& ctx) { timer_main(ctx, limit); });
    }
  }
  world.start();
  const long rss_started = current_rss_kib();
  const detsim::StopReason stop = engine.run();
  auto t2 = clk::now();
  const double cpu = cpu_seconds() - cpu1;

  const double wall = std::chrono::duration<double>(t2 - t1).count();
  const double setup = std::chrono::duration<double>(t1 - t0).count();
  const uint64_t events = messages ? g_delivered : g_timer_events;
  char Tbuf[64];
  std::snprintf(Tbuf, sizeof Tbuf, "%g", T);
  std::printf("workload=%s n=%" PRIu64 " sim_seconds=%s events=%" PRIu64
              " wall_seconds=%.3f events_per_sec=%.0f peak_rss_kib=%ld",
              workload.c_str(), n, Tbuf, events, wall, wall > 0 ? events / wall : 0.0, max_rss_kib());
  std::printf(
      " cpu_seconds=%.3f setup_seconds=%.3f rss_platform_kib=%ld rss_started_kib=%ld end_clock=%.6f stop=%s "
      "engine_events=%" PRIu64 " stack_kib=%zu guard_pages=%d fingerprint=%016" PRIx64,
      cpu, setup, rss_platform, rss_started, engine.now().to_seconds(), detsim::to_string(stop), engine.events_fired(),
      engine_options.stack_bytes / 1024, engine_options.stack_guard ? 1 : 0, engine.fingerprint());
  if (messages)
    std::printf(" timer_events=%" PRIu64 " sent=%" PRIu64 " mean_latency_ms=%.6f", g_timer_events, g_sent,
                g_delivered ? 1e-6 * static_cast<double>(g_latency_sum_ns) / static_cast<double>(g_delivered) : 0.0);
  std::printf("\n");
  std::fflush(stdout);
  // Skip World/Engine teardown: not part of the measurement (as simgrid_peer).
  std::_Exit(stop == detsim::StopReason::model_crashed ? 3 : 0);
}
