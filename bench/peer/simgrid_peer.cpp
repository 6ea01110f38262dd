// simgrid_peer.cpp -- baseline engine-overhead benchmark on SimGrid S4U (written for SimGrid 3.32, Debian 12).
//
// Usage: simgrid_peer WORKLOAD N T [--send=reap|detached] [--cfg=key:value ...]
//   WORKLOAD  W1 | W2 | W3
//   N         number of timer/sender actors; one host per actor
//   T         simulated seconds
//
//   W1 timers  : N actors; each loops { x = Exp(mean 1 ms); if now + x > T stop; sleep_for(x) }.
//                events = completed sleeps.
//   W2 messages: N sender actors; each loops { sleep Exp(mean 1 ms) as in W1; send a message of simulated size
//                64 B to a uniformly random *other* actor without blocking }. Every host also runs one daemon
//                receiver actor registered as its mailbox's permanent receiver (Mailbox::set_receiver), so a
//                transfer starts at put time even while the receiver is busy; the receiver loops get().
//                events = messages received at simulated time <= T.
//                Non-blocking send flavours (--send=...):
//                  reap (default): put_async(); the sender keeps the CommPtr and wait()s it once it is >= 2 ms old
//                         (it is then complete: wait() returns without advancing simulated time). Cheapest
//                         leak-free pattern found on 3.32.
//                  detached: put_init()->detach(). On 3.32 every completion of a detached comm does a linear
//                         std::list::remove over all detached comms in flight (maestro's activity list), so it
//                         costs O(messages in flight) per message.
//                (Comm::test() would be cheaper still, but on 3.32 a comm completed through test() is never
//                removed from the sender's activity list: ~450 B leaked per message and a slowdown.)
//   W3 scale   : W1 semantics, meant for N=100000, T=0.1, small stacks. Unless given on the command line, W3 uses
//                contexts/stack-size:16 (KiB) and contexts/guard-size:0 (a guard page per stack costs >= 2
//                VMAs per actor and 100k actors exceed vm.max_map_count=65530).
//
// Network / platform:
//   * default (network model left at its default, or any model other than Constant): the program selects
//     network/model:CM02 (plain max-min, latency factor 1, bandwidth factor 1), crosstraffic off, TCP-gamma
//     1e15 (no window bound). W2 platform: one star ("cluster") zone; each host has a split-duplex private link
//     of 0.5 ms, 1e12 B/s; a route is src-UP + dst-DOWN, so a 64 B message takes 1 ms + 64e-12 s.
//   * --cfg=network/model:Constant: every transfer takes network/latency-factor seconds (set to 0.001 unless
//     given). That model refuses links, so the platform is one routing-"None" zone. On 3.32 it scans every
//     in-flight transfer at every simulation step and can finish a transfer late (floating-point leftover
//     of 'remains' after the latency expired), so it is slower and less exact than CM02 here.
//   * W1/W3 never communicate: their platform is a routing-"None" zone with N hosts and no links.
//
// Output: one line
//   workload=W1 n=1000 sim_seconds=10 events=... wall_seconds=... events_per_sec=... peak_rss_kib=... [extras]
// wall_seconds = actor creation + Engine::run() (platform construction is reported as setup_seconds);
// peak_rss_kib = getrusage(RUSAGE_SELF).ru_maxrss at the end (rss_platform_kib: the same, before any actor).

#include <simgrid/s4u.hpp>
#include <xbt/config.hpp>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <sys/resource.h>
#include <utility>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace {

