// The Context and Network of sim/api, implemented on the world and engine.
#include "sim/api/context.h"

#include "sim/world/connections.h"
#include "sim/world/world.h"

namespace detsim {

Context::Context(World& world, NodeId self, uint32_t incarnation, GroupId group, Rng rng)
    : world_(world),
      self_(self),
      incarnation_(incarnation),
      group_(group),
      rng_(rng),
      buggify_rng_(rng.fork("buggify")),
      network_(world, *this) {}

const std::string& Context::name() const { return world_.node_name(self_); }
const std::vector<NodeId>& Context::servers() const { return world_.servers(); }
const std::vector<NodeId>& Context::clients() const { return world_.clients(); }
Time Context::now() const { return world_.engine().now(); }
WallTime Context::wall_now() const { return world_.clock(self_).wall(now()); }
Time Context::monotonic_now() const { return world_.clock(self_).monotonic(now()); }
Disk& Context::disk() { return world_.disks().disk(self_); }
void Context::set_role(std::string_view role, bool held) {
  // A fiber unwinding after its node crashed claims nothing.
  if (crashing()) return;
  world_.set_role(self_, role, held);
}

void Context::sleep_for(Duration d) { sleep_until(now() + d); }

void Context::sleep_until(Time t) { world_.engine().sleep_until(t); }

void Context::spawn(std::string name, std::function<void()> body) {
  world_.engine().spawn(group_, world_.node_name(self_) + "/" + name, std::move(body));
}

// source_location gives the path the compiler was handed, absolute under
// CMake; a seed must pick the same buggify sites in every checkout.
std::string_view source_tree_path(std::string_view file) {
  size_t best = std::string_view::npos;
  for (std::string_view top : {"models/", "sim/", "tests/", "bench/", "replay/"}) {
    // The last occurrence that starts a path component.
    for (size_t at = file.rfind(top); at != std::string_view::npos;
         at = at == 0 ? std::string_view::npos : file.rfind(top, at - 1)) {
      if (at != 0 && file[at - 1] != '/') continue;
      if (best == std::string_view::npos || at > best) best = at;
      break;
    }
  }
  return best == std::string_view::npos ? file : file.substr(best);
}

bool Context::buggify(std::source_location site) {
  const uint64_t site_id =
      stable_hash(source_tree_path(site.file_name())) ^ (uint64_t{site.line()} * 0x9E3779B97F4A7C15ULL);
  if (!world_.buggify_site_enabled(site_id)) return false;
  return buggify_rng_.bernoulli(world_.buggify_fire_probability());
}

bool Context::sometimes(std::string_view name, bool condition) {
  if (world_.count_probe(name, condition)) return condition;
  // Invariant: a model hits only the probes it declared (ModelInfo::probes).
  const std::string what = fmt::format("sometimes(\"{}\"): no such probe in the model's ModelInfo::probes", name);
  assert_failed(__FILE__, __LINE__, what.c_str());
}

bool Context::tracing() const { return world_.tracing(); }

void Context::log_text(std::string text) {
  world_.trace({now(), TraceKind::log, self_, NodeId(), 0, Time(), std::move(text)});
}

FiberId Context::current_fiber() const { return world_.engine().current_fiber(); }
bool Context::crashing() const { return world_.engine().current_fiber_killed(); }

Waiter Context::begin_wait() { return world_.engine().begin_wait(); }
bool Context::park(Time deadline) { return world_.engine().park(deadline); }
bool Context::wake(Waiter waiter) { return world_.engine().wake(waiter); }

void Network::send(NodeId to, Message message) { world_.send(context_.self(), to, std::move(message)); }

std::optional<Envelope> Network::receive(Duration timeout) {
  return world_.receive(context_.self(), context_.incarnation(), timeout);
}

std::optional<Connection> Network::connect(NodeId to, uint32_t port, Duration timeout, NetStatus* status) {
  return world_.network().connections().connect(context_, to, port, timeout, status);
}

std::optional<Connection> Network::accept(uint32_t port, Duration timeout) {
  return world_.network().connections().accept(context_, port, timeout);
}

}  // namespace detsim
