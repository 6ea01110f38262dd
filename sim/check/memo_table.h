// The memo of a linearizability search: the set of (linearized operations,
// state) pairs already explored (Lowe 2017, section 4; Porcupine's
// "cache"). A pair seen before leads nowhere new, so the search skips it.
//
// Sets are stored as a window of bitset words in one arena, so an entry
// costs a few words and no allocation of its own.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace detsim::check {

class MemoTable {
 public:
  MemoTable() : slots_(kInitialSlots) {}
  MemoTable(const MemoTable&) = delete;
  MemoTable& operator=(const MemoTable&) = delete;

  // set_hash: a hash of the whole set; words: the set's bits from word
  // first_word on, trimmed so that equal sets give equal windows. True if
  // the pair was new (and is now remembered). Membership only: the table is
  // never iterated, so its order cannot leak into results.
  bool insert(uint64_t set_hash, uint32_t state, uint32_t first_word, std::span<const uint64_t> words) {
    const Key key{mix(set_hash, state), state, first_word, static_cast<uint32_t>(words.size()), arena_.size()};
    for (size_t slot = key.hash & mask();; slot = (slot + 1) & mask()) {
      Key& held = slots_[slot];
      if (held.offset == kEmpty) {
        arena_.insert(arena_.end(), words.begin(), words.end());
        held = key;
        if (++size_ * 2 > slots_.size()) grow();
        return true;
      }
      if (same(held, key, words)) return false;
    }
  }
  size_t size() const { return size_; }

 private:
  // Open addressing with linear probing in one flat array, at most half
  // full: a lookup is one or two cache lines. std::unordered_set's bucket
  // and node chasing was about 60% of the search's time on raft_kv
  // histories (docs/performance.md).
  static constexpr size_t kInitialSlots = 1024;  // a power of two
  static constexpr size_t kEmpty = ~size_t{0};
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
  void grow() {
    std::vector<Key> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Key& key : old) {
      if (key.offset == kEmpty) continue;
      size_t slot = key.hash & mask();
      while (slots_[slot].offset != kEmpty) slot = (slot + 1) & mask();
      slots_[slot] = key;
    }
  }
  // The set's hash and the state, mixed (the splitmix64 finalizer).
  static uint64_t mix(uint64_t set_hash, uint32_t state) {
    uint64_t z = set_hash ^ (static_cast<uint64_t>(state) * 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::vector<uint64_t> arena_;
  std::vector<Key> slots_;
  size_t size_ = 0;
};

}  // namespace detsim::check