// ---------------------------------------------------------------- PRNG: splitmix64, one stream per actor
struct SplitMix64 {
  uint64_t s;
  explicit SplitMix64(uint64_t seed) : s(seed) {}
  uint64_t next()
  {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z          = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z          = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double unit() { return (double)((next() >> 11) + 1) * 0x1.0p-53; } // uniform in (0, 1]
  double exponential(double mean) { return -mean * std::log(unit()); }
  uint64_t below(uint64_t n) { return next() % n; } // uniform in [0, n) (modulo bias negligible)
};

uint64_t seed_for(uint64_t base, uint64_t i)
{
  SplitMix64 m(base ^ (i * 0xD1B54A32D192ED03ULL));
  return m.next();
}

constexpr double kMeanDelay   = 1e-3;   // mean of the exponential sleeps: 1 ms
constexpr uint64_t kMsgBytes  = 64;     // simulated message size
constexpr double kLinkLatency = 0.5e-3; // per private link; a route crosses two of them
constexpr double kLinkBw      = 1e12;   // B/s
constexpr double kReapAge     = 2e-3;   // reap a sent comm once it is 2x the 1 ms latency old
constexpr uint64_t kBaseSeed  = 0x5EEDBA5EULL;

// ---------------------------------------------------------------- shared state (maestro is single-threaded)
uint64_t g_timer_events = 0;
uint64_t g_sent         = 0;
uint64_t g_delivered    = 0;
double g_latency_sum    = 0.0;
double g_T              = 0.0;
bool g_detached_sends   = false;

std::vector<sg4::Host*> g_hosts;
std::vector<sg4::Mailbox*> g_mboxes;

// ---------------------------------------------------------------- actors
void timer_actor(uint64_t seed, double T)
{
  SplitMix64 rng(seed);
  uint64_t local = 0;
  for (;;) {
    double x = rng.exponential(kMeanDelay);
    if (sg4::Engine::get_clock() + x > T)
      break;
    sg4::this_actor::sleep_for(x);
    ++local;
  }
  g_timer_events += local;
}

void sender_actor(uint64_t self, uint64_t n, uint64_t seed, double T)
{
  SplitMix64 rng(seed);
  std::deque<std::pair<double, sg4::CommPtr>> pending; // --send=reap only
  for (;;) {
    double x = rng.exponential(kMeanDelay);
    if (sg4::Engine::get_clock() + x > T)
      break;
    sg4::this_actor::sleep_for(x);
    ++g_timer_events;
    uint64_t dst = rng.below(n - 1);
    if (dst >= self)
      ++dst;
    // Payload: the send date bit-cast into the pointer (no allocation, nothing to free).
    double now = sg4::Engine::get_clock();
    uintptr_t bits;
    std::memcpy(&bits, &now, sizeof bits);
    void* payload = reinterpret_cast<void*>(bits);
    if (g_detached_sends) {
      g_mboxes[dst]->put_init(payload, kMsgBytes)->detach();
    } else {
      while (not pending.empty() && pending.front().first + kReapAge <= now) {
        pending.front().second->wait(); // already complete: returns at the same simulated date
        pending.pop_front();
      }
      pending.emplace_back(now, g_mboxes[dst]->put_async(payload, kMsgBytes));
    }
    ++g_sent;
  }
  // Let the last (<= 1 ms old) messages land; deliveries after T are not counted by the receivers.
  for (auto const& p : pending)
    p.second->wait();
}

void receiver_actor(uint64_t self)
{
  sg4::Mailbox* mb = g_mboxes[self];
  mb->set_receiver(sg4::Actor::self());
  for (;;) {
    void* p    = mb->get<void>();
    double now = sg4::Engine::get_clock();
    if (now > g_T)
      continue;
    uintptr_t bits = reinterpret_cast<uintptr_t>(p);
    double sent_at;
    std::memcpy(&sent_at, &bits, sizeof sent_at);
    g_latency_sum += now - sent_at;
    ++g_delivered;
  }
}

// Non-daemon actor keeping the simulation (hence the daemon receivers) alive until exactly T.
void timekeeper_actor(double T)
{
  sg4::this_actor::sleep_until(T);
}

// ---------------------------------------------------------------- platform
void build_platform(uint64_t n, bool with_links)
{
  g_hosts.reserve(n);
  if (not with_links) {
    auto* zone = sg4::create_empty_zone("world"); // routing "None"
    for (uint64_t i = 0; i < n; i++)
      g_hosts.push_back(zone->create_host("h" + std::to_string(i), 1e9));
    zone->seal();
  } else {
    auto* zone = sg4::create_star_zone("cluster");
    for (uint64_t i = 0; i < n; i++) {
      std::string name   = "h" + std::to_string(i);
      sg4::Host* h       = zone->create_host(name, 1e9);
      const sg4::Link* l = zone->create_split_duplex_link(name + "_l", kLinkBw)->set_latency(kLinkLatency)->seal();
      zone->add_route(h->get_netpoint(), nullptr, nullptr, nullptr, {{l, sg4::LinkInRoute::Direction::UP}}, true);
      g_hosts.push_back(h);
    }
    zone->seal();
  }
}

long max_rss_kib()
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss; // KiB on Linux
}

int usage(const char* prog)
{
  std::fprintf(stderr, "usage: %s W1|W2|W3 N T [--send=reap|detached] [--cfg=key:value ...]\n", prog);
  return 2;
}

} // namespace

