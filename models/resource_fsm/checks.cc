#include "models/resource_fsm/checks.h"

#include <fmt/format.h>

namespace detsim::rfsm {
namespace {

// Workers are named by their NodeId index (provider.cc).
NodeId worker_node(int64_t worker) { return NodeId(static_cast<uint32_t>(worker)); }

// The two writers may be one worker (its own stale token, resent).
std::vector<NodeId> writers_and_provider(int64_t first, int64_t second, NodeId provider) {
  std::vector<NodeId> nodes{worker_node(first)};
  if (second != first) nodes.push_back(worker_node(second));
  nodes.push_back(provider);
  return nodes;
}

}  // namespace

std::string Ledger::worker_name(int64_t worker) const {
  auto it = nodes_.worker_names.find(worker);
  return it != nodes_.worker_names.end() ? it->second : fmt::format("n{}", worker);
}

void Ledger::on_resource_change(int64_t resource, const ResourceFacts& facts) {
  committed_.insert(facts.change);
  auto [it, first] = latest_.try_emplace(resource, ResourceFacts{});
  const ResourceFacts before = it->second;
  const auto where = [&] { return fmt::format("resource {} at {:.6f}s", resource, facts.at.to_seconds()); };
  // The store committed the bad row, at facts.at.
  const auto found = [&](std::string detail) { return Finding{std::move(detail), facts.at, {nodes_.store}}; };
  if (before.state == State::deleted && !after_deleted_) {
    after_deleted_ =
        found(fmt::format("{}: deleted -> {} by change {}", where(), to_string(facts.state), facts.change));
  }
  if (!legal_transition(before.state, facts.state) && !illegal_transition_) {
    illegal_transition_ = found(fmt::format("{}: {} -> {} by change {}", where(), to_string(before.state),
                                            to_string(facts.state), facts.change));
  }
  if (facts.version <= before.version && !version_regression_) {
    version_regression_ =
        found(fmt::format("{}: version {} after {} (change {})", where(), facts.version, before.version, facts.change));
  }
  if (facts.based_on != before.change && !lost_update_) {
    lost_update_ = found(fmt::format("{}: change {} was based on {}, overwriting change {} unseen", where(),
                                     facts.change, facts.based_on, before.change));
  }
  if (is_intermediate(before.state) && !is_intermediate(facts.state)) {
    intermediate_times_.push_back(facts.at - before.at);
  }
  it->second = facts;
}

void Ledger::on_grant(int64_t job, int64_t token, Time at) {
  std::map<int64_t, Time>& tokens = grants_[job];
  if (!tokens.empty()) ++takeovers_;
  tokens.emplace(token, at);
}

void Ledger::on_lease_judged(int64_t job, int64_t token, Time at, NodeId worker) {
  if (stale_lease_) return;
  const auto it = grants_.find(job);
  if (it == grants_.end()) return;
  for (auto later = it->second.upper_bound(token); later != it->second.end(); ++later) {
    if (later->second <= at) {
      stale_lease_ = Finding{
          fmt::format("job {}: {} trusted token {} at {:.6f}s, but the store granted token {} at {:.6f}s", job,
                      worker_name(worker.index()), token, at.to_seconds(), later->first, later->second.to_seconds()),
          at,
          {worker, nodes_.store}};
      return;
    }
  }
}

void Ledger::on_provider_write(int64_t resource, int64_t token, int64_t worker, Time at) {
  std::map<int64_t, int64_t>& writes = provider_writes_[resource];
  if (!unfenced_write_ && !writes.empty() && token < writes.rbegin()->first) {
    const int64_t earlier = writes.rbegin()->second;
    unfenced_write_ = Finding{
        fmt::format("resource {} at {:.6f}s: the provider accepted token {} from {} after token {} from {}", resource,
                    at.to_seconds(), token, worker_name(worker), writes.rbegin()->first, worker_name(earlier)),
        at, writers_and_provider(worker, earlier, nodes_.provider)};
  }
  auto [it, first] = writes.try_emplace(token, worker);
  if (!unfenced_write_ && !first && it->second != worker) {
    unfenced_write_ = Finding{fmt::format("resource {} at {:.6f}s: {} and {} both wrote with token {}", resource,
                                          at.to_seconds(), worker_name(it->second), worker_name(worker), token),
                              at, writers_and_provider(it->second, worker, nodes_.provider)};
  }
}

namespace {

CheckResult safety_if(const std::optional<Finding>& violation, const char* property) {
  if (!violation) return CheckResult::ok();
  return CheckResult::safety(property, violation->detail).at(violation->at).on(violation->nodes);
}

}  // namespace

CheckResult check_legal_transitions(const Ledger& ledger) {
  return safety_if(ledger.illegal_transition(), "legal_transitions");
}
CheckResult check_deleted_terminal(const Ledger& ledger) {
  return safety_if(ledger.after_deleted(), "deleted_is_terminal");
}
CheckResult check_version_increases(const Ledger& ledger) {
  return safety_if(ledger.version_regression(), "version_increases");
}
CheckResult check_one_writer_per_epoch(const Ledger& ledger) {
  return safety_if(ledger.unfenced_write(), "one_writer_per_epoch");
}
CheckResult check_lease_judgement(const Ledger& ledger) {
  return safety_if(ledger.stale_lease(), "lease_judged_safely");
}

CheckResult check_no_lost_update(const Ledger& ledger) {
  if (ledger.lost_update()) return safety_if(ledger.lost_update(), "no_lost_update");
  for (int64_t change : ledger.acknowledged()) {
    // Found at the end (never committed): the run's end, the store.
    if (!ledger.committed_changes().contains(change)) {
      return CheckResult::safety("no_lost_update",
                                 fmt::format("change {} was acknowledged but never committed", change))
          .at(ledger.nodes().end_at)
          .on({ledger.nodes().store});
    }
  }
  return CheckResult::ok();
}

CheckResult check_settled_and_matching(const Ledger& ledger, const ProviderState& provider) {
  for (const auto& [resource, facts] : ledger.latest()) {
    if (is_intermediate(facts.state)) {
      return CheckResult::liveness("resources_settle", fmt::format("resource {} still {} since {:.6f}s", resource,
                                                                   to_string(facts.state), facts.at.to_seconds()))
          .at(ledger.nodes().end_at)
          .on({ledger.nodes().store});
    }
    const auto it = provider.find(resource);
    const bool exists = it != provider.end() && it->second.exists;
    const bool matches = facts.state == State::failed ||
                         (facts.state == State::ready && exists && it->second.spec == facts.spec) ||
                         (facts.state == State::deleted && !exists);
    if (!matches) {
      return CheckResult::liveness(
                 "provider_matches",
                 fmt::format("resource {} is {} with spec {} in the store, but the provider has {}", resource,
                             to_string(facts.state), facts.spec,
                             exists ? fmt::format("spec {}", it->second.spec) : std::string("nothing")))
          .at(ledger.nodes().end_at)
          .on({ledger.nodes().store, ledger.nodes().provider});
    }
  }
  return CheckResult::ok();
}

}  // namespace detsim::rfsm
