// The simulated disks: one SimDisk per node, owned by a DiskFarm that also
// holds the fault entry points the nemesis calls. A node's disk outlives
// its incarnations: the world calls DiskFarm::crash right after it kills a
// node's fibers, and the restarted node finds the durable bytes.
//
// Each file keeps two copies of its bytes: `durable` (on the platter) and
// `cached` (the page cache, what reads see), plus the list of operations
// applied to the cache since the last fsync. fsync copies the cache down; a
// crash resolves each pending operation on its own (lost, persisted out of
// order, or torn at sector granularity) and then resets the cache to the
// durable bytes. LevelDB's fault_injection_test does the same with
// pos_at_last_sync_.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/disk.h"
#include "sim/api/node_id.h"
#include "sim/core/duration_dist.h"
#include "sim/core/engine.h"
#include "sim/core/rng.h"
#include "sim/core/time.h"

namespace detsim {

struct DiskOptions {
  // Per operation, after its service time; fsync has its own.
  DurationDist latency = DurationDist::uniform(Duration::microseconds(50), Duration::microseconds(200));
  DurationDist fsync_latency = DurationDist::uniform(Duration::milliseconds(1), Duration::milliseconds(5));
  double iops = 0;              // operations per second the queue serves; 0 = unlimited
  double bandwidth = 0;         // bytes per second the queue serves; 0 = unlimited
  uint64_t capacity = 0;        // bytes of page cache the disk holds; 0 = unlimited
  uint32_t sector_size = 4096;  // the unit of atomicity, tearing and corruption
  double tear = 0;              // at a crash, probability an unsynced write is torn
  double reorder = 0;           // at a crash, probability an unsynced operation persists anyway
  // TigerBeetle's rule: never corrupt a sector on a replica unless another
  // replica still holds it intact, so a lost write is always a real bug.
  bool fault_budget = true;
};

// Called for every fault and crash effect, with a line such as
// "disk: corrupted wal sector 7". The world forwards it to the trace.
using DiskTraceHook = std::function<void(NodeId, std::string)>;
// Called when a node's fsync starts, before it waits for the disk: the
// moment a power loss hurts most (the power_fsync shape arms on it).
using FsyncStartHook = std::function<void(NodeId)>;

class DiskFarm;

class SimDisk final : public Disk {
 public:
  SimDisk(DiskFarm& farm, NodeId node, Rng rng);
  SimDisk(const SimDisk&) = delete;
  // A branch of `detsim explore`: perturbs the latency and fault draws.
  void reseed(uint64_t salt);
  SimDisk& operator=(const SimDisk&) = delete;

  // ---- Disk (blocks the calling fiber) ----
  IoStatus open(std::string_view path, bool create) override;
  IoStatus write(std::string_view path, uint64_t offset, std::string_view data) override;
  IoStatus append(std::string_view path, std::string_view data) override;
  IoStatus read(std::string_view path, uint64_t offset, size_t length, std::string* out) override;
  IoStatus fsync(std::string_view path) override;
  IoStatus truncate(std::string_view path, uint64_t size) override;
  IoStatus rename(std::string_view from, std::string_view to) override;
  IoStatus remove(std::string_view path) override;
  std::optional<uint64_t> size(std::string_view path) override;
  std::vector<std::string> list(std::string_view prefix = {}) override;
  std::optional<uint64_t> durable_prefix(std::string_view path) const override;
  std::optional<std::string> durable_read(std::string_view path, uint64_t offset, size_t length) const override;

  // ---- faults (never block; the farm's entry points forward here) ----
  // Resolves every unsynced operation, then resets the page cache to the
  // durable bytes. Call it after the node's fibers were killed. Traced only
  // if something was unsynced.
  void crash();
  // Flips bytes in the pick-th eligible durable sector (sorted path, then
  // sector index; pick modulo their number). Returns false if none is
  // eligible (no durable bytes, or the fault budget forbids every sector).
  bool corrupt(uint64_t pick);
  // Until then, every operation that would grow the disk gets no_space.
  void set_full_until(Time until);
  // The next write or append lands at another sector-aligned offset of the
  // same file and still reports ok.
  void misdirect_next_write();
  // Service times and latencies are multiplied by factor until then.
  void set_slow(double factor, Time until);
  // Ends a full or slow spell early (the world's heal). Silent if neither
  // is on.
  void heal();

  // ---- inspection (never blocks; for tests, checkers and the budget) ----
  NodeId node() const { return node_; }
  std::optional<std::string> durable_content(std::string_view path) const;
  std::optional<std::string> cached_content(std::string_view path) const;
  size_t unsynced_ops() const;
  uint64_t cached_bytes() const { return cached_bytes_; }
  // The sector is durably present and was not corrupted since it was last
  // overwritten and synced.
  bool sector_intact(std::string_view path, uint64_t sector) const;

