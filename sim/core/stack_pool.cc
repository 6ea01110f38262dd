#include "sim/core/stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <new>

#include "sim/core/assert.h"

namespace detsim {
namespace {
// 64 stacks per mapping: few mappings for 100k fibers (vm.max_map_count is
// 65530), and little address space wasted for small runs.
constexpr size_t kStacksPerBlock = 64;
}  // namespace

StackPool& StackPool::for_this_thread(size_t stack_bytes) {
  // Deliberately leaked, see the header.
  thread_local auto* pools = new std::map<size_t, std::unique_ptr<StackPool>>();
  auto& pool = (*pools)[stack_bytes];
  if (!pool) pool = std::make_unique<StackPool>(stack_bytes);
  return *pool;
}

StackPool::StackPool(size_t stack_bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  stack_bytes_ = (stack_bytes + page - 1) / page * page;
  // Invariant: a stack holds at least one page.
  DETSIM_ASSERT(stack_bytes_ >= page);
}

void StackPool::add_block() {
  const size_t block_bytes = stack_bytes_ * kStacksPerBlock;
  void* block = mmap(nullptr, block_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (block == MAP_FAILED) throw std::bad_alloc();
  // Pushed in reverse so stacks are handed out from low addresses up.
  for (size_t i = kStacksPerBlock; i-- > 0;) free_.push_back(static_cast<char*>(block) + i * stack_bytes_);
}

boost::context::stack_context StackPool::allocate() {
  if (free_.empty()) add_block();
  char* base = free_.back();
  free_.pop_back();
  boost::context::stack_context stack;
  stack.size = stack_bytes_;
  stack.sp = base + stack_bytes_;  // stacks grow down from the top
  return stack;
}

void StackPool::deallocate(boost::context::stack_context& stack) {
  char* base = static_cast<char*>(stack.sp) - stack.size;
  // The pages go back to the kernel now; touching them again maps fresh
  // zero pages.
  madvise(base, stack.size, MADV_DONTNEED);
  free_.push_back(base);
}

}  // namespace detsim
