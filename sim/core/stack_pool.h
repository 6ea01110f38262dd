// Fiber stacks without guard pages, carved page-aligned out of large mmap'd
// blocks. A freed stack is handed back to the kernel (MADV_DONTNEED) and
// kept for reuse. With malloc'd stacks (Boost's fixedsize_stack) every page
// a fiber ever touched stays resident after it exits, and Boost.Fiber's exit
// path alone touches a 5 KB frame: W3's 100k fibers then peaked near 1 GiB.
#pragma once

#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <vector>

namespace detsim {

class StackPool {
 public:
  // One pool per thread and stack size. Its blocks are never unmapped: the
  // thread's Boost.Fiber scheduler may release a finished fiber's stack
  // after every other thread-local object is gone.
  static StackPool& for_this_thread(size_t stack_bytes);

  explicit StackPool(size_t stack_bytes);
  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& stack);
  size_t stack_bytes() const { return stack_bytes_; }

 private:
  void add_block();

  size_t stack_bytes_;
  std::vector<char*> free_;
};

// The StackAllocator Boost.Fiber expects, over a StackPool.
class PooledStack {
 public:
  explicit PooledStack(StackPool& pool) : pool_(&pool) {}
  boost::context::stack_context allocate() { return pool_->allocate(); }
  void deallocate(boost::context::stack_context& stack) noexcept { pool_->deallocate(stack); }

 private:
  StackPool* pool_;
};

}  // namespace detsim
