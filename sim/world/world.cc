#include "sim/world/world.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/fault/node_names.h"

namespace detsim {
namespace {

// Fingerprint kinds of the clocks (the network's are 101.., the disk's 201..).
enum : uint64_t { kClockJumpKind = 301, kClockDriftKind, kClockDisciplineKind };

}  // namespace

struct World::Incarnation {
  Incarnation(World& world, NodeId node, uint32_t number, GroupId group, Rng rng)
      : context(world, node, number, group, rng), inbox(context) {}
  Context context;
  Mailbox<Envelope> inbox;
};

struct World::Node {
  std::string name;
  NodeMain main;
  bool is_server = false;
  bool up = false;
  uint32_t incarnations = 0;
  Engine::CallbackId resume_event;
  std::unique_ptr<Incarnation> current;
};

World::World(Engine& engine, Rng rng, WorldOptions options)
    : engine_(engine),
      rng_(rng),
      options_(std::move(options)),
      network_(std::make_unique<SimulatedNetwork>(*this, engine, rng, options_.network)),
      disks_(std::make_unique<DiskFarm>(engine, rng.fork("disk"), options_.disk)),
      shape_rng_(rng.fork("shapes")) {
  disks_->set_trace([this](NodeId node, std::string text) { trace_fault(node, std::move(text)); });
  disks_->set_fsync_start_hook([this](NodeId node) { power_loss_at_fsync(node); });
}

World::~World() = default;

NodeId World::add_server(std::string name, NodeMain main) { return add_node(std::move(name), std::move(main), true); }
NodeId World::add_client(std::string name, NodeMain main) { return add_node(std::move(name), std::move(main), false); }

NodeId World::add_node(std::string name, NodeMain main, bool is_server) {
  NodeId id(static_cast<uint32_t>(nodes_.size()));
  auto node = std::make_unique<Node>();
  node->name = std::move(name);
  node->main = std::move(main);
  node->is_server = is_server;
  nodes_.push_back(std::move(node));
  Rng clock_rng = rng_.fork("clock", id.index());
  clocks_.push_back(NodeClock::make(clock_rng, options_.clock));
  (is_server ? servers_ : clients_).push_back(id);
  return id;
}

std::function<Time()> World::sim_time() const {
  return [&engine = engine_] { return engine.now(); };
}

std::vector<std::string> World::node_names() const {
  std::vector<std::string> given;
  for (const auto& node : nodes_) given.push_back(node->name);
  return stable_node_names(given);
}

void World::set_trace(TraceSink* sink) {
  trace_ = sink;
  if (trace_ == nullptr) return;
  trace_names_ = node_names();
  trace_->set_node_names(trace_names_);
}

void World::start() {
  std::vector<uint32_t> replicas;
  for (NodeId server : servers_) replicas.push_back(server.index());
  disks_->set_replicas(std::move(replicas));
  for (uint32_t i = 0; i < nodes_.size(); ++i) boot(NodeId(i));
  if (options_.clock.ntp) {
    engine_.schedule_callback(engine_.now() + options_.clock.ntp_interval, [this] { discipline_clocks(); });
  }
  if (options_.heal_at != Time::max()) engine_.schedule_callback(options_.heal_at, [this] { heal(); });
}

void World::apply(const FaultSchedule& schedule) {
  for (const FaultAction& action : schedule.actions) arm_fault(action);
}

void World::arm_fault(const FaultAction& action) {
  armed_faults_.push_back({action.at, engine_.schedule_callback(action.at, [this, action] { apply_action(action); })});
}

void World::redraw_faults(const FaultSchedule& schedule, Time from) {
  // Invariant: only the future is redrawn; what is armed before `from`
  // may be firing at this very instant.
  DETSIM_ASSERT(from > engine_.now());
  for (const ArmedFault& armed : armed_faults_) {
    if (armed.at >= from) engine_.cancel(armed.id);
  }
  std::erase_if(armed_faults_, [from](const ArmedFault& armed) { return armed.at >= from; });
  for (const FaultAction& action : schedule.actions) {
    if (action.at >= from) arm_fault(action);
  }
}

void World::apply_action(const FaultAction& action) {
  if (!action.role.empty()) return apply_role_action(action);
  switch (action.kind) {
    case FaultKind::crash: crash(action.node); break;
    case FaultKind::restart: restart(action.node); break;
    case FaultKind::pause: pause(action.node, action.length); break;
    case FaultKind::partition: partition(action.groups, action.one_way); break;
    case FaultKind::heal: heal_network(); break;
    case FaultKind::clog: clog(action.node, action.peer, action.amount, action.length); break;
    case FaultKind::clock_jump: clock_jump(action.node, action.amount); break;
    case FaultKind::clock_drift: clock_drift(action.node, action.value); break;
    case FaultKind::corrupt:
    case FaultKind::misdirect:
    case FaultKind::disk_full:
    case FaultKind::disk_slow: apply_disk_action(action); break;
    case FaultKind::ring:
    case FaultKind::flap:
    case FaultKind::rolling:
    case FaultKind::power_fsync: apply_jepsen_shape(action); break;
    case FaultKind::isolate:
    case FaultKind::figure8:
    case FaultKind::kill: DETSIM_ASSERT(false && "a shape always names a role");
  }
}

void World::apply_disk_action(const FaultAction& action) {
  const Time until = engine_.now() + action.length;
  switch (action.kind) {
    case FaultKind::corrupt: disks_->corrupt(action.node, static_cast<uint64_t>(action.value)); break;
    case FaultKind::misdirect: disks_->misdirect_next_write(action.node); break;
    case FaultKind::disk_full: disks_->set_full_until(action.node, until); break;
    case FaultKind::disk_slow: disks_->set_slow(action.node, static_cast<double>(action.value), until); break;
    default: DETSIM_ASSERT(false && "not a disk fault");
  }
}

NodeClock& World::clock(NodeId node) {
  // Invariant: clocks are made with their nodes.
  DETSIM_ASSERT(node.index() < clocks_.size());
  return clocks_[node.index()];
}

void World::clock_jump(NodeId node, Duration delta) {
  clock(node).jump(engine_.now(), delta);
  engine_.mix_fingerprint(kClockJumpKind, node.index(), static_cast<uint64_t>(delta.count_ns()));
  if (tracing()) trace_fault(node, fmt::format("clock: jump {}", format_duration(delta)));
}

void World::clock_drift(NodeId node, int64_t ppm) {
  clock(node).set_drift_ppb(engine_.now(), ppm * 1000);
  engine_.mix_fingerprint(kClockDriftKind, node.index(), static_cast<uint64_t>(ppm));
  if (tracing()) trace_fault(node, fmt::format("clock: drift {}ppm", ppm));
}

void World::discipline_clocks() {
  for (uint32_t i = 0; i < clocks_.size(); ++i) {
    std::string what = clocks_[i].discipline(engine_.now(), options_.clock);
    if (what.empty()) continue;
    engine_.mix_fingerprint(kClockDisciplineKind, i, stable_hash(what));
    if (tracing()) trace_fault(NodeId(i), "clock: " + what);
  }
  engine_.schedule_callback(engine_.now() + options_.clock.ntp_interval, [this] { discipline_clocks(); });
}

void World::trace_fault(NodeId node, std::string text) {
  if (tracing()) trace({engine_.now(), TraceKind::fault, node, NodeId(), 0, Time(), std::move(text)});
}

const std::string& World::node_name(NodeId node) const { return nodes_[node.index()]->name; }
bool World::is_up(NodeId node) const { return nodes_[node.index()]->up; }

uint32_t World::current_incarnation(NodeId node) const {
  const Node& record = *nodes_[node.index()];
  // Invariant: only a node that has booted has an incarnation.
  DETSIM_ASSERT(record.incarnations > 0);
  return record.incarnations - 1;
}

Mailbox<Envelope>* World::inbox(NodeId node) {
  Node& record = *nodes_[node.index()];
  return record.up ? &record.current->inbox : nullptr;
}

void World::trace(TraceEvent event) {
  if (trace_ == nullptr) return;
  // Fault text names nodes "nN" where the world formats a NodeId; every
  // output names them as the model did (stable_node_names).
  if (event.kind == TraceKind::fault) event.text = name_nodes_in_fault_text(event.text, trace_names_);
  trace_->record(event);
}

void World::boot(NodeId id) {
  Node& node = *nodes_[id.index()];
  // Invariant: a node boots only when down; two incarnations never overlap.
  DETSIM_ASSERT(!node.up);
  const uint32_t number = node.incarnations++;
  const GroupId group = engine_.create_group(id.index());
  node.current =
      std::make_unique<Incarnation>(*this, id, number, group, rng_.fork("node", (uint64_t{id.index()} << 32) | number));
  node.up = true;
  engine_.mix_fingerprint(kBootKind, id.index(), number);
  if (tracing())
    trace({engine_.now(), TraceKind::boot, id, NodeId(), 0, Time(), fmt::format("incarnation={}", number)});
  Context* context = &node.current->context;
  NodeMain* main = &node.main;
  engine_.spawn(group, node.name + "/main", [context, main] { (*main)(*context); });
}

void World::crash(NodeId id) {
  Node& node = *nodes_[id.index()];
  if (!node.up) return;
  node.up = false;
  engine_.cancel(node.resume_event);
  engine_.mix_fingerprint(kCrashKind, id.index(), node.incarnations);
  if (tracing()) trace({engine_.now(), TraceKind::crash, id, NodeId(), 0, Time(), ""});
  engine_.kill_group(node.current->context.group());
  // A crashed node holds no role: its claims died with its memory.
  for (auto& [role, holders] : roles_) std::erase(holders, id.index());
  network_->on_crash(id);
  disks_->crash(id);
  retired_.push_back(std::move(node.current));
}

void World::restart(NodeId id) {
  if (nodes_[id.index()]->up) return;
  boot(id);
}

void World::pause(NodeId id, Duration length) {
  Node& node = *nodes_[id.index()];
  if (!node.up || engine_.group_paused(node.current->context.group())) return;
  engine_.pause_group(node.current->context.group());
  engine_.mix_fingerprint(kPauseKind, id.index(), static_cast<uint64_t>(length.count_ns()));
  if (tracing()) trace({engine_.now(), TraceKind::pause, id, NodeId(), 0, Time(), format_duration(length)});
  node.resume_event = engine_.schedule_callback(engine_.now() + length, [this, id] {
    Node& paused = *nodes_[id.index()];
    engine_.resume_group(paused.current->context.group());
    engine_.mix_fingerprint(kResumeKind, id.index(), 0);
    if (tracing()) trace({engine_.now(), TraceKind::resume, id, NodeId(), 0, Time(), ""});
  });
}

void World::heal() {
  network_->stop_datagram_faults();
  if (tracing()) trace({engine_.now(), TraceKind::fault, NodeId(), NodeId(), 0, Time(), "heal"});
  heal_network();
  disarm_power_losses();
  for (NodeId server : servers_) disks_->heal(server);
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    Node& node = *nodes_[i];
    if (!node.up) {
      boot(NodeId(i));
    } else if (engine_.group_paused(node.current->context.group())) {
      engine_.cancel(node.resume_event);
      engine_.resume_group(node.current->context.group());
      if (tracing()) trace({engine_.now(), TraceKind::resume, NodeId(i), NodeId(), 0, Time(), ""});
    }
  }
}

