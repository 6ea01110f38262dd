#include "models/cdc_fanin/schema.h"

#include "sim/api/codec.h"

namespace detsim::cdc {
namespace {

constexpr uint32_t kMaxColumns = 64;

}  // namespace

std::string ChangeEvent::encode() const {
  ByteWriter out;
  out.u8(static_cast<uint8_t>(kind));
  out.i64(source);
  out.u64(lsn);
  out.u32(part);
  out.u32(index);
  out.u32(count);
  out.i64(commit_time_ns);
  out.u32(table);
  out.i64(id);
  out.u8(static_cast<uint8_t>((erase ? 1 : 0) | (insert ? 2 : 0) | (snapshot_done ? 4 : 0)));
  out.u32(static_cast<uint32_t>(row.size()));
  for (int64_t column : row) out.i64(column);
  return out.take();
}

std::optional<ChangeEvent> ChangeEvent::decode(std::string_view bytes) {
  ByteReader in(bytes);
  ChangeEvent e;
  const uint8_t kind = in.u8();
  e.source = in.i64();
  e.lsn = in.u64();
  e.part = in.u32();
  e.index = in.u32();
  e.count = in.u32();
  e.commit_time_ns = in.i64();
  e.table = in.u32();
  e.id = in.i64();
  const uint8_t flags = in.u8();
  const uint32_t columns = in.u32();
  if (!in.ok() || kind > static_cast<uint8_t>(Kind::snapshot) || columns > kMaxColumns) return std::nullopt;
  e.kind = static_cast<Kind>(kind);
  e.erase = (flags & 1) != 0;
  e.insert = (flags & 2) != 0;
  e.snapshot_done = (flags & 4) != 0;
  for (uint32_t i = 0; i < columns; ++i) e.row.push_back(in.i64());
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return e;
}

std::string ConnectorOffsets::encode() const {
  ByteWriter out;
  out.u64(lsn);
  out.u32(snapshot_table);
  out.i64(snapshot_after);
  out.i64(snapshot_until);
  out.u8(snapshot_done ? 1 : 0);
  return out.take();
}

std::optional<ConnectorOffsets> ConnectorOffsets::decode(std::string_view bytes) {
  ByteReader in(bytes);
  ConnectorOffsets o;
  o.lsn = in.u64();
  o.snapshot_table = in.u32();
  o.snapshot_after = in.i64();
  o.snapshot_until = in.i64();
  o.snapshot_done = in.u8() != 0;
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return o;
}

}  // namespace detsim::cdc
