#include "models/edge_replication/checks.h"

#include <fmt/format.h>

namespace detsim::edge {
namespace {

std::string describe_row(const Table::Slot* slot) {
  if (!slot || !slot->live) return "absent";
  std::string columns;
  for (const Column& c : slot->row.columns)
    columns += fmt::format("{}c{}={}", columns.empty() ? "" : " ", c.id, c.value);
  return fmt::format("v{} [{}]", slot->row.version, columns);
}

// The first key after `after` whose live rows differ.
std::optional<int64_t> first_differing_key(const Table& source, const Table& edge, int64_t after) {
  auto s = source.slots().upper_bound(after);
  auto e = edge.slots().upper_bound(after);
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

std::string describe_key(const std::vector<Table>& source, const std::vector<Table>& edge, const KeyRef& key) {
  return fmt::format("table {} key {}: source {}, edge {}", key.first, key.second,
                     describe_row(source.at(key.first).find(key.second)),
                     describe_row(edge.at(key.first).find(key.second)));
}

}  // namespace

CheckResult check_no_time_travel(const std::optional<TimeTravel>& t) {
  if (!t) return CheckResult::ok();
  return CheckResult::safety("no_time_travel",
                             fmt::format("at {:.6f}s a backfilled copy of table {} key {} (v{}) overwrote the newer "
                                         "streamed v{}",
                                         t->at.to_seconds(), t->table, t->key, t->copy_version, t->streamed_version))
      .at(t->at);
}

CheckResult check_checkpoints_forward(const std::optional<CheckpointRegression>& r) {
  if (!r) return CheckResult::ok();
  return CheckResult::safety("checkpoints_forward",
                             fmt::format("at {:.6f}s the checkpoint moved back: position {} -> {}", r->at.to_seconds(),
                                         r->before.position, r->after.position))
      .at(r->at);
}

CheckResult check_chunk_applied_before_cursor(const std::optional<ChunkAhead>& a) {
  if (!a) return CheckResult::ok();
  return CheckResult::safety("chunk_applied_before_cursor",
                             fmt::format("at {:.6f}s the backfill cursor of table {} moved past its chunk while the "
                                         "chunk row of key {} was still queued for the edge",
                                         a->at.to_seconds(), a->table, a->key))
      .at(a->at);
}

CheckResult check_checkpoint_durable_on_edge(const std::optional<CheckpointAhead>& a) {
  if (!a) return CheckResult::ok();
  return CheckResult::safety("checkpoint_durable_on_edge",
                             fmt::format("at {:.6f}s a checkpoint at binlog position {} was saved, but the row at "
                                         "position {} was not durable on the edge",
                                         a->at.to_seconds(), a->position, a->missing))
      .at(a->at);
}

CheckResult check_caught_up(const std::optional<Time>& caught_up_at, Time heal_at, uint64_t rows_committed,
                            uint64_t rows_applied) {
  if (caught_up_at) return CheckResult::ok();
  return CheckResult::liveness(
      "caught_up_after_heal",
      fmt::format("faults healed at {:.3f}s but the replicator never caught up: {} of {} committed rows applied",
                  heal_at.to_seconds(), rows_applied, rows_committed));
}

std::optional<std::string> schema_difference(const std::vector<Table>& source, const std::vector<Table>& edge) {
  if (source.size() != edge.size())
    return fmt::format("{} tables at the source, {} at the edge", source.size(), edge.size());
  for (size_t t = 0; t < source.size(); ++t) {
    if (source[t].schema().columns != edge[t].schema().columns) {
      return fmt::format("table {}: schema v{} at the source, v{} at the edge", t, source[t].schema().version,
                         edge[t].schema().version);
    }
  }
  return std::nullopt;
}

KeySet differing_keys(const std::vector<Table>& source, const std::vector<Table>& edge) {
  KeySet out;
  for (size_t t = 0; t < source.size() && t < edge.size(); ++t) {
    int64_t after = -1;
    while (std::optional<int64_t> key = first_differing_key(source[t], edge[t], after)) {
      // Invariant: the scan moves forward, so it ends.
      DETSIM_ASSERT(*key > after);
      out.insert({static_cast<uint32_t>(t), *key});
      after = *key;
    }
  }
  return out;
}

std::optional<std::string> first_difference(const std::vector<Table>& source, const std::vector<Table>& edge) {
  if (std::optional<std::string> schema = schema_difference(source, edge)) return schema;
  const KeySet keys = differing_keys(source, edge);
  if (keys.empty()) return std::nullopt;
  return describe_key(source, edge, *keys.begin());
}

CheckResult check_verifier_truthful(const FinalVerification& verification, const std::vector<Table>& source,
                                    const std::vector<Table>& edge, const KeySet& diverged) {
  const std::optional<std::string> difference = first_difference(source, edge);
  if (difference && verification.match) {
    return CheckResult::safety("verifier_truthful", "the final verification reported a match, but " + *difference);
  }
  if (!difference && !verification.match) {
    return CheckResult::safety("verifier_truthful",
                               "the final verification reported a mismatch on an equal edge: " + verification.detail);
  }
  for (const KeyRef& key : diverged) {
    if (verification.keys.count(key) == 0) {
      return CheckResult::safety(
          "verifier_truthful", fmt::format("the final verification missed {} ({} keys differ, "
                                           "{} reported)",
                                           describe_key(source, edge, key), diverged.size(), verification.keys.size()));
    }
  }
  for (const KeyRef& key : verification.keys) {
    if (diverged.count(key) == 0) {
      return CheckResult::safety("verifier_truthful",
                                 fmt::format("the final verification reported table {} key {}, which is equal on "
                                             "both ends",
                                             key.first, key.second));
    }
  }
  return CheckResult::ok();
}

// The verifier first: a lie about the edge is worse than the difference it
// hides. Then every difference must be one the run injected on purpose.
CheckResult check_edge_equals_source(const std::vector<Table>* source, const std::vector<Table>* edge,
                                     const std::optional<FinalVerification>& verification, const KeySet& injected,
                                     KeyRef* differing) {
  if (!source || !edge) return CheckResult::liveness("caught_up_after_heal", "a node was down at the end of the run");
  const KeySet diverged = differing_keys(*source, *edge);
  if (verification) {
    CheckResult truthful = check_verifier_truthful(*verification, *source, *edge, diverged);
    if (truthful.verdict != Verdict::pass) return truthful;
  }
  if (std::optional<std::string> schema = schema_difference(*source, *edge)) {
    return CheckResult::safety("edge_equals_source", *schema);
  }
  for (const KeyRef& key : diverged) {
    if (injected.count(key) > 0) continue;
    if (differing != nullptr) *differing = key;
    return CheckResult::safety("edge_equals_source", describe_key(*source, *edge, key));
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
