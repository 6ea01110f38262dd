#include "models/raft_kv/storage.h"

#include <algorithm>

namespace detsim::raft_kv {
namespace {

constexpr uint64_t kSlotSalt = 0x6d6574612d736c74ULL;
constexpr uint64_t kRecordSalt = 0x7261667420726563ULL;
constexpr size_t kRecordHeaderBytes = 12;
constexpr uint32_t kRecordPayloadMax = 1 << 20;
constexpr Duration kFullDiskRetry = Duration::milliseconds(50);

// Little-endian fields, appended to or read from a byte string.
struct Bytes {
  std::string data;
  void u64(uint64_t word) {
    for (int i = 0; i < 8; ++i) data.push_back(static_cast<char>((word >> (8 * i)) & 0xff));
  }
  void u32(uint32_t word) {
    for (int i = 0; i < 4; ++i) data.push_back(static_cast<char>((word >> (8 * i)) & 0xff));
  }
  void text(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    data += s;
  }
};

struct Reader {
  std::string_view data;
  size_t at = 0;
  bool ok = true;
  uint64_t word(int bytes) {
    if (at + static_cast<size_t>(bytes) > data.size()) {
      ok = false;
      return 0;
    }
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value |= uint64_t{static_cast<unsigned char>(data[at + i])} << (8 * i);
    at += static_cast<size_t>(bytes);
    return value;
  }
  std::string text() {
    const uint64_t length = word(4);
    if (!ok || at + length > data.size()) {
      ok = false;
      return {};
    }
    std::string s(data.substr(at, length));
    at += length;
    return s;
  }
};

// Salted and never zero, so a zeroed record or slot never checks out.
uint64_t checksum(uint64_t salt, std::string_view bytes) { return hash_bytes(salt, bytes) | 1; }

struct ParsedRecord {
  uint64_t index = 0;
  uint64_t batch = 0;
  Entry entry;
  size_t bytes = 0;  // header and payload
};

// checksum(kRecordSalt, u32(length) + payload) without building the
// concatenation: the same FNV-1a bytes, then the same finish.
uint64_t record_checksum(uint32_t length, std::string_view payload) {
  const char length_bytes[4] = {static_cast<char>(length), static_cast<char>(length >> 8),
                                static_cast<char>(length >> 16), static_cast<char>(length >> 24)};
  uint64_t h = fnv1a_fold(kRecordSalt ^ 0xcbf29ce484222325ULL, std::string_view(length_bytes, 4));
  h = fnv1a_fold(h, payload);
  return splitmix64(h) | 1;
}

std::optional<ParsedRecord> parse_record(std::string_view file, size_t at) {
  Reader header{file.substr(at)};
  const auto length = static_cast<uint32_t>(header.word(4));
  const uint64_t sum = header.word(8);
  if (!header.ok || length > kRecordPayloadMax || at + kRecordHeaderBytes + length > file.size()) return std::nullopt;
  const std::string_view payload = file.substr(at + kRecordHeaderBytes, length);
  // Structure first, checksum last: both must hold, and a misaligned scan
  // offset almost always fails the cheap one.
  Reader in{payload};
  ParsedRecord record;
  record.index = in.word(8);
  record.entry.term = in.word(8);
  record.batch = in.word(8);
  Command& command = record.entry.command;
  command.kind = static_cast<OpKind>(in.word(1));
  command.client = in.word(8);
  command.seq = in.word(8);
  command.key = in.text();
  command.value = in.text();
  command.expected = in.text();
  if (!in.ok || in.at != payload.size()) return std::nullopt;
  if (record_checksum(length, payload) != sum) return std::nullopt;
  record.bytes = kRecordHeaderBytes + length;
  return record;
}

}  // namespace

std::string Storage::encode_record(uint64_t index, uint64_t batch, const Entry& entry) {
  Bytes payload;
  payload.u64(index);
  payload.u64(entry.term);
  payload.u64(batch);
  payload.data.push_back(static_cast<char>(entry.command.kind));
  payload.u64(entry.command.client);
  payload.u64(entry.command.seq);
  payload.text(entry.command.key);
  payload.text(entry.command.value);
  payload.text(entry.command.expected);
  Bytes covered;
  covered.u32(static_cast<uint32_t>(payload.data.size()));
  covered.data += payload.data;
  Bytes record;
  record.u32(static_cast<uint32_t>(payload.data.size()));
  record.u64(checksum(kRecordSalt, covered.data));
  record.data += payload.data;
  return record.data;
}

std::string Storage::encode_slot(const Meta& meta) {
  Bytes slot;
  slot.u64(meta.term);
  slot.u64(static_cast<uint64_t>(meta.voted_for));
  slot.u64(meta.recovering ? 1 : 0);
  slot.u64(meta.recover_target);
  slot.u64(meta.floor_term);
  slot.u64(meta.version);
  slot.u64(checksum(kSlotSalt, slot.data));
  // Invariant: a slot has a fixed size, so both copies are alike.
  DETSIM_ASSERT(slot.data.size() == kSlotBytes);
  return slot.data;
}

std::optional<Meta> Storage::decode_slot(const std::string& bytes) {
  if (bytes.size() < kSlotBytes) return std::nullopt;
  Reader in{bytes};
  Meta meta;
  meta.term = in.word(8);
  meta.voted_for = static_cast<int64_t>(in.word(8));
  const uint64_t recovering = in.word(8);
  meta.recover_target = in.word(8);
  meta.floor_term = in.word(8);
  meta.version = in.word(8);
  const uint64_t sum = in.word(8);
  if (sum != checksum(kSlotSalt, std::string_view(bytes).substr(0, kSlotBytes - 8)) || recovering > 1) {
    return std::nullopt;
  }
  meta.recovering = recovering == 1;
  return meta;
}

void Storage::retry(const char* what, IoStatus status) {
  // Invariant: these files are this node's own and always exist, so only
  // a full disk can fail an operation; it changes nothing, so wait it out:
  // a server must not answer with what it could not persist.
  DETSIM_ASSERT(status == IoStatus::no_space);
  ctx_.log("raft storage: {} failed: {}; retrying", what, to_string(status));
  ctx_.sleep_for(kFullDiskRetry);
}

LoadedMeta Storage::choose_meta(const std::string& slot0, const std::string& slot1) {
  LoadedMeta out;
  std::optional<uint64_t> versions[2];
  int index = 0;
  for (const std::string* bytes : {&slot0, &slot1}) {
    std::optional<Meta> slot = decode_slot(*bytes);
    const bool blank = std::all_of(bytes->begin(), bytes->end(), [](char c) { return c == 0; });
    if (!slot && !blank) out.damaged = true;
    if (slot) versions[index] = slot->version;
    if (slot && (!out.meta || slot->version > out.meta->version)) out.meta = slot;
    ++index;
  }
  // A fresh disk (both blank) needs nothing; anything else short of two
  // good equal copies does.
  out.needs_repair = out.meta.has_value() && versions[0] != versions[1];
  return out;
}

LoadedMeta Storage::load_meta() {
  Disk& disk = ctx_.disk();
  until_ok("open meta", [&] { return disk.open(kMetaPath, true); });
  std::string slots[2];
  for (int slot = 0; slot < 2; ++slot) {
    const uint64_t offset = slot == 0 ? 0 : kSlotOffset;
    until_ok("read meta", [&] { return disk.read(kMetaPath, offset, kSlotBytes, &slots[slot]); });
  }
  LoadedMeta out = choose_meta(slots[0], slots[1]);
  meta_version_ = out.meta ? out.meta->version : 0;
  return out;
}

void Storage::save_meta(Meta meta, bool sync) {
  meta.version = ++meta_version_;
  const std::string slot = encode_slot(meta);
  Disk& disk = ctx_.disk();
  // One copy durable before the other is touched: a torn or lost write of
  // either leaves the other.
  for (uint64_t offset : {uint64_t{0}, kSlotOffset}) {
    until_ok("write meta", [&] { return disk.write(kMetaPath, offset, slot); });
    if (sync) until_ok("fsync meta", [&] { return disk.fsync(kMetaPath); });
  }
}

void Storage::append(uint64_t first_index, const std::vector<Entry>& entries) {
  // Invariant: the log grows one index at a time.
  DETSIM_ASSERT(first_index == offsets_.size() + 1);
  DETSIM_ASSERT(!entries.empty());
  std::string bytes;
  for (size_t i = 0; i < entries.size(); ++i) {
    offsets_.push_back(log_end_ + bytes.size());
    bytes += encode_record(first_index + i, first_index, entries[i]);
  }
  until_ok("append log", [&] { return ctx_.disk().append(kLogPath, bytes); });
  log_end_ += bytes.size();
}

void Storage::truncate_from(uint64_t index) {
  // Invariant: only existing entries are truncated.
  DETSIM_ASSERT(index >= 1);
  DETSIM_ASSERT(index <= offsets_.size());
  log_end_ = offsets_[index - 1];
  offsets_.resize(index - 1);
  until_ok("truncate log", [&] { return ctx_.disk().truncate(kLogPath, log_end_); });
  // Durable before the next append, so that only the last write of the
  // log is ever unsynced (recovery relies on it).
  sync_log();
}

void Storage::sync_log() {
  until_ok("fsync log", [&] { return ctx_.disk().fsync(kLogPath); });
}

RecoveredLog Storage::recover_log() {
  Disk& disk = ctx_.disk();
  until_ok("open log", [&] { return disk.open(kLogPath, true); });
  const uint64_t size = disk.size(kLogPath).value_or(0);
  std::string file;
  until_ok("read log", [&] { return disk.read(kLogPath, 0, size, &file); });
  RecoveredLog out;
  offsets_.clear();
  size_t at = 0;
  uint64_t term = 0;
  while (at < file.size()) {
    std::optional<ParsedRecord> record = parse_record(file, at);
    if (!record || record->index != offsets_.size() + 1 || record->entry.term < term) break;
    term = record->entry.term;
    offsets_.push_back(at);
    out.entries.push_back(std::move(record->entry));
    at += record->bytes;
  }
  out.index_seen_max = out.entries.size();
  out.term_seen_max = term;
  out.salvaged = load_salvage();
  if (at < file.size()) salvage_damage(file, at, out);
  reconcile_salvage(out.entries, out.salvaged);
  if (!out.salvaged.empty()) out.corrupted = true;
  for (const auto& [index, entry] : out.salvaged) {
    if (index > out.index_seen_max) {
      out.index_seen_max = index;
      out.term_seen_max = entry.term;
    }
  }
  if (at < file.size()) {
    // The salvage is durable before the log is cut.
    save_salvage(out.salvaged);
    until_ok("truncate log", [&] { return disk.truncate(kLogPath, at); });
    sync_log();
  }
  log_end_ = at;
  return out;
}

// The records a log file really holds, in file order: indices strictly
// increase and terms never decrease, because the log is only appended to
// and a truncation is durable before the next append. A misdirected write
// breaks that: it leaves a stale copy of a record at another offset, before
// or after its neighbours, while its intended place keeps old bytes. The
// true records are then the longest chain that keeps the order (a
// misplaced record is the one that breaks it); a tie keeps the earlier
// chain. O(n^2) over the intact records past the damage, a few hundred.
std::vector<size_t> ordered_chain(const std::vector<std::pair<uint64_t, uint64_t>>& records) {
  const size_t n = records.size();
  std::vector<size_t> length(n, 1);
  std::vector<size_t> previous(n, n);
  size_t best = n;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < i; ++j) {
      const bool follows = records[j].first < records[i].first && records[j].second <= records[i].second;
      if (follows && length[j] + 1 > length[i]) {
        length[i] = length[j] + 1;
        previous[i] = j;
      }
    }
    if (best == n || length[i] > length[best]) best = i;
  }
  std::vector<size_t> chain;
  for (size_t at = best; at != n; at = previous[at]) chain.push_back(at);
  std::reverse(chain.begin(), chain.end());
  return chain;
}

