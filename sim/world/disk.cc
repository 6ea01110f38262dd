#include "sim/world/disk.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <utility>

#include "sim/core/assert.h"

namespace detsim {
namespace {

// Fingerprint kinds. The world's own are 101..107; the disk's start at 201.
enum : uint64_t {
  kDiskOpKind = 201,
  kDiskCrashKind,
  kDiskCorruptKind,
  kDiskFullKind,
  kDiskMisdirectKind,
  kDiskSlowKind,
};
// Operation codes inside a kDiskOpKind digest.
enum : uint64_t { kOpCreate = 1, kOpWrite, kOpFsync, kOpTruncate, kOpRename, kOpRemove };
// How each unsynced operation ended at a crash, inside the crash digest.
enum : uint64_t { kLost = 1, kPersisted, kTorn };

// At most this many sector numbers per file in a torn-write trace line.
constexpr size_t kTracedSectorsMax = 16;
// A latent corruption flips a short run of bytes, as a bad sector would.
constexpr uint64_t kCorruptBytesMax = 8;

uint64_t combine(uint64_t seed, uint64_t value) {
  uint64_t state = seed ^ (value * 0x9e3779b97f4a7c15ULL);
  return splitmix64(state);
}

uint64_t sectors_in(uint64_t bytes, uint64_t sector_size) { return (bytes + sector_size - 1) / sector_size; }

// pwrite semantics: a gap past the end reads as zeros; an empty write
// changes nothing, not even the size.
void write_bytes(std::string& content, uint64_t offset, std::string_view data) {
  if (data.empty()) return;
  if (content.size() < offset + data.size()) content.resize(offset + data.size(), '\0');
  content.replace(offset, data.size(), data);
}

std::string format_time(Time t) { return format_duration(t.since_start()); }

}  // namespace

struct SimDisk::CrashTally {
  uint64_t lost = 0;
  uint64_t persisted = 0;
  uint64_t torn = 0;
  uint64_t digest = 0;
  std::string torn_detail;  // "wal sectors 1,3 new; log sectors 0 new"
};

SimDisk::SimDisk(DiskFarm& farm, NodeId node, Rng rng)
    : farm_(farm), node_(node), latency_rng_(rng.fork("latency")), fault_rng_(rng.fork("fault")) {}

void SimDisk::reseed(uint64_t salt) {
  latency_rng_.perturb(salt);
  fault_rng_.perturb(salt);
}

// ------------------------------------------------------------------ timing

// One FIFO queue per disk: an operation starts when the disk is free, holds
// it for its service time, then completes after a latency. Under load the
// queue grows, which is how a slow disk shows up as replication lag.
void SimDisk::wait_for_io(uint64_t bytes, bool is_fsync) {
  Engine& engine = farm_.engine();
  // Invariant: only a fiber can wait for its I/O.
  DETSIM_ASSERT(engine.current_fiber() != kNoFiber);
  const DiskOptions& options = farm_.options();
  const double factor = slow_factor();
  double service_s = 0;
  if (options.iops > 0) service_s += 1.0 / options.iops;
  if (options.bandwidth > 0) service_s += static_cast<double>(bytes) / options.bandwidth;
  const Time start = std::max(engine.now(), busy_until_);
  busy_until_ = start + Duration::from_seconds(service_s * factor);
  Duration latency = (is_fsync ? options.fsync_latency : options.latency).sample(latency_rng_);
  if (factor != 1) latency = Duration::from_seconds(latency.to_seconds() * factor);
  DETSIM_ASSERT(latency >= Duration::zero());
  engine.sleep_until(busy_until_ + latency);
}

double SimDisk::slow_factor() const { return farm_.engine().now() < slow_until_ ? slow_factor_ : 1.0; }

// ------------------------------------------------------------- operations

SimDisk::File* SimDisk::find(std::string_view path) {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

bool SimDisk::may_grow(const File& file, uint64_t new_size) const {
  if (new_size <= file.cached.size()) return true;
  if (farm_.engine().now() < full_until_) return false;
  const uint64_t capacity = farm_.options().capacity;
  return capacity == 0 || cached_bytes_ + (new_size - file.cached.size()) <= capacity;
}

void SimDisk::set_cached_size_delta(uint64_t before, uint64_t after) {
  // Invariant: cached_bytes_ is the sum of every file's page-cache size.
  DETSIM_ASSERT(cached_bytes_ >= before);
  cached_bytes_ = cached_bytes_ - before + after;
}

IoStatus SimDisk::open(std::string_view path, bool create) {
  wait_for_io(0, false);
  if (find(path) != nullptr) return IoStatus::ok;
  if (!create) return IoStatus::not_found;
  files_.emplace(std::string(path), File{});
  mix_op(kOpCreate, path, 0, {}, IoStatus::ok);
  return IoStatus::ok;
}

IoStatus SimDisk::write(std::string_view path, uint64_t offset, std::string_view data) {
  return write_at(path, offset, data);
}

IoStatus SimDisk::append(std::string_view path, std::string_view data) { return write_at(path, std::nullopt, data); }

// The operation takes effect when its I/O completes, not when it is issued:
// if the node crashes meanwhile, sleep_until throws and nothing happened.
IoStatus SimDisk::write_at(std::string_view path, std::optional<uint64_t> offset, std::string_view data) {
  wait_for_io(data.size(), false);
  File* file = find(path);
  if (file == nullptr) {
    mix_op(kOpWrite, path, 0, data, IoStatus::not_found);
    return IoStatus::not_found;
  }
  const uint64_t intended = offset.value_or(file->cached.size());
  uint64_t target = intended;
  if (misdirect_armed_ && !data.empty()) {
    std::optional<uint64_t> landing = misdirected_offset(path, *file, intended, data.size());
    if (!landing) {
      misdirect_armed_ = false;
      farm_.trace(node_,
                  fmt::format("disk: misdirect of {}@{} found no sector within the fault budget", path, intended));
      mix(kDiskMisdirectKind, combine(stable_hash(path), intended));
    }
    target = landing.value_or(intended);
  }
  const uint64_t before = file->cached.size();
  // The file system grows the file over the intended range even when the
  // data goes astray (the size is metadata, written as asked). Bytes that
  // land past that end fall outside the file, in a block it was never
  // given: they are lost.
  const uint64_t after = data.empty() ? before : std::max(before, intended + data.size());
  std::string_view landed = data;
  if (target != intended) landed = target >= after ? std::string_view() : data.substr(0, after - target);
  if (!may_grow(*file, after)) {
    mix_op(kOpWrite, path, target, data, IoStatus::no_space);
    return IoStatus::no_space;
  }
  if (target != intended) {
    misdirect_armed_ = false;
    // Both sectors now hold wrong bytes; the budget counts them until a
    // full rewrite (clear_rewritten).
    file->corrupted.insert(intended / farm_.options().sector_size);
    if (!landed.empty()) file->corrupted.insert(target / farm_.options().sector_size);
    farm_.trace(node_, fmt::format("disk: misdirected write {}@{} -> @{}{}", path, intended, target,
                                   landed.empty() ? " (past the end of the file: lost)" : ""));
    mix(kDiskMisdirectKind, combine(combine(stable_hash(path), intended), target));
    if (intended + data.size() > before) {
      // The intended range's new part holds no data: zeros here; its old
      // part keeps its old bytes.
      const uint64_t from = std::max(intended, before);
      const std::string hole(intended + data.size() - from, '\0');
      write_bytes(file->cached, from, hole);
      file->pending.push_back(PendingOp{false, from, hole, from});
    }
  }
  write_bytes(file->cached, target, landed);
  if (!data.empty()) {
    // Where the model wrote it: the offset it gave, or for an append the
    // end it believes the file has.
    const uint64_t model_offset = offset.value_or(file->intended_size);
    if (!landed.empty()) file->pending.push_back(PendingOp{false, target, std::string(landed), model_offset});
    file->intended_size = std::max(file->intended_size, model_offset + data.size());
  }
  set_cached_size_delta(before, after);
  mix_op(kOpWrite, path, target, data, IoStatus::ok);
  return IoStatus::ok;
}

IoStatus SimDisk::read(std::string_view path, uint64_t offset, size_t length, std::string* out) {
  DETSIM_ASSERT(out != nullptr);
  // The transfer size is what the file holds when the read is issued.
  uint64_t bytes = 0;
  if (const File* file = find(path); file != nullptr && offset < file->cached.size()) {
    bytes = std::min<uint64_t>(length, file->cached.size() - offset);
  }
  wait_for_io(bytes, false);
  out->clear();
  const File* file = find(path);
  if (file == nullptr) return IoStatus::not_found;
  if (offset < file->cached.size()) out->assign(file->cached, offset, length);
  return IoStatus::ok;
}

IoStatus SimDisk::fsync(std::string_view path) {
  farm_.fsync_started(node_);
  wait_for_io(0, true);
  File* file = find(path);
  if (file == nullptr) {
    mix_op(kOpFsync, path, 0, {}, IoStatus::not_found);
    return IoStatus::not_found;
  }
  sync(*file);
  mix_op(kOpFsync, path, file->durable.size(), {}, IoStatus::ok);
  return IoStatus::ok;
}

IoStatus SimDisk::truncate(std::string_view path, uint64_t size) {
  wait_for_io(0, false);
  File* file = find(path);
  if (file == nullptr) {
    mix_op(kOpTruncate, path, size, {}, IoStatus::not_found);
    return IoStatus::not_found;
  }
  if (!may_grow(*file, size)) {
    mix_op(kOpTruncate, path, size, {}, IoStatus::no_space);
    return IoStatus::no_space;
  }
  set_cached_size_delta(file->cached.size(), size);
  file->cached.resize(size, '\0');
  file->pending.push_back(PendingOp{true, size, {}, size});
  file->intended_size = size;
  mix_op(kOpTruncate, path, size, {}, IoStatus::ok);
  return IoStatus::ok;
}

// Metadata is durable at once (dirsync); the file's unsynced writes move
// with it and stay unsynced.
IoStatus SimDisk::rename(std::string_view from, std::string_view to) {
  wait_for_io(0, false);
  auto source = files_.find(from);
  if (source == files_.end()) {
    mix_op(kOpRename, from, stable_hash(to), {}, IoStatus::not_found);
    return IoStatus::not_found;
  }
  if (from != to) {
    if (auto target = files_.find(to); target != files_.end()) {
      set_cached_size_delta(target->second.cached.size(), 0);
      files_.erase(target);
    }
    auto node = files_.extract(source);
    node.key() = std::string(to);
    files_.insert(std::move(node));
  }
  mix_op(kOpRename, from, stable_hash(to), {}, IoStatus::ok);
  return IoStatus::ok;
}

IoStatus SimDisk::remove(std::string_view path) {
  wait_for_io(0, false);
  auto it = files_.find(path);
  if (it == files_.end()) {
    mix_op(kOpRemove, path, 0, {}, IoStatus::not_found);
    return IoStatus::not_found;
  }
  set_cached_size_delta(it->second.cached.size(), 0);
  files_.erase(it);
  mix_op(kOpRemove, path, 0, {}, IoStatus::ok);
  return IoStatus::ok;
}

std::optional<uint64_t> SimDisk::size(std::string_view path) {
  wait_for_io(0, false);
  const File* file = find(path);
  if (file == nullptr) return std::nullopt;
  return file->cached.size();
}

std::vector<std::string> SimDisk::list(std::string_view prefix) {
  wait_for_io(0, false);
  std::vector<std::string> paths;
  for (auto it = files_.lower_bound(prefix); it != files_.end() && it->first.starts_with(prefix); ++it) {
    paths.push_back(it->first);
  }
  return paths;
}

// ------------------------------------------------------------ durability

// Copies down only the sectors that unsynced operations touched, not the
// whole file: a log fsynced after every append would otherwise cost
// O(file size) per fsync, quadratic over a run (it was 20-40% of raft_kv's
// time at 40 clients). Exact: a sector no pending operation touches holds
// the same bytes in cache and platter (the invariant flip_bytes asserts),
// so the result equals durable = cached.
void SimDisk::sync(File& file) {
  const uint64_t sector_size = farm_.options().sector_size;
  const uint64_t cached_size = file.cached.size();
  file.durable.resize(cached_size, '\0');
  // Runs of touched sectors, merged as they come: a log's appends are
  // adjacent, so this copies each dirty sector about once.
  uint64_t run_begin = 0;
  uint64_t run_end = 0;
  auto copy_run = [&] {
    if (run_begin < run_end)
      file.durable.replace(run_begin, run_end - run_begin, file.cached, run_begin, run_end - run_begin);
  };
  for (const PendingOp& op : file.pending) {
    if (!op.is_truncate) clear_rewritten(file, op.offset, op.data.size());
    // A truncate touches every sector from its new size on (as in
    // pending_touches); a write, the sectors it covers.
    const uint64_t begin = std::min(cached_size, op.offset / sector_size * sector_size);
    const uint64_t end = op.is_truncate
                             ? cached_size
                             : std::min(cached_size, sectors_in(op.offset + op.data.size(), sector_size) * sector_size);
    if (begin >= end) continue;
    if (begin <= run_end && run_begin <= end) {
      run_begin = std::min(run_begin, begin);
      run_end = std::max(run_end, end);
    } else {
      copy_run();
      run_begin = begin;
      run_end = end;
    }
  }
  copy_run();
  // Invariant: after an fsync the platter holds exactly the page cache.
  DETSIM_ASSERT(file.durable.size() == file.cached.size());
  file.pending.clear();
  file.synced_intended_size = file.intended_size;
  file.corrupted.erase(file.corrupted.lower_bound(sectors_in(file.durable.size(), farm_.options().sector_size)),
                       file.corrupted.end());
}

// A sector counts as rewritten only when a write covers all of it: a partial
// write goes down as a whole page from the cache, which may hold the
// corrupted bytes too. Erring this way only makes the fault budget stricter.
void SimDisk::clear_rewritten(File& file, uint64_t offset, uint64_t length) {
  const uint64_t sector_size = farm_.options().sector_size;
  const uint64_t first = sectors_in(offset, sector_size);
  const uint64_t end = (offset + length) / sector_size;
  if (first >= end) return;
  file.corrupted.erase(file.corrupted.lower_bound(first), file.corrupted.lower_bound(end));
}

void SimDisk::crash() {
  CrashTally tally;
  for (auto& [path, file] : files_) resolve_at_crash(path, file, tally);
  cached_bytes_ = 0;
  for (auto& [path, file] : files_) {
    file.cached = file.durable;
    // The restarted model sees only what is there: its intent starts over.
    file.intended_size = file.synced_intended_size = file.cached.size();
    cached_bytes_ += file.cached.size();
  }
  // The device's queue dies with the power; the killed fibers' operations
  // never complete.
  busy_until_ = farm_.engine().now();
  if (tally.lost + tally.persisted + tally.torn > 0) {
    std::string text = fmt::format("disk: crash lost {} unsynced ops, persisted {} out of order, tore {}", tally.lost,
                                   tally.persisted, tally.torn);
    if (!tally.torn_detail.empty()) text += fmt::format(" ({})", tally.torn_detail);
    farm_.trace(node_, std::move(text));
  }
  mix(kDiskCrashKind, combine(combine(combine(tally.digest, tally.lost), tally.persisted), tally.torn));
}

// Each unsynced operation is resolved on its own, in issue order: lost, or
// persisted whole (so a later write may survive an earlier lost one), or
// torn. One draw per operation keeps the stream's position independent of
// the outcomes.
void SimDisk::resolve_at_crash(const std::string& path, File& file, CrashTally& tally) {
  const DiskOptions& options = farm_.options();
  const uint64_t sector_size = options.sector_size;
  for (const PendingOp& op : file.pending) {
    const double draw = fault_rng_.uniform01();
    const uint64_t sectors =
        op.is_truncate ? 0 : (op.offset + op.data.size() - 1) / sector_size - op.offset / sector_size + 1;
    if (draw < options.reorder) {
      if (op.is_truncate) {
        file.durable.resize(op.offset, '\0');
      } else {
        write_bytes(file.durable, op.offset, op.data);
        clear_rewritten(file, op.offset, op.data.size());
      }
      ++tally.persisted;
      tally.digest = combine(tally.digest, kPersisted);
    } else if (draw < options.reorder + options.tear && sectors >= 2) {
      // A one-sector write cannot tear: sector writes are atomic.
      tear(path, file, op, tally);
    } else {
      ++tally.lost;
      tally.digest = combine(tally.digest, kLost);
    }
  }
  file.pending.clear();
  file.corrupted.erase(file.corrupted.lower_bound(sectors_in(file.durable.size(), sector_size)), file.corrupted.end());
}

// A nonempty proper subset of the write's sectors reaches the platter; the
// file then shows new sectors next to old ones (or zeros past the old end).
void SimDisk::tear(const std::string& path, File& file, const PendingOp& op, CrashTally& tally) {
  const uint64_t sector_size = farm_.options().sector_size;
  const uint64_t first = op.offset / sector_size;
  const uint64_t count = (op.offset + op.data.size() - 1) / sector_size - first + 1;
  std::vector<bool> keep(count);
  uint64_t kept = 0;
  for (uint64_t i = 0; i < count; ++i) {
    keep[i] = fault_rng_.bernoulli(0.5);
    kept += keep[i] ? 1 : 0;
  }
  if (kept == 0 || kept == count) {
    const uint64_t flip = fault_rng_.below(count);
    keep[flip] = !keep[flip];
    if (keep[flip]) {
      ++kept;
    } else {
      --kept;
    }
  }
  // Invariant: a torn write is neither lost nor whole.
  DETSIM_ASSERT(kept > 0);
  DETSIM_ASSERT(kept < count);
  std::vector<std::string> traced;
  for (uint64_t i = 0; i < count; ++i) {
    if (!keep[i]) continue;
    const uint64_t sector = first + i;
    const uint64_t begin = std::max(op.offset, sector * sector_size);
    const uint64_t end = std::min(op.offset + op.data.size(), (sector + 1) * sector_size);
    write_bytes(file.durable, begin, std::string_view(op.data).substr(begin - op.offset, end - begin));
    clear_rewritten(file, begin, end - begin);
    tally.digest = combine(tally.digest, sector);
    if (traced.size() < kTracedSectorsMax) traced.push_back(fmt::format("{}", sector));
  }
  ++tally.torn;
  tally.digest = combine(tally.digest, kTorn);
  if (!tally.torn_detail.empty()) tally.torn_detail += "; ";
  tally.torn_detail +=
      fmt::format("{} sectors {}{} new", path, fmt::join(traced, ","), kept > traced.size() ? ",..." : "");
}

// ------------------------------------------------------------------ faults

bool SimDisk::corrupt(uint64_t pick) {
  const uint64_t sector_size = farm_.options().sector_size;
  struct Candidate {
    FileMap::iterator file;
    uint64_t sector;
  };
  std::vector<Candidate> candidates;
  for (auto it = files_.begin(); it != files_.end(); ++it) {
    const uint64_t sectors = sectors_in(it->second.durable.size(), sector_size);
    for (uint64_t sector = 0; sector < sectors; ++sector) {
      if (farm_.may_corrupt(node_, it->first, sector)) candidates.push_back({it, sector});
    }
  }
  if (candidates.empty()) {
    farm_.trace(node_, "disk: corruption found no eligible sector");
    mix(kDiskCorruptKind, 0);
    return false;
  }
  const Candidate& chosen = candidates[pick % candidates.size()];
  flip_bytes(chosen.file->first, chosen.file->second, chosen.sector);
  return true;
}

bool SimDisk::pending_touches(const File& file, uint64_t sector) const {
  const uint64_t sector_size = farm_.options().sector_size;
  const uint64_t begin = sector * sector_size;
  const uint64_t end = begin + sector_size;
  for (const PendingOp& op : file.pending) {
    if (op.is_truncate ? op.offset < end : (op.offset < end && begin < op.offset + op.data.size())) return true;
  }
  return false;
}

// The platter's copy changes. So does the page cache's, unless an unsynced
// operation already holds a newer version of the sector there.
void SimDisk::flip_bytes(const std::string& path, File& file, uint64_t sector) {
  const uint64_t sector_size = farm_.options().sector_size;
  const uint64_t begin = sector * sector_size;
  const uint64_t end = std::min<uint64_t>(begin + sector_size, file.durable.size());
  DETSIM_ASSERT(begin < end);
  const bool cache_too = !pending_touches(file, sector);
  if (cache_too) {
    // Invariant: with no unsynced operation on it, cache and platter agree on a sector.
    DETSIM_ASSERT(file.cached.size() >= end);
    DETSIM_ASSERT(file.cached.compare(begin, end - begin, file.durable, begin, end - begin) == 0);
  }
  const uint64_t start = begin + fault_rng_.below(end - begin);
  const uint64_t count = 1 + fault_rng_.below(std::min(kCorruptBytesMax, end - start));
  for (uint64_t i = 0; i < count; ++i) {
    // A nonzero mask on distinct bytes: the sector surely changes.
    const char mask = static_cast<char>(1 + fault_rng_.below(255));
    file.durable[start + i] ^= mask;
    if (cache_too) file.cached[start + i] ^= mask;
  }
  file.corrupted.insert(sector);
  farm_.trace(node_, fmt::format("disk: corrupted {} sector {} ({} bytes at {})", path, sector, count, start));
  mix(kDiskCorruptKind, combine(combine(stable_hash(path), sector), start));
}

// The offset a misdirected write lands at: sector-aligned, in or just past
// the file, and clear of the intended range, which therefore keeps its old
// bytes. Both the landing sector and the intended one are damaged, so both
// must keep the fault budget; nullopt if no landing place does.
std::optional<uint64_t> SimDisk::misdirected_offset(std::string_view path, const File& file, uint64_t offset,
                                                    uint64_t length) {
  const uint64_t sector_size = farm_.options().sector_size;
  if (!farm_.may_corrupt(node_, path, offset / sector_size)) return std::nullopt;
  // Sectors k with k * sector_size + length <= offset.
  const uint64_t below_count = offset >= length ? (offset - length) / sector_size + 1 : 0;
  // Sectors k with k * sector_size >= offset + length, up to the file's end
  // (at least one, so there is always somewhere to land).
  const uint64_t above_first = sectors_in(offset + length, sector_size);
  const uint64_t above_end = std::max(sectors_in(file.cached.size(), sector_size), above_first + 1);
  std::vector<uint64_t> candidates;
  for (uint64_t k = 0; k < below_count; ++k) {
    if (farm_.may_corrupt(node_, path, k)) candidates.push_back(k);
  }
  for (uint64_t k = above_first; k < above_end; ++k) {
    if (farm_.may_corrupt(node_, path, k)) candidates.push_back(k);
  }
  if (candidates.empty()) return std::nullopt;
  return candidates[fault_rng_.below(candidates.size())] * sector_size;
}

void SimDisk::set_full_until(Time until) {
  full_until_ = until;
  farm_.trace(node_, fmt::format("disk: full until {}", format_time(until)));
  mix(kDiskFullKind, static_cast<uint64_t>(until.count_ns()));
}

void SimDisk::misdirect_next_write() {
  misdirect_armed_ = true;
  farm_.trace(node_, "disk: next write will be misdirected");
  mix(kDiskMisdirectKind, 0);
}

void SimDisk::set_slow(double factor, Time until) {
  DETSIM_ASSERT(factor > 0);
  slow_factor_ = factor;
  slow_until_ = until;
  farm_.trace(node_, fmt::format("disk: slow x{} until {}", factor, format_time(until)));
  mix(kDiskSlowKind, combine(static_cast<uint64_t>(factor * 1000), static_cast<uint64_t>(until.count_ns())));
}

void SimDisk::heal() {
  const Time now = farm_.engine().now();
  if (full_until_ <= now && slow_until_ <= now) return;
  full_until_ = std::min(full_until_, now);
  slow_until_ = std::min(slow_until_, now);
  farm_.trace(node_, "disk: healed");
  mix(kDiskFullKind, static_cast<uint64_t>(now.count_ns()));
}

// -------------------------------------------------------------- inspection

std::optional<uint64_t> SimDisk::durable_prefix(std::string_view path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  const File& file = it->second;
  uint64_t prefix = file.synced_intended_size;
  // A pending write or truncate leaves the bytes before its offset alone.
  for (const PendingOp& op : file.pending) prefix = std::min(prefix, op.intended);
  return prefix;
}

std::optional<std::string> SimDisk::durable_read(std::string_view path, uint64_t offset, size_t length) const {
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  const std::string& durable = it->second.durable;
  if (offset >= durable.size()) return std::string();
  return durable.substr(offset, length);
}

std::optional<std::string> SimDisk::durable_content(std::string_view path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second.durable;
}

std::optional<std::string> SimDisk::cached_content(std::string_view path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second.cached;
}

size_t SimDisk::unsynced_ops() const {
  size_t count = 0;
  for (const auto& [path, file] : files_) count += file.pending.size();
  return count;
}

bool SimDisk::sector_intact(std::string_view path, uint64_t sector) const {
  auto it = files_.find(path);
  if (it == files_.end()) return false;
  const File& file = it->second;
  return sector * farm_.options().sector_size < file.durable.size() && !file.corrupted.contains(sector);
}

void SimDisk::mix(uint64_t kind, uint64_t digest) { farm_.engine().mix_fingerprint(kind, node_.index(), digest); }

void SimDisk::mix_op(uint64_t op, std::string_view path, uint64_t offset, std::string_view data, IoStatus status) {
  uint64_t digest = combine(op, stable_hash(path));
  digest = combine(digest, offset);
  digest = combine(digest, data.empty() ? 0 : stable_hash(data));
  digest = combine(digest, static_cast<uint64_t>(status));
  mix(kDiskOpKind, digest);
}

// -------------------------------------------------------------------- farm

DiskFarm::DiskFarm(Engine& engine, Rng rng, DiskOptions options)
    : engine_(engine), rng_(rng), options_(std::move(options)) {
  DETSIM_ASSERT(options_.sector_size > 0);
  DETSIM_ASSERT(options_.iops >= 0);
  DETSIM_ASSERT(options_.bandwidth >= 0);
  DETSIM_ASSERT(options_.tear >= 0);
  DETSIM_ASSERT(options_.tear <= 1);
  DETSIM_ASSERT(options_.reorder >= 0);
  DETSIM_ASSERT(options_.reorder <= 1);
}

DiskFarm::~DiskFarm() = default;

void DiskFarm::reseed(uint64_t salt) {
  rng_.perturb(salt);
  for (auto& [node, disk] : disks_) disk->reseed(salt);
}

void DiskFarm::set_replicas(std::vector<uint32_t> node_indexes) {
  replicas_ = std::set<uint32_t>(node_indexes.begin(), node_indexes.end());
}

SimDisk& DiskFarm::disk(NodeId node) {
  DETSIM_ASSERT(node.valid());
  auto it = disks_.find(node.index());
  if (it == disks_.end()) {
    auto disk = std::make_unique<SimDisk>(*this, node, rng_.fork("disk", node.index()));
    it = disks_.emplace(node.index(), std::move(disk)).first;
  }
  return *it->second;
}

void DiskFarm::crash(NodeId node) {
  auto it = disks_.find(node.index());
  if (it != disks_.end()) it->second->crash();
}

void DiskFarm::heal(NodeId node) {
  auto it = disks_.find(node.index());
  if (it != disks_.end()) it->second->heal();
}

const SimDisk* DiskFarm::find(NodeId node) const {
  auto it = disks_.find(node.index());
  return it == disks_.end() ? nullptr : it->second.get();
}

// TigerBeetle's fault budget: corrupting a sector on a replica is allowed
// only if another replica still holds that sector intact, so the cluster can
// always repair it and a lost write is the model's bug, not bad luck.
bool DiskFarm::may_corrupt(NodeId node, std::string_view path, uint64_t sector) const {
  if (!options_.fault_budget || !replicas_.contains(node.index())) return true;
  for (uint32_t replica : replicas_) {
    if (replica == node.index()) continue;
    const SimDisk* other = find(NodeId(replica));
    if (other != nullptr && other->sector_intact(path, sector)) return true;
  }
  return false;
}

void DiskFarm::trace(NodeId node, std::string text) const {
  if (trace_hook_) trace_hook_(node, std::move(text));
}

}  // namespace detsim
