#include "sim/check/linearizability.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sim/check/memo_table.h"
#include "sim/check/sequential_model.h"
#include "sim/check/unobserved.h"
#include "sim/core/assert.h"
#include "sim/core/rng.h"

namespace detsim::check {
namespace {

constexpr int32_t kNone = -1;
constexpr uint64_t kPollSteps = 4096;  // how often should_stop is asked
constexpr size_t kPrefixShown = 3;     // counterexample: last ops of the longest prefix

// An entry of Lowe's doubly linked list: an operation's call or return,
// in real-time order. Node 0 is the head sentinel.
struct Node {
  int32_t prev = kNone;
  int32_t next = kNone;
  uint32_t op = 0;
  bool is_call = false;
};

// One key's operations, numbered in call order, and the list over them.
struct KeyHistory {
  std::vector<CompactOp> ops;
  std::vector<Node> nodes;           // nodes[0]: head
  std::vector<int32_t> call_node;    // per op
  std::vector<int32_t> return_node;  // per op; kNone for info operations
};

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
    entries.push_back({call_position(operation, timed), Node{kNone, kNone, op, true}});
    if (operation.outcome == OpType::ok)
      entries.push_back({return_position(operation, timed), Node{kNone, kNone, op, false}});
  }
  // Stable: a call and a return at one position cannot happen (distinct events).
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  key.call_node.assign(kept.size(), kNone);
  key.return_node.assign(kept.size(), kNone);
  key.nodes.resize(entries.size() + 1);
  for (size_t i = 0; i < entries.size(); ++i) {
    const int32_t index = static_cast<int32_t>(i + 1);
    Node node = entries[i].second;
    node.prev = index - 1;
    node.next = i + 1 < entries.size() ? index + 1 : kNone;
    (node.is_call ? key.call_node : key.return_node)[node.op] = index;
    key.nodes[i + 1] = node;
  }
  key.nodes[0].next = entries.empty() ? kNone : 1;
  return key;
}

// Zobrist hashing (A. Zobrist, 1970): the set's hash is the XOR of its
// members' random words, so adding or removing one is one XOR (Lowe 2017,
// section 5: the incremental hash keeps memo lookups O(1) per step).
uint64_t member_hash(uint32_t op) {
  uint64_t state = 0x5eed'c4ec'0000'0000ULL + op;
  return splitmix64(state);
}

struct Frame {
  int32_t call_node = kNone;
  uint32_t state = 0;
  int64_t max_linearized = -1;
  bool is_read = false;  // the op placed here left the state as it was
};

enum class SearchEnd : uint8_t { linearizable, not_linearizable, stopped };

// Lowe's just-in-time linearization search over one key (Lowe 2017,
// Algorithm 1 with the memo of section 4), with Wing & Gong's list.
class KeySearch {
 public:
  KeySearch(KeyHistory history, ValueTable& values, bool memoize)
      : history_(std::move(history)),
        values_(values),
        memoize_(memoize),
        bits_((history_.ops.size() + 63) / 64, 0),
        state_(values.initial()) {}

  SearchEnd run(uint64_t budget, const std::function<bool()>& should_stop, uint64_t* steps);

  // The deepest dead end: the prefix's last ops, its state, the op that
  // could not be placed (sources into the checker's operations).
  std::vector<uint32_t> prefix_tail_;
  size_t prefix_length_ = 0;
  uint32_t prefix_state_ = 0;
  uint32_t blocked_source_ = 0;

