#include "sim/world/connections.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "sim/world/network.h"
#include "sim/world/world.h"

namespace detsim {

const char* to_string(NetStatus status) {
  switch (status) {
    case NetStatus::ok: return "ok";
    case NetStatus::timeout: return "timeout";
    case NetStatus::broken: return "broken";
    case NetStatus::refused: return "refused";
  }
  return "?";
}

// ---------------------------------------------------------------- the handle

NodeId Connection::self() const { return state_->end(side_).node; }
NodeId Connection::peer() const { return state_->end(1 - side_).node; }
uint64_t Connection::id() const { return state_->id; }
bool Connection::is_open() const { return !state_->broken && !state_->end(side_).closed; }
NetStatus Connection::send(Message message) { return state_->owner->send(*state_, side_, std::move(message)); }
NetStatus Connection::receive(Message* out, Duration timeout) {
  return state_->owner->receive(*state_, side_, out, timeout);
}
void Connection::close() { state_->owner->close(*state_, side_); }

// ---------------------------------------------------------------- the table

// One connect() call, shared by the connecting fiber and the SYN's journey.
struct Connections::Attempt {
  Attempt(Context& ctx, NodeId target, uint32_t port_number)
      : context(ctx), from(ctx.self()), incarnation(ctx.incarnation()), to(target), port(port_number) {}
  Context& context;
  NodeId from;
  uint32_t incarnation;
  NodeId to;
  uint32_t port;
  Waiter waiter;
  bool done = false;     // the answer arrived
  bool gave_up = false;  // connect() returned on its timeout first
  NetStatus status = NetStatus::timeout;
  std::shared_ptr<ConnectionState> state;
};

// A port that one incarnation of a node has accepted on.
struct Connections::Listener {
  explicit Listener(Context& context) : incarnation(context.incarnation()), waiters(context) {}
  uint32_t incarnation;
  RingQueue<std::shared_ptr<Attempt>> backlog;
  WaitQueue waiters;  // fibers in accept()
};

class Connections::ArrivalTarget final : public EventTarget {
 public:
  explicit ArrivalTarget(Connections& connections) : connections_(connections) {}
  void fire(uint64_t key, uint64_t id) override { connections_.arrive(key, id); }

