#include "models/primary_replica/checks.h"

#include <fmt/format.h>

namespace detsim::primary_replica {
namespace {

std::string text(const Gtid& g) { return fmt::format("{}:{}", g.origin, g.seq); }

// Transactions of `set` whose origin's sequence continues past a missing
// one: auto-positioning asks for what follows the highest, so it never
// fetches the hole.
std::optional<Gtid> first_gap(const GtidList& set, const GtidList& reference) {
  for (const Gtid& g : reference) {
    if (set.contains(g)) continue;
    auto later = set.lower_bound(Gtid{g.origin, g.seq + 1});
    if (later != set.end() && later->origin == g.origin) return g;
  }
  return std::nullopt;
}

}  // namespace

CheckResult check_no_acked_write_lost(const std::map<Gtid, Time>& acked, const GtidList& final_primary,
                                      int64_t final_primary_node) {
  for (const auto& [gtid, at] : acked) {
    if (!final_primary.contains(gtid)) {
      std::vector<NodeId> nodes{server_node(gtid.origin)};
      if (final_primary_node >= 0 && final_primary_node != gtid.origin)
        nodes.push_back(server_node(final_primary_node));
      return CheckResult::safety("no_acked_write_lost",
                                 fmt::format("write {} acknowledged at {:.3f}s is not on the final primary", text(gtid),
                                             at.to_seconds()))
          .at(at)
          .on(std::move(nodes));
    }
  }
  return CheckResult::ok();
}

CheckResult check_single_writable_primary(const std::vector<Promotion>& promotions,
                                          const std::vector<Accepted>& accepted) {
  for (const Accepted& write : accepted) {
    for (const Promotion& promotion : promotions) {
      if (promotion.node != write.node && promotion.epoch > write.epoch && promotion.at <= write.at) {
        return CheckResult::safety(
                   "single_writable_primary",
                   fmt::format(
                       "db{} accepted a write at epoch {} at {:.3f}s after db{} was promoted at epoch {} at {:.3f}s",
                       write.node, write.epoch, write.at.to_seconds(), promotion.node, promotion.epoch,
                       promotion.at.to_seconds()))
            .at(write.at)
            .on({server_node(write.node), server_node(promotion.node)});
      }
    }
  }
  return CheckResult::ok();
}

CheckResult check_replicas_converge(const GtidList& primary, const std::map<int64_t, GtidList>& replicas,
                                    const std::set<int64_t>& reported_errant, const WrittenAt* written_at, Time end) {
  const auto written = [&](int64_t node, const Gtid& g) {
    if (written_at == nullptr) return end;
    auto it = written_at->find({node, g});
    return it == written_at->end() ? end : it->second;
  };
  for (const auto& [node, gtids] : replicas) {
    if (std::optional<Gtid> hole = first_gap(gtids, primary)) {
      // The step: the replica wrote the transaction after the hole.
      const Gtid after = *gtids.lower_bound(Gtid{hole->origin, hole->seq + 1});
      return CheckResult::safety(
                 "replicas_converge",
                 fmt::format("replica {} lacks {} but has later transactions of that origin", node, text(*hole)))
          .at(written(node, after))
          .on({server_node(node)});
    }
  }
  for (const auto& [node, gtids] : replicas) {
    for (const Gtid& g : gtids) {
      if (primary.contains(g)) continue;
      if (!reported_errant.contains(node)) {
        return CheckResult::safety("errant_transactions_reported",
                                   fmt::format("replica {} holds errant {} that nobody reported", node, text(g)))
            .at(written(node, g))
            .on({server_node(node)});
      }
      return CheckResult::liveness("replicas_converge",
                                   fmt::format("replica {} still holds reported errant {}", node, text(g)))
          .at(end)
          .on({server_node(node)});
    }
  }
  for (const auto& [node, gtids] : replicas) {
    for (const Gtid& g : primary) {
      if (!gtids.contains(g)) {
        return CheckResult::liveness("replicas_catch_up",
                                     fmt::format("replica {} is still missing {} after the heal", node, text(g)))
            .at(end)
            .on({server_node(node)});
      }
    }
  }
  return CheckResult::ok();
}

CheckResult check_no_phantom_read(const std::vector<ReadOf>& reads, const GtidList& final_primary) {
  for (const ReadOf& read : reads) {
    if (!final_primary.contains(read.gtid)) {
      return CheckResult::safety("no_phantom_read",
                                 fmt::format("a read at {:.3f}s returned write {}, which the final primary lacks",
                                             read.at.to_seconds(), text(read.gtid)))
          .at(read.at)
          .on(read.client ? std::vector<NodeId>{*read.client} : std::vector<NodeId>{});
    }
  }
  return CheckResult::ok();
}

}  // namespace detsim::primary_replica
