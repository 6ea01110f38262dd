// Little-endian byte encoding for what models keep on their disks, and a
// record checksum. Models frame their files with it; recovery decodes with
// ByteReader, whose ok() turns false (and stays false) on any short read,
// so a torn or zeroed record is rejected without a bounds check per field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/core/rng.h"

namespace detsim {

class ByteWriter {
 public:
  void u8(uint8_t v) { bytes_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { fixed(v, 4); }
  void u64(uint64_t v) { fixed(v, 8); }
  void i64(int64_t v) { fixed(static_cast<uint64_t>(v), 8); }
  void raw(std::string_view data) { bytes_.append(data); }
  const std::string& bytes() const { return bytes_; }
  std::string take() { return std::move(bytes_); }
  size_t size() const { return bytes_.size(); }

 private:
  void fixed(uint64_t v, int width) {
    for (int i = 0; i < width; ++i) bytes_.push_back(static_cast<char>(v >> (8 * i)));
  }
  std::string bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  uint8_t u8() { return static_cast<uint8_t>(fixed(1)); }
  uint32_t u32() { return static_cast<uint32_t>(fixed(4)); }
  uint64_t u64() { return fixed(8); }
  int64_t i64() { return static_cast<int64_t>(fixed(8)); }
  bool ok() const { return ok_; }
  size_t offset() const { return at_; }
  bool at_end() const { return at_ == bytes_.size(); }

 private:
  uint64_t fixed(int width) {
    if (!ok_ || bytes_.size() - at_ < static_cast<size_t>(width)) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) v |= uint64_t{static_cast<unsigned char>(bytes_[at_ + i])} << (8 * i);
    at_ += static_cast<size_t>(width);
    return v;
  }
  std::string_view bytes_;
  size_t at_ = 0;
  bool ok_ = true;
};

// A record checksum that is never zero, so zeroed bytes never check out.
inline uint64_t salted_checksum(uint64_t salt, std::string_view bytes) {
  uint64_t h = stable_hash(bytes) ^ salt;
  return splitmix64(h) | 1;
}

}  // namespace detsim