 private:
  std::vector<Node>& nodes() { return history_.nodes; }
  // Removes an op's call and return from the list; unlift undoes it in the
  // reverse order (Knuth's dancing links).
  void lift(int32_t call) {
    unlink(call);
    const int32_t done = history_.return_node[nodes()[call].op];
    if (done != kNone) unlink(done);
  }
  void unlift(int32_t call) {
    const int32_t done = history_.return_node[nodes()[call].op];
    if (done != kNone) relink(done);
    relink(call);
  }
  void unlink(int32_t index) {
    Node& node = nodes()[index];
    nodes()[node.prev].next = node.next;
    if (node.next != kNone) nodes()[node.next].prev = node.prev;
  }
  void relink(int32_t index) {
    Node& node = nodes()[index];
    nodes()[node.prev].next = index;
    if (node.next != kNone) nodes()[node.next].prev = index;
  }
  void flip(uint32_t op) {
    bits_[op / 64] ^= uint64_t{1} << (op % 64);
    hash_ ^= member_hash(op);
  }
  bool try_linearize(int32_t call);
  // Undoes the last placement; returns its frame.
  Frame pop_frame();
  bool remember(uint32_t state, int64_t max_linearized);
  void record_dead_end(int32_t blocked);

  KeyHistory history_;
  ValueTable& values_;
  bool memoize_;
  std::vector<uint64_t> bits_;
  uint64_t hash_ = 0;
  uint32_t state_;
  int64_t max_linearized_ = -1;
  std::vector<Frame> stack_;
  MemoTable memo_;
  bool recorded_ = false;
};

// True if the (set, state) pair is new: the memo of Lowe 2017 section 4.
// The set is stored trimmed to its changing window: every op below the
// list head's is linearized, none above the highest linearized one is.
bool KeySearch::remember(uint32_t state, int64_t max_linearized) {
  if (!memoize_) return true;
  const int32_t head = nodes()[0].next;
  const uint32_t first_word = head == kNone ? 0 : nodes()[head].op / 64;
  const int64_t last_word = max_linearized / 64;
  const size_t length = last_word >= first_word ? static_cast<size_t>(last_word - first_word + 1) : 0;
  return memo_.insert(hash_, state, first_word, std::span<const uint64_t>(bits_.data() + first_word, length));
}

bool KeySearch::try_linearize(int32_t call) {
  const uint32_t op = nodes()[call].op;
  std::optional<uint32_t> next = apply(state_, history_.ops[op], values_);
  if (!next) return false;
  flip(op);
  const int64_t max_linearized = std::max<int64_t>(max_linearized_, op);
  lift(call);  // remember() reads the list head as it is after the lift
  if (!remember(*next, max_linearized)) {
    unlift(call);
    flip(op);
    return false;
  }
  stack_.push_back({call, state_, max_linearized_, history_.ops[op].kind == StepKind::read});
  state_ = *next;
  max_linearized_ = max_linearized;
  return true;
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

SearchEnd KeySearch::run(uint64_t budget, const std::function<bool()>& should_stop, uint64_t* steps) {
  int32_t entry = nodes()[0].next;
  for (;;) {
    // Only calls lie between the head and entry, so reaching the end means
    // every ok operation is placed; the calls left are info ops not taken.
    if (entry == kNone) return SearchEnd::linearizable;
    if (*steps >= budget) return SearchEnd::stopped;
    ++*steps;
    if (should_stop && *steps % kPollSteps == 0 && should_stop()) return SearchEnd::stopped;
    if (nodes()[entry].is_call) {
      entry = try_linearize(entry) ? nodes()[0].next : nodes()[entry].next;
      continue;
    }
    // A return whose op is not placed: the prefix cannot be extended.
    record_dead_end(entry);
    if (stack_.empty()) return SearchEnd::not_linearizable;
    Frame frame = pop_frame();
    // A read placed where it could be commits the search to it: if the
    // prefix P has any linearization, P then the read has one too (the
    // read's call precedes every unplaced return, so moving it to the
    // front breaks no real-time order, and a read changes no state). Its
    // subtree failed, so P fails: backtrack past it without trying P's
    // other candidates. Without this, k concurrent reads of one value
    // are retried in up to 2^k subsets (raft_kv at 40 clients: 44.5M
    // steps on one key; docs/performance.md).
    while (frame.is_read) {
      if (stack_.empty()) return SearchEnd::not_linearizable;
      if (*steps >= budget) return SearchEnd::stopped;
      ++*steps;
      frame = pop_frame();
    }
    entry = nodes()[frame.call_node].next;
  }
}

Frame KeySearch::pop_frame() {
  const Frame frame = stack_.back();
  stack_.pop_back();
  flip(nodes()[frame.call_node].op);
  state_ = frame.state;
  max_linearized_ = frame.max_linearized;
  unlift(frame.call_node);
  return frame;
}

void describe_failure(const KeySearch& search, const std::vector<Operation>& operations, const ValueTable& values,
                      CheckReport& report) {
  std::vector<std::string> shorts;
  for (uint32_t source : search.prefix_tail_) {
    report.counterexample.push_back("after: " + format_operation(operations[source]));
    shorts.push_back(format_operation_short(operations[source]));
  }
  const std::string state = format_value(values.value(search.prefix_state_));
  report.counterexample.push_back(
      fmt::format("state: {} (after {} linearized operations)", state, search.prefix_length_));
  const Operation& blocked = operations[search.blocked_source_];
  report.counterexample.push_back("cannot linearize: " + format_operation(blocked));
  std::string after = shorts.empty() ? "from the initial state" : "after " + fmt::format("{}", fmt::join(shorts, ", "));
  report.summary = fmt::format("key {}: {} (state {}), {} cannot be linearized", format_value(OpValue::of(report.key)),
                               after, state, format_operation_short(blocked));
}

// Operation indices per key, keys in sorted order (deterministic output).
std::map<std::string, std::vector<uint32_t>> split_by_key(const std::vector<Operation>& operations) {
  std::map<std::string, std::vector<uint32_t>> keys;
  for (uint32_t i = 0; i < operations.size(); ++i) keys[operations[i].key].push_back(i);
  return keys;
}

}  // namespace