// ---------------------------------------------------------------- network

void World::send(NodeId from, NodeId to, Message message) {
  // Invariant: messages go to nodes that exist.
  DETSIM_ASSERT(to.index() < nodes_.size());
  network_->send(from, to, std::move(message));
}

void World::set_link(NodeId from, NodeId to, LinkOptions options) {
  // Invariant: links join nodes that exist.
  DETSIM_ASSERT(from.index() < nodes_.size());
  DETSIM_ASSERT(to.index() < nodes_.size());
  network_->set_link(from, to, options);
}

void World::set_link_latency(NodeId from, NodeId to, DurationDist latency) {
  LinkOptions options;
  options.latency = std::move(latency);
  set_link(from, to, options);
}

void World::set_link_bandwidth(NodeId from, NodeId to, double bytes_per_s) {
  // Invariant: a bandwidth is a rate or 0 (unlimited).
  DETSIM_ASSERT(bytes_per_s >= 0);
  LinkOptions options;
  options.bandwidth = bytes_per_s;
  set_link(from, to, options);
}

void World::apply_link_overrides(const std::vector<LinkOverride>& overrides) {
  network_->apply_link_overrides(overrides, static_cast<uint32_t>(nodes_.size()));
}

void World::partition(const std::vector<std::vector<NodeId>>& groups, bool one_way) {
  for (const auto& group : groups) {
    for (NodeId node : group) {
      // Invariant: a partition names nodes that exist.
      DETSIM_ASSERT(node.index() < nodes_.size());
    }
  }
  network_->partition(groups, one_way);
}

