// The row store's write-ahead log: a sequence of segment files, each named
// by the LSN of its first byte, so an LSN is a byte position in the whole
// log that never repeats (Postgres names its segments the same way).
//
// A transaction is one batch: a record per change, then a commit record,
// written with one write and one fsync, and never split across segments
// (a batch that does not fit the active segment opens the next one, at the
// current end, so LSNs stay contiguous; a batch larger than a segment gets
// one to itself). A record is [u32 length][u64 checksum][payload]; the
// checksum is salted with the record's LSN and length, so zeroed, torn or
// misplaced bytes never pass for a record. Only the batch being written
// can be unsynced, so after a crash only the last segment's tail can be
// bad: recovery keeps the prefix up to the last intact commit record and
// cuts the rest (a torn batch is dropped whole, never half applied).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "models/parts/row_store.h"
#include "sim/api/disk.h"

namespace detsim::parts {

class Wal {
 public:
  Wal(Disk& disk, std::string dir, uint64_t segment_bytes);

  // Finds the segments, cuts a torn or uncommitted tail off the last one,
  // and calls on_txn for every committed transaction with commit_lsn >
  // after, in order. Creates the first segment at `after` when there is
  // none. Returns the bytes cut off.
  uint64_t recover(Lsn after, const std::function<void(DecodedTxn)>& on_txn);
  // Writes txn's batch at the end and fsyncs it; sets txn->commit_lsn. On
  // failure the log is cut back to where it was and the status returned.
  IoStatus append(DecodedTxn* txn);
  // Committed transactions with after < commit_lsn <= limit, at most max.
  // `after` must be >= oldest().
  void read(Lsn after, Lsn limit, size_t max, std::vector<DecodedTxn>* out);
  // Removes the segments that end at or before horizon, never the last one.
  void recycle_below(Lsn horizon);

  Lsn end() const;
  Lsn oldest() const;
  uint64_t retained_bytes() const;
  size_t segments() const { return segments_.size(); }

 private:
  struct Segment {
    Lsn start = 0;
    uint64_t bytes = 0;
  };
  std::string path_of(Lsn start) const;
  std::vector<Segment> list_segments();
  std::string read_segment(const Segment& segment, uint64_t length);
  // Parses segment bytes starting at LSN start; calls on_txn for each
  // complete transaction and returns the LSN just past the last one.
  static Lsn parse(std::string_view bytes, Lsn start, const std::function<bool(DecodedTxn)>& on_txn);
  static std::string encode(const DecodedTxn& txn, Lsn start);
  void drop_segments_after(size_t keep);

  Disk& disk_;
  std::string prefix_;
  uint64_t segment_bytes_;
  std::vector<Segment> segments_;  // ascending, contiguous: each starts where the previous ends
};

}  // namespace detsim::parts
