// The search over one key's sub-history: Lowe's just-in-time linearization
// search (G. Lowe, "Testing for linearizability", Concurrency and
// Computation 2017, Algorithm 1 with the memo of section 4) over Wing &
// Gong's list of calls and returns (JPDC 1993). linearizability.h has the
// semantics; this is the machinery.
//
// A search is resumable: run() stops at a step limit with all of its state
// (list, stack, memo) kept, and the next run() goes on exactly where it
// stopped. The checker gives keys slices of steps in turn
// (linearizability.cc), and a key's verdict and step count do not depend
// on how its steps were sliced.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "sim/check/memo_table.h"
#include "sim/check/operations.h"
#include "sim/check/sequential_model.h"

namespace detsim::check {

inline constexpr int32_t kNoNode = -1;

// An entry of Lowe's doubly linked list: an operation's call or return,
// in real-time order. Node 0 is the head sentinel.
struct Node {
  int32_t prev = kNoNode;
  int32_t next = kNoNode;
  uint32_t op = 0;
  bool is_call = false;
};

// One key's operations, numbered in call order, and the list over them.
struct KeyHistory {
  std::vector<CompactOp> ops;
  std::vector<Node> nodes;           // nodes[0]: head
  std::vector<int32_t> call_node;    // per op
  std::vector<int32_t> return_node;  // per op; kNoNode for info operations
};

// members: one key's indices into operations. timed: order by time (every
// operation has one), else by event order.
KeyHistory build_key_history(const std::vector<Operation>& operations, const std::vector<uint32_t>& members,
                             Datatype datatype, bool timed, ValueTable& values);

enum class SearchEnd : uint8_t {
  linearizable,
  not_linearizable,
  paused,       // the step limit: run() again to go on
  interrupted,  // should_stop said so
  out_of_memory,
};

// What one run() may use.
struct SearchLimits {
  uint64_t step_limit = 0;    // run while *steps is below it
  uint64_t memory_bytes = 0;  // this search's share of the memory limit
  const std::function<bool()>* should_stop = nullptr;
};

class KeySearch {
 public:
  KeySearch(KeyHistory history, ValueTable& values, bool memoize);

  // Counts each step in *steps (shared by all keys of a check). After
  // linearizable, not_linearizable or out_of_memory it must not run again.
  SearchEnd run(const SearchLimits& limits, uint64_t* steps);
  // The bytes this search holds, as counted for the memory limit: the memo
  // and a stack deep enough for every operation (memory use is counted,
  // not measured, so that it is the same on every platform).
  uint64_t bytes() const;
  size_t memo_entries() const { return memo_.size(); }

  // The deepest dead end: the prefix's last ops, its state, the op that
  // could not be placed (sources into the checker's operations).
  const std::vector<uint32_t>& prefix_tail() const { return prefix_tail_; }
  size_t prefix_length() const { return prefix_length_; }
  uint32_t prefix_state() const { return prefix_state_; }
  uint32_t blocked_source() const { return blocked_source_; }

 private:
  struct Frame {
    int32_t call_node = kNoNode;
    uint32_t state = 0;
    int64_t max_linearized = -1;
    bool is_read = false;  // the op placed here left the state as it was
  };

  std::vector<Node>& nodes() { return history_.nodes; }
  void lift(int32_t call);
  void unlift(int32_t call);
  void unlink(int32_t index);
  void relink(int32_t index);
  void flip(uint32_t op);
  enum class Placement : uint8_t {
    placed,
    rejected,          // an illegal step, or a (set, state) pair seen before
    placed_then_stop,  // placed, but the memo's growth was interrupted
    out_of_memory,     // not placed: remembering it would pass the limit
  };
  Placement try_linearize(int32_t call);
  // Undoes the last placement; returns its frame.
  Frame pop_frame();
  MemoTable::Insert remember(uint32_t state, int64_t max_linearized);
  void record_dead_end(int32_t blocked);
  // One step of backtracking from a dead end; nullopt to go on.
  std::optional<SearchEnd> backtrack();

  KeyHistory history_;
  ValueTable& values_;
  bool memoize_;
  std::vector<uint64_t> bits_;
  uint64_t hash_ = 0;
  uint32_t state_;
  int64_t max_linearized_ = -1;
  std::vector<Frame> stack_;
  MemoTable memo_;
  // Where the next step looks: a list entry, or (unwinding_reads_) the
  // stack, popping reads after a failed subtree (key_search.cc).
  int32_t entry_;
  bool unwinding_reads_ = false;
  uint64_t steps_to_poll_ = 0;

  std::vector<uint32_t> prefix_tail_;
  size_t prefix_length_ = 0;
  uint32_t prefix_state_ = 0;
  uint32_t blocked_source_ = 0;
  bool recorded_ = false;
};

}  // namespace detsim::check
