// The memo of a linearizability search: the set of (linearized operations,
// state) pairs already explored (Lowe 2017, section 4; Porcupine's
// "cache"). A pair seen before leads nowhere new, so the search skips it.
//
// Sets are stored as a window of bitset words in one arena, so an entry
// costs a few words and no allocation of its own.
//
// The table counts its own bytes (slots and arena as sized here, not as
// the allocator rounds them), so a memory limit gives the same verdict on
// every platform; it never grows past the limit the search sets.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <vector>

namespace detsim::check {

class MemoTable {
 public:
  MemoTable() : slots_(kInitialSlots) {}
  MemoTable(const MemoTable&) = delete;
  MemoTable& operator=(const MemoTable&) = delete;

  enum class Insert : uint8_t {
    fresh,        // new, and now remembered
    seen,         // remembered before
    full,         // new, but remembering it would pass the byte limit
    interrupted,  // new and remembered, but should_stop ended a growth
  };

  // set_hash: a hash of the whole set; words: the set's bits from word
  // first_word on, trimmed so that equal sets give equal windows.
  // Membership only: the table is never iterated, so its order cannot leak
  // into results.
  Insert insert(uint64_t set_hash, uint32_t state, uint32_t first_word, std::span<const uint64_t> words) {
    const Key key{mix(set_hash, state), state, first_word, static_cast<uint32_t>(words.size()), arena_.size()};
    for (size_t slot = key.hash & mask();; slot = (slot + 1) & mask()) {
      Key& held = slots_[slot];
      if (held.offset == kEmpty) return add(held, key, words);
      if (same(held, key, words)) return Insert::seen;
    }
  }
  size_t size() const { return size_; }
  // What the table holds, as counted for the limit.
  uint64_t bytes() const { return slots_.size() * kSlotBytes + arena_words_ * sizeof(uint64_t); }
  // The most bytes() may become; an insert that would pass it is refused.
  void set_limit_bytes(uint64_t limit_bytes) { limit_bytes_ = limit_bytes; }
  // Polled while growing, which at hundreds of MB takes longer than a
  // time limit's margin; nullptr: never.
  void set_should_stop(const std::function<bool()>* should_stop) { should_stop_ = should_stop; }

 private:
  // Open addressing with linear probing in one flat array, at most half
  // full: a lookup is one or two cache lines. std::unordered_set's bucket
  // and node chasing was about 60% of the search's time on raft_kv
  // histories (docs/performance.md).
  static constexpr size_t kInitialSlots = 1024;  // a power of two
  static constexpr size_t kEmpty = ~size_t{0};
  // A slot's size on a 64-bit platform, fixed so that counts agree
  // everywhere.
  static constexpr uint64_t kSlotBytes = 32;
  static constexpr size_t kSlotsPerPoll = size_t{1} << 16;
  struct Key {
    uint64_t hash = 0;
    uint32_t state = 0;
    uint32_t first_word = 0;
    uint32_t length = 0;
    size_t offset = kEmpty;  // into arena_; kEmpty marks a free slot
  };
  size_t mask() const { return slots_.size() - 1; }
  bool same(const Key& held, const Key& key, std::span<const uint64_t> words) const {
    if (held.hash != key.hash || held.state != key.state || held.first_word != key.first_word ||
        held.length != key.length)
      return false;
    return key.length == 0 ||
           std::memcmp(arena_.data() + held.offset, words.data(), key.length * sizeof(uint64_t)) == 0;
  }
  bool stop_requested() const { return should_stop_ != nullptr && (*should_stop_)(); }

  Insert add(Key& held, const Key& key, std::span<const uint64_t> words) {
    // Arena capacity is reserved here, doubling, so its count does not
    // depend on the standard library's growth factor.
    uint64_t arena_words = arena_words_;
    if (arena_.size() + words.size() > arena_words)
      arena_words = std::max(2 * arena_words, arena_.size() + words.size());
    const bool grows = (size_ + 1) * 2 > slots_.size();
    const uint64_t slot_bytes = (grows ? 2 : 1) * slots_.size() * kSlotBytes;
    if (slot_bytes + arena_words * sizeof(uint64_t) > limit_bytes_) return Insert::full;
    if (arena_words != arena_words_) {
      arena_.reserve(arena_words);
      arena_words_ = arena_words;
    }
    arena_.insert(arena_.end(), words.begin(), words.end());
    held = key;
    ++size_;
    if (grows && !grow()) return Insert::interrupted;
    return Insert::fresh;
  }

  // Doubles the slots; false (the table as it was, over half full but
  // sound) if should_stop asked to stop midway.
  bool grow() {
    std::vector<Key> bigger;
    bigger.reserve(slots_.size() * 2);  // untouched pages: filled below, in polled chunks
    while (bigger.size() < slots_.size() * 2) {
      bigger.resize(std::min(bigger.size() + kSlotsPerPoll, slots_.size() * 2));
      if (stop_requested()) return false;
    }
    const size_t bigger_mask = bigger.size() - 1;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (i % kSlotsPerPoll == kSlotsPerPoll - 1 && stop_requested()) return false;
      const Key& key = slots_[i];
      if (key.offset == kEmpty) continue;
      size_t slot = key.hash & bigger_mask;
      while (bigger[slot].offset != kEmpty) slot = (slot + 1) & bigger_mask;
      bigger[slot] = key;
    }
    slots_.swap(bigger);
    return true;
  }
  // The set's hash and the state, mixed (the splitmix64 finalizer).
  static uint64_t mix(uint64_t set_hash, uint32_t state) {
    uint64_t z = set_hash ^ (static_cast<uint64_t>(state) * 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::vector<uint64_t> arena_;
  uint64_t arena_words_ = 0;  // arena_'s capacity as counted
  std::vector<Key> slots_;
  size_t size_ = 0;
  uint64_t limit_bytes_ = UINT64_MAX;
  const std::function<bool()>* should_stop_ = nullptr;
};

}  // namespace detsim::check