// The damage at `at`: is anything intact after it, written by a later
// write? Then the bad bytes had been durable (latent corruption), and the
// intact later records are salvaged (ordered_chain). Otherwise it is a
// torn or lost last write.
void Storage::salvage_damage(const std::string& file, size_t at, RecoveredLog& out) {
  const uint64_t bad_index = offsets_.size() + 1;
  std::vector<ParsedRecord> later_records;
  for (size_t scan = at + 1; scan + kRecordHeaderBytes <= file.size(); ++scan) {
    std::optional<ParsedRecord> later = parse_record(file, scan);
    if (!later || later->index < bad_index) continue;
    if (later->batch > bad_index) out.corrupted = true;
    // The expected record intact at another offset: torn writes never move
    // bytes, only a misdirected write does (scan starts past `at`).
    if (later->index == bad_index) out.corrupted = true;
    scan += later->bytes - 1;
    later_records.push_back(std::move(*later));
  }
  out.torn_tail = !out.corrupted;
  // A torn last write was never acknowledged: its records go with it.
  if (!out.corrupted) return;
  std::vector<std::pair<uint64_t, uint64_t>> keys;
  keys.reserve(later_records.size());
  for (const ParsedRecord& record : later_records) keys.emplace_back(record.index, record.entry.term);
  for (size_t i : ordered_chain(keys)) out.salvaged[later_records[i].index] = later_records[i].entry;
}

