#include "models/broadcast/checks.h"

#include <fmt/format.h>

#include <utility>

namespace detsim::broadcast {

void Observer::add_server(NodeId node, std::string name) {
  // Invariant: each server is declared once.
  DETSIM_ASSERT(names_.find(node) == names_.end());
  servers_.push_back(node);
  names_.emplace(node, std::move(name));
}

const std::string& Observer::name(NodeId node) const {
  auto it = names_.find(node);
  // Invariant: only declared servers are named.
  DETSIM_ASSERT(it != names_.end());
  return it->second;
}

void Observer::attach(NodeId node, uint32_t incarnation, Time booted, std::shared_ptr<const ServerStore> store) {
  // Invariant: only declared servers attach a store.
  DETSIM_ASSERT(names_.find(node) != names_.end());
  auto it = attached_.find(node);
  // Invariant: incarnations of a node boot in increasing order.
  DETSIM_ASSERT(it == attached_.end() || it->second.incarnation < incarnation);
  attached_[node] = Attached{incarnation, store};
  incarnations_[node].push_back(Incarnation{incarnation, booted, std::move(store)});
}

void Observer::detach(NodeId node, uint32_t incarnation) {
  auto it = attached_.find(node);
  // A dead incarnation that unwinds after its successor booted must not
  // detach the successor.
  if (it != attached_.end() && it->second.incarnation == incarnation) attached_.erase(it);
}

std::shared_ptr<const ServerStore> Observer::store(NodeId node) const {
  auto it = attached_.find(node);
  if (it == attached_.end()) return nullptr;
  return it->second.store.lock();
}

void Observer::record_ack(int64_t value, Time at) {
  // Invariant: client values are unique, so each is acknowledged to its
  // client once (a stale second ack is dropped by the client).
  DETSIM_ASSERT(acked_.find(value) == acked_.end());
  acked_.emplace(value, at);
}

void Observer::on_durable(NodeId node, const std::vector<int64_t>& values) {
  durable_[node].insert(values.begin(), values.end());
}

void Observer::on_ack_sent(NodeId server, int64_t value) {
  size_t holders = 0;
  for (const auto& [node, values] : durable_) holders += values.count(value);
  if (holders * 2 > servers_.size() || violation_) return;
  violation_ = CheckResult::safety("ack_durable_on_majority",
                                   fmt::format("{} acknowledged value {} while {} of {} servers hold it durably",
                                               name(server), value, holders, servers_.size()))
                   .at(now())
                   .on({server});
}

void Observer::on_delivered(NodeId server, NodeId from, Time sent_at) {
  auto it = incarnations_.find(from);
  if (it == incarnations_.end()) return;  // a client
  // The incarnation up when the message left: the last to boot by then.
  const Incarnation* sender = nullptr;
  for (const Incarnation& incarnation : it->second) {
    if (incarnation.booted <= sent_at) sender = &incarnation;
  }
  if (sender == nullptr) return;
  uint32_t& heard = heard_[{server, from}];
  heard = std::max(heard, sender->incarnation);
}

void Observer::on_confirmed(NodeId server, NodeId node, uint32_t incarnation, int64_t value) {
  if (violation_) return;
  const Incarnation* known = find_incarnation(node, incarnation);
  // Invariant: a peer's incarnation is learned from its own messages, so
  // it booted.
  DETSIM_ASSERT(known != nullptr);
  if (known->store->values.count(value) != 0) return;
  violation_ =
      CheckResult::safety("confirmed_holder_holds",
                          fmt::format("{} took {} (incarnation {}) to hold value {}, which that incarnation never held",
                                      name(server), name(node), incarnation, value))
          .at(now())
          .on({server, node});
}

const Observer::Incarnation* Observer::find_incarnation(NodeId node, uint32_t incarnation) const {
  auto it = incarnations_.find(node);
  if (it == incarnations_.end()) return nullptr;
  for (const Incarnation& booted : it->second) {
    if (booted.incarnation == incarnation) return &booted;
  }
  return nullptr;
}

bool Observer::counts_as_holder(NodeId acker, NodeId node, int64_t value) const {
  auto live = store(node);
  if (live != nullptr && live->values.count(value) != 0) return true;
  if (node == acker) return false;
  auto heard = heard_.find({acker, node});
  if (heard == heard_.end()) return false;
  auto attached = attached_.find(node);
  if (attached != attached_.end() && attached->second.incarnation == heard->second) return false;
  const Incarnation* heard_from = find_incarnation(node, heard->second);
  return heard_from != nullptr && heard_from->store->values.count(value) != 0;
}

void Observer::on_ack_in_memory(NodeId server, int64_t value) {
  size_t holders = 0;
  for (NodeId node : servers_) holders += counts_as_holder(server, node, value) ? 1 : 0;
  if (holders * 2 > servers_.size() || violation_) return;
  violation_ =
      CheckResult::safety("ack_on_majority",
                          fmt::format("{} acknowledged value {} while {} of {} servers hold it, or held it when "
                                      "{} last heard from them",
                                      name(server), value, holders, servers_.size(), name(server)))
          .at(now())
          .on({server});
}

Attachment::Attachment(Observer& observer, NodeId node, uint32_t incarnation, Time booted,
                       std::shared_ptr<const ServerStore> store)
    : observer_(observer), node_(node), incarnation_(incarnation) {
  observer_.attach(node_, incarnation_, booted, std::move(store));
}

Attachment::~Attachment() { observer_.detach(node_, incarnation_); }

namespace {

// The servers that lack value; a server with no live incarnation lacks
// everything.
std::vector<NodeId> missing_on(const Observer& observer, int64_t value) {
  std::vector<NodeId> missing;
  for (NodeId node : observer.servers()) {
    auto store = observer.store(node);
    if (store == nullptr || store->values.count(value) == 0) missing.push_back(node);
  }
  return missing;
}

}  // namespace

CheckResult check_acked_everywhere(const Observer& observer) {
  size_t bad_values = 0;
  std::string first_detail;
  Time first_acked_at;
  std::vector<NodeId> first_missing;
  for (const auto& [value, acked_at] : observer.acked()) {
    std::vector<NodeId> missing = missing_on(observer, value);
    if (missing.empty()) continue;
    if (bad_values++ == 0) {
      std::vector<std::string> names;
      for (NodeId node : missing) names.push_back(observer.name(node));
      first_detail = fmt::format("value {} acknowledged at {:.3f}s is missing on {} ({} servers)", value,
                                 acked_at.to_seconds(), fmt::join(names, ", "), observer.servers().size());
      first_acked_at = acked_at;
      first_missing = std::move(missing);
    }
  }
  if (bad_values == 0) return CheckResult::ok();
  if (bad_values > 1) first_detail += fmt::format("; {} acknowledged values are missing somewhere", bad_values);
  // The ack is the moment the promise was made that the run then broke.
  return CheckResult::safety("acked_value_everywhere", first_detail).at(first_acked_at).on(std::move(first_missing));
}

CheckResult check_values_sent(const Observer& observer) {
  for (NodeId node : observer.servers()) {
    auto store = observer.store(node);
    if (store == nullptr) continue;
    for (int64_t value : store->values) {
      if (observer.sent().count(value) != 0) continue;
      return CheckResult::safety("value_never_sent", fmt::format("{} holds value {}, which no client broadcast",
                                                                 observer.name(node), value))
          .on({node});
    }
  }
  return CheckResult::ok();
}

CheckResult check_progress(const Observer& observer, bool workload_ran) {
  if (!workload_ran || !observer.acked().empty()) return CheckResult::ok();
  return CheckResult::liveness("no_progress", fmt::format("clients ran until heal but no broadcast was acknowledged "
                                                          "({} client retries)",
                                                          observer.client_retries()));
}

size_t values_total(const Observer& observer) {
  std::set<int64_t> all;
  for (NodeId node : observer.servers()) {
    if (auto store = observer.store(node)) all.insert(store->values.begin(), store->values.end());
  }
  return all.size();
}

}  // namespace detsim::broadcast
