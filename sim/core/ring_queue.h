// A FIFO on a power-of-two ring buffer that allocates nothing until its
// first push. std::deque allocates ~600 bytes even when empty; every node
// has a mailbox and several wait queues, and W3 runs 100k nodes.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include "sim/core/assert.h"

namespace detsim {

template <class T>
class RingQueue {
 public:
  RingQueue() = default;
  RingQueue(RingQueue&& other) noexcept { *this = std::move(other); }
  RingQueue& operator=(RingQueue&& other) noexcept {
    slots_ = std::move(other.slots_);
    capacity_ = std::exchange(other.capacity_, 0);
    head_ = std::exchange(other.head_, 0);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;
  ~RingQueue() { clear(); }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  void push_back(T value) {
    if (size_ == capacity_) grow();
    new (slot(head_ + size_)) T(std::move(value));
    ++size_;
  }
  T& front() {
    // Invariant: front() is only read from a non-empty queue.
    DETSIM_ASSERT(size_ > 0);
    return *slot(head_);
  }
  void pop_front() {
    DETSIM_ASSERT(size_ > 0);
    slot(head_)->~T();
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  void clear() {
    while (size_ > 0) pop_front();
  }

 private:
  struct alignas(T) Slot {
    unsigned char bytes[sizeof(T)];
  };
  T* slot(size_t index) { return reinterpret_cast<T*>(slots_[index & (capacity_ - 1)].bytes); }

  void grow() {
    const size_t capacity = capacity_ == 0 ? 4 : capacity_ * 2;
    std::unique_ptr<Slot[]> slots(new Slot[capacity]);
    for (size_t i = 0; i < size_; ++i) {
      T* from = slot(head_ + i);
      new (slots[i].bytes) T(std::move(*from));
      from->~T();
    }
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
  }

  std::unique_ptr<Slot[]> slots_;
  size_t capacity_ = 0;  // 0 or a power of two
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace detsim