 private:
  struct PendingOp {
    bool is_truncate = false;
    uint64_t offset = 0;  // for a truncate: the new size
    std::string data;
    uint64_t intended = 0;  // where the model wrote it: offset, unless misdirected
  };
  struct File {
    std::string durable;
    std::string cached;
    // The size the model's own operations give the file, had no write gone
    // astray, and that size as of the last fsync: durable_prefix() answers
    // for what the model did (wrote, then synced), not for disk faults.
    uint64_t intended_size = 0;
    uint64_t synced_intended_size = 0;
    std::vector<PendingOp> pending;  // applied to `cached`, not yet to `durable`
    std::set<uint64_t> corrupted;    // durable sectors corrupted and not rewritten since
  };
  using FileMap = std::map<std::string, File, std::less<>>;
  struct CrashTally;

  void wait_for_io(uint64_t bytes, bool is_fsync);
  double slow_factor() const;
  File* find(std::string_view path);
  bool may_grow(const File& file, uint64_t new_size) const;
  void set_cached_size_delta(uint64_t before, uint64_t after);
  IoStatus write_at(std::string_view path, std::optional<uint64_t> offset, std::string_view data);
  std::optional<uint64_t> misdirected_offset(std::string_view path, const File& file, uint64_t offset, uint64_t length);
  void sync(File& file);
  void resolve_at_crash(const std::string& path, File& file, CrashTally& tally);
  void tear(const std::string& path, File& file, const PendingOp& op, CrashTally& tally);
  void clear_rewritten(File& file, uint64_t offset, uint64_t length);
  bool pending_touches(const File& file, uint64_t sector) const;
  void flip_bytes(const std::string& path, File& file, uint64_t sector);
  void mix(uint64_t kind, uint64_t digest);
  void mix_op(uint64_t op, std::string_view path, uint64_t offset, std::string_view data, IoStatus status);

  DiskFarm& farm_;
  NodeId node_;
  Rng latency_rng_;  // latency samples only, so faults do not shift timing
  Rng fault_rng_;    // crash resolution, corruption, misdirection
  FileMap files_;
  uint64_t cached_bytes_ = 0;
  Time busy_until_ = Time::zero();
  Time full_until_ = Time::zero();
  Time slow_until_ = Time::zero();
  double slow_factor_ = 1;
  bool misdirect_armed_ = false;
};

class DiskFarm {
 public:
  // rng is the farm's own stream (e.g. the world's rng.fork("disk")); each
  // node's disk forks it by node index, so creation order does not matter.
  DiskFarm(Engine& engine, Rng rng, DiskOptions options);
  ~DiskFarm();
  DiskFarm(const DiskFarm&) = delete;
  DiskFarm& operator=(const DiskFarm&) = delete;

  void set_trace(DiskTraceHook hook) { trace_hook_ = std::move(hook); }
  // A branch of `detsim explore`: perturbs every disk's draws, and the
  // streams of disks first used from here on.
  void reseed(uint64_t salt);
  void set_fsync_start_hook(FsyncStartHook hook) { fsync_start_hook_ = std::move(hook); }
  // The nodes that hold copies of the same files, for the fault budget.
  void set_replicas(std::vector<uint32_t> node_indexes);

  // The node's disk, created empty on first use.
  SimDisk& disk(NodeId node);
  // nullptr if the node's disk was never used.
  const SimDisk* find(NodeId node) const;

  // ---- fault entry points ----
  // A disk never used has nothing to lose: crashing it changes nothing, not
  // even the fingerprint, so models without a disk keep theirs.
  void crash(NodeId node);
  bool corrupt(NodeId node, uint64_t pick) { return disk(node).corrupt(pick); }
  void set_full_until(NodeId node, Time until) { disk(node).set_full_until(until); }
  void misdirect_next_write(NodeId node) { disk(node).misdirect_next_write(); }
  void set_slow(NodeId node, double factor, Time until) { disk(node).set_slow(factor, until); }
  // Ends the disk's full or slow spell; nothing for a disk never used.
  void heal(NodeId node);

  // ---- for SimDisk ----
  Engine& engine() { return engine_; }
  const DiskOptions& options() const { return options_; }
  // Whether corrupting (path, sector) on node keeps the fault budget.
  bool may_corrupt(NodeId node, std::string_view path, uint64_t sector) const;
  void trace(NodeId node, std::string text) const;
  void fsync_started(NodeId node) const {
    if (fsync_start_hook_) fsync_start_hook_(node);
  }

 private:
  Engine& engine_;
  Rng rng_;
  DiskOptions options_;
  std::map<uint32_t, std::unique_ptr<SimDisk>> disks_;
  std::set<uint32_t> replicas_;
  DiskTraceHook trace_hook_;
  FsyncStartHook fsync_start_hook_;
};

}  // namespace detsim
