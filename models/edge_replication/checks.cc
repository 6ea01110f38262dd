#include "models/edge_replication/checks.h"

#include <fmt/format.h>

namespace detsim::edge {
namespace {

std::string describe_row(const Table::Slot* slot) {
  if (!slot || !slot->live) return "absent";
  std::string columns;
  for (const Column& c : slot->row.columns) columns += fmt::format("{}c{}={}", columns.empty() ? "" : " ", c.id, c.value);
  return fmt::format("v{} [{}]", slot->row.version, columns);
}

std::optional<int64_t> first_differing_key(const Table& source, const Table& edge) {
  auto s = source.slots().begin();
  auto e = edge.slots().begin();
  const auto skip_dead = [](auto& it, const Table& table) {
    while (it != table.slots().end() && !it->second.live) ++it;
  };
  while (true) {
    skip_dead(s, source);
    skip_dead(e, edge);
    const bool s_end = s == source.slots().end();
    const bool e_end = e == edge.slots().end();
    if (s_end && e_end) return std::nullopt;
    if (s_end) return e->first;
    if (e_end) return s->first;
    if (s->first != e->first) return std::min(s->first, e->first);
    if (!(s->second.row == e->second.row)) return s->first;
    ++s;
    ++e;
  }
}

}  // namespace

CheckResult check_no_time_travel(const std::optional<TimeTravel>& t) {
  if (!t) return CheckResult::ok();
  return CheckResult::safety("no_time_travel",
                             fmt::format("at {:.6f}s a backfilled copy of table {} key {} (v{}) overwrote the newer "
                                         "streamed v{}",
                                         t->at.to_seconds(), t->table, t->key, t->copy_version, t->streamed_version));
}

CheckResult check_checkpoints_forward(const std::optional<CheckpointRegression>& r) {
  if (!r) return CheckResult::ok();
  return CheckResult::safety("checkpoints_forward",
                             fmt::format("at {:.6f}s the checkpoint moved back: position {} -> {}", r->at.to_seconds(),
                                         r->before.position, r->after.position));
}

CheckResult check_caught_up(const std::optional<Time>& caught_up_at, Time heal_at, uint64_t rows_committed,
                            uint64_t rows_applied) {
  if (caught_up_at) return CheckResult::ok();
  return CheckResult::liveness(
      "caught_up_after_heal",
      fmt::format("faults healed at {:.3f}s but the replicator never caught up: {} of {} committed rows applied",
                  heal_at.to_seconds(), rows_applied, rows_committed));
}

std::optional<std::string> first_difference(const std::vector<Table>& source, const std::vector<Table>& edge) {
  if (source.size() != edge.size()) return fmt::format("{} tables at the source, {} at the edge", source.size(), edge.size());
  for (size_t t = 0; t < source.size(); ++t) {
    if (source[t].schema().columns != edge[t].schema().columns) {
      return fmt::format("table {}: schema v{} at the source, v{} at the edge", t, source[t].schema().version,
                         edge[t].schema().version);
    }
    if (std::optional<int64_t> key = first_differing_key(source[t], edge[t])) {
      return fmt::format("table {} key {}: source {}, edge {}", t, *key, describe_row(source[t].find(*key)),
                         describe_row(edge[t].find(*key)));
    }
  }
  return std::nullopt;
}

CheckResult check_edge_equals_source(const std::vector<Table>* source, const std::vector<Table>* edge,
                                     const std::optional<FinalVerification>& verification) {
  if (!source || !edge) return CheckResult::liveness("caught_up_after_heal", "a node was down at the end of the run");
  const std::optional<std::string> difference = first_difference(*source, *edge);
  const bool said_match = verification && verification->match;
  if (difference && said_match) {
    return CheckResult::safety("verifier_truthful", "the final verification reported a match, but " + *difference);
  }
  if (difference) return CheckResult::safety("edge_equals_source", *difference);
  if (verification && !verification->match) {
    return CheckResult::safety("verifier_truthful", "the final verification reported a mismatch on an equal edge: " +
                                                        verification->detail);
  }
  return CheckResult::ok();
}

CheckResult check_exactly_once(const IntervalSet& committed, const IntervalSet* applied) {
  if (!applied) return CheckResult::liveness("caught_up_after_heal", "the edge was down at the end of the run");
  const std::optional<uint64_t> at = IntervalSet::first_difference(committed, *applied);
  if (!at) return CheckResult::ok();
  return CheckResult::safety("edge_equals_source",
                             fmt::format("{} rows committed, {} applied; first difference at binlog position {}",
                                         committed.total(), applied->total(), *at));
}

}  // namespace detsim::edge
