// The row store's two small files besides the WAL.
//
// The checkpoint: every table, the next xid and the LSN it covers, written
// to a temporary file, fsynced, and renamed over the old one (rename is
// durable at once on this disk), so a crash leaves the old checkpoint or
// the new one, never a mix. Recovery replays the WAL after its LSN.
//
// The slot file: two halves written in turn, each a checksummed image of
// every slot with a sequence number, as the ABD example's register does.
// A torn write spoils only the half being written, and overwriting a half
// never grows the file, so a consumer can confirm (and free WAL) on a
// disk that is full. Postgres keeps a slot's state in a fixed-size file
// for the same reason.
#include <algorithm>

#include "models/parts/row_store.h"
#include "models/parts/wal.h"
#include "sim/api/codec.h"

namespace detsim::parts {
namespace {

constexpr uint64_t kCheckpointSalt = 0x434b'5054'524f'5753ULL;  // "CKPTROWS"
constexpr uint64_t kSlotSalt = 0x534c'4f54'524f'5753ULL;        // "SLOTROWS"
constexpr uint64_t kFrameBytes = 16;                            // u64 checksum, u64 length
constexpr uint64_t kMinSlotHalf = 512;

std::string checkpoint_path(const std::string& dir) { return dir + "/checkpoint"; }
std::string slots_path(const std::string& dir) { return dir + "/slots"; }
std::string temp_path(const std::string& path) { return path + ".tmp"; }

std::string framed(uint64_t salt, std::string_view payload) {
  ByteWriter w;
  w.u64(salted_checksum(salt ^ payload.size(), payload));
  w.u64(payload.size());
  w.raw(payload);
  return w.take();
}

// The payload of a frame at the start of bytes, or nullopt if it is torn
// or not one.
std::optional<std::string_view> unframe(uint64_t salt, std::string_view bytes) {
  ByteReader header(bytes.substr(0, std::min<size_t>(bytes.size(), kFrameBytes)));
  const uint64_t checksum = header.u64();
  const uint64_t length = header.u64();
  if (!header.ok() || length > bytes.size() - kFrameBytes) return std::nullopt;
  std::string_view payload = bytes.substr(kFrameBytes, length);
  if (salted_checksum(salt ^ length, payload) != checksum) return std::nullopt;
  return payload;
}

std::string read_whole(Disk& disk, const std::string& path) {
  std::string bytes;
  const uint64_t size = disk.size(path).value_or(0);
  if (size > 0) disk.read(path, 0, size, &bytes);
  return bytes;
}

}  // namespace

// -------------------------------------------------------------- checkpoint

std::string RowStore::encode_tables() const {
  ByteWriter w;
  w.u64(flushed_lsn_);
  w.u64(next_xid_);
  w.u32(static_cast<uint32_t>(tables_.size()));
  for (const auto& [id, table] : tables_) {
    w.u32(id);
    w.u64(table.size());
    for (const auto& [key, row] : table) {
      w.i64(key);
      w.u32(static_cast<uint32_t>(row.size()));
      for (int64_t column : row) w.i64(column);
    }
  }
  return w.take();
}

bool RowStore::decode_tables(std::string_view bytes) {
  ByteReader in(bytes);
  const Lsn lsn = in.u64();
  const uint64_t next_xid = in.u64();
  const uint32_t table_count = in.u32();
  std::map<TableId, Table> tables;
  for (uint32_t t = 0; t < table_count && in.ok(); ++t) {
    Table& table = tables[in.u32()];
    const uint64_t rows = in.u64();
    for (uint64_t r = 0; r < rows && in.ok(); ++r) {
      const Key key = in.i64();
      const uint32_t columns = in.u32();
      if (columns > bytes.size() / 8) return false;
      Row row(columns);
      for (int64_t& column : row) column = in.i64();
      table.emplace(key, std::move(row));
    }
  }
  if (!in.ok() || !in.at_end()) return false;
  tables_ = std::move(tables);
  checkpoint_lsn_ = lsn;
  next_xid_ = next_xid;
  return true;
}

void RowStore::load_checkpoint() {
  Disk& disk = ctx_.disk();
  const std::string path = checkpoint_path(options_.dir);
  disk.remove(temp_path(path));  // a checkpoint a crash interrupted
  const std::string bytes = read_whole(disk, path);
  if (bytes.empty()) return;
  std::optional<std::string_view> payload = unframe(kCheckpointSalt, bytes);
  // The file is fsynced before it is renamed into place, so only disk
  // corruption could spoil it, and the WAL before it may be recycled:
  // corruption of durable bytes is out of this component's scope.
  DETSIM_ASSERT(payload && decode_tables(*payload));
}

// Called with the mutex held, after a commit: the tables are exactly the
// WAL up to flushed_lsn_.
void RowStore::maybe_checkpoint() {
  if (flushed_lsn_ - checkpoint_lsn_ < options_.checkpoint_bytes) return;
  if (write_checkpoint()) recycle();
}

bool RowStore::write_checkpoint() {
  Disk& disk = ctx_.disk();
  const std::string path = checkpoint_path(options_.dir);
  const std::string temp = temp_path(path);
  const std::string bytes = framed(kCheckpointSalt, encode_tables());
  const bool written = disk.open(temp, /*create=*/true) == IoStatus::ok && disk.write(temp, 0, bytes) == IoStatus::ok &&
                       disk.fsync(temp) == IoStatus::ok && disk.rename(temp, path) == IoStatus::ok;
  if (!written) {
    disk.remove(temp);  // a full disk: try again after a later commit
    return false;
  }
  checkpoint_lsn_ = flushed_lsn_;
  return true;
}

// ------------------------------------------------------------------- slots

std::optional<std::map<std::string, Lsn>> RowStore::read_slot_half(uint64_t half) {
  std::string bytes;
  ctx_.disk().read(slots_path(options_.dir), half * slot_half_bytes_, slot_half_bytes_, &bytes);
  std::optional<std::string_view> payload = unframe(kSlotSalt, bytes);
  if (!payload) return std::nullopt;
  ByteReader in(*payload);
  const uint64_t sequence = in.u64();
  const uint32_t count = in.u32();
  std::map<std::string, Lsn> slots;
  for (uint32_t i = 0; i < count && in.ok(); ++i) {
    const uint32_t length = in.u32();
    if (length > payload->size()) return std::nullopt;
    std::string name;
    for (uint32_t c = 0; c < length; ++c) name.push_back(static_cast<char>(in.u8()));
    slots[name] = in.u64();
  }
  if (!in.ok() || !in.at_end()) return std::nullopt;
  if (sequence < slot_sequence_) return std::nullopt;
  slot_sequence_ = sequence;
  return slots;
}

void RowStore::load_slots() {
  Disk& disk = ctx_.disk();
  const std::string path = slots_path(options_.dir);
  disk.remove(temp_path(path));
  slot_half_bytes_ = disk.size(path).value_or(0) / 2;
  slots_.clear();
  slot_sequence_ = 0;
  if (slot_half_bytes_ == 0) return;
  // The valid half with the higher sequence wins (read_slot_half rejects
  // a half older than one already read).
  for (uint64_t half = 0; half < 2; ++half) {
    std::optional<std::map<std::string, Lsn>> slots = read_slot_half(half);
    if (slots) slots_ = std::move(*slots);
  }
}

IoStatus RowStore::persist_slots() {
  Disk& disk = ctx_.disk();
  const std::string path = slots_path(options_.dir);
  ByteWriter w;
  w.u64(slot_sequence_ + 1);
  w.u32(static_cast<uint32_t>(slots_.size()));
  for (const auto& [name, confirmed] : slots_) {
    w.u32(static_cast<uint32_t>(name.size()));
    w.raw(name);
    w.u64(confirmed);
  }
  const std::string bytes = framed(kSlotSalt, w.bytes());
  if (bytes.size() <= slot_half_bytes_) {
    // In place, into the half not holding the latest image.
    const uint64_t half = (slot_sequence_ + 1) % 2;
    IoStatus status = disk.write(path, half * slot_half_bytes_, bytes);
    if (status == IoStatus::ok) status = disk.fsync(path);
    if (status == IoStatus::ok) ++slot_sequence_;
    return status;
  }
  // Too big for a half: a new, larger file, swapped in whole.
  uint64_t half_bytes = kMinSlotHalf;
  while (half_bytes < 2 * bytes.size()) half_bytes *= 2;
  const std::string temp = temp_path(path);
  IoStatus status = disk.open(temp, /*create=*/true);
  if (status == IoStatus::ok) status = disk.truncate(temp, 2 * half_bytes);
  const uint64_t half = (slot_sequence_ + 1) % 2;
  if (status == IoStatus::ok) status = disk.write(temp, half * half_bytes, bytes);
  if (status == IoStatus::ok) status = disk.fsync(temp);
  if (status == IoStatus::ok) status = disk.rename(temp, path);
  if (status != IoStatus::ok) {
    disk.remove(temp);
    return status;
  }
  slot_half_bytes_ = half_bytes;
  ++slot_sequence_;
  return IoStatus::ok;
}

}  // namespace detsim::parts
