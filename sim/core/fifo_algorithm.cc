#include "sim/core/fifo_algorithm.h"

#include <boost/fiber/context.hpp>
#include <boost/fiber/operations.hpp>
#include <cstdio>
#include <cstdlib>

#include "sim/core/engine.h"

namespace detsim {
namespace {
thread_local FifoAlgorithm* t_algorithm = nullptr;
}

FifoAlgorithm* FifoAlgorithm::install_on_this_thread() {
  if (t_algorithm != nullptr) return t_algorithm;
  auto* algorithm = new FifoAlgorithm();  // owned by the thread's fiber scheduler
  t_algorithm = algorithm;
  boost::fibers::context::active()->get_scheduler()->set_algo(boost::fibers::algo::algorithm::ptr_t(algorithm));
  return algorithm;
}

void FifoAlgorithm::awakened(boost::fibers::context* ctx) noexcept {
  if (ctx->is_context(boost::fibers::type::dispatcher_context)) {
    dispatcher_ = ctx;
    return;
  }
  ctx->ready_link(ready_);
}

boost::fibers::context* FifoAlgorithm::pick_next() noexcept {
  if (!ready_.empty()) {
    boost::fibers::context* next = &ready_.front();
    ready_.pop_front();
    return next;
  }
  boost::fibers::context* next = dispatcher_;
  dispatcher_ = nullptr;
  return next;
}

bool FifoAlgorithm::has_ready_fibers() const noexcept { return !ready_.empty(); }

void FifoAlgorithm::suspend_until(std::chrono::steady_clock::time_point const& deadline) noexcept {
  if (deadline != std::chrono::steady_clock::time_point::max()) {
    // Boost's sleep_for/wait_for/try_lock_for wait on the real clock; in a
    // simulation virtual time would stand still while the thread sleeps.
    std::fprintf(stderr,
                 "detsim: a fiber waited on real time (boost::this_fiber::sleep_for, *_wait_for or "
                 "try_lock_for); use ctx.sleep_for() and the engine's own primitives\n");
    std::abort();
  }
  Engine* engine = Engine::on_this_thread();
  if (engine == nullptr) {
    std::fprintf(stderr, "detsim: fibers are blocked and no simulation is running on this thread\n");
    std::abort();
  }
  engine->on_idle();
}

}  // namespace detsim