int main(int argc, char** argv)
{
  using clk = std::chrono::steady_clock;
  sg4::Engine e(&argc, argv); // consumes the --cfg=... / --log=... arguments
  std::vector<std::string> args;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a.rfind("--send=", 0) == 0) {
      std::string m = a.substr(7);
      if (m != "reap" && m != "detached")
        return usage(argv[0]);
      g_detached_sends = (m == "detached");
    } else {
      args.push_back(a);
    }
  }
  if (args.size() != 3)
    return usage(argv[0]);
  const std::string workload = args[0];
  const uint64_t n           = std::strtoull(args[1].c_str(), nullptr, 10);
  const double T             = std::strtod(args[2].c_str(), nullptr);
  if ((workload != "W1" && workload != "W2" && workload != "W3") || n < 2 || !(T > 0))
    return usage(argv[0]);
  const bool messages = (workload == "W2");

  // ---- configuration defaults (anything given with --cfg wins)
  if (simgrid::config::is_default("network/model"))
    sg4::Engine::set_config("network/model", std::string("CM02"));
  const std::string net_model = simgrid::config::get_value<std::string>("network/model");
  const bool constant_model   = (net_model == "Constant");
  if (constant_model) {
    if (simgrid::config::is_default("network/latency-factor"))
      sg4::Engine::set_config("network/latency-factor", 1e-3); // every transfer takes exactly 1 ms
  } else {
    if (simgrid::config::is_default("network/crosstraffic"))
      sg4::Engine::set_config("network/crosstraffic", false);
    if (simgrid::config::is_default("network/TCP-gamma"))
      sg4::Engine::set_config("network/TCP-gamma", 1e15);
  }
  if (workload == "W3") {
    if (simgrid::config::is_default("contexts/stack-size"))
      sg4::Engine::set_config("contexts/stack-size", 16);
    if (simgrid::config::is_default("contexts/guard-size"))
      sg4::Engine::set_config("contexts/guard-size", 0);
  }

  auto t0 = clk::now();
  build_platform(n, messages && not constant_model);
  if (messages) {
    g_mboxes.reserve(n);
    for (uint64_t i = 0; i < n; i++)
      g_mboxes.push_back(sg4::Mailbox::by_name("mb" + std::to_string(i)));
  }
  const long rss_platform = max_rss_kib();
  auto t1 = clk::now();

  g_T = T;
  if (messages)
    sg4::Actor::create("timekeeper", g_hosts[0], timekeeper_actor, T);
  for (uint64_t i = 0; i < n; i++) {
    uint64_t seed = seed_for(kBaseSeed, i);
    if (messages) {
      sg4::Actor::create("s" + std::to_string(i), g_hosts[i], sender_actor, i, n, seed, T);
      sg4::Actor::create("r" + std::to_string(i), g_hosts[i], receiver_actor, i)->daemonize();
    } else {
      sg4::Actor::create("t" + std::to_string(i), g_hosts[i], timer_actor, seed, T);
    }
  }
  e.run();
  auto t2 = clk::now();

  const double wall     = std::chrono::duration<double>(t2 - t1).count();
  const double setup    = std::chrono::duration<double>(t1 - t0).count();
  const uint64_t events = messages ? g_delivered : g_timer_events;
  char Tbuf[64];
  std::snprintf(Tbuf, sizeof Tbuf, "%g", T);
  std::printf("workload=%s n=%" PRIu64 " sim_seconds=%s events=%" PRIu64
              " wall_seconds=%.3f events_per_sec=%.0f peak_rss_kib=%ld",
              workload.c_str(), n, Tbuf, events, wall, wall > 0 ? events / wall : 0.0, max_rss_kib());
  std::printf(" setup_seconds=%.3f rss_platform_kib=%ld end_clock=%.6f factory=%s network_model=%s stack_kib=%d"
              " guard_pages=%d",
              setup, rss_platform, sg4::Engine::get_clock(),
              simgrid::config::get_value<std::string>("contexts/factory").c_str(), net_model.c_str(),
              simgrid::config::get_value<int>("contexts/stack-size"),
              simgrid::config::get_value<int>("contexts/guard-size"));
  if (messages)
    std::printf(" send=%s timer_events=%" PRIu64 " sent=%" PRIu64 " mean_latency_ms=%.6f",
                g_detached_sends ? "detached" : "reap", g_timer_events, g_sent,
                g_delivered ? 1e3 * g_latency_sum / g_delivered : 0.0);
  std::printf("\n");
  std::fflush(stdout);
  std::_Exit(0); // skip engine/platform teardown: not part of the measurement, and slow with 100k hosts
}
