#include "models/outbox/checks.h"

#include <fmt/format.h>

namespace detsim::outbox {

std::vector<NodeId> LedgerNodes::of(size_t consumer) const {
  std::vector<NodeId> nodes{service};
  if (consumer < consumers.size()) nodes.push_back(consumers[consumer]);
  return nodes;
}

void Ledger::on_committed(uint64_t change, uint64_t aggregate, uint64_t version, Time at) {
  committed_.emplace(change, ChangeFacts{aggregate, version, at});
}

void Ledger::on_applied(size_t consumer, uint64_t change, uint64_t aggregate, uint64_t version, Time at) {
  // Invariant: consumers are numbered by the model, 0 .. consumers - 1.
  DETSIM_ASSERT(consumer < consumers_.size());
  ConsumerFacts& facts = consumers_[consumer];
  ++applications_;
  const uint64_t times = ++facts.applications[change];
  if (times == 1) facts.first_applied_at.emplace(change, at);
  if (times == 2 && !facts.first_repeat) {
    facts.first_repeat = fmt::format("consumer {} applied change {} (order {} v{}) twice, the second time at {:.6f}s",
                                     consumer, change, aggregate, version, at.to_seconds());
    facts.first_repeat_at = at;
  }
  auto [last, first_time] = facts.last_version.try_emplace(aggregate, version);
  if (!first_time) {
    if (version <= last->second && !facts.first_disorder) {
      facts.first_disorder = fmt::format("consumer {} applied order {} v{} at {:.6f}s after v{}", consumer, aggregate,
                                         version, at.to_seconds(), last->second);
      facts.first_disorder_at = at;
    }
    last->second = std::max(last->second, version);
  }
  if (consumer == 0 && times == 1) {
    auto it = committed_.find(change);
    if (it != committed_.end()) delivery_delays_.push_back(at - it->second.committed_at);
  }
}

CheckResult check_no_invented_events(const Ledger& ledger) {
  for (size_t c = 0; c < ledger.consumers().size(); ++c) {
    for (const auto& [change, times] : ledger.consumers()[c].applications) {
      if (!ledger.committed().contains(change)) {
        return CheckResult::safety("no_event_without_commit",
                                   fmt::format("consumer {} applied change {}, which never committed", c, change))
            .at(ledger.consumers()[c].first_applied_at.at(change))
            .on(ledger.nodes().of(c));
      }
    }
  }
  return CheckResult::ok();
}

CheckResult check_exactly_once(const Ledger& ledger) {
  for (size_t c = 0; c < ledger.consumers().size(); ++c) {
    const ConsumerFacts& facts = ledger.consumers()[c];
    if (facts.first_repeat) {
      return CheckResult::safety("effect_exactly_once", *facts.first_repeat)
          .at(facts.first_repeat_at)
          .on(ledger.nodes().of(c));
    }
  }
  return CheckResult::ok();
}

CheckResult check_per_aggregate_order(const Ledger& ledger) {
  for (size_t c = 0; c < ledger.consumers().size(); ++c) {
    const ConsumerFacts& facts = ledger.consumers()[c];
    if (facts.first_disorder) {
      return CheckResult::safety("per_aggregate_order", *facts.first_disorder)
          .at(facts.first_disorder_at)
          .on(ledger.nodes().of(c));
    }
  }
  return CheckResult::ok();
}

namespace {

// Missing applications of one kind: how many, and the first, described.
struct Missing {
  uint64_t count = 0;
  std::string first;
  size_t consumer = 0;  // the first's
  Time committed_at;    // the first's
  void add(size_t consumer_index, uint64_t change, const ChangeFacts& facts) {
    if (count++ > 0) return;
    consumer = consumer_index;
    committed_at = facts.committed_at;
    first = fmt::format("consumer {} never applied change {} (order {} v{}, committed at {:.6f}s)", consumer_index,
                        change, facts.aggregate, facts.version, facts.committed_at.to_seconds());
  }
};

}  // namespace

CheckResult check_every_commit_delivered(const Ledger& ledger, const std::set<uint64_t>& queued,
                                         const std::set<uint64_t>& published) {
  Missing lost, waiting, behind;
  for (const auto& [change, facts] : ledger.committed()) {
    for (size_t c = 0; c < ledger.consumers().size(); ++c) {
      if (ledger.consumers()[c].applications.contains(change)) continue;
      Missing& kind = published.contains(change) ? behind : queued.contains(change) ? waiting : lost;
      kind.add(c, change, facts);
    }
  }
  if (lost.count > 0) {
    return CheckResult::safety("every_commit_published",
                               fmt::format("{} applications missing of changes neither queued nor published; first: {}",
                                           lost.count, lost.first))
        // A lost event's step is its commit: from there nothing carried it.
        .at(lost.committed_at)
        .on(ledger.nodes().of(lost.consumer));
  }
  if (waiting.count > 0) {
    return CheckResult::liveness("outbox_drains",
                                 fmt::format("{} applications missing of changes still queued for the relay; first: {}",
                                             waiting.count, waiting.first))
        .at(ledger.nodes().end_at)
        .on(ledger.nodes().of(waiting.consumer));
  }
  if (behind.count > 0) {
    return CheckResult::liveness(
               "consumers_catch_up",
               fmt::format("{} applications missing of published changes; first: {}", behind.count, behind.first))
        .at(ledger.nodes().end_at)
        .on(ledger.nodes().of(behind.consumer));
  }
  return CheckResult::ok();
}

}  // namespace detsim::outbox