void World::clog(NodeId from, NodeId to, Duration extra_delay, Duration length) {
  network_->clog(from, to, extra_delay, length);
}

void World::heal_network() { network_->heal(); }

std::optional<Envelope> World::receive(NodeId self, uint32_t incarnation, Duration timeout) {
  Node& node = *nodes_[self.index()];
  if (!node.up || node.current->context.incarnation() != incarnation) {
    // A fiber of a crashed incarnation: it is killed, so parking throws
    // FiberKilled and the unwinding goes on.
    engine_.begin_wait();
    engine_.park(Time::max());
  }
  return node.current->inbox.pop(timeout);
}

// ---------------------------------------------------------------- buggify

bool World::buggify_site_enabled(uint64_t site) {
  if (!options_.buggify) return false;
  auto it = std::lower_bound(buggify_sites_.begin(), buggify_sites_.end(), std::make_pair(site, false));
  if (it != buggify_sites_.end() && it->first == site) return it->second;
  // Decided by the seed and the site alone, so the order in which sites are
  // first reached does not matter (FoundationDB: 25% of sites per run).
  bool enabled = rng_.fork("buggify", site).bernoulli(0.25);
  buggify_sites_.insert(it, {site, enabled});
  return enabled;
}

void World::declare_probes(const std::vector<ProbeSpec>& probes) {
  probe_counts_.clear();
  for (const ProbeSpec& probe : probes) {
    // Invariant: a probe has a name, and only one probe has it.
    DETSIM_ASSERT(!probe.name.empty());
    DETSIM_ASSERT(!count_probe(probe.name, false));
    probe_counts_.push_back({probe.name, 0});
  }
}

// A linear scan: a model declares a handful of probes, and a map would cost
// more than the comparisons on the paths that call sometimes() often.
bool World::count_probe(std::string_view name, bool hit) {
  for (ProbeCount& probe : probe_counts_) {
    if (probe.name != name) continue;
    if (!hit) return true;
    ++probe.hits;
    // Powers of two, like AFL's hit-count buckets: "hit 8 times" is news
    // that "hit 5 times" is not.
    const bool news = (probe.hits & (probe.hits - 1)) == 0;
    if (news && probe_observer_) probe_observer_(static_cast<size_t>(&probe - probe_counts_.data()), probe.hits);
    return true;
  }
  return false;
}

void World::reseed(uint64_t salt) {
  rng_.perturb(salt);
  shape_rng_.perturb(salt);
  network_->reseed(salt);
  disks_->reseed(salt);
  for (const std::unique_ptr<Node>& node : nodes_) {
    if (!node->current) continue;
    node->current->context.rng_.perturb(salt);
    node->current->context.buggify_rng_.perturb(salt);
  }
}

}  // namespace detsim
