// What the model's topics carry: source records (region, partition,
// sequence, produce time, payload), MM2's offset-syncs (source offset ->
// target offset of one record) and checkpoints (a group's committed source
// offset and its translation). Encoded with sim/api/codec.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "models/parts/plog/messages.h"
#include "sim/api/codec.h"

namespace detsim::mirror {

// A source record's key is its sequence number: unique per source partition,
// increasing in production order.
struct OrderRecord {
  uint32_t region = 0;
  uint32_t partition = 0;
  uint64_t seq = 0;
  int64_t produced_ns = 0;

  parts::plog::Record encode(size_t payload_bytes) const {
    ByteWriter out;
    out.u32(region);
    out.u32(partition);
    out.u64(seq);
    out.i64(produced_ns);
    out.raw(std::string(payload_bytes, 'x'));
    return parts::plog::Record{seq, out.take(), produced_ns};
  }
  static std::optional<OrderRecord> decode(const parts::plog::Record& record) {
    ByteReader in(record.value);
    OrderRecord r;
    r.region = in.u32();
    r.partition = in.u32();
    r.seq = in.u64();
    r.produced_ns = in.i64();
    if (!in.ok()) return std::nullopt;
    return r;
  }
};

// MM2's offset-sync and checkpoint records share one layout: for a source
// partition, a source offset and the target offset it maps to.
struct OffsetPair {
  uint32_t region = 0;
  uint32_t partition = 0;
  int64_t upstream = 0;
  int64_t downstream = 0;

  parts::plog::Record encode() const {
    ByteWriter out;
    out.u32(region);
    out.u32(partition);
    out.i64(upstream);
    out.i64(downstream);
    return parts::plog::Record{(uint64_t{region} << 32) | partition, out.take(), 0};
  }
  static std::optional<OffsetPair> decode(const parts::plog::Record& record) {
    ByteReader in(record.value);
    OffsetPair p;
    p.region = in.u32();
    p.partition = in.u32();
    p.upstream = in.i64();
    p.downstream = in.i64();
    if (!in.ok()) return std::nullopt;
    return p;
  }
};

}  // namespace detsim::mirror
