// Histories for the checker's tests and benchmark: a builder for
// hand-written ones, and a generator that runs a correct sequential
// register or kv store under random overlapping operations, so every
// history it makes is linearizable by construction (each operation takes
// effect at one instant between its invoke and its completion).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sim/api/history.h"
#include "sim/core/rng.h"

namespace detsim::testing {

// Events 10ns apart, in the order written.
class HistoryBuilder {
 public:
  HistoryBuilder& invoke(int64_t process, std::string f, OpValue value = {}, std::string key = "") {
    open_[process] = history_.invoke(process, std::move(f), std::move(key), std::move(value), tick());
    return *this;
  }
  HistoryBuilder& ok(int64_t process, OpValue value = {}) { return complete(process, OpType::ok, std::move(value)); }
  HistoryBuilder& fail(int64_t process) { return complete(process, OpType::fail, {}); }
  HistoryBuilder& info(int64_t process) { return complete(process, OpType::info, {}); }
  const History& history() const { return history_; }

 private:
  HistoryBuilder& complete(int64_t process, OpType type, OpValue value) {
    history_.complete(open_.at(process), type, std::move(value), tick());
    open_.erase(process);
    return *this;
  }
  Time tick() { return Time::from_ns(10 * ++events_); }
  History history_;
  std::map<int64_t, size_t> open_;
  int64_t events_ = 0;
};

inline OpValue pair_value(int64_t old_value, int64_t new_value) {
  return OpValue::list({OpValue::of(old_value), OpValue::of(new_value)});
}

struct GenOptions {
  uint64_t seed = 1;
  int processes = 5;
  int keys = 1;  // kv: keys "k0".."k{keys-1}"; register: ignored (one register)
  int operations = 100;
  bool kv = false;
  int values = 5;               // register writes draw from 1..values
  double info_probability = 0;  // an operation ends info (applied or not, at random)
};

// One step at a time, a random process invokes, takes effect, or
// completes; the store is applied at the take-effect step.
inline History generate_history(const GenOptions& options) {
  Rng rng(options.seed);
  struct Pending {
    bool active = false, applied = false, crashed = false;
    size_t invoke_index = 0;
    std::string f, key;
    OpValue argument, result;
    OpType outcome = OpType::ok;
  };
  History history;
  history.reserve_processes(options.processes);
  std::vector<int64_t> process_of(options.processes);
  for (int p = 0; p < options.processes; ++p) process_of[p] = p;
  std::vector<Pending> pending(options.processes);
  std::map<std::string, OpValue> store;
  int started = 0, step = 0;
  auto now = [&] { return Time::from_ns(10 * ++step); };
  auto begin = [&](int p) {
    Pending& op = pending[p];
    op = Pending{};
    op.active = true;
    op.key = options.kv ? std::string("k").append(std::to_string(rng.below(options.keys))) : "";
    const uint64_t roll = rng.below(options.kv ? 4 : 3);
    const int64_t v = 1 + static_cast<int64_t>(rng.below(options.values));
    if (roll == 0) op.f = options.kv ? "get" : "read";
    if (roll == 1) op.f = options.kv ? "put" : "write", op.argument = OpValue::of(v);
    if (roll == 2)
      op.f = "cas", op.argument = OpValue::list({OpValue::of(1 + int64_t(rng.below(options.values))), OpValue::of(v)});
    if (roll == 3)
      op.f = "append", op.argument = OpValue::of(std::string("a").append(std::to_string(started)).append(","));
    op.invoke_index = history.invoke(process_of[p], op.f, op.key, op.argument, now());
    if (rng.uniform01() < options.info_probability) op.crashed = true;
    ++started;
  };
  auto apply = [&](Pending& op) {
    OpValue& state = store[op.key];
    op.applied = true;
    if (op.f == "read" || op.f == "get") op.result = state.is_nil() && options.kv ? OpValue::of(std::string()) : state;
    if (op.f == "write" || op.f == "put") state = op.argument, op.result = op.argument;
    if (op.f == "append") {
      // Appending to a put integer continues its decimal text (sim/check/sequential_model.h).
      const std::string text = state.kind == OpValue::Kind::integer ? std::to_string(state.integer) : state.text;
      state = OpValue::of(text + op.argument.text);
    }
    if (op.f == "cas") {
      const bool matches = state == op.argument.items[0];
      if (matches) state = op.argument.items[1];
      op.outcome = matches ? OpType::ok : OpType::fail;
    }
  };
  while (started < options.operations ||
         std::any_of(pending.begin(), pending.end(), [](auto& o) { return o.active; })) {
    const int p = static_cast<int>(rng.below(options.processes));
    Pending& op = pending[p];
    if (!op.active) {
      if (started < options.operations) begin(p);
      continue;
    }
    // A crashed operation may or may not take effect before its info.
    if (!op.applied && !(op.crashed && rng.below(2) == 0)) {
      apply(op);
      continue;
    }
    const OpType outcome = op.crashed ? OpType::info : op.outcome;
    history.complete(op.invoke_index, outcome, outcome == OpType::ok ? op.result : op.argument, now());
    if (op.crashed) process_of[p] = history.next_process();
    op.active = false;
  }
  return history;
}

// A kv history no search decides in reasonable time, on key "a":
// `clients` concurrent puts of distinct values, then a get of a value
// nobody put. Refuting it means trying every order of the puts (the memo
// cannot help: each subset with each last value is a new pair, about
// clients x 2^clients of them). With refutable_key, a key that sorts
// after it holds a plain stale read (put 1, put 2, get 1), refuted in a
// dozen steps.
inline History intractable_key_history(int clients, const std::string& refutable_key = "") {
  HistoryBuilder h;
  for (int64_t p = 0; p < clients; ++p) h.invoke(p, "put", OpValue::of(p + 1), "a");
  for (int64_t p = 0; p < clients; ++p) h.ok(p);
  h.invoke(clients, "get", {}, "a").ok(clients, OpValue::of(-1));
  if (!refutable_key.empty()) {
    h.invoke(clients, "put", OpValue::of(1), refutable_key).ok(clients);
    h.invoke(clients, "put", OpValue::of(2), refutable_key).ok(clients);
    h.invoke(clients + 1, "get", {}, refutable_key).ok(clients + 1, OpValue::of(1));
  }
  return h.history();
}

}  // namespace detsim::testing
