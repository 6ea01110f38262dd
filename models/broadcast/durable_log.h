// The durable mode's value log: one fixed-size, checksummed record per
// value, appended to a file on the node's disk. Records never straddle a
// sector (16 bytes into 4096), so a torn write loses whole records, and a
// checksum catches a corrupted or misdirected one (the record is skipped on
// recovery; peers re-send what is missing, since a restart resets what they
// believe this node holds).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/api/context.h"
#include "sim/api/disk.h"

namespace detsim::broadcast {

struct Recovered {
  std::vector<int64_t> values;
  uint64_t bad_records = 0;  // checksum mismatches, skipped
};

class DurableLog {
 public:
  static constexpr const char* kPath = "broadcast/values.log";
  static constexpr size_t kRecordBytes = 16;

  // on_durable hears, after each fsync and after recovery, the values that
  // are now durable (for the observer's ack check).
  using DurableHook = std::function<void(const std::vector<int64_t>&)>;
  DurableLog(Context& ctx, DurableHook on_durable) : ctx_(ctx), on_durable_(std::move(on_durable)) {}

  // Opens (creating if needed) and reads back every intact record. A
  // partial record at the end (a torn append) is cut off.
  Recovered recover();
  // Appends the values' records to the page cache: volatile until sync().
  void append(const std::vector<int64_t>& values);
  void sync();

  // For tests: a record's bytes and its parsing.
  static std::string encode(int64_t value);
  static bool decode(const char* record, int64_t* value);

 private:
  // Runs a disk operation until it succeeds. Only a full disk fails one
  // here, and a full disk changes nothing, so the node waits and retries:
  // it must not acknowledge what it cannot keep.
  template <class Op>
  void until_ok(const char* what, Op op) {
    for (IoStatus status = op(); status != IoStatus::ok; status = op()) {
      // Invariant: the log is this node's own file and always exists.
      DETSIM_ASSERT(status == IoStatus::no_space);
      ctx_.log("durable log: {} failed: {}; retrying", what, to_string(status));
      ctx_.sleep_for(kFullDiskRetry);
    }
  }
  static constexpr Duration kFullDiskRetry = Duration::milliseconds(100);

  Context& ctx_;
  DurableHook on_durable_;
  std::vector<int64_t> unsynced_;  // appended since the last fsync
};

}  // namespace detsim::broadcast
