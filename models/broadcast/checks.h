// What the broadcast model observes from outside the nodes, and the
// invariants it checks at the end of a run (as Maelstrom's broadcast checker
// counts "lost" values: every acknowledged value must be on every node once
// the network heals and the cluster settles).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/api/metrics.h"
#include "sim/api/model.h"

namespace detsim::broadcast {

// A server incarnation's memory: the only part of a node the checks read.
// Heap-allocated and shared, so the observer never points into a dead stack.
struct ServerStore {
  std::set<int64_t> values;
};

class Observer {
 public:
  // One per run, owned by the model; nodes hold references (model.h).
  Observer() = default;
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;
  // Declared at setup, in order; names are for failure messages.
  void add_server(NodeId node, std::string name);
  const std::vector<NodeId>& servers() const { return servers_; }
  const std::string& name(NodeId node) const;

  // The live incarnation's store. A newer incarnation replaces an older one
  // even if the older has not finished unwinding yet.
  // `booted` is when the incarnation starts to speak; its memory is kept
  // after it dies, for ack_on_majority.
  void attach(NodeId node, uint32_t incarnation, Time booted, std::shared_ptr<const ServerStore> store);
  void detach(NodeId node, uint32_t incarnation);
  // nullptr if the node has no live incarnation.
  std::shared_ptr<const ServerStore> store(NodeId node) const;

  void record_ack(int64_t value, Time at);
  // An acknowledged operation's time from its first send to broadcast_ok,
  // retries included: the client's view (op_latency_p*_ms in run --json).
  void record_ack_latency(Duration latency) { ack_latency_.record(latency); }
  const Histogram& ack_latency() const { return ack_latency_; }
  // Every value a client broadcast, for validity: a server holds only
  // values some client sent (Maelstrom's broadcast checker: no unexpected
  // values).
  void record_sent(int64_t value) { sent_.insert(value); }
  const std::set<int64_t>& sent() const { return sent_; }

  // Durable mode's moment of truth (ack_durable_on_majority): when a server
  // sends broadcast_ok, a majority of servers hold the value in their logs,
  // fsynced. Each log reports what an fsync (or a recovery) found durable;
  // the disks, and so these sets, outlive incarnations.
  void on_durable(NodeId node, const std::vector<int64_t>& values);
  void on_ack_sent(NodeId server, int64_t value);
  // In-memory mode's moment of truth (ack_on_majority): when a server
  // sends broadcast_ok, each server counts if its live incarnation holds
  // the value, or if the newest incarnation of it the acker has heard
  // from is dead and held the value (the acker cannot know yet that it
  // died). A server that never spoke to the acker, or whose live,
  // empty incarnation the acker has heard from, does not count.
  void on_ack_in_memory(NodeId server, int64_t value);
  // confirmed_holder_holds: a server took `node`, as incarnation
  // `incarnation`, to hold `value` (it stops sending it there and counts
  // it for the ack). That incarnation must hold it, or have held it when
  // it died (the server cannot know yet).
  void on_confirmed(NodeId server, NodeId node, uint32_t incarnation, int64_t value);
  // A server received a message `from` (any node) sent at `sent_at`; for
  // a server sender, the incarnation that sent it is the one up then.
  void on_delivered(NodeId server, NodeId from, Time sent_at);
  const std::optional<CheckResult>& violation() const { return violation_; }
  // The simulated time (Setup::sim_time), to stamp violations seen online.
  void set_clock(std::function<Time()> clock) { clock_ = std::move(clock); }
  const std::map<int64_t, Time>& acked() const { return acked_; }

  void count_gossip() { ++gossip_messages_; }
  void count_client_retry() { ++client_retries_; }
  void count_bad_records(uint64_t n) { bad_records_ += n; }
  uint64_t bad_records() const { return bad_records_; }
  uint64_t gossip_messages() const { return gossip_messages_; }
  uint64_t client_retries() const { return client_retries_; }

 private:
  struct Attached {
    uint32_t incarnation = 0;
    std::weak_ptr<const ServerStore> store;
  };
  struct Incarnation {
    uint32_t incarnation = 0;
    Time booted;
    std::shared_ptr<const ServerStore> store;
  };
  bool counts_as_holder(NodeId acker, NodeId node, int64_t value) const;
  // nullptr if that incarnation of node never booted.
  const Incarnation* find_incarnation(NodeId node, uint32_t incarnation) const;
  std::vector<NodeId> servers_;
  std::map<NodeId, std::string> names_;
  std::map<NodeId, Attached> attached_;
  std::map<int64_t, Time> acked_;  // value -> when its client saw broadcast_ok
  uint64_t gossip_messages_ = 0;
  uint64_t client_retries_ = 0;
  uint64_t bad_records_ = 0;                     // durable mode: log records that failed their checksum
  std::map<NodeId, std::set<int64_t>> durable_;  // per server: values its log holds fsynced
  std::set<int64_t> sent_;
  std::map<NodeId, std::vector<Incarnation>> incarnations_;  // per server, in boot order
  std::map<std::pair<NodeId, NodeId>, uint32_t> heard_;      // (receiver, server) -> newest incarnation heard
  std::optional<CheckResult> violation_;
  Histogram ack_latency_;
  std::function<Time()> clock_;
  Time now() const { return clock_ ? clock_() : Time::zero(); }
};

// Attaches a server incarnation's store for as long as this object lives;
// the node's fibers own it, so it detaches when they unwind after a crash.
class Attachment {
 public:
  Attachment(Observer& observer, NodeId node, uint32_t incarnation, Time booted,
             std::shared_ptr<const ServerStore> store);
  ~Attachment();
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

 private:
  Observer& observer_;
  NodeId node_;
  uint32_t incarnation_;
};

// Safety: every acknowledged value is held by every server.
CheckResult check_acked_everywhere(const Observer& observer);
// Safety (validity): every value a server holds was broadcast by a client.
CheckResult check_values_sent(const Observer& observer);
// Liveness: clients that ran got at least one acknowledgement.
CheckResult check_progress(const Observer& observer, bool workload_ran);
// Distinct values held by any live server.
size_t values_total(const Observer& observer);

}  // namespace detsim::broadcast
