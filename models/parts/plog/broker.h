// A broker: a server node that holds partition replicas (partition_log.h)
// and plays, per partition, the role the controller's last LeaderAndIsr
// gave it (Kafka design, "Replication"):
//
// - Leader: appends produced batches (de-duplicating idempotent producers'
//   retries, KIP-98), serves fetches, keeps the high watermark at the
//   minimum counted end over the ISR, answers acks=all produces once the
//   HW passes them, and asks the controller (AlterPartition, KIP-497) to
//   drop followers that lag more than replica_lag_max and to add back those
//   that caught up. While an expansion is pending, the HW counts the new
//   member too (KIP-497's "maximal ISR").
// - Follower: fetches from the leader with its fetch offset and the epoch
//   of its last batch; on a diverging epoch it truncates to the leader's
//   end offset for that epoch (KIP-101, KIP-279) and fetches again.
//
// Fibers: the request loop (endpoint inbox), one fetcher per replica, the
// ISR checker and the heartbeat. They share the broker through a
// shared_ptr, so a crash can unwind them in any order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "models/parts/plog/cluster.h"
#include "models/parts/plog/messages.h"
#include "models/parts/plog/partition_log.h"
#include "sim/api/sync.h"

namespace detsim::parts::plog {

class Broker : public std::enable_shared_from_this<Broker> {
 public:
  Broker(Context& ctx, const Cluster& cluster, int32_t index);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;
  void run();

 private:
  struct FollowerProgress {
    int64_t end = -1;  // its last valid fetch offset; -1 before one this epoch
    Time last_caught_up;
    Time last_fetch;
    int64_t leader_end_at_last_fetch = 0;
  };
  struct WaitingAck {
    int64_t end_offset = 0;
    NodeId to;
    uint64_t rid = 0;
    int64_t base_offset = 0;
  };
  struct Replica {
    Replica(Context& ctx, std::string path, bool fsync, TopicPartition tp)
        : tp(tp), log(ctx.disk(), std::move(path), fsync), mutex(ctx) {}
    TopicPartition tp;
    PartitionLog log;
    Mutex mutex;         // one log mutation at a time (they block on the disk)
    bool known = false;  // a state from the controller reached this incarnation
    PartitionState state;
    int64_t high_watermark = 0;
    int64_t epoch_start_offset = 0;
    std::map<int32_t, FollowerProgress> followers;
    std::vector<int32_t> pending_isr;  // an AlterPartition in flight
    std::vector<WaitingAck> waiting;   // acks=all produces below the HW
  };

  Replica* find(TopicPartition tp);
  bool leading(const Replica& r) const { return r.known && r.state.leader == index_; }
  Duration request_timeout() const;

  // broker.cc: requests, and the leader's side.
  void serve();
  void on_leader_and_isr(const LeaderAndIsr& push);
  void apply_state(Replica& r, const PartitionState& state);
  void on_produce(NodeId from, const ProduceRequest& request);
  void acknowledge(Replica& r, NodeId to, const ProduceRequest& request, int64_t base_offset);
  void on_fetch(NodeId from, const FetchRequest& request);
  FetchReply leader_fetch(Replica& r, const FetchRequest& request);
  void track_follower(Replica& r, int32_t follower, int64_t fetch_offset);
  void advance_high_watermark(Replica& r);
  void fail_waiting(Replica& r, ErrorCode error);

  // replica_fetcher.cc: the follower's side, the ISR checker, heartbeats.
  void heartbeats();
  void fetch_loop(Replica& r);
  bool fetch_once(Replica& r);
  void apply_fetch(Replica& r, const FetchReply& reply);
  void isr_loop();
  std::vector<int32_t> wanted_isr(const Replica& r) const;
  void alter_isr(Replica& r, std::vector<int32_t> isr);

  Context& ctx_;
  const Cluster& cluster_;
  Endpoint& endpoint_;
  const int32_t index_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  int64_t metadata_version_ = 0;
  std::vector<PartitionState> metadata_;
};

}  // namespace detsim::parts::plog
