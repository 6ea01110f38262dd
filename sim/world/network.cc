#include "sim/world/network.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/world/connections.h"
#include "sim/world/world.h"

namespace detsim {
namespace {

std::string join_nodes(const std::vector<NodeId>& nodes) {
  std::string text;
  for (NodeId node : nodes) text += fmt::format("{}{}", text.empty() ? "" : ",", node);
  return text;
}

}  // namespace

struct SimulatedNetwork::InFlight {
  Envelope envelope;
  uint64_t digest = 0;  // computed once at send: formatting may be costly
};

class SimulatedNetwork::DeliveryTarget final : public EventTarget {
 public:
  explicit DeliveryTarget(SimulatedNetwork& network) : network_(network) {}
  void fire(uint64_t slot, uint64_t) override { network_.deliver(static_cast<uint32_t>(slot)); }

 private:
  SimulatedNetwork& network_;
};

SimulatedNetwork::SimulatedNetwork(World& world, Engine& engine, Rng rng, NetworkOptions options)
    : world_(world),
      engine_(engine),
      rng_(rng.fork("network")),
      options_(std::move(options)),
      delivery_target_(std::make_unique<DeliveryTarget>(*this)),
      // Its own stream: connection traffic must not shift datagram draws.
      connections_(std::make_unique<Connections>(*this, world, engine, rng.fork("connections"))) {}

SimulatedNetwork::~SimulatedNetwork() = default;

void SimulatedNetwork::reseed(uint64_t salt) {
  rng_.perturb(salt);
  connections_->reseed(salt);
}

// ---------------------------------------------------------------- datagrams

const DurationDist& SimulatedNetwork::latency(NodeId from, NodeId to) const {
  const LinkTable::Link* link = links_.find(from, to);
  return link != nullptr && link->options.latency ? *link->options.latency : options_.latency;
}

double SimulatedNetwork::bandwidth(NodeId from, NodeId to) const {
  const LinkTable::Link* link = links_.find(from, to);
  return link != nullptr && link->options.bandwidth ? *link->options.bandwidth : options_.bandwidth;
}

Duration SimulatedNetwork::link_delay(NodeId from, NodeId to, Rng& rng) {
  Duration delay = latency(from, to).sample(rng);
  // Drawn only when switched on, so runs without jitter draw as before.
  if (options_.jitter > Duration::zero()) delay += rng.uniform(Duration::zero(), options_.jitter);
  return delay + links_.clog_delay(from, to, engine_.now());
}

void SimulatedNetwork::send(NodeId from, NodeId to, Message message) {
  const uint64_t id = next_message_id_++;
  ++messages_sent_;
  const uint64_t digest = message.digest();
  engine_.mix_fingerprint(kSendKind, from.index(), digest ^ (uint64_t{to.index()} << 48));
  if (world_.tracing()) {
    world_.trace({engine_.now(), TraceKind::send, from, to, id, engine_.now(), message.describe()});
  }
  Envelope envelope{from, to, engine_.now(), id, std::move(message)};
  if (links_.is_cut(from, to)) return drop(envelope, "partition");
  const LinkTable::Link* link = links_.find(from, to);
  const double loss = link != nullptr && link->options.loss ? *link->options.loss : options_.loss;
  if (rng_.bernoulli(loss)) {
    if (world_.tracing()) world_.trace({engine_.now(), TraceKind::drop, from, to, id, engine_.now(), "loss"});
    return;
  }
  const int copies = rng_.bernoulli(options_.duplicate) ? 2 : 1;
  const Duration queued = serialize_datagram(from, to, envelope.message.size_bytes());
  Duration first_delay;
  for (int copy = 0; copy < copies; ++copy) {
    const Duration sample = latency(from, to).sample(rng_);
    Duration delay = queued + sample;
    if (options_.jitter > Duration::zero()) delay += rng_.uniform(Duration::zero(), options_.jitter);
    // Held back long enough that datagrams sent after it can overtake it.
    if (options_.reorder > 0 && rng_.bernoulli(options_.reorder)) delay += rng_.uniform(Duration::zero(), sample * 5);
    delay += links_.clog_delay(from, to, engine_.now());
    if (copy == 0) first_delay = delay;
    schedule_datagram(envelope, digest, engine_.now() + delay);
  }
  // Drawn only when switched on, so runs without replay draw as before.
  if (options_.replay > 0 && rng_.bernoulli(options_.replay)) {
    schedule_datagram(envelope, digest, engine_.now() + first_delay + options_.replay_delay.sample(rng_));
  }
}

Duration SimulatedNetwork::serialize_datagram(NodeId from, NodeId to, size_t size_bytes) {
  const double rate = bandwidth(from, to);
  // A link without a bandwidth has no queue: no table entry, no delay.
  if (rate <= 0) return Duration::zero();
  LinkTable::Link& link = links_.at(from, to);
  const Time start = std::max(link.busy_until, engine_.now());
  link.busy_until = start + Duration::from_seconds(static_cast<double>(size_bytes) / rate);
  return link.busy_until - engine_.now();
}

void SimulatedNetwork::schedule_datagram(const Envelope& envelope, uint64_t digest, Time at) {
  uint32_t slot;
  if (!free_in_flight_.empty()) {
    slot = free_in_flight_.back();
    free_in_flight_.pop_back();
  } else {
    slot = static_cast<uint32_t>(in_flight_.size());
    in_flight_.emplace_back();
  }
  in_flight_[slot] = InFlight{envelope, digest};
  engine_.schedule(at, delivery_target_.get(), slot, envelope.id);
}

void SimulatedNetwork::deliver(uint32_t slot) {
  Envelope envelope = std::move(in_flight_[slot].envelope);
  const uint64_t digest = in_flight_[slot].digest;
  free_in_flight_.push_back(slot);
  Mailbox<Envelope>* inbox = world_.inbox(envelope.to);
  if (inbox == nullptr) return drop(envelope, "down");
  // Cut while in flight: lost, as if the switch dropped it.
  if (links_.is_cut(envelope.from, envelope.to)) return drop(envelope, "partition");
  ++messages_delivered_;
  engine_.mix_fingerprint(kDeliverKind, envelope.to.index(), digest ^ envelope.id);
  if (world_.tracing()) {
    world_.trace({engine_.now(), TraceKind::deliver, envelope.to, envelope.from, envelope.id, envelope.sent_at,
                  envelope.message.describe()});
  }
  inbox->push(std::move(envelope));
}

void SimulatedNetwork::drop(const Envelope& envelope, const char* reason) {
  engine_.mix_fingerprint(kDropKind, envelope.to.index(), envelope.id);
  if (world_.tracing()) {
    world_.trace({engine_.now(), TraceKind::drop, envelope.from, envelope.to, envelope.id, envelope.sent_at, reason});
  }
}

void SimulatedNetwork::stop_datagram_faults() {
  options_.loss = 0;
  options_.duplicate = 0;
}

// ---------------------------------------------------------------- links and faults

void SimulatedNetwork::record_fault(FingerprintKind kind, uint64_t detail, std::string text) {
  engine_.mix_fingerprint(kind, detail, stable_hash(text));
  if (world_.tracing()) world_.trace({engine_.now(), TraceKind::fault, NodeId(), NodeId(), 0, Time(), std::move(text)});
}

void SimulatedNetwork::set_link(NodeId from, NodeId to, const LinkOptions& options) {
  // Invariant: both ends are real nodes (wildcards are expanded before this).
  DETSIM_ASSERT(from.valid());
  DETSIM_ASSERT(to.valid());
  links_.set_options(from, to, options);
  record_fault(kLinkKind, (uint64_t{from.index()} << 32) | to.index(),
               "link " + format_link_override(LinkOverride{from, to, false, options}));
}

void SimulatedNetwork::apply_link_overrides(const std::vector<LinkOverride>& overrides, uint32_t node_count) {
  for (const LinkOverride& link : overrides) {
    // Invariant: an override names nodes that exist.
    DETSIM_ASSERT(!link.from.valid() || link.from.index() < node_count);
    DETSIM_ASSERT(!link.to.valid() || link.to.index() < node_count);
    const bool wildcard = !link.from.valid() || !link.to.valid();
    for (uint32_t a = 0; a < node_count; ++a) {
      if (link.from.valid() && link.from.index() != a) continue;
      for (uint32_t b = 0; b < node_count; ++b) {
        if (link.to.valid() && link.to.index() != b) continue;
        if (wildcard && a == b) continue;  // "*" means the other nodes
        set_link(NodeId(a), NodeId(b), link.options);
        if (link.both_directions) set_link(NodeId(b), NodeId(a), link.options);
      }
    }
  }
}

void SimulatedNetwork::partition(const std::vector<std::vector<NodeId>>& groups, bool one_way) {
  // Invariant: a partition separates at least two groups.
  DETSIM_ASSERT(groups.size() >= 2);
  std::string text = one_way ? "one-way " + join_nodes(groups[0]) + " >" : "partition";
  for (size_t i = one_way ? 1 : 0; i < groups.size(); ++i) {
    text += fmt::format("{}{}", i > (one_way ? 1u : 0u) ? " | " : " ", join_nodes(groups[i]));
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    for (size_t j = i + 1; j < groups.size(); ++j) {
      if (one_way && i != 0) continue;
      for (NodeId a : groups[i]) {
        for (NodeId b : groups[j]) {
          links_.at(a, b).cut = true;
          if (!one_way) links_.at(b, a).cut = true;
        }
      }
    }
  }
  record_fault(kPartitionKind, one_way ? 1 : 0, std::move(text));
  connections_->break_cut();
}

void SimulatedNetwork::clog(NodeId from, NodeId to, Duration extra_delay, Duration length) {
  // Invariant: a clog delays, it never speeds up.
  DETSIM_ASSERT(extra_delay >= Duration::zero());
  DETSIM_ASSERT(length >= Duration::zero());
  LinkTable::Link& link = links_.at(from, to);
  const Time now = engine_.now();
  // Overlapping clogs of one link merge: the larger delay, the later end.
  link.clog_extra = now < link.clog_until ? std::max(link.clog_extra, extra_delay) : extra_delay;
  link.clog_until = std::max(link.clog_until, now + length);
  record_fault(kClogKind, (uint64_t{from.index()} << 32) | to.index(),
               fmt::format("clog {}>{} +{} for {}", from, to, format_duration(extra_delay), format_duration(length)));
}

void SimulatedNetwork::ring(const std::vector<NodeId>& order) {
  const std::vector<std::pair<NodeId, NodeId>> cuts = ring_cuts(order);
  for (const auto& [a, b] : cuts) {
    links_.at(a, b).cut = true;
    links_.at(b, a).cut = true;
  }
  const size_t sees = order.size() - 2 * cuts.size() / std::max<size_t>(order.size(), 1);
  record_fault(kRingKind, cuts.size(), fmt::format("ring {} (each sees {})", join_nodes(order), sees));
  connections_->break_cut();
}

void SimulatedNetwork::flap(NodeId a, NodeId b, bool down) {
  const bool changed = links_.set_flapped(a, b, down);
  links_.set_flapped(b, a, down);
  if (!changed) return;
  record_fault(kFlapKind, (uint64_t{a.index()} << 33) | (uint64_t{b.index()} << 1) | (down ? 1 : 0),
               fmt::format("flap {}<>{} {}", a, b, down ? "down" : "up"));
  if (down) connections_->break_cut();
}

void SimulatedNetwork::heal() {
  if (!links_.heal(engine_.now())) return;
  record_fault(kHealNetworkKind, 0, "heal network");
}

void SimulatedNetwork::on_crash(NodeId node) { connections_->on_crash(node); }

}  // namespace detsim
