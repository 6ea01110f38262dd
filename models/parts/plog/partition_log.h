// One partition replica on a broker's disk: an append-only file of
// checksummed record batches (Kafka's log segment, one segment, never
// deleted), with the in-memory views the protocol needs: the leader-epoch
// cache (KIP-101), derived from the batches' epochs, and the idempotent
// producers' last sequences (KIP-98), rebuilt from the log on recovery and
// replicated with it because followers copy the batches verbatim.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/parts/plog/messages.h"
#include "sim/api/disk.h"

namespace detsim::parts::plog {

// How many batch sequences per producer the leader remembers for
// de-duplication (Kafka: max.in.flight.requests.per.connection <= 5).
inline constexpr size_t kProducerWindow = 5;

class PartitionLog {
 public:
  PartitionLog(Disk& disk, std::string path, bool fsync);
  PartitionLog(const PartitionLog&) = delete;
  PartitionLog& operator=(const PartitionLog&) = delete;

  // Reads the file back and truncates it at the first batch that is torn,
  // fails its checksum or does not continue the offsets.
  void recover();
  // Appends a batch at end_offset(), and fsyncs it if the log does.
  void append(const Batch& batch);
  // Drops every batch at or past offset (a whole batch if offset is inside it).
  void truncate_to(int64_t offset);

  int64_t end_offset() const { return batches_.empty() ? 0 : batches_.back().next_offset(); }
  // The end this replica may count and report: fsynced when the log fsyncs.
  int64_t counted_end() const { return counted_end_; }
  int32_t last_epoch() const { return batches_.empty() ? -1 : batches_.back().leader_epoch; }
  // KIP-279's OffsetsForLeaderEpoch: the largest epoch <= epoch this log
  // has, and the offset where it ends (the next epoch's start, or the end of
  // the log); {-1, 0} if it has no such epoch.
  std::pair<int32_t, int64_t> end_offset_for_epoch(int32_t epoch) const;

  // Whole batches that hold offsets in [from, limit), at most about
  // max_records records.
  std::vector<Batch> read(int64_t from, int64_t limit, size_t max_records) const;
  const Record* find(int64_t offset) const;
  const std::vector<Batch>& batches() const { return batches_; }

  // KIP-98: the base offset of the producer's batch with this base
  // sequence, if it is among the last kProducerWindow ones.
  std::optional<int64_t> duplicate_of(int64_t producer_id, int32_t base_sequence) const;
  // The producer's last sequence in this log; -1 if it has none.
  int32_t last_sequence(int64_t producer_id) const;

 private:
  struct SequenceEntry {
    int32_t first = 0;
    int32_t last = 0;
    int64_t base_offset = 0;
  };
  static std::string encode(const Batch& batch);
  void remember_sequence(const Batch& batch);
  void rebuild_producers();

  Disk& disk_;
  std::string path_;
  bool fsync_;
  std::vector<Batch> batches_;
  std::vector<uint64_t> positions_;  // file offset of each batch
  uint64_t file_end_ = 0;
  int64_t counted_end_ = 0;
  std::map<int64_t, std::deque<SequenceEntry>> producers_;
};

}  // namespace detsim::parts::plog
