#include "models/edge_replication/record_log.h"

#include "sim/api/codec.h"

namespace detsim::edge {
namespace {

constexpr size_t kHeaderBytes = 12;
constexpr uint32_t kPayloadMax = 64u << 20;

}  // namespace

std::vector<std::string> RecordLog::recover() {
  std::vector<std::string> out;
  disk_.open(path_, /*create=*/true);
  const uint64_t file_size = disk_.size(path_).value_or(0);
  std::string file;
  if (file_size > 0) disk_.read(path_, 0, file_size, &file);
  size_t at = 0;
  while (file.size() - at >= kHeaderBytes) {
    ByteReader header(std::string_view(file).substr(at, kHeaderBytes));
    const uint32_t length = header.u32();
    const uint64_t sum = header.u64();
    if (length > kPayloadMax || file.size() - at - kHeaderBytes < length) break;
    std::string_view payload = std::string_view(file).substr(at + kHeaderBytes, length);
    if (salted_checksum(salt_ ^ length, payload) != sum) break;
    out.emplace_back(payload);
    at += kHeaderBytes + length;
  }
  if (at != file.size()) {
    disk_.truncate(path_, at);
    disk_.fsync(path_);
  }
  size_ = at;
  return out;
}

bool RecordLog::append_durably(std::string_view payload) {
  ByteWriter record;
  record.u32(static_cast<uint32_t>(payload.size()));
  record.u64(salted_checksum(salt_ ^ payload.size(), payload));
  record.raw(payload);
  // A failed write may have left a partial record: cut back to the last
  // good end, so the next record does not land behind garbage.
  if (disk_.write(path_, size_, record.bytes()) != IoStatus::ok || disk_.fsync(path_) != IoStatus::ok) {
    disk_.truncate(path_, size_);
    return false;
  }
  size_ += record.size();
  return true;
}

}  // namespace detsim::edge
