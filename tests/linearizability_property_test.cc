// Properties of the linearizability checker: a history from a correct
// sequential store is always linearizable, and on small random histories
// the checker agrees with a brute-force one that tries every subset of the
// info operations in every order (Herlihy & Wing's definition, directly).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "sim/check/linearizability.h"
#include "tests/history_gen.h"

namespace detsim::check {
namespace {

// ---- the brute-force checker ----

OpValue normal(const OpValue& value, Datatype datatype) {
  return datatype == Datatype::kv && value.is_nil() ? OpValue::of(std::string()) : value;
}

// Applies op to state, or false if it cannot happen there.
bool step(std::map<std::string, OpValue>& state, const Operation& op, Datatype datatype) {
  OpValue& value = state[op.key];
  value = normal(value, datatype);
  if (op.f == "read" || op.f == "get") return value == normal(op.result, datatype);
  if (op.f == "write" || op.f == "put") return value = normal(op.argument, datatype), true;
  if (op.f == "append") {
    const std::string text =
        op.argument.kind == OpValue::Kind::integer ? std::to_string(op.argument.integer) : op.argument.text;
    value = OpValue::of((value.kind == OpValue::Kind::text ? value.text : std::to_string(value.integer)) + text);
    return true;
  }
  if (!(value == normal(op.argument.items[0], datatype))) return false;
  value = normal(op.argument.items[1], datatype);
  return true;
}

// An info operation has no completion constraint: it completes at infinity.
size_t completion(const Operation& op) { return op.outcome == OpType::ok ? op.complete_event : SIZE_MAX; }

// Some order of ok ops plus some subset of info ops is legal and respects
// real time (a completed op precedes every op invoked after its completion).
bool brute_force_linearizable(const std::vector<Operation>& all, Datatype datatype) {
  std::vector<Operation> required, optional;
  for (const Operation& op : all) {
    if (op.outcome == OpType::fail) continue;
    const bool read = op.f == "read" || op.f == "get";
    if (op.outcome == OpType::ok)
      required.push_back(op);
    else if (!read)
      optional.push_back(op);
  }
  for (uint32_t subset = 0; subset < (1u << optional.size()); ++subset) {
    std::vector<Operation> chosen = required;
    for (size_t i = 0; i < optional.size(); ++i)
      if (subset & (1u << i)) chosen.push_back(optional[i]);
    std::vector<size_t> order(chosen.size());
    std::iota(order.begin(), order.end(), 0);
    do {
      bool legal = true;
      for (size_t i = 0; i < order.size() && legal; ++i)
        for (size_t j = i + 1; j < order.size() && legal; ++j)
          legal = !(completion(chosen[order[j]]) < chosen[order[i]].invoke_event);
      std::map<std::string, OpValue> state;
      for (size_t i = 0; i < order.size() && legal; ++i) legal = step(state, chosen[order[i]], datatype);
      if (legal) return true;
    } while (std::next_permutation(order.begin(), order.end()));
  }
  return false;
}

// ---- small random histories, linearizable or not ----

History random_small_history(Datatype datatype, int count, uint64_t seed) {
  Rng rng(seed);
  std::vector<int> slots;  // each op's index twice: invoke, then completion
  for (int i = 0; i < count; ++i) slots.insert(slots.end(), {i, i});
  rng.shuffle(slots.begin(), slots.end());
  const bool kv = datatype == Datatype::kv;
  std::vector<size_t> invoked(count, SIZE_MAX);
  History history;
  int64_t at = 0;
  for (int i : slots) {
    at += 10;
    const auto small = [&] { return OpValue::of(1 + static_cast<int64_t>(rng.below(2))); };
    if (invoked[i] == SIZE_MAX) {
      const uint64_t roll = rng.below(kv ? 4 : 3);
      std::string f = roll == 0   ? (kv ? "get" : "read")
                      : roll == 1 ? (kv ? "put" : "write")
                      : roll == 2 ? "cas"
                                  : "append";
      OpValue argument = roll == 1   ? small()
                         : roll == 2 ? OpValue::list({small(), small()})
                         : roll == 3 ? OpValue::of(rng.below(2) ? "x" : "y")
                                     : OpValue::nil();
      const std::string key = kv && rng.below(3) == 0 ? "b" : "a";
      invoked[i] = history.invoke(i, f, key, argument, Time::from_ns(at));
      continue;
    }
    const uint64_t end = rng.below(10);  // mostly ok, some info and fail
    const OpType type = end < 7 ? OpType::ok : end < 9 ? OpType::info : OpType::fail;
    OpValue result = rng.below(4) == 0 ? OpValue::nil() : small();
    if (kv && rng.below(2) == 0) result = OpValue::of(std::string(rng.below(2) ? "x" : "") + (rng.below(2) ? "y" : ""));
    history.complete(invoked[i], type, result, Time::from_ns(at));
  }
  return history;
}

Linearizability fast(const History& history, Datatype datatype, bool memoize = true) {
  CheckOptions options;
  options.memoize = memoize;
  std::optional<HistoryError> error;
  CheckReport report = check_history(history, datatype, options, &error);
  RC_ASSERT(!error.has_value());
  return report.verdict;
}

RC_GTEST_PROP(LinearizabilityProperty, SequentialRegisterHistoriesAreLinearizable, ()) {
  testing::GenOptions options;
  options.seed = *rc::gen::arbitrary<uint64_t>();
  options.processes = *rc::gen::inRange(1, 9);
  options.operations = *rc::gen::inRange(1, 300);
  options.values = *rc::gen::inRange(1, 6);
  options.info_probability = *rc::gen::element(0.0, 0.1, 0.3);
  RC_ASSERT(fast(testing::generate_history(options), Datatype::register_) == Linearizability::linearizable);
}

RC_GTEST_PROP(LinearizabilityProperty, SequentialKvHistoriesAreLinearizable, ()) {
  testing::GenOptions options;
  options.seed = *rc::gen::arbitrary<uint64_t>();
  options.kv = true;
  options.keys = *rc::gen::inRange(1, 5);
  options.processes = *rc::gen::inRange(1, 9);
  options.operations = *rc::gen::inRange(1, 300);
  options.info_probability = *rc::gen::element(0.0, 0.2);
  RC_ASSERT(fast(testing::generate_history(options), Datatype::kv) == Linearizability::linearizable);
}

// 500 histories per datatype: both verdicts must occur, or the test proves nothing.
TEST(LinearizabilityProperty, AgreesWithBruteForceOnSmallHistories) {
  for (Datatype datatype : {Datatype::register_, Datatype::kv}) {
    int verdicts[2] = {0, 0};
    for (uint64_t seed = 1; seed <= 500; ++seed) {
      History history = random_small_history(datatype, 1 + static_cast<int>(seed % 7), seed);
      std::optional<HistoryError> error;
      std::vector<Operation> operations = pair_operations(history, &error);
      ASSERT_FALSE(error.has_value());
      const bool expected = brute_force_linearizable(operations, datatype);
      const Linearizability verdict = fast(history, datatype);
      ASSERT_EQ(verdict == Linearizability::linearizable, expected) << to_string(datatype) << " seed " << seed;
      ASSERT_EQ(fast(history, datatype, false), verdict) << "without memo, seed " << seed;
      ++verdicts[expected];
    }
    EXPECT_GT(verdicts[0], 50) << to_string(datatype);
    EXPECT_GT(verdicts[1], 50) << to_string(datatype);
  }
}

}  // namespace
}  // namespace detsim::check
