// Blocking primitives for model code, built on the engine's park/wake, so a
// crash can unwind a fiber blocked in any of them (Boost's own mutex,
// condition and channels cannot be: the engine does not see those waits).
// All timeouts are in simulated time. They are for fibers of one node; nodes
// talk only through the network.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include "sim/api/context.h"
#include "sim/core/ring_queue.h"

namespace detsim {

// Waiters in FIFO order; a waiter whose park already ended is skipped.
class WaitQueue {
 public:
  explicit WaitQueue(Context& ctx) : ctx_(&ctx) {}
  // Parks the calling fiber in the queue until notified (true) or the
  // deadline (false).
  bool wait_until(Time deadline) {
    waiters_.push_back(ctx_->begin_wait());
    return ctx_->park(deadline);
  }
  bool notify_one() {
    while (!waiters_.empty()) {
      Waiter next = waiters_.front();
      waiters_.pop_front();
      if (ctx_->wake(next)) return true;
    }
    return false;
  }
  void notify_all() {
    while (notify_one()) {
    }
  }
  Context& context() const { return *ctx_; }

 private:
  Context* ctx_;
  RingQueue<Waiter> waiters_;
};

// An unbounded FIFO channel. push() never blocks, so event handlers (a
// message arriving) may push.
template <class T>
class Mailbox {
 public:
  explicit Mailbox(Context& ctx) : waiters_(ctx) {}
  void push(T value) {
    items_.push_back(std::move(value));
    waiters_.notify_one();
  }
  std::optional<T> try_pop() {
    if (items_.empty()) return std::nullopt;
    T value = std::move(items_.front());
    items_.pop_front();
    return value;
  }
  std::optional<T> pop(Duration timeout = Duration::max()) {
    const Time deadline = waiters_.context().now() + timeout;
    while (items_.empty()) {
      if (waiters_.context().now() >= deadline) return std::nullopt;
      waiters_.wait_until(deadline);
    }
    return try_pop();
  }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

 private:
  RingQueue<T> items_;
  WaitQueue waiters_;
};

// Ownership passes directly to the next waiter on unlock, so a fiber that
// just unlocked cannot barge back in ahead of one that has waited.
class Mutex {
 public:
  explicit Mutex(Context& ctx) : ctx_(&ctx) {}
  void lock() { try_lock_for(Duration::max()); }
  bool try_lock_for(Duration timeout) {
    Waiter me = ctx_->begin_wait();
    if (owner_ == kNoFiber) {
      owner_ = me.fiber;
      return true;
    }
    const Time deadline = ctx_->now() + timeout;
    waiters_.push_back(me);
    ctx_->park(deadline);
    // unlock() made us the owner before waking us; a timeout did not.
    return owner_ == me.fiber;
  }
  bool try_lock() { return try_lock_for(Duration::zero()); }
  void unlock() {
    if (owner_ != ctx_->current_fiber()) {
      // A crash can unwind a LockGuard whose lock() or Condition wait never
      // got the mutex back; the node's memory is going away, so let it be.
      if (ctx_->crashing()) return;
      // Invariant: a mutex is unlocked only by the fiber that holds it.
      DETSIM_ASSERT(owner_ == ctx_->current_fiber());
    }
    owner_ = kNoFiber;
    while (!waiters_.empty()) {
      Waiter next = waiters_.front();
      waiters_.pop_front();
      if (ctx_->wake(next)) {
        owner_ = next.fiber;
        return;
      }
    }
  }
  bool locked() const { return owner_ != kNoFiber; }

 private:
  Context* ctx_;
  RingQueue<Waiter> waiters_;
  FiberId owner_ = kNoFiber;
};

// Releases a Mutex when it goes out of scope, including during the unwind
// of a crash.
class LockGuard {
 public:
  explicit LockGuard(Mutex& mutex) : mutex_(mutex) { mutex_.lock(); }
  ~LockGuard() { mutex_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Mutex& mutex_;
};

// A condition variable over a Mutex. As always, recheck the predicate:
// wait_for returning true means "notified", not "the condition holds".
class Condition {
 public:
  explicit Condition(Context& ctx) : waiters_(ctx) {}
  // Releases the mutex, waits, and takes the mutex back (also on timeout).
  bool wait_for(Mutex& mutex, Duration timeout = Duration::max()) {
    const Time deadline = waiters_.context().now() + timeout;
    mutex.unlock();
    bool notified = waiters_.wait_until(deadline);
    mutex.lock();
    return notified;
  }
  void notify_one() { waiters_.notify_one(); }
  void notify_all() { waiters_.notify_all(); }

 private:
  WaitQueue waiters_;
};

// A one-shot value handed from one fiber (or an event handler) to others.
template <class T>
class Promise;

template <class T>
class Future {
 public:
  // Waits for the value; nullopt on timeout. May be called repeatedly.
  std::optional<T> get(Duration timeout = Duration::max()) {
    const Time deadline = state_->waiters.context().now() + timeout;
    while (!state_->value) {
      if (state_->waiters.context().now() >= deadline) return std::nullopt;
      state_->waiters.wait_until(deadline);
    }
    return state_->value;
  }
  bool ready() const { return state_->value.has_value(); }

 private:
  friend class Promise<T>;
  struct State {
    explicit State(Context& ctx) : waiters(ctx) {}
    std::optional<T> value;
    WaitQueue waiters;
  };
  explicit Future(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

template <class T>
class Promise {
 public:
  explicit Promise(Context& ctx) : state_(std::make_shared<typename Future<T>::State>(ctx)) {}
  Future<T> future() const { return Future<T>(state_); }
  // Only the first value counts; later ones are ignored.
  void set(T value) {
    if (state_->value) return;
    state_->value = std::move(value);
    state_->waiters.notify_all();
  }

 private:
  std::shared_ptr<typename Future<T>::State> state_;
};

}  // namespace detsim
