// The producer client library, for any node's fibers (it reads its
// replies through the node's Endpoint, endpoint.h).
//
// acks: 0 sends once and answers at once; 1 answers once the leader has
// the batch (fsynced, if the log fsyncs); -1 ("all") once the high
// watermark passed it, and is refused with NOT_ENOUGH_REPLICAS while the
// ISR is below the topic's min_insync.
//
// Idempotent (KIP-98): each batch carries a producer id and a per-partition
// sequence, and the leader answers a retry of a batch it already has with
// its first offset instead of appending it again. The producer id is
// derived, not asked for: (node+1) << 32 | incarnation << 12 | the
// producer's number on the node incarnation. A restarted node's producers
// get new ids, which is what Kafka's InitProducerId gives a
// non-transactional producer, without a round trip to the controller.
// After a batch fails for good, the partition's sequence has a gap the
// leader would refuse forever, so the partition moves to a fresh producer
// id once its in-flight batches are done (Kafka bumps the epoch instead).
//
// Ordering: send_async() starts a partition's batches in call order, at
// most max_in_flight at once; a batch the leader finds out of order while an
// earlier one is still in flight is retried, so idempotent batches land in
// order. Without idempotence, retries may reorder and duplicate, as in Kafka.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "models/parts/plog/client.h"
#include "sim/api/sync.h"

namespace detsim::parts::plog {

enum class ProduceError { none, not_enough_replicas, timeout, out_of_order_sequence };
const char* to_string(ProduceError error);

struct ProduceResult {
  ProduceError error = ProduceError::none;
  int64_t base_offset = -1;  // -1 unless acknowledged with acks 1 or all
};

struct ProducerOptions {
  int acks = -1;  // 0, 1 or -1 (all)
  bool idempotent = true;
  int max_in_flight = 5;
  Duration request_timeout = Duration::milliseconds(500);  // per attempt
  // From the send to the answer, queueing behind earlier batches included.
  Duration delivery_timeout = Duration::seconds(5);
};

class Producer {
 public:
  Producer(Context& ctx, const Cluster& cluster, ProducerOptions options = {});
  // Blocks until the batch is acknowledged or has failed.
  ProduceResult send(TopicPartition tp, std::vector<Record> batch);
  // Returns at once; the batch goes out after the partition's earlier ones.
  Future<ProduceResult> send_async(TopicPartition tp, std::vector<Record> batch);

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the fibers of send_async
};

}  // namespace detsim::parts::plog