 private:
  Connections& connections_;
};

Connections::Connections(SimulatedNetwork& network, World& world, Engine& engine, Rng rng)
    : network_(network),
      world_(world),
      engine_(engine),
      rng_(rng),
      arrival_target_(std::make_unique<ArrivalTarget>(*this)) {}

Connections::~Connections() = default;

bool Connections::alive(NodeId node, uint32_t incarnation) const {
  return world_.is_up(node) && world_.current_incarnation(node) == incarnation;
}

void Connections::send_control(NodeId from, NodeId to, std::function<void()> on_arrival) {
  if (network_.is_cut(from, to)) return;
  const Time at = engine_.now() + network_.link_delay(from, to, rng_);
  engine_.schedule_callback(at, [this, from, to, on_arrival = std::move(on_arrival)] {
    if (!network_.is_cut(from, to)) on_arrival();
  });
}

// ---------------------------------------------------------------- opening

std::optional<Connection> Connections::connect(Context& context, NodeId to, uint32_t port, Duration timeout,
                                               NetStatus* status) {
  // Invariant: connections go to nodes that exist.
  DETSIM_ASSERT(to.index() < world_.node_count());
  auto attempt = std::make_shared<Attempt>(context, to, port);
  engine_.mix_fingerprint(kConnectKind, context.self().index(), (uint64_t{to.index()} << 32) | port);
  if (world_.tracing()) {
    world_.trace(
        {engine_.now(), TraceKind::log, context.self(), to, 0, Time(), fmt::format("connect {}:{}", to, port)});
  }
  send_control(context.self(), to, [this, attempt] { syn_arrived(attempt); });
  const Time deadline = context.now() + timeout;
  while (!attempt->done && context.now() < deadline) {
    attempt->waiter = context.begin_wait();
    context.park(deadline);
  }
  if (!attempt->done) attempt->gave_up = true;
  if (status != nullptr) *status = attempt->status;
  if (attempt->status != NetStatus::ok) return std::nullopt;
  return Connection(attempt->state, 0);
}

void Connections::syn_arrived(const std::shared_ptr<Attempt>& attempt) {
  // Lost at a down peer, like any packet; the connector times out.
  if (!world_.is_up(attempt->to) || attempt->gave_up || !alive(attempt->from, attempt->incarnation)) return;
  auto it = listeners_.find((uint64_t{attempt->to.index()} << 32) | attempt->port);
  if (it == listeners_.end()) {
    send_control(attempt->to, attempt->from, [this, attempt] { finish_connect(attempt, NetStatus::refused, nullptr); });
    return;
  }
  it->second->backlog.push_back(attempt);
  it->second->waiters.notify_one();
}

void Connections::finish_connect(const std::shared_ptr<Attempt>& attempt, NetStatus status,
                                 std::shared_ptr<ConnectionState> state) {
  if (attempt->gave_up || !alive(attempt->from, attempt->incarnation)) {
    // Nobody is waiting for this connection any more.
    if (state != nullptr) break_connection(*state, "connect gave up");
    return;
  }
  attempt->done = true;
  attempt->status = status;
  attempt->state = std::move(state);
  engine_.wake(attempt->waiter);
}

std::optional<Connection> Connections::accept(Context& context, uint32_t port, Duration timeout) {
  const uint64_t key = (uint64_t{context.self().index()} << 32) | port;
  auto it = listeners_.find(key);
  if (it == listeners_.end() || it->second->incarnation != context.incarnation()) {
    it = listeners_.insert_or_assign(key, std::make_unique<Listener>(context)).first;
  }
  Listener& listener = *it->second;
  const Time deadline = context.now() + timeout;
  while (true) {
    while (!listener.backlog.empty()) {
      std::shared_ptr<Attempt> attempt = std::move(listener.backlog.front());
      listener.backlog.pop_front();
      if (!attempt->gave_up && alive(attempt->from, attempt->incarnation)) return establish(context, attempt);
    }
    if (context.now() >= deadline) return std::nullopt;
    listener.waiters.wait_until(deadline);
  }
}

Connection Connections::establish(Context& context, const std::shared_ptr<Attempt>& attempt) {
  auto state = std::make_shared<ConnectionState>(next_connection_id_++, this, attempt->context, context);
  open_[state->id] = state;
  engine_.mix_fingerprint(kConnectionOpenKind, context.self().index(), state->id);
  if (world_.tracing()) {
    world_.trace({engine_.now(), TraceKind::log, context.self(), attempt->from, 0, Time(),
                  fmt::format("connection #{} from {} on port {} open", state->id, attempt->from, attempt->port)});
  }
  // The SYN-ACK is the first thing on the way back: the acceptor's first
  // message cannot overtake it.
  const NodeId from = context.self();
  const NodeId to = attempt->from;
  if (network_.is_cut(from, to)) {
    break_connection(*state, "partition");
    return Connection(state, 1);
  }
  const Time at = engine_.now() + network_.link_delay(from, to, rng_);
  state->end(0).last_arrival = at;
  engine_.schedule_callback(at, [this, attempt, state] {
    if (!state->broken) finish_connect(attempt, NetStatus::ok, state);
  });
  return Connection(state, 1);
}

// ---------------------------------------------------------------- traffic

Time Connections::arrival_time(NodeId from, NodeId to, size_t size_bytes, ConnectionState::End& target) {
  const double bandwidth = network_.bandwidth(from, to);
  LinkTable::Link& link = network_.links().at(from, to);
  const Time start = std::max(link.busy_until, engine_.now());
  const Duration serialization =
      bandwidth > 0 ? Duration::from_seconds(static_cast<double>(size_bytes) / bandwidth) : Duration::zero();
  link.busy_until = start + serialization;
  const Time at = std::max(start + serialization + network_.link_delay(from, to, rng_), target.last_arrival);
  target.last_arrival = at;
  return at;
}

void Connections::enqueue(ConnectionState& state, int side, ConnectionState::InFlight item) {
  ConnectionState::End& target = state.end(1 - side);
  const Time at = arrival_time(state.end(side).node, target.node, item.message.size_bytes(), target);
  const uint64_t id = item.id;
  target.in_flight.push_back(std::move(item));
  engine_.schedule(at, arrival_target_.get(), state.id * 2 + static_cast<uint64_t>(1 - side), id);
}

NetStatus Connections::send(ConnectionState& state, int side, Message message) {
  if (state.broken || state.end(side).closed) return NetStatus::broken;
  const NodeId from = state.end(side).node;
  const NodeId to = state.end(1 - side).node;
  const uint64_t id = network_.next_message_id();
  const uint64_t digest = message.digest();
  engine_.mix_fingerprint(kStreamSendKind, from.index(), digest ^ (uint64_t{to.index()} << 48));
  if (world_.tracing()) {
    world_.trace({engine_.now(), TraceKind::send, from, to, id, engine_.now(),
                  fmt::format("#{} {}", state.id, message.describe())});
  }
  enqueue(state, side, {std::move(message), id, digest, engine_.now(), false});
  return NetStatus::ok;
}

void Connections::arrive(uint64_t key, uint64_t id) {
  auto it = open_.find(key / 2);
  if (it == open_.end()) return;  // broke meanwhile; its messages were dropped then
  std::shared_ptr<ConnectionState> state = it->second;
  ConnectionState::End& end = state->end(static_cast<int>(key % 2));
  // Invariant: messages of one direction arrive in the order they were sent.
  DETSIM_ASSERT(!end.in_flight.empty());
  DETSIM_ASSERT(end.in_flight.front().id == id);
  ConnectionState::InFlight item = std::move(end.in_flight.front());
  end.in_flight.pop_front();
  const NodeId from = state->end(1 - static_cast<int>(key % 2)).node;
  if (item.fin) return break_connection(*state, fmt::format("closed by {}", from));
  if (end.closed) {
    if (world_.tracing()) world_.trace({engine_.now(), TraceKind::drop, from, end.node, id, item.sent_at, "closed"});
    return;
  }
  engine_.mix_fingerprint(kStreamDeliverKind, end.node.index(), item.digest ^ id);
  if (world_.tracing()) {
    world_.trace({engine_.now(), TraceKind::deliver, end.node, from, id, item.sent_at,
                  fmt::format("#{} {}", state->id, item.message.describe())});
  }
  end.arrived.push_back(std::move(item.message));
  end.waiters.notify_one();
}

NetStatus Connections::receive(ConnectionState& state, int side, Message* out, Duration timeout) {
  ConnectionState::End& end = state.end(side);
  const Time deadline = engine_.now() + timeout;
  while (true) {
    if (end.closed) return NetStatus::broken;
    if (!end.arrived.empty()) {
      *out = std::move(end.arrived.front());
      end.arrived.pop_front();
      return NetStatus::ok;
    }
    if (state.broken) return NetStatus::broken;
    if (engine_.now() >= deadline) return NetStatus::timeout;
    end.waiters.wait_until(deadline);
  }
}

void Connections::close(ConnectionState& state, int side) {
  ConnectionState::End& end = state.end(side);
  if (end.closed) return;
  end.closed = true;
  end.waiters.notify_all();  // other fibers of this end in receive() see broken
  if (state.broken) return;
  if (world_.tracing()) {
    world_.trace({engine_.now(), TraceKind::log, end.node, state.end(1 - side).node, 0, Time(),
                  fmt::format("connection #{} close", state.id)});
  }
  enqueue(state, side, {Message(), network_.next_message_id(), 0, engine_.now(), true});
}

// ---------------------------------------------------------------- breaking

void Connections::break_connection(ConnectionState& state, const std::string& reason) {
  if (state.broken) return;
  state.broken = true;
  // Keeps the state alive until this function returns.
  std::shared_ptr<ConnectionState> keep = open_.at(state.id);
  open_.erase(state.id);
  const NodeId a = state.end(0).node;
  const NodeId b = state.end(1).node;
  engine_.mix_fingerprint(kConnectionBreakKind, state.id, stable_hash(reason));
  if (world_.tracing()) {
    world_.trace({engine_.now(), TraceKind::fault, a, b, 0, Time(),
                  fmt::format("connection #{} {}<>{} broken: {}", state.id, a, b, reason)});
  }
  for (int side = 0; side < 2; ++side) {
    ConnectionState::End& end = state.end(side);
    while (!end.in_flight.empty()) {
      const ConnectionState::InFlight& item = end.in_flight.front();
      if (!item.fin && world_.tracing()) {
        world_.trace(
            {engine_.now(), TraceKind::drop, state.end(1 - side).node, end.node, item.id, item.sent_at, "broken"});
      }
      end.in_flight.pop_front();
    }
    end.waiters.notify_all();
  }
}

void Connections::on_crash(NodeId node) {
  std::vector<std::shared_ptr<ConnectionState>> hit;
  for (const auto& [id, state] : open_) {
    if (state->end(0).node == node || state->end(1).node == node) hit.push_back(state);
  }
  for (const auto& state : hit) {
    // The crashed end's memory is gone, unread messages with it.
    for (int side = 0; side < 2; ++side) {
      if (state->end(side).node == node) state->end(side).arrived.clear();
    }
    break_connection(*state, fmt::format("crash of {}", node));
  }
  auto first = listeners_.lower_bound(uint64_t{node.index()} << 32);
  auto last = listeners_.lower_bound((uint64_t{node.index()} + 1) << 32);
  listeners_.erase(first, last);
}

void Connections::break_cut() {
  std::vector<std::shared_ptr<ConnectionState>> hit;
  for (const auto& [id, state] : open_) {
    const NodeId a = state->end(0).node;
    const NodeId b = state->end(1).node;
    if (network_.is_cut(a, b) || network_.is_cut(b, a)) hit.push_back(state);
  }
  for (const auto& state : hit) break_connection(*state, "partition");
}

}  // namespace detsim
