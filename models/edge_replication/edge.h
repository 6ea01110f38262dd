// The edge store: applies what the replicator sends (batches of streamed
// rows, DBLog chunk rows, Ghostferry copies, schema changes) and answers
// range checksums for the verifier.
//
// Every connection is served by its own fiber, which spends the apply's
// CPU time in parallel with the others (the edge has cores to spare); the
// results are then made durable by one applier fiber as a group commit: one
// write-ahead log record and one fsync for everything that arrived
// meanwhile. A request is answered only after its fsync. A restart replays
// the log.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "models/edge_replication/interval_set.h"
#include "models/edge_replication/messages.h"
#include "models/edge_replication/observer.h"
#include "models/edge_replication/params.h"
#include "models/edge_replication/record_log.h"
#include "sim/api/context.h"
#include "sim/api/sync.h"

namespace detsim::edge {

struct EdgeConfig {
  Time heal_at;  // inject_divergence: rogue writes stop here
};

class Edge {
 public:
  static void main(Context& ctx, const EdgeParams& params, const EdgeConfig& config, Observer& observer);
  ~Edge();

 private:
  struct Pending {
    explicit Pending(Context& ctx, Message m) : request(std::move(m)), durable(ctx) {}
    Message request;
    Promise<bool> durable;
  };
  // What one group commit changed, for its log record and the observer.
  struct GroupEffects {
    ByteWriter log;
    std::vector<DurableWrite> writes;
    // Batches applied now, and retries of batches already applied (whose
    // record may have survived a crash unfsynced, so nobody heard of it).
    std::vector<const ApplyBatch*> stream_batches;
    // How to take the group back out of memory, newest first, if its
    // record cannot be written (a full disk). Rereading the whole log
    // instead cost seconds per run under disk_full faults.
    std::vector<std::function<void()>> undo;
  };
  using BatchMark = std::pair<uint64_t, uint64_t>;  // (producer, number)

  Edge(Context& ctx, const EdgeParams& params, const EdgeConfig& config, Observer& observer);
  void recover();
  void replay_record(std::string_view payload);
  void serve(Connection connection);
  Message handle(const Message& request);
  ChunkRows select_rows(const SelectChunk& request) const;
  bool submit(Message request);
  void run_applier();
  void apply(const Message& request, GroupEffects& effects);
  bool seen_before(const ApplyBatch& batch);
  void apply_change(const RowChange& change, bool conditional, GroupEffects& effects);
  void apply_copy(const CopyRows& copy, GroupEffects& effects);
  void apply_ddl(const Ddl& ddl, GroupEffects& effects);
  void put(uint32_t table, int64_t key, const Table::Slot& slot, bool backfill, GroupEffects& effects);
  void log_put(uint32_t table, int64_t key, const Table::Slot& slot, GroupEffects& effects);
  // ---- inject_divergence (edge_divergence.cc) ----
  void run_rogue_writes();
  void apply_rogue(const RogueWrite& rogue, GroupEffects& effects);
  bool lose_write(const RowChange& change);
  void report_durable(const GroupEffects& effects);

  Context& ctx_;
  EdgeParams params_;
  EdgeConfig config_;
  Observer& observer_;
  RecordLog log_;
  std::vector<Table> tables_;
  IntervalSet applied_;                // aggregate mode: the binlog rows applied
  std::vector<BatchMark> last_batch_;  // per partition: the last batch applied
  Mailbox<std::shared_ptr<Pending>> queue_;
  Rng divergence_rng_;  // inject_divergence only: drawn from nowhere else
};

}  // namespace detsim::edge
