// The records and the wire messages of the replicated partitioned log.
// Requests carry a request id (rid) that their reply echoes, so a node's
// Endpoint (endpoint.h) can route replies to the call that waits for them;
// controller pushes and heartbeats are one-way. Every datagram may be lost,
// duplicated, reordered or delayed: each request is idempotent or carries
// what makes it so (a producer id and sequence, an epoch).
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/parts/plog/config.h"
#include "sim/api/message.h"

namespace detsim::parts::plog {

struct Record {
  uint64_t key = 0;
  std::string value;
  int64_t timestamp_ns = 0;
  size_t size_bytes() const { return 24 + value.size(); }
  uint64_t digest() const { return stable_hash(value); }
};

// A record batch as the leader appended it (Kafka's RecordBatch header:
// base offset, partition leader epoch, producer id, base sequence).
struct Batch {
  int64_t base_offset = 0;
  int32_t leader_epoch = 0;
  int64_t producer_id = -1;  // -1: not idempotent
  int32_t base_sequence = -1;
  std::vector<Record> records;
  int64_t next_offset() const { return base_offset + static_cast<int64_t>(records.size()); }
  int32_t last_sequence() const { return base_sequence + static_cast<int32_t>(records.size()) - 1; }
  size_t size_bytes() const;
};

enum class ErrorCode : int32_t {
  none,
  not_leader,            // NOT_LEADER_OR_FOLLOWER: refresh metadata
  fenced_leader_epoch,   // the request's leader epoch is older than the replica's
  unknown_leader_epoch,  // newer than the replica's: it has not heard yet
  not_enough_replicas,   // acks=all while the ISR is below min_insync
  // The batch was appended, but when the HW passed it the ISR had shrunk
  // below min_insync (Kafka's NOT_ENOUGH_REPLICAS_AFTER_APPEND).
  not_enough_replicas_after_append,
  out_of_order_sequence,
  stale,  // AlterPartition with an old leader or partition epoch
};
const char* to_string(ErrorCode error);

// ---- controller <-> brokers

// Broker -> controller, every heartbeat: liveness, and the metadata version
// it has applied (the controller re-sends LeaderAndIsr while it is older).
struct Heartbeat {
  int32_t broker = 0;
  uint32_t incarnation = 0;
  int64_t metadata_version = 0;
};
// Controller -> broker: every partition's state (small clusters, so the
// whole table; Kafka sends only the broker's partitions plus UpdateMetadata).
struct LeaderAndIsr {
  int64_t version = 0;
  std::vector<PartitionState> partitions;
  size_t size_bytes() const { return 16 + 48 * partitions.size(); }
};
// Leader -> controller: the ISR it wants, with the epochs it saw (KIP-497).
struct AlterPartition {
  uint64_t rid = 0;
  int32_t broker = 0;
  PartitionState proposed;
};
struct AlterPartitionReply {
  uint64_t rid = 0;
  ErrorCode error = ErrorCode::none;
  PartitionState current;
};

// ---- clients and followers -> brokers (and the controller for metadata)

struct MetadataRequest {
  uint64_t rid = 0;
};
struct MetadataReply {
  uint64_t rid = 0;
  int64_t version = 0;
  std::vector<PartitionState> partitions;
  size_t size_bytes() const { return 24 + 48 * partitions.size(); }
};

struct ProduceRequest {
  uint64_t rid = 0;
  TopicPartition tp;
  int32_t acks = -1;
  int64_t producer_id = -1;
  int32_t base_sequence = -1;
  std::vector<Record> records;
  size_t size_bytes() const;
};
struct ProduceReply {
  uint64_t rid = 0;
  ErrorCode error = ErrorCode::none;
  int64_t base_offset = -1;
};

// A follower (replica >= 0) or a consumer (replica = -1) fetch. The
// follower sends the epoch of its last batch, and the leader answers with
// a diverging epoch when its log differs there (KIP-101, KIP-279; the
// in-fetch form is KIP-320's and KIP-595's).
struct FetchRequest {
  uint64_t rid = 0;
  TopicPartition tp;
  int32_t replica = -1;
  int32_t leader_epoch = -1;  // -1: any (consumers)
  int64_t fetch_offset = 0;
  int32_t last_fetched_epoch = -1;
  int32_t max_records = 0;
};
struct FetchReply {
  uint64_t rid = 0;
  ErrorCode error = ErrorCode::none;
  int64_t high_watermark = 0;
  int32_t leader_epoch = 0;
  int32_t diverging_epoch = -1;
  int64_t diverging_end_offset = -1;  // -1: no divergence
  std::vector<Batch> batches;
  size_t size_bytes() const;
};

// The request id of a reply message, or nullopt if it is not a reply.
std::optional<uint64_t> reply_id(const Message& message);

}  // namespace detsim::parts::plog

DETSIM_MESSAGE_FORMAT(detsim::parts::plog::Heartbeat, "plog_heartbeat b{} inc={} version={}", m.broker, m.incarnation,
                      m.metadata_version);
DETSIM_MESSAGE_FORMAT(detsim::parts::plog::LeaderAndIsr, "plog_leader_and_isr version={} partitions={}", m.version,
                      m.partitions.size());
DETSIM_MESSAGE_FORMAT(detsim::parts::plog::AlterPartition, "plog_alter_partition rid={} b{} {}/{} isr={}", m.rid,
                      m.broker, m.proposed.tp.topic, m.proposed.tp.partition, m.proposed.isr);
DETSIM_MESSAGE_FORMAT(detsim::parts::plog::AlterPartitionReply, "plog_alter_partition_reply rid={} {} isr={} pe={}",
                      m.rid, detsim::parts::plog::to_string(m.error), m.current.isr, m.current.partition_epoch);
DETSIM_MESSAGE_FORMAT(detsim::parts::plog::MetadataRequest, "plog_metadata rid={}", m.rid);
DETSIM_MESSAGE_FORMAT(detsim::parts::plog::MetadataReply, "plog_metadata_reply rid={} version={}", m.rid, m.version);
DETSIM_MESSAGE_FORMAT(detsim::parts::plog::ProduceRequest, "plog_produce rid={} {}/{} acks={} pid={} seq={} n={}",
                      m.rid, m.tp.topic, m.tp.partition, m.acks, m.producer_id, m.base_sequence, m.records.size());
DETSIM_MESSAGE_FORMAT(detsim::parts::plog::ProduceReply, "plog_produce_reply rid={} {} base={}", m.rid,
                      detsim::parts::plog::to_string(m.error), m.base_offset);
DETSIM_MESSAGE_FORMAT(detsim::parts::plog::FetchRequest,
                      "plog_fetch rid={} {}/{} replica={} epoch={} at={} last_epoch={}", m.rid, m.tp.topic,
                      m.tp.partition, m.replica, m.leader_epoch, m.fetch_offset, m.last_fetched_epoch);
DETSIM_MESSAGE_FORMAT(detsim::parts::plog::FetchReply, "plog_fetch_reply rid={} {} hw={} diverging={}@{} batches={}",
                      m.rid, detsim::parts::plog::to_string(m.error), m.high_watermark, m.diverging_epoch,
                      m.diverging_end_offset, m.batches.size());
