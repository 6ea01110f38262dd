// Disjoint half-open ranges of binlog positions, merged as they touch: the
// rows the source committed and the rows the edge applied, in aggregate
// mode, where there are no rows to compare one by one.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <utility>

namespace detsim::edge {

class IntervalSet {
 public:
  // Adds [first, end); returns how many positions were new.
  uint64_t insert(uint64_t first, uint64_t end) {
    if (first >= end) return 0;
    uint64_t added = end - first;
    auto it = ranges_.upper_bound(first);
    if (it != ranges_.begin() && std::prev(it)->second >= first) --it;
    while (it != ranges_.end() && it->first <= end) {
      const uint64_t lo = std::max(first, it->first);
      const uint64_t hi = std::min(end, it->second);
      if (hi > lo) added -= hi - lo;
      first = std::min(first, it->first);
      end = std::max(end, it->second);
      it = ranges_.erase(it);
    }
    ranges_.emplace(first, end);
    total_ += added;
    return added;
  }
  uint64_t total() const { return total_; }
  const std::map<uint64_t, uint64_t>& ranges() const { return ranges_; }
  // The first position in one set and not the other, if any.
  static std::optional<uint64_t> first_difference(const IntervalSet& a, const IntervalSet& b) {
    auto x = a.ranges_.begin();
    auto y = b.ranges_.begin();
    while (x != a.ranges_.end() && y != b.ranges_.end()) {
      if (x->first != y->first) return std::min(x->first, y->first);
      if (x->second != y->second) return std::min(x->second, y->second);
      ++x;
      ++y;
    }
    if (x != a.ranges_.end()) return x->first;
    if (y != b.ranges_.end()) return y->first;
    return std::nullopt;
  }
  // The first position in [first, end) of this set that other lacks.
  std::optional<uint64_t> first_missing_from(const IntervalSet& other, uint64_t first, uint64_t end) const {
    auto it = ranges_.upper_bound(first);
    if (it != ranges_.begin()) --it;
    for (; it != ranges_.end() && it->first < end; ++it) {
      uint64_t at = std::max(first, it->first);
      const uint64_t stop = std::min(end, it->second);
      while (at < stop) {
        auto cover = other.ranges_.upper_bound(at);
        if (cover == other.ranges_.begin() || std::prev(cover)->second <= at) return at;
        // Touching ranges are merged, so the cover's end is a gap in other.
        at = std::prev(cover)->second;
      }
    }
    return std::nullopt;
  }
  bool operator==(const IntervalSet& other) const { return ranges_ == other.ranges_; }

 private:
  std::map<uint64_t, uint64_t> ranges_;  // first -> end
  uint64_t total_ = 0;
};

}  // namespace detsim::edge
