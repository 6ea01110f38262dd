#include "models/parts/wal.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "sim/api/codec.h"

namespace detsim::parts {
namespace {

constexpr uint64_t kWalSalt = 0x5741'4c52'4f57'5354ULL;  // "WALROWST"
constexpr size_t kHeaderBytes = 12;
constexpr uint32_t kRecordMax = 1u << 30;
constexpr uint8_t kChangeRecord = 1;
constexpr uint8_t kCommitRecord = 2;

uint64_t record_checksum(Lsn lsn, std::string_view payload) {
  return salted_checksum(kWalSalt ^ lsn ^ (uint64_t{static_cast<uint32_t>(payload.size())} << 32), payload);
}

void frame(ByteWriter* out, Lsn lsn, std::string_view payload) {
  out->u32(static_cast<uint32_t>(payload.size()));
  out->u64(record_checksum(lsn, payload));
  out->raw(payload);
}

std::string change_payload(const Change& change) {
  ByteWriter w;
  w.u8(kChangeRecord);
  w.u8(static_cast<uint8_t>(change.op));
  w.u32(change.table);
  w.i64(change.key);
  w.u32(static_cast<uint32_t>(change.row.size()));
  for (int64_t column : change.row) w.i64(column);
  return w.take();
}

std::string commit_payload(const DecodedTxn& txn) {
  ByteWriter w;
  w.u8(kCommitRecord);
  w.u64(txn.xid);
  w.i64(txn.commit_time.count_ns());
  w.u32(static_cast<uint32_t>(txn.changes.size()));
  return w.take();
}

// One record's payload into *pending (a change) or *commit (the commit
// record); false if it is neither, or malformed.
bool decode_payload(std::string_view payload, std::vector<Change>* pending, DecodedTxn* commit, bool* committed) {
  ByteReader in(payload);
  const uint8_t kind = in.u8();
  if (kind == kChangeRecord) {
    Change change;
    const uint8_t op = in.u8();
    change.table = in.u32();
    change.key = in.i64();
    const uint32_t columns = in.u32();
    if (!in.ok() || op > static_cast<uint8_t>(Change::Op::erase) || columns > payload.size() / 8) return false;
    change.op = static_cast<Change::Op>(op);
    change.row.reserve(columns);
    for (uint32_t i = 0; i < columns; ++i) change.row.push_back(in.i64());
    if (!in.ok() || !in.at_end()) return false;
    pending->push_back(std::move(change));
    return true;
  }
  if (kind != kCommitRecord) return false;
  commit->xid = in.u64();
  commit->commit_time = Time::from_ns(in.i64());
  const uint32_t changes = in.u32();
  // A batch is written whole: a commit record that does not close exactly
  // the changes before it is not ours.
  if (!in.ok() || !in.at_end() || changes != pending->size()) return false;
  *committed = true;
  return true;
}

}  // namespace

Wal::Wal(Disk& disk, std::string dir, uint64_t segment_bytes)
    : disk_(disk), prefix_(std::move(dir) + "/wal."), segment_bytes_(segment_bytes) {}

std::string Wal::path_of(Lsn start) const { return fmt::format("{}{:016x}", prefix_, start); }

// Fixed-width hex names list in LSN order.
std::vector<Wal::Segment> Wal::list_segments() {
  std::vector<Segment> found;
  for (const std::string& path : disk_.list(prefix_)) {
    std::string_view hex = std::string_view(path).substr(prefix_.size());
    Lsn start = 0;
    const auto [end, error] = std::from_chars(hex.data(), hex.data() + hex.size(), start, 16);
    if (error != std::errc() || end != hex.data() + hex.size() || hex.size() != 16) continue;
    found.push_back({start, disk_.size(path).value_or(0)});
  }
  return found;
}

std::string Wal::read_segment(const Segment& segment, uint64_t length) {
  std::string bytes;
  if (length > 0) disk_.read(path_of(segment.start), 0, length, &bytes);
  return bytes;
}

Lsn Wal::parse(std::string_view bytes, Lsn start, const std::function<bool(DecodedTxn)>& on_txn) {
  size_t at = 0;
  size_t committed_end = 0;
  std::vector<Change> pending;
  while (bytes.size() - at >= kHeaderBytes) {
    ByteReader header(bytes.substr(at, kHeaderBytes));
    const uint32_t length = header.u32();
    const uint64_t checksum = header.u64();
    if (length > kRecordMax || bytes.size() - at - kHeaderBytes < length) break;
    std::string_view payload = bytes.substr(at + kHeaderBytes, length);
    if (record_checksum(start + at, payload) != checksum) break;
    DecodedTxn txn;
    bool committed = false;
    if (!decode_payload(payload, &pending, &txn, &committed)) break;
    at += kHeaderBytes + length;
    if (!committed) continue;
    committed_end = at;
    txn.commit_lsn = start + at;
    txn.changes = std::move(pending);
    pending.clear();
    if (!on_txn(std::move(txn))) break;
  }
  return start + committed_end;
}

std::string Wal::encode(const DecodedTxn& txn, Lsn start) {
  ByteWriter batch;
  for (const Change& change : txn.changes) frame(&batch, start + batch.size(), change_payload(change));
  frame(&batch, start + batch.size(), commit_payload(txn));
  return batch.take();
}

void Wal::drop_segments_after(size_t keep) {
  while (segments_.size() > keep) {
    disk_.remove(path_of(segments_.back().start));
    segments_.pop_back();
  }
}

uint64_t Wal::recover(Lsn after, const std::function<void(DecodedTxn)>& on_txn) {
  segments_ = list_segments();
  uint64_t cut = 0;
  // Segments are contiguous; a gap (which a correct run never leaves)
  // ends the log.
  for (size_t i = 1; i < segments_.size(); ++i) {
    if (segments_[i].start != segments_[i - 1].start + segments_[i - 1].bytes) {
      for (size_t j = i; j < segments_.size(); ++j) cut += segments_[j].bytes;
      drop_segments_after(i);
      break;
    }
  }
  if (segments_.empty()) {
    disk_.open(path_of(after), /*create=*/true);
    segments_.push_back({after, 0});
    return cut;
  }
  // Invariant: recycling keeps every segment from the checkpoint's on.
  DETSIM_ASSERT(segments_.front().start <= after);
  for (size_t i = 0; i < segments_.size(); ++i) {
    Segment& segment = segments_[i];
    const bool needed = i + 1 == segments_.size() || segments_[i + 1].start > after;
    if (!needed) continue;
    const std::string bytes = read_segment(segment, segment.bytes);
    const Lsn good_end = parse(bytes, segment.start, [&](DecodedTxn txn) {
      if (txn.commit_lsn > after) on_txn(std::move(txn));
      return true;
    });
    if (good_end == segment.start + segment.bytes) continue;
    // The torn or uncommitted tail of the last batch: cut it, and any
    // segment after it.
    for (size_t j = i + 1; j < segments_.size(); ++j) cut += segments_[j].bytes;
    drop_segments_after(i + 1);
    cut += segment.start + segment.bytes - good_end;
    segment.bytes = good_end - segment.start;
    disk_.truncate(path_of(segment.start), segment.bytes);
    disk_.fsync(path_of(segment.start));
    break;
  }
  return cut;
}

IoStatus Wal::append(DecodedTxn* txn) {
  DETSIM_ASSERT(!segments_.empty());  // RowStore::open() comes first
  const Lsn start = end();
  const std::string batch = encode(*txn, start);
  const bool roll = segments_.back().bytes > 0 && segments_.back().bytes + batch.size() > segment_bytes_;
  if (roll) {
    const IoStatus opened = disk_.open(path_of(start), /*create=*/true);
    if (opened != IoStatus::ok) return opened;
    segments_.push_back({start, 0});
  }
  Segment& active = segments_.back();
  const std::string path = path_of(active.start);
  IoStatus status = disk_.write(path, active.bytes, batch);
  if (status == IoStatus::ok) status = disk_.fsync(path);
  if (status != IoStatus::ok) {
    // Nothing of a failed batch may stay where the next one would follow it.
    if (roll) {
      drop_segments_after(segments_.size() - 1);
    } else {
      disk_.truncate(path, active.bytes);
    }
    return status;
  }
  active.bytes += batch.size();
  txn->commit_lsn = end();
  return IoStatus::ok;
}

void Wal::read(Lsn after, Lsn limit, size_t max, std::vector<DecodedTxn>* out) {
  // The segment that holds `after`: batches never straddle segments, so
  // every transaction committed after it starts in it or a later one.
  size_t first = 0;
  while (first + 1 < segments_.size() && segments_[first + 1].start <= after) ++first;
  for (size_t i = first; i < segments_.size() && out->size() < max; ++i) {
    const Segment segment = segments_[i];
    if (segment.start >= limit) break;
    const std::string bytes = read_segment(segment, std::min(segment.bytes, limit - segment.start));
    parse(bytes, segment.start, [&](DecodedTxn txn) {
      if (txn.commit_lsn > after) out->push_back(std::move(txn));
      return out->size() < max;
    });
  }
}

void Wal::recycle_below(Lsn horizon) {
  size_t removable = 0;
  while (removable + 1 < segments_.size() && segments_[removable + 1].start <= horizon) ++removable;
  for (size_t i = 0; i < removable; ++i) disk_.remove(path_of(segments_[i].start));
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(removable));
}

Lsn Wal::end() const { return segments_.back().start + segments_.back().bytes; }

Lsn Wal::oldest() const { return segments_.front().start; }

uint64_t Wal::retained_bytes() const {
  uint64_t total = 0;
  for (const Segment& segment : segments_) total += segment.bytes;
  return total;
}

}  // namespace detsim::parts
