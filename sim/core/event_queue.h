// The engine's pending events, ordered by (time, sequence): events at the
// same instant run in the order they were scheduled (ns-3's Simulator keys
// its events the same way). Under an exploring policy (sched_order.h) the
// sequence carries a rank in its top bits, so the same comparison orders an
// instant's events by rank first, and by scheduling order within a rank. Cancelling is O(1): targets check, when they
// fire, whether what they were scheduled for still holds (an epoch or a
// generation in the event's arguments), so nothing is ever removed early.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/time.h"

namespace detsim {

class EventTarget {
 public:
  virtual ~EventTarget() = default;
  virtual void fire(uint64_t a, uint64_t b) = 0;
};

struct Event {
  Time at;
  uint64_t sequence;  // (rank << kSequenceBits) | scheduling order
  EventTarget* target;
  uint64_t a;
  uint64_t b;
};

// A 4-ary min-heap: shallower than a binary heap, and its four children
// share a cache line or two, which matters above ~1e5 pending events.
class EventQueue {
 public:
  // Room for 10^12 events below the rank.
  static constexpr int kSequenceBits = 40;
  static constexpr uint64_t kSequenceMask = (uint64_t{1} << kSequenceBits) - 1;

  // The fifo path: rank 0, so the sequence is the scheduling order alone.
  void push(Time at, EventTarget* target, uint64_t a, uint64_t b) {
    heap_.push_back(Event{at, next_sequence_++, target, a, b});
    sift_up(heap_.size() - 1);
  }
  void push_ranked(Time at, uint32_t rank, EventTarget* target, uint64_t a, uint64_t b) {
    // Invariant: the scheduling order never spills into the rank bits.
    DETSIM_ASSERT(next_sequence_ <= kSequenceMask);
    heap_.push_back(Event{at, uint64_t{rank} << kSequenceBits | next_sequence_++, target, a, b});
    sift_up(heap_.size() - 1);
  }
  static uint32_t rank_of(const Event& event) { return static_cast<uint32_t>(event.sequence >> kSequenceBits); }
  // Gives every pending event of rank `from` rank `to`, then restores the
  // heap bottom-up (Floyd): O(n), for PCT's few change points per run.
  void rerank(uint32_t from, uint32_t to) {
    for (Event& event : heap_) {
      if (rank_of(event) == from) event.sequence = uint64_t{to} << kSequenceBits | (event.sequence & kSequenceMask);
    }
    for (size_t i = heap_.size() / 4 + 1; i-- > 0;) {
      if (i < heap_.size()) sift_down(i);
    }
  }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front(); }
  Event pop() {
    Event first = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    return first;
  }
  uint64_t scheduled_total() const { return next_sequence_; }

 private:
  static bool before(const Event& x, const Event& y) {
    if (x.at != y.at) return x.at < y.at;
    return x.sequence < y.sequence;
  }
  void sift_up(size_t i) {
    Event moving = heap_[i];
    while (i > 0) {
      size_t parent = (i - 1) / 4;
      if (!before(moving, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = moving;
  }
  void sift_down(size_t i) {
    Event moving = heap_[i];
    const size_t n = heap_.size();
    for (;;) {
      size_t first_child = 4 * i + 1;
      if (first_child >= n) break;
      size_t best = first_child;
      size_t last_child = first_child + 4 < n ? first_child + 4 : n;
      for (size_t c = first_child + 1; c < last_child; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], moving)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = moving;
  }

  std::vector<Event> heap_;
  uint64_t next_sequence_ = 0;
};

}  // namespace detsim
