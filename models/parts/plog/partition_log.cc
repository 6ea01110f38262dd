#include "models/parts/plog/partition_log.h"

#include <algorithm>

#include "sim/api/codec.h"

namespace detsim::parts::plog {

namespace {
constexpr uint64_t kSalt = 0x706c6f67'62617463;  // "plogbatc"
constexpr uint32_t kMagic = 0x504c4f47;
// Bounds a length field read from a damaged file.
constexpr uint32_t kMaxBatchBytes = 64u << 20;
// A frame: magic, body length, body, checksum of the body.
constexpr size_t kFrameHeaderBytes = 8;
constexpr size_t kFrameTrailerBytes = 8;

// ByteReader over a moving window, with the variable-length reads a batch
// needs (ByteReader itself reads fixed widths only).
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}
  uint32_t u32() { return static_cast<uint32_t>(fixed(4)); }
  uint64_t u64() { return fixed(8); }
  int64_t i64() { return static_cast<int64_t>(fixed(8)); }
  std::string text(size_t length) {
    if (!ok_ || bytes_.size() - at_ < length) {
      ok_ = false;
      return {};
    }
    std::string out(bytes_.substr(at_, length));
    at_ += length;
    return out;
  }
  bool ok() const { return ok_; }

 private:
  uint64_t fixed(int width) {
    ByteReader in(bytes_.substr(std::min(at_, bytes_.size())));
    const uint64_t v = width == 4 ? in.u32() : in.u64();
    ok_ = ok_ && in.ok();
    at_ += static_cast<size_t>(width);
    return ok_ ? v : 0;
  }
  std::string_view bytes_;
  size_t at_ = 0;
  bool ok_ = true;
};

std::string encode_body(const Batch& batch) {
  ByteWriter out;
  out.i64(batch.base_offset);
  out.u32(static_cast<uint32_t>(batch.leader_epoch));
  out.i64(batch.producer_id);
  out.u32(static_cast<uint32_t>(batch.base_sequence));
  out.u32(static_cast<uint32_t>(batch.records.size()));
  for (const Record& record : batch.records) {
    out.u64(record.key);
    out.i64(record.timestamp_ns);
    out.u32(static_cast<uint32_t>(record.value.size()));
    out.raw(record.value);
  }
  return out.take();
}

std::optional<Batch> decode_body(std::string_view body) {
  Cursor in(body);
  Batch batch;
  batch.base_offset = in.i64();
  batch.leader_epoch = static_cast<int32_t>(in.u32());
  batch.producer_id = in.i64();
  batch.base_sequence = static_cast<int32_t>(in.u32());
  const uint32_t count = in.u32();
  for (uint32_t i = 0; i < count && in.ok(); ++i) {
    Record record;
    record.key = in.u64();
    record.timestamp_ns = in.i64();
    record.value = in.text(in.u32());
    batch.records.push_back(std::move(record));
  }
  if (!in.ok() || batch.records.empty()) return std::nullopt;
  return batch;
}

// The frame at `at` and its length, or nullopt if it is torn or damaged.
std::optional<std::pair<Batch, size_t>> decode_frame(std::string_view file, size_t at) {
  ByteReader header(file.substr(at));
  const uint32_t magic = header.u32();
  const uint32_t length = header.u32();
  if (!header.ok() || magic != kMagic || length > kMaxBatchBytes) return std::nullopt;
  const size_t total = kFrameHeaderBytes + length + kFrameTrailerBytes;
  if (file.size() - at < total) return std::nullopt;
  const std::string_view body = file.substr(at + kFrameHeaderBytes, length);
  ByteReader trailer(file.substr(at + kFrameHeaderBytes + length));
  if (trailer.u64() != salted_checksum(kSalt, body)) return std::nullopt;
  std::optional<Batch> batch = decode_body(body);
  if (!batch) return std::nullopt;
  return std::make_pair(std::move(*batch), total);
}
}  // namespace

PartitionLog::PartitionLog(Disk& disk, std::string path, bool fsync)
    : disk_(disk), path_(std::move(path)), fsync_(fsync) {}

std::string PartitionLog::encode(const Batch& batch) {
  const std::string body = encode_body(batch);
  ByteWriter out;
  out.u32(kMagic);
  out.u32(static_cast<uint32_t>(body.size()));
  out.raw(body);
  out.u64(salted_checksum(kSalt, body));
  return out.take();
}

