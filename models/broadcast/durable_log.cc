#include "models/broadcast/durable_log.h"

#include <cstring>

namespace detsim::broadcast {
namespace {

// Salted so that an all-zero record (a hole, or a misdirected write's
// leftovers) never checks out.
uint64_t record_checksum(uint64_t value) {
  uint64_t state = value ^ 0x6c6f672d76616c31ULL;
  return splitmix64(state) | 1;
}

void put_u64(std::string& out, uint64_t word) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((word >> (8 * i)) & 0xff));
}

uint64_t get_u64(const char* bytes) {
  uint64_t word = 0;
  for (int i = 0; i < 8; ++i) word |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  return word;
}

}  // namespace

std::string DurableLog::encode(int64_t value) {
  std::string record;
  put_u64(record, static_cast<uint64_t>(value));
  put_u64(record, record_checksum(static_cast<uint64_t>(value)));
  return record;
}

bool DurableLog::decode(const char* record, int64_t* value) {
  const uint64_t word = get_u64(record);
  if (get_u64(record + 8) != record_checksum(word)) return false;
  *value = static_cast<int64_t>(word);
  return true;
}

Recovered DurableLog::recover() {
  Disk& disk = ctx_.disk();
  until_ok("open", [&] { return disk.open(kPath, true); });
  const uint64_t size = disk.size(kPath).value_or(0);
  std::string bytes;
  until_ok("read", [&] { return disk.read(kPath, 0, size, &bytes); });
  Recovered recovered;
  const size_t whole = bytes.size() / kRecordBytes * kRecordBytes;
  for (size_t at = 0; at < whole; at += kRecordBytes) {
    int64_t value = 0;
    if (decode(bytes.data() + at, &value))
      recovered.values.push_back(value);
    else
      ++recovered.bad_records;
  }
  if (whole != size) {
    until_ok("truncate", [&] { return disk.truncate(kPath, whole); });
    sync();
  }
  on_durable_(recovered.values);
  return recovered;
}

void DurableLog::append(const std::vector<int64_t>& values) {
  if (values.empty()) return;
  std::string records;
  records.reserve(values.size() * kRecordBytes);
  for (int64_t value : values) records += encode(value);
  until_ok("append", [&] { return ctx_.disk().append(kPath, records); });
  unsynced_.insert(unsynced_.end(), values.begin(), values.end());
}

void DurableLog::sync() {
  // The fsync covers every append completed before it completes.
  std::vector<int64_t> covered = std::move(unsynced_);
  unsynced_.clear();
  until_ok("fsync", [&] { return ctx_.disk().fsync(kPath); });
  on_durable_(covered);
}

}  // namespace detsim::broadcast
