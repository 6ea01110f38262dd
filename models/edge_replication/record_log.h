// An append-only file of checksummed records, each fsynced before the next
// is written: the source's binlog and the edge's write-ahead log.
//
// A record is [u32 length][u64 checksum][payload]. Writes are issued one
// at a time and each is fsynced before the next, so after a crash only the
// last record can be torn; recovery keeps the intact prefix and cuts the
// rest. Latent corruption of durable records is out of scope for this
// model (its scenarios do not inject it): it would read as a torn tail and
// lose the records after it. raft_kv shows the careful version.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/disk.h"

namespace detsim::edge {

class RecordLog {
 public:
  RecordLog(Disk& disk, std::string path, uint64_t salt) : disk_(disk), path_(std::move(path)), salt_(salt) {}
  // Every intact record's payload, in order; cuts a torn tail off the file.
  std::vector<std::string> recover();
  // Appends one record and fsyncs it. False on an I/O error (a full disk):
  // the record may or may not survive a crash, and the caller must treat
  // it as not written.
  bool append_durably(std::string_view payload);
  uint64_t bytes() const { return size_; }

 private:
  Disk& disk_;
  std::string path_;
  uint64_t salt_;
  uint64_t size_ = 0;
};

}  // namespace detsim::edge