void PartitionLog::recover() {
  disk_.open(path_, true);
  std::string file;
  disk_.read(path_, 0, disk_.size(path_).value_or(0), &file);
  size_t at = 0;
  while (at < file.size()) {
    std::optional<std::pair<Batch, size_t>> frame = decode_frame(file, at);
    if (!frame || frame->first.base_offset != end_offset()) break;
    positions_.push_back(at);
    batches_.push_back(std::move(frame->first));
    at += frame->second;
  }
  file_end_ = at;
  if (at < file.size()) {
    disk_.truncate(path_, at);
    disk_.fsync(path_);
  }
  counted_end_ = end_offset();
  rebuild_producers();
}

void PartitionLog::append(const Batch& batch) {
  // Invariant: batches are contiguous; callers assign the base offset.
  DETSIM_ASSERT(batch.base_offset == end_offset());
  const std::string frame = encode(batch);
  positions_.push_back(file_end_);
  batches_.push_back(batch);
  file_end_ += frame.size();
  remember_sequence(batch);
  disk_.append(path_, frame);
  if (fsync_) disk_.fsync(path_);
  // Another append may have run while this one waited on the disk: count
  // up to this batch's end only if nothing was truncated meanwhile.
  counted_end_ = std::max(counted_end_, std::min(batch.next_offset(), end_offset()));
}

void PartitionLog::truncate_to(int64_t offset) {
  size_t keep = batches_.size();
  while (keep > 0 && batches_[keep - 1].next_offset() > offset) --keep;
  if (keep == batches_.size()) return;
  file_end_ = positions_[keep];
  batches_.resize(keep);
  positions_.resize(keep);
  counted_end_ = std::min(counted_end_, end_offset());
  rebuild_producers();
  disk_.truncate(path_, file_end_);
  disk_.fsync(path_);
}

std::pair<int32_t, int64_t> PartitionLog::end_offset_for_epoch(int32_t epoch) const {
  // The last batch with an epoch <= epoch; its epoch ends where the next
  // batch (of a larger epoch) starts.
  for (size_t i = batches_.size(); i > 0; --i) {
    if (batches_[i - 1].leader_epoch <= epoch) {
      const int64_t end = i < batches_.size() ? batches_[i].base_offset : end_offset();
      return {batches_[i - 1].leader_epoch, end};
    }
  }
  return {-1, 0};
}

std::vector<Batch> PartitionLog::read(int64_t from, int64_t limit, size_t max_records) const {
  std::vector<Batch> out;
  size_t records = 0;
  auto it = std::upper_bound(batches_.begin(), batches_.end(), from,
                             [](int64_t offset, const Batch& batch) { return offset < batch.next_offset(); });
  for (; it != batches_.end() && it->next_offset() <= limit && records < max_records; ++it) {
    out.push_back(*it);
    records += it->records.size();
  }
  return out;
}

const Record* PartitionLog::find(int64_t offset) const {
  auto it = std::upper_bound(batches_.begin(), batches_.end(), offset,
                             [](int64_t o, const Batch& batch) { return o < batch.next_offset(); });
  if (it == batches_.end() || offset < it->base_offset) return nullptr;
  return &it->records[static_cast<size_t>(offset - it->base_offset)];
}

std::optional<int64_t> PartitionLog::duplicate_of(int64_t producer_id, int32_t base_sequence) const {
  auto it = producers_.find(producer_id);
  if (it == producers_.end()) return std::nullopt;
  for (const SequenceEntry& entry : it->second) {
    if (entry.first == base_sequence) return entry.base_offset;
  }
  return std::nullopt;
}

int32_t PartitionLog::last_sequence(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() || it->second.empty() ? -1 : it->second.back().last;
}

void PartitionLog::remember_sequence(const Batch& batch) {
  if (batch.producer_id < 0) return;
  std::deque<SequenceEntry>& window = producers_[batch.producer_id];
  window.push_back({batch.base_sequence, batch.last_sequence(), batch.base_offset});
  if (window.size() > kProducerWindow) window.pop_front();
}

void PartitionLog::rebuild_producers() {
  producers_.clear();
  for (const Batch& batch : batches_) remember_sequence(batch);
}

}  // namespace detsim::parts::plog
