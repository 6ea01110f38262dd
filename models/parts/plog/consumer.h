// The consumer client library: reads a partition from its leader, below
// the high watermark, and keeps a group's committed offsets in the log
// itself, in the internal topic __consumer_offsets (Kafka's offsets
// topic): a commit is an acks=all, idempotent produce of the record
// (group, topic, partition) -> offset, keyed so that one key always goes
// to the same partition; the latest record of a key wins. committed()
// reads the tail of that partition it has not read yet into a cache.
//
// Group membership is static: the model decides which member reads which
// partition (no group coordinator, no rebalance, no generation fencing of
// commits).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "models/parts/plog/client.h"
#include "models/parts/plog/producer.h"

namespace detsim::parts::plog {

struct FetchedRecord {
  int64_t offset = 0;
  Record record;
};

class Consumer {
 public:
  Consumer(Context& ctx, const Cluster& cluster, std::string group);
  // Up to max_records from offset, below the HW; waits up to timeout for
  // data (empty if none came). nullopt if no leader answered at all.
  std::optional<std::vector<FetchedRecord>> fetch(TopicPartition tp, int64_t offset, size_t max_records,
                                                  Duration timeout);
  // Durable: an acks=all produce to __consumer_offsets. False if it failed.
  bool commit(TopicPartition tp, int64_t next_offset);
  // nullopt if never committed (or nothing could be read).
  std::optional<int64_t> committed(TopicPartition tp);
  // The partition's high watermark, or nullopt if no leader answered.
  std::optional<int64_t> end_offset(TopicPartition tp);
  // The __consumer_offsets partition that holds this group's commits of tp.
  TopicPartition offsets_partition(TopicPartition tp) const;

 private:
  // One fetch that a leader answered, trying until deadline.
  std::optional<FetchReply> fetch_once(TopicPartition tp, int64_t offset, size_t max_records, Time deadline);
  uint64_t offsets_key(TopicPartition tp) const;
  void read_commits(TopicPartition offsets_tp);

  MetadataCache metadata_;
  std::string group_;
  Producer committer_;
  // (group, topic, partition) -> committed offset, from __consumer_offsets.
  std::map<std::tuple<std::string, int32_t, int32_t>, int64_t> commits_;
  std::map<TopicPartition, int64_t> read_up_to_;  // per offsets partition
};

}  // namespace detsim::parts::plog
