#include "models/parts/plog/messages.h"

namespace detsim::parts::plog {

namespace {
// Bytes of a record batch's header on the wire and on disk (Kafka's v2
// batch header is 61 bytes).
constexpr size_t kBatchHeaderBytes = 61;

size_t records_bytes(const std::vector<Record>& records) {
  size_t bytes = 0;
  for (const Record& record : records) bytes += record.size_bytes();
  return bytes;
}
}  // namespace

size_t Batch::size_bytes() const { return kBatchHeaderBytes + records_bytes(records); }

size_t ProduceRequest::size_bytes() const { return 48 + kBatchHeaderBytes + records_bytes(records); }

size_t FetchReply::size_bytes() const {
  size_t bytes = 48;
  for (const Batch& batch : batches) bytes += batch.size_bytes();
  return bytes;
}

const char* to_string(ErrorCode error) {
  switch (error) {
    case ErrorCode::none: return "none";
    case ErrorCode::not_leader: return "not_leader";
    case ErrorCode::fenced_leader_epoch: return "fenced_leader_epoch";
    case ErrorCode::unknown_leader_epoch: return "unknown_leader_epoch";
    case ErrorCode::not_enough_replicas: return "not_enough_replicas";
    case ErrorCode::not_enough_replicas_after_append: return "not_enough_replicas_after_append";
    case ErrorCode::out_of_order_sequence: return "out_of_order_sequence";
    case ErrorCode::stale: return "stale";
  }
  return "?";
}

std::optional<uint64_t> reply_id(const Message& message) {
  if (const auto* m = message.get_if<ProduceReply>()) return m->rid;
  if (const auto* m = message.get_if<FetchReply>()) return m->rid;
  if (const auto* m = message.get_if<MetadataReply>()) return m->rid;
  if (const auto* m = message.get_if<AlterPartitionReply>()) return m->rid;
  return std::nullopt;
}

}  // namespace detsim::parts::plog
