// What a Raft server keeps on its disk (Raft Figure 2, "persistent state on
// all servers"), in two files:
//
// - raft/meta: currentTerm, votedFor and the recovering flag, in two
//   checksummed 64-byte slots at offsets 0 and 4096 (separate sectors, so
//   no write tears both). save() writes slot 0, fsyncs, then slot 1,
//   fsyncs: a crash or a rotten sector leaves at least one good copy, and
//   load() takes the newest good one.
// - raft/log: one record per entry, appended; a record is
//   [u32 length][u64 checksum][payload], the payload being index, term,
//   the index of the first entry of the same write (its "batch"), and the
//   command. The checksum covers length and payload, so a torn, zeroed or
//   rotten record fails it.
//
// Recovery tells a torn tail from latent corruption: writes are issued one
// at a time, each fsynced before the next, so only the last write can be
// torn. A bad record followed by an intact record of a LATER batch means a
// write after it completed, hence the bad bytes had been durable: latent
// corruption. The intact records after the damage are kept (they are data
// the server durably held, maybe committed entries no one else has): they
// go to raft/salvage before the log is cut at the bad record, and the
// server is marked recovering until its holes are filled (node.h). A bad
// record with nothing after it, or only records of its own batch, is a
// torn write and is cut off.
// Limit: corruption that hits the last batch looks like a torn write.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/raft_kv/messages.h"
#include "sim/api/context.h"
#include "sim/api/disk.h"

namespace detsim::raft_kv {

struct Meta {
  uint64_t term = 0;
  int64_t voted_for = -1;  // server index, -1 for none
  bool recovering = false;
  // Recovering: the last entry (index, term) the log held before the
  // damage. Until caught up, votes go only to candidates at least this
  // up-to-date. (A lost meta file fail-stops the server: node.cc.)
  uint64_t recover_target = 0;
  uint64_t floor_term = 0;
  uint64_t version = 0;  // increases with every save
};

// What the two meta slots hold, read at boot.
struct LoadedMeta {
  std::optional<Meta> meta;  // the newest good slot; nullopt if none
  bool damaged = false;      // some slot was written but is bad
  // The slots do not hold the same good copy (one is bad or blank while
  // the other is not, or their versions differ): rewrite both before
  // anything depends on the meta, or a later rot of the newer slot would
  // bring back the older one (a vote undone).
  bool needs_repair = false;
};

// Intact entries past the log's end that the server durably held, with
// holes (damaged records) between them and the log: index -> entry.
using Salvage = std::map<uint64_t, Entry>;

bool reconcile_salvage(const std::vector<Entry>& log, Salvage& salvage);

// Which of the intact records found past damage, in file order, as (index,
// term) pairs, are the log's own: the longest chain with indices strictly
// increasing and terms never decreasing (storage.cc says why). Positions
// into `records`, in order.
std::vector<size_t> ordered_chain(const std::vector<std::pair<uint64_t, uint64_t>>& records);

struct RecoveredLog {
  std::vector<Entry> entries;  // entry i is log index i + 1
  Salvage salvaged;            // intact records after the first bad one (and the salvage file's)
  bool corrupted = false;      // a bad record before the end: latent corruption
  bool torn_tail = false;
  uint64_t index_seen_max = 0;  // the highest index of any intact record, even past the damage
  uint64_t term_seen_max = 0;   // and its term
};

class Storage {
 public:
  static constexpr const char* kMetaPath = "raft/meta";
  static constexpr const char* kLogPath = "raft/log";
  static constexpr const char* kSalvagePath = "raft/salvage";
  static constexpr const char* kSalvageTempPath = "raft/salvage.tmp";
  static constexpr uint64_t kSlotOffset = 4096;
  static constexpr size_t kSlotBytes = 56;

  explicit Storage(Context& ctx) : ctx_(ctx) {}

  LoadedMeta load_meta();
  // Durable on return unless sync is false (the planted bug).
  void save_meta(Meta meta, bool sync = true);

  RecoveredLog recover_log();
  // Appends entries (log indices first_index...) as one write; volatile
  // until sync_log().
  void append(uint64_t first_index, const std::vector<Entry>& entries);
  // Drops every entry from index on; durable on return.
  void truncate_from(uint64_t index);
  void sync_log();
  // The byte offset where index's record ends in the log file (for the
  // observer's durability checks).
  uint64_t record_end(uint64_t index) const {
    // Invariant: only records the log holds have an end.
    DETSIM_ASSERT(index >= 1);
    DETSIM_ASSERT(index <= offsets_.size());
    return index < offsets_.size() ? offsets_[index] : log_end_;
  }
  // Replaces the salvage file (durable on return; atomic by rename).
  void save_salvage(const Salvage& salvage);

  // For tests: encodings.
  static std::string encode_slot(const Meta& meta);
  static std::optional<Meta> decode_slot(const std::string& bytes);
  // The choice load_meta() makes from the bytes of slot 0 and slot 1.
  static LoadedMeta choose_meta(const std::string& slot0, const std::string& slot1);
  static std::string encode_record(uint64_t index, uint64_t batch, const Entry& entry);

 private:
  void retry(const char* what, IoStatus status);
  Salvage load_salvage();
  void salvage_damage(const std::string& file, size_t at, RecoveredLog& out);
  template <class Op>
  void until_ok(const char* what, Op op) {
    for (IoStatus status = op(); status != IoStatus::ok; status = op()) retry(what, status);
  }

  Context& ctx_;
  uint64_t meta_version_ = 0;
  // Byte offset of each entry's record (entry i at offsets_[i]), and the end.
  std::vector<uint64_t> offsets_;
  uint64_t log_end_ = 0;
};

}  // namespace detsim::raft_kv