const char* to_string(Linearizability verdict) {
  switch (verdict) {
    case Linearizability::linearizable: return "linearizable";
    case Linearizability::not_linearizable: return "not_linearizable";
    case Linearizability::unknown: return "unknown";
  }
  return "?";
}

std::optional<HistoryError> validate_operations(const std::vector<Operation>& operations, Datatype datatype) {
  for (const Operation& operation : operations) {
    std::string problem = operation_problem(operation, datatype);
    if (!problem.empty()) return HistoryError{operation.invoke_event, std::move(problem)};
  }
  return std::nullopt;
}

CheckReport check_operations(const std::vector<Operation>& operations, Datatype datatype, const CheckOptions& options) {
  CheckReport report;
  report.operations = operations.size();
  const bool timed = std::all_of(operations.begin(), operations.end(), [](const Operation& o) { return o.has_time; });
  const auto keys = split_by_key(operations);
  report.keys = keys.size();
  std::optional<std::string> unknown_key;  // the register's key is ""
  for (const auto& [key, members] : keys) {
    ValueTable values(datatype);
    KeySearch search(build_key_history(operations, members, datatype, timed, values), values, options.memoize);
    const SearchEnd end = search.run(options.step_budget, options.should_stop, &report.steps);
    if (end == SearchEnd::stopped && !unknown_key) unknown_key = key;
    if (end != SearchEnd::not_linearizable) continue;
    report.verdict = Linearizability::not_linearizable;
    report.key = key;
    describe_failure(search, operations, values, report);
    return report;
  }
  if (unknown_key) {
    report.verdict = Linearizability::unknown;
    report.key = *unknown_key;
    const bool budget = report.steps >= options.step_budget;
    report.summary = fmt::format("key {}: search stopped after {} steps ({})", format_value(OpValue::of(*unknown_key)),
                                 report.steps, budget ? "step budget exhausted" : "time limit");
    report.counterexample.push_back(report.summary);
  }
  return report;
}

CheckReport check_history(const History& history, Datatype datatype, const CheckOptions& options,
                          std::optional<HistoryError>* error) {
  DETSIM_ASSERT(error != nullptr);
  std::vector<Operation> operations = pair_operations(history, error);
  if (!*error) *error = validate_operations(operations, datatype);
  if (*error) return {};
  return check_operations(operations, datatype, options);
}

}  // namespace detsim::check
