#include "models/edge_replication/messages.h"

#include "sim/api/basics.h"

namespace detsim::edge {

// Identity, not content: a group is immutable and its position names it.
uint64_t BinlogEvent::digest() const {
  uint64_t state = group->first_seq * 0x9e3779b97f4a7c15ULL ^ (group->span << 8) ^ static_cast<uint64_t>(group->kind);
  return splitmix64(state);
}

std::string describe_binlog_event(const BinlogEvent& event) {
  const BinlogGroup& g = *event.group;
  switch (g.kind) {
    case GroupKind::rows:
      return fmt::format("Binlog rows seq=[{}, {}) at {:.6f}", g.first_seq, g.end_seq(), g.commit_time.to_seconds());
    case GroupKind::ddl:
      return fmt::format("Binlog ddl seq={} t{} {} c{}", g.first_seq, g.ddl.table, g.ddl.add ? "add" : "drop",
                         g.ddl.column);
    case GroupKind::watermark: return fmt::format("Binlog watermark seq={} window={}", g.first_seq, g.window);
  }
  return "Binlog ?";
}

size_t keyed_rows_bytes(const KeyedRows& rows, int64_t row_bytes) {
  return rows.size() * static_cast<size_t>(row_bytes);
}

}  // namespace detsim::edge
