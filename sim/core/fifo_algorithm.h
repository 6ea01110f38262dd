// The Boost.Fiber scheduling algorithm of a simulation thread: ready fibers
// run in FIFO order, and when none is ready the engine fires events instead
// of the thread sleeping. It never waits on real time.
#pragma once

#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/scheduler.hpp>

namespace detsim {

class FifoAlgorithm final : public boost::fibers::algo::algorithm {
 public:
  // Installs the algorithm on the calling thread, once, before its first
  // fiber exists; later calls do nothing.
  // Returns the thread's algorithm, so the engine can ask it directly
  // instead of through thread-local storage on every event.
  static FifoAlgorithm* install_on_this_thread();

  void awakened(boost::fibers::context* ctx) noexcept override;
  boost::fibers::context* pick_next() noexcept override;
  bool has_ready_fibers() const noexcept override;
  void suspend_until(std::chrono::steady_clock::time_point const& deadline) noexcept override;
  void notify() noexcept override {}  // one thread: nobody to notify

  // The same as has_ready_fibers(), inline for the engine's hot loop.
  bool any_ready() const noexcept { return !ready_.empty(); }

 private:
  boost::fibers::scheduler::ready_queue_type ready_;
  // The dispatcher is kept out of the FIFO and runs only when no fiber is
  // ready: it is what calls suspend_until(), i.e. fires events.
  boost::fibers::context* dispatcher_ = nullptr;
};

}  // namespace detsim