// What the log holds supersedes the salvage up to its end: an entry there
// leaves the salvage; one whose term differs from the log's at its index
// conflicts (Raft §5.3: it and all after it would have been deleted) and
// goes with every later one. Returns whether the log's last entry is one
// the salvage held (so the log up to there is the server's own, by log
// matching, and the salvage right after it can join).
bool reconcile_salvage(const std::vector<Entry>& log, Salvage& salvage) {
  bool joined = false;
  while (!salvage.empty() && salvage.begin()->first <= log.size()) {
    const auto first = salvage.begin();
    if (log[first->first - 1].term != first->second.term) {
      salvage.clear();
      return false;
    }
    joined = first->first == log.size();
    salvage.erase(first);
  }
  return joined;
}

Salvage Storage::load_salvage() {
  Disk& disk = ctx_.disk();
  until_ok("open salvage", [&] { return disk.open(kSalvagePath, true); });
  const uint64_t size = disk.size(kSalvagePath).value_or(0);
  std::string file;
  until_ok("read salvage", [&] { return disk.read(kSalvagePath, 0, size, &file); });
  Salvage salvage;
  // Written whole and renamed into place; a rotten record is one more hole.
  for (size_t at = 0; at + kRecordHeaderBytes <= file.size();) {
    std::optional<ParsedRecord> record = parse_record(file, at);
    if (!record) {
      ++at;
      continue;
    }
    salvage[record->index] = std::move(record->entry);
    at += record->bytes;
  }
  return salvage;
}

void Storage::save_salvage(const Salvage& salvage) {
  Disk& disk = ctx_.disk();
  std::string bytes;
  for (const auto& [index, entry] : salvage) bytes += encode_record(index, index, entry);
  until_ok("open salvage", [&] { return disk.open(kSalvageTempPath, true); });
  until_ok("truncate salvage", [&] { return disk.truncate(kSalvageTempPath, 0); });
  if (!bytes.empty()) until_ok("write salvage", [&] { return disk.write(kSalvageTempPath, 0, bytes); });
  until_ok("fsync salvage", [&] { return disk.fsync(kSalvageTempPath); });
  until_ok("rename salvage", [&] { return disk.rename(kSalvageTempPath, kSalvagePath); });
}

}  // namespace detsim::raft_kv
