// The replicator's checkpoint: its binlog position and backfill cursors,
// written to a temporary file, fsynced, and renamed over the old one
// (rename is atomic and durable on this disk model), so a crash leaves
// either the old checkpoint or the new one.
#include "models/edge_replication/replicator.h"
#include "sim/api/codec.h"

namespace detsim::edge {
namespace {

constexpr uint64_t kCheckpointSalt = 0xc4ec'0000'0000'0003ULL;
constexpr const char* kCheckpointPath = "checkpoint";
constexpr const char* kTemporaryPath = "checkpoint.tmp";

std::string encode_checkpoint(const Checkpoint& checkpoint) {
  ByteWriter body;
  body.u64(checkpoint.position);
  body.u32(static_cast<uint32_t>(checkpoint.cursors.size()));
  for (size_t t = 0; t < checkpoint.cursors.size(); ++t) {
    body.i64(checkpoint.cursors[t]);
    body.u8(checkpoint.backfilled[t] ? 1 : 0);
  }
  ByteWriter out;
  out.u64(salted_checksum(kCheckpointSalt, body.bytes()));
  out.raw(body.bytes());
  return out.take();
}

std::optional<Checkpoint> decode_checkpoint(std::string_view bytes, size_t tables) {
  ByteReader in(bytes);
  const uint64_t sum = in.u64();
  if (!in.ok() || salted_checksum(kCheckpointSalt, bytes.substr(8)) != sum) return std::nullopt;
  Checkpoint checkpoint;
  checkpoint.position = in.u64();
  if (in.u32() != tables) return std::nullopt;
  for (size_t t = 0; t < tables; ++t) {
    checkpoint.cursors.push_back(in.i64());
    checkpoint.backfilled.push_back(in.u8() != 0);
  }
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return checkpoint;
}

}  // namespace

void Replicator::load_checkpoint() {
  const size_t tables = params_.explicit_rows() ? static_cast<size_t>(params_.tables) : 0;
  saved_ = Checkpoint{0, std::vector<int64_t>(tables, -1), std::vector<bool>(tables, false)};
  Disk& disk = ctx_.disk();
  if (std::optional<uint64_t> size = disk.size(kCheckpointPath)) {
    std::string bytes;
    disk.read(kCheckpointPath, 0, *size, &bytes);
    std::optional<Checkpoint> loaded = decode_checkpoint(bytes, tables);
    // Invariant: this disk model never corrupts a renamed, fsynced file.
    DETSIM_ASSERT(loaded.has_value());
    saved_ = std::move(*loaded);
  }
  cursors_ = saved_.cursors;
  backfilled_ = saved_.backfilled;
  for (size_t t = 0; t < cursors_.size(); ++t) ctx_.sometimes("backfill_resumed", cursors_[t] >= 0 && !backfilled_[t]);
  processed_end_ = saved_.position;
}

bool Replicator::save_checkpoint(const Checkpoint& checkpoint) {
  Disk& disk = ctx_.disk();
  const std::string bytes = encode_checkpoint(checkpoint);
  if (disk.open(kTemporaryPath, true) != IoStatus::ok || disk.truncate(kTemporaryPath, 0) != IoStatus::ok ||
      disk.write(kTemporaryPath, 0, bytes) != IoStatus::ok || disk.fsync(kTemporaryPath) != IoStatus::ok ||
      disk.rename(kTemporaryPath, kCheckpointPath) != IoStatus::ok) {
    return false;
  }
  saved_ = checkpoint;
  observer_.on_checkpoint(checkpoint, ctx_.now());
  return true;
}

void Replicator::run_checkpointer() {
  while (true) {
    ctx_.sleep_for(params_.checkpoint_interval);
    const Checkpoint next{checkpoint_position(), cursors_, backfilled_};
    if (next.position == saved_.position && next.cursors == saved_.cursors && next.backfilled == saved_.backfilled) {
      continue;
    }
    save_checkpoint(next);
  }
}

}  // namespace detsim::edge
