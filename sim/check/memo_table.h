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
#include <unordered_set>
#include <vector>

namespace detsim::check {

class MemoTable {
 public:
  MemoTable() : entries_(64, Hash{}, Equal{&arena_}) {}
  MemoTable(const MemoTable&) = delete;
  MemoTable& operator=(const MemoTable&) = delete;

  // set_hash: a hash of the whole set; words: the set's bits from word
  // first_word on, trimmed so that equal sets give equal windows. True if
  // the pair was new (and is now remembered). Membership only: the table is
  // never iterated, so its order cannot leak into results.
  bool insert(uint64_t set_hash, uint32_t state, uint32_t first_word, std::span<const uint64_t> words) {
    Key key{mix(set_hash, state), state, first_word, static_cast<uint32_t>(words.size()), arena_.size()};
    arena_.insert(arena_.end(), words.begin(), words.end());
    if (entries_.insert(key).second) return true;
    arena_.resize(key.offset);
    return false;
  }
  size_t size() const { return entries_.size(); }

 private:
  struct Key {
    uint64_t hash;
    uint32_t state;
    uint32_t first_word;
    uint32_t length;
    size_t offset;  // into arena_
  };
  struct Hash {
    size_t operator()(const Key& key) const { return static_cast<size_t>(key.hash); }
  };
  struct Equal {
    const std::vector<uint64_t>* arena;
    bool operator()(const Key& a, const Key& b) const {
      if (a.hash != b.hash || a.state != b.state || a.first_word != b.first_word || a.length != b.length) return false;
      return a.length == 0 ||
             std::memcmp(arena->data() + a.offset, arena->data() + b.offset, a.length * sizeof(uint64_t)) == 0;
    }
  };
  // The set's hash and the state, mixed (the splitmix64 finalizer).
  static uint64_t mix(uint64_t set_hash, uint32_t state) {
    uint64_t z = set_hash ^ (static_cast<uint64_t>(state) * 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::vector<uint64_t> arena_;
  std::unordered_set<Key, Hash, Equal> entries_;
};

}  // namespace detsim::check
