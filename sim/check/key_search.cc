#include "sim/check/key_search.h"

#include <algorithm>
#include <utility>

#include "sim/check/unobserved.h"
#include "sim/core/rng.h"

namespace detsim::check {
namespace {

constexpr uint64_t kPollSteps = 1024;  // how often should_stop is asked: well under 1 ms
constexpr size_t kPrefixShown = 3;     // counterexample: last ops of the longest prefix
// The list, ops, stack and bitset per operation, as counted for the
// memory limit (64-bit sizes rounded up; a count, not a measurement).
constexpr uint64_t kBytesPerOperation = 96;

// The real-time position of an event: by time when every event has one,
// event order breaking ties; else event order alone.
struct Position {
  int64_t time_ns = 0;
  size_t event = 0;
  auto operator<=>(const Position&) const = default;
};

Position call_position(const Operation& operation, bool timed) {
  return {timed ? operation.invoke_at.count_ns() : 0, operation.invoke_event};
}
Position return_position(const Operation& operation, bool timed) {
  return {timed ? operation.complete_at.count_ns() : 0, operation.complete_event};
}

// fail took no effect; an info read tells nothing.
bool takes_part(const Operation& operation, Datatype datatype) {
  if (operation.outcome == OpType::fail) return false;
  if (operation.outcome == OpType::ok) return true;
  return step_kind(datatype, operation.f) != StepKind::read;
}

// Zobrist hashing (A. Zobrist, 1970): the set's hash is the XOR of its
// members' random words, so adding or removing one is one XOR (Lowe 2017,
// section 5: the incremental hash keeps memo lookups O(1) per step).
uint64_t member_hash(uint32_t op) {
  uint64_t state = 0x5eed'c4ec'0000'0000ULL + op;
  return splitmix64(state);
}

}  // namespace

KeyHistory build_key_history(const std::vector<Operation>& operations, const std::vector<uint32_t>& members,
                             Datatype datatype, bool timed, ValueTable& values) {
  std::vector<uint32_t> kept;
  const std::vector<bool> unobserved = unobserved_info_writes(operations, members, datatype);
  for (size_t i = 0; i < members.size(); ++i)
    if (takes_part(operations[members[i]], datatype) && !unobserved[i]) kept.push_back(members[i]);
  std::sort(kept.begin(), kept.end(), [&](uint32_t a, uint32_t b) {
    return call_position(operations[a], timed) < call_position(operations[b], timed);
  });
  KeyHistory key;
  std::vector<std::pair<Position, Node>> entries;
  for (uint32_t op = 0; op < kept.size(); ++op) {
    const Operation& operation = operations[kept[op]];
    key.ops.push_back(compile(operation, kept[op], datatype, values));
    entries.push_back({call_position(operation, timed), Node{kNoNode, kNoNode, op, true}});
    if (operation.outcome == OpType::ok)
      entries.push_back({return_position(operation, timed), Node{kNoNode, kNoNode, op, false}});
  }
  // Stable: a call and a return at one position cannot happen (distinct events).
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  key.call_node.assign(kept.size(), kNoNode);
  key.return_node.assign(kept.size(), kNoNode);
  key.nodes.resize(entries.size() + 1);
  for (size_t i = 0; i < entries.size(); ++i) {
    const int32_t index = static_cast<int32_t>(i + 1);
    Node node = entries[i].second;
    node.prev = index - 1;
    node.next = i + 1 < entries.size() ? index + 1 : kNoNode;
    (node.is_call ? key.call_node : key.return_node)[node.op] = index;
    key.nodes[i + 1] = node;
  }
  key.nodes[0].next = entries.empty() ? kNoNode : 1;
  return key;
}

KeySearch::KeySearch(KeyHistory history, ValueTable& values, bool memoize)
    : history_(std::move(history)),
      values_(values),
      memoize_(memoize),
      bits_((history_.ops.size() + 63) / 64, 0),
      state_(values.initial()),
      entry_(history_.nodes[0].next) {}

uint64_t KeySearch::bytes() const { return memo_.bytes() + history_.ops.size() * kBytesPerOperation; }

// Removes an op's call and return from the list; unlift undoes it in the
// reverse order (Knuth's dancing links).
void KeySearch::lift(int32_t call) {
  unlink(call);
  const int32_t done = history_.return_node[nodes()[call].op];
  if (done != kNoNode) unlink(done);
}
void KeySearch::unlift(int32_t call) {
  const int32_t done = history_.return_node[nodes()[call].op];
  if (done != kNoNode) relink(done);
  relink(call);
}
void KeySearch::unlink(int32_t index) {
  Node& node = nodes()[index];
  nodes()[node.prev].next = node.next;
  if (node.next != kNoNode) nodes()[node.next].prev = node.prev;
}
void KeySearch::relink(int32_t index) {
  Node& node = nodes()[index];
  nodes()[node.prev].next = index;
  if (node.next != kNoNode) nodes()[node.next].prev = index;
}
void KeySearch::flip(uint32_t op) {
  bits_[op / 64] ^= uint64_t{1} << (op % 64);
  hash_ ^= member_hash(op);
}

// Whether the (set, state) pair is new: the memo of Lowe 2017 section 4.
// The set is stored trimmed to its changing window: every op below the
// list head's is linearized, none above the highest linearized one is.
MemoTable::Insert KeySearch::remember(uint32_t state, int64_t max_linearized) {
  if (!memoize_) return MemoTable::Insert::fresh;
  const int32_t head = nodes()[0].next;
  const uint32_t first_word = head == kNoNode ? 0 : nodes()[head].op / 64;
  const int64_t last_word = max_linearized / 64;
  const size_t length = last_word >= first_word ? static_cast<size_t>(last_word - first_word + 1) : 0;
  return memo_.insert(hash_, state, first_word, std::span<const uint64_t>(bits_.data() + first_word, length));
}

KeySearch::Placement KeySearch::try_linearize(int32_t call) {
  const uint32_t op = nodes()[call].op;
  std::optional<uint32_t> next = apply(state_, history_.ops[op], values_);
  if (!next) return Placement::rejected;
  flip(op);
  const int64_t max_linearized = std::max<int64_t>(max_linearized_, op);
  lift(call);  // remember() reads the list head as it is after the lift
  const MemoTable::Insert inserted = remember(*next, max_linearized);
  if (inserted == MemoTable::Insert::seen || inserted == MemoTable::Insert::full) {
    unlift(call);
    flip(op);
    return inserted == MemoTable::Insert::seen ? Placement::rejected : Placement::out_of_memory;
  }
  stack_.push_back({call, state_, max_linearized_, history_.ops[op].kind == StepKind::read});
  state_ = *next;
  max_linearized_ = max_linearized;
  return inserted == MemoTable::Insert::fresh ? Placement::placed : Placement::placed_then_stop;
}

void KeySearch::record_dead_end(int32_t blocked) {
  if (recorded_ && stack_.size() <= prefix_length_) return;
  recorded_ = true;
  prefix_length_ = stack_.size();
  prefix_state_ = state_;
  prefix_tail_.clear();
  const size_t shown = std::min(kPrefixShown, stack_.size());
  for (size_t i = stack_.size() - shown; i < stack_.size(); ++i)
    prefix_tail_.push_back(history_.ops[nodes()[stack_[i].call_node].op].source);
  blocked_source_ = history_.ops[nodes()[blocked].op].source;
}

KeySearch::Frame KeySearch::pop_frame() {
  const Frame frame = stack_.back();
  stack_.pop_back();
  flip(nodes()[frame.call_node].op);
  state_ = frame.state;
  max_linearized_ = frame.max_linearized;
  unlift(frame.call_node);
  return frame;
}

// A read placed where it could be commits the search to it: if the prefix
// P has any linearization, P then the read has one too (the read's call
// precedes every unplaced return, so moving it to the front breaks no
// real-time order, and a read changes no state). Its subtree failed, so P
// fails: backtrack past it without trying P's other candidates. Without
// this, k concurrent reads of one value are retried in up to 2^k subsets
// (raft_kv at 40 clients: 44.5M steps on one key; docs/performance.md).
// So after popping a read, the search keeps popping (unwinding_reads_),
// one step per frame.
std::optional<SearchEnd> KeySearch::backtrack() {
  if (stack_.empty()) return SearchEnd::not_linearizable;
  const Frame frame = pop_frame();
  unwinding_reads_ = frame.is_read;
  if (!unwinding_reads_) entry_ = nodes()[frame.call_node].next;
  return std::nullopt;
}

SearchEnd KeySearch::run(const SearchLimits& limits, uint64_t* steps) {
  const uint64_t fixed_bytes = history_.ops.size() * kBytesPerOperation;
  memo_.set_limit_bytes(limits.memory_bytes > fixed_bytes ? limits.memory_bytes - fixed_bytes : 0);
  memo_.set_should_stop(limits.should_stop);
  const bool polls = limits.should_stop != nullptr && *limits.should_stop;
  for (;;) {
    // Only calls lie between the head and entry, so reaching the end means
    // every ok operation is placed; the calls left are info ops not taken.
    if (!unwinding_reads_ && entry_ == kNoNode) return SearchEnd::linearizable;
    if (unwinding_reads_ && stack_.empty()) return SearchEnd::not_linearizable;
    if (*steps >= limits.step_limit) return SearchEnd::paused;
    ++*steps;
    if (polls && ++steps_to_poll_ % kPollSteps == 0 && (*limits.should_stop)()) return SearchEnd::interrupted;
    if (unwinding_reads_) {
      backtrack();
      continue;
    }
    if (nodes()[entry_].is_call) {
      const Placement placement = try_linearize(entry_);
      if (placement == Placement::out_of_memory) return SearchEnd::out_of_memory;
      entry_ = placement == Placement::rejected ? nodes()[entry_].next : nodes()[0].next;
      if (placement == Placement::placed_then_stop) return SearchEnd::interrupted;
      continue;
    }
    // A return whose op is not placed: the prefix cannot be extended.
    record_dead_end(entry_);
    if (std::optional<SearchEnd> end = backtrack()) return *end;
  }
}

}  // namespace detsim::check
