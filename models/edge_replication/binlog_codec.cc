#include "models/edge_replication/binlog_codec.h"

namespace detsim::edge {
namespace {

// A bound for decoding: more changes than this in one group is garbage.
constexpr uint64_t kChangesMax = 1u << 24;

}  // namespace

std::string encode_group(const BinlogGroup& group) {
  ByteWriter out;
  out.u8(static_cast<uint8_t>(group.kind));
  out.u64(group.first_seq);
  out.u64(group.span);
  out.u64(group.rows);
  out.i64(group.commit_time.count_ns());
  out.u64(group.window);
  encode_ddl(out, group.ddl);
  out.u64(group.changes.size());
  for (const RowChange& change : group.changes) encode_change(out, change);
  return out.take();
}

std::optional<BinlogGroup> decode_group(std::string_view payload) {
  ByteReader in(payload);
  BinlogGroup group;
  const uint8_t kind = in.u8();
  if (kind > static_cast<uint8_t>(GroupKind::watermark)) return std::nullopt;
  group.kind = static_cast<GroupKind>(kind);
  group.first_seq = in.u64();
  group.span = in.u64();
  group.rows = in.u64();
  group.commit_time = Time::from_ns(in.i64());
  group.window = in.u64();
  if (!decode_ddl(in, &group.ddl)) return std::nullopt;
  const uint64_t changes = in.u64();
  if (!in.ok() || changes > kChangesMax) return std::nullopt;
  group.changes.resize(changes);
  for (RowChange& change : group.changes) {
    if (!decode_change(in, &change)) return std::nullopt;
  }
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return group;
}

}  // namespace detsim::edge
