// The linearizability checker (sim/check/linearizability.h) on
// hand-written known-good and known-bad histories, on generated histories
// that are linearizable by construction, and against a brute-force checker
// that tries every order of every small history.
#include "sim/check/linearizability.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>

#include "tests/history_gen.h"

namespace detsim::check {
namespace {

using testing::HistoryBuilder;
using testing::pair_value;
using V = OpValue;

CheckReport check(const History& history, Datatype datatype = Datatype::register_, CheckOptions options = {}) {
  std::optional<HistoryError> error;
  CheckReport report = check_history(history, datatype, options, &error);
  EXPECT_FALSE(error.has_value()) << (error ? error->message : "");
  return report;
}

bool linearizable(const History& history, Datatype datatype = Datatype::register_) {
  return check(history, datatype).verdict == Linearizability::linearizable;
}

TEST(Linearizability, StaleReadAfterCompletedWriteIsNot) {
  HistoryBuilder h;
  h.invoke(0, "write", V::of(1)).ok(0);
  h.invoke(0, "write", V::of(2)).ok(0);
  h.invoke(1, "read").ok(1, V::of(1));
  CheckReport report = check(h.history());
  EXPECT_EQ(report.verdict, Linearizability::not_linearizable);
  ASSERT_FALSE(report.counterexample.empty());
  EXPECT_NE(report.counterexample.back().find("cannot linearize: process=1 ok read value=1"), std::string::npos)
      << report.counterexample.back();
  EXPECT_NE(report.summary.find("state 2"), std::string::npos) << report.summary;
}

// The run line's one-line summary names processes as the run's other
// outputs name their clients; a process without a name keeps its number.
TEST(Linearizability, SummaryNamesProcessesByTheirClients) {
  HistoryBuilder h;
  h.invoke(0, "write", V::of(1)).ok(0);
  h.invoke(0, "write", V::of(2)).ok(0);
  h.invoke(1, "read").ok(1, V::of(1));
  CheckOptions options;
  options.process_names = {{1, "c5"}};
  CheckReport report = check(h.history(), Datatype::register_, options);
  ASSERT_EQ(report.verdict, Linearizability::not_linearizable);
  EXPECT_NE(report.summary.find("c5 read 1"), std::string::npos) << report.summary;
  EXPECT_EQ(report.summary.find("p1 "), std::string::npos) << report.summary;
  EXPECT_NE(report.summary.find("p0 write"), std::string::npos) << report.summary;
}

TEST(Linearizability, ConcurrentWriteAndReadMayGoEitherWay) {
  for (int64_t seen : {0, 1}) {
    HistoryBuilder h;
    h.invoke(0, "write", V::of(0)).ok(0);
    h.invoke(0, "write", V::of(1)).invoke(1, "read").ok(1, V::of(seen)).ok(0);
    EXPECT_TRUE(linearizable(h.history())) << "read " << seen;
  }
  HistoryBuilder other;  // but not a value no one wrote
  other.invoke(0, "write", V::of(1)).invoke(1, "read").ok(1, V::of(7)).ok(0);
  EXPECT_FALSE(linearizable(other.history()));
}

TEST(Linearizability, InfoWriteSeenByALaterReadTookEffect) {
  HistoryBuilder h;
  h.invoke(0, "write", V::of(5)).info(0);
  h.invoke(1, "read").ok(1, V::of(5));
  h.invoke(1, "read").ok(1, V::of(5));
  EXPECT_TRUE(linearizable(h.history()));
}

TEST(Linearizability, InfoWriteNoReadShowsMayNeverHaveHappened) {
  HistoryBuilder h;
  h.invoke(0, "write", V::of(5)).info(0);
  h.invoke(1, "read").ok(1, V::nil());
  h.invoke(2, "write", V::of(6));  // never completes: info too
  h.invoke(1, "read").ok(1, V::nil());
  EXPECT_TRUE(linearizable(h.history()));
}

TEST(Linearizability, InfoWriteTakesEffectOnceOnly) {
  HistoryBuilder h;
  h.invoke(0, "write", V::of(5)).info(0);
  h.invoke(1, "write", V::of(6)).ok(1);
  h.invoke(1, "read").ok(1, V::of(5));
  h.invoke(1, "read").ok(1, V::of(6));  // 5 then 6 again: only one 6 was written before the 5
  EXPECT_FALSE(linearizable(h.history()));
}

// sim/check/unobserved.h: an info write nobody saw is dropped before the
// search, so many of them cost nothing; one that a read saw is kept.
TEST(Linearizability, UnobservedInfoWritesAreDroppedObservedOnesKept) {
  HistoryBuilder h;
  for (int64_t p = 0; p < 40; ++p) h.invoke(p, "write", V::of(1000 + p));  // 40 pending, never seen
  for (int64_t i = 0; i < 200; ++i) h.invoke(100, "write", V::of(i)).ok(100).invoke(101, "read").ok(101, V::of(i));
  h.invoke(100, "read").ok(100, V::of(1007));  // only this one is seen
  CheckReport report = check(h.history());
  EXPECT_EQ(report.verdict, Linearizability::linearizable);
  EXPECT_LT(report.steps, 5000u) << "39 unseen pending writes were searched";

  testing::GenOptions options;  // as detsim's clients write: unique values, timeouts
  options.seed = 42;
  options.processes = 10;
  options.operations = 10000;
  options.values = 1'000'000'000;
  options.info_probability = 0.1;
  CheckReport generated = check(testing::generate_history(options));
  EXPECT_EQ(generated.verdict, Linearizability::linearizable);
  // About 105k steps; without the rule 7.4M (docs/performance.md).
  EXPECT_LT(generated.steps, 1'000'000u);

  HistoryBuilder bad;  // dropping must not hide a real violation
  bad.invoke(0, "write", V::of(9)).info(0);
  bad.invoke(1, "write", V::of(1)).ok(1);
  bad.invoke(1, "read").ok(1, V::of(2));
  EXPECT_FALSE(linearizable(bad.history()));
}

TEST(Linearizability, KvInfoAppendSeenInsideALaterValueIsKept) {
  HistoryBuilder h;
  h.invoke(0, "append", V::of(std::string("a")), "k").ok(0);
  h.invoke(1, "append", V::of(std::string("b")), "k").info(1);
  h.invoke(0, "append", V::of(std::string("c")), "k").ok(0);
  h.invoke(0, "get", V::nil(), "k").ok(0, V::of(std::string("abc")));
  EXPECT_TRUE(linearizable(h.history(), Datatype::kv));
}

TEST(Linearizability, ReadOfAValueNeverWrittenIsNot) {
  HistoryBuilder h;
  h.invoke(0, "write", V::of(1)).ok(0);
  h.invoke(1, "read").ok(1, V::of(3));
  EXPECT_FALSE(linearizable(h.history()));
  HistoryBuilder fresh;  // a register starts nil
  fresh.invoke(1, "read").ok(1, V::nil());
  EXPECT_TRUE(linearizable(fresh.history()));
}

TEST(Linearizability, CasSucceedsOnlyOnItsOldValueAndAFailedCasDidNothing) {
  HistoryBuilder good;
  good.invoke(0, "write", V::of(1)).ok(0);
  good.invoke(0, "cas", pair_value(1, 2)).ok(0);
  good.invoke(1, "cas", pair_value(1, 3)).fail(1);
  good.invoke(1, "read").ok(1, V::of(2));
  EXPECT_TRUE(linearizable(good.history()));

  HistoryBuilder wrong_old;  // a cas from 7 cannot succeed on 1
  wrong_old.invoke(0, "write", V::of(1)).ok(0);
  wrong_old.invoke(0, "cas", pair_value(7, 2)).ok(0);
  EXPECT_FALSE(linearizable(wrong_old.history()));

  HistoryBuilder failed_but_seen;  // the failed cas's value shows up
  failed_but_seen.invoke(0, "write", V::of(1)).ok(0);
  failed_but_seen.invoke(0, "cas", pair_value(1, 2)).fail(0);
  failed_but_seen.invoke(1, "read").ok(1, V::of(2));
  EXPECT_FALSE(linearizable(failed_but_seen.history()));
}

TEST(Linearizability, KvAppendOrderViolationIsNot) {
  HistoryBuilder h;
  h.invoke(0, "append", V::of("x"), "k").ok(0);
  h.invoke(1, "append", V::of("y"), "k").ok(1);
  h.invoke(2, "get", {}, "k").ok(2, V::of("yx"));
  EXPECT_FALSE(linearizable(h.history(), Datatype::kv));
  HistoryBuilder concurrent;  // overlapping appends may land in either order
  concurrent.invoke(0, "append", V::of("x"), "k").invoke(1, "append", V::of("y"), "k").ok(0).ok(1);
  concurrent.invoke(2, "get", {}, "k").ok(2, V::of("yx"));
  EXPECT_TRUE(linearizable(concurrent.history(), Datatype::kv));
}

TEST(Linearizability, KvKeyNeverWrittenReadsEmpty) {
  HistoryBuilder h;
  h.invoke(0, "get", {}, "a").ok(0, V::nil());
  h.invoke(0, "get", {}, "a").ok(0, V::of(""));
  h.invoke(0, "put", V::of(3), "a").ok(0);
  h.invoke(0, "get", {}, "a").ok(0, V::of(3));
  EXPECT_TRUE(linearizable(h.history(), Datatype::kv));
  HistoryBuilder register_nil;  // a register's nil is not ""
  register_nil.invoke(0, "read").ok(0, V::of(""));
  EXPECT_FALSE(linearizable(register_nil.history()));
}

TEST(Linearizability, SplitsPerKeyAndNamesTheBadKey) {
  HistoryBuilder h;
  for (const char* key : {"a", "b", "c"}) {
    h.invoke(0, "put", V::of(1), key).ok(0);
    h.invoke(1, "get", {}, key).ok(1, V::of(1));
  }
  h.invoke(0, "put", V::of(2), "b").ok(0);
  h.invoke(1, "get", {}, "b").ok(1, V::of(1));  // stale on b only
  CheckReport report = check(h.history(), Datatype::kv);
  EXPECT_EQ(report.verdict, Linearizability::not_linearizable);
  EXPECT_EQ(report.key, "b");
  EXPECT_EQ(report.keys, 3u);
  EXPECT_NE(report.summary.find("key \"b\""), std::string::npos) << report.summary;
  // Alone, a's and c's reads of 1 are fine; a register across keys would not be.
  EXPECT_EQ(report.operations, 8u);
}

TEST(Linearizability, WithoutTimesEventOrderIsRealTime) {
  History history;
  const size_t w = history.invoke(0, "write", "", V::of(1), Time::zero());
  history.complete(w, OpType::ok, V::of(1), Time::zero());
  const size_t r = history.invoke(1, "read", "", V::nil(), Time::zero());
  history.complete(r, OpType::ok, V::nil(), Time::zero());
  History untimed;
  for (HistoryEvent event : history.events()) {
    event.has_time = false;
    untimed.append(event);
  }
  EXPECT_FALSE(linearizable(untimed));
}

// A placed read commits the search (sim/check/linearizability.cc): k
// concurrent reads of one value are not retried in 2^k subsets when the
// history fails after them, as raft_kv's final reads at 40 clients did.
TEST(Linearizability, ConcurrentReadsAreNotRetriedInEverySubset) {
  HistoryBuilder h;
  h.invoke(0, "write", V::of(1)).ok(0);
  for (int64_t p = 1; p <= 24; ++p) h.invoke(p, "read");
  h.invoke(50, "read");
  for (int64_t p = 1; p <= 24; ++p) h.ok(p, V::of(1));
  h.ok(50, V::of(7));  // nobody wrote 7
  CheckOptions bounded;
  bounded.step_budget = 1'000'000;  // 2^24 subsets would not fit
  CheckReport report = check(h.history(), Datatype::register_, bounded);
  EXPECT_EQ(report.verdict, Linearizability::not_linearizable);
  EXPECT_LT(report.steps, 1000u);
}

TEST(Linearizability, TinyBudgetIsUnknown) {
  History history = testing::generate_history({.seed = 3, .processes = 6, .operations = 200});
  CheckOptions tiny;
  tiny.step_budget = 5;
  CheckReport report = check(history, Datatype::register_, tiny);
  EXPECT_EQ(report.verdict, Linearizability::unknown);
  EXPECT_EQ(report.steps, 5u);
  EXPECT_EQ(check(history).verdict, Linearizability::linearizable);
}

TEST(Linearizability, StopCallbackEndsTheSearchAsUnknown) {
  History history = testing::generate_history({.seed = 4, .processes = 6, .operations = 20000});
  CheckOptions stop;
  stop.should_stop = [] { return true; };
  EXPECT_EQ(check(history, Datatype::register_, stop).verdict, Linearizability::unknown);
}

// Keys share the budget in slices: an intractable key sorting first no
// longer spends it all before a refutable key gets a step (it used to end
// unknown on "a" after the whole 20M-step budget, several seconds).
TEST(Linearizability, IntractableKeyFirstDoesNotHideARefutableKeyAfterIt) {
  CheckReport report = check(testing::intractable_key_history(50, "z"), Datatype::kv);
  EXPECT_EQ(report.verdict, Linearizability::not_linearizable) << report.summary;
  EXPECT_EQ(report.key, "z");
  EXPECT_EQ(report.keys, 2u);
  // One first slice on "a" (10k steps), then z's handful.
  EXPECT_LT(report.steps, 20'000u);
  EXPECT_NE(report.summary.find("key \"z\""), std::string::npos) << report.summary;
  // Alone, "a" stays undecided within a budget: it is the hard one.
  CheckOptions bounded;
  bounded.step_budget = 100'000;
  CheckReport alone = check(testing::intractable_key_history(50), Datatype::kv, bounded);
  EXPECT_EQ(alone.verdict, Linearizability::unknown);
  EXPECT_EQ(alone.key, "a");
  EXPECT_EQ(alone.steps, 100'000u);
}

// Searches are resumed between slices, not restarted: the keys' steps
// add up to what each key costs alone, however the slices fell.
TEST(Linearizability, SlicedKeysCostWhatEachCostsAlone) {
  History history =
      testing::generate_history({.seed = 11, .processes = 10, .keys = 3, .operations = 30000, .kv = true});
  CheckReport together = check(history, Datatype::kv);
  ASSERT_EQ(together.verdict, Linearizability::linearizable);
  uint64_t alone_steps = 0;
  uint64_t most_steps = 0;
  for (const char* key : {"k0", "k1", "k2"}) {
    History one;
    for (const HistoryEvent& event : history.events())
      if (event.key == key) one.append(event);
    CheckReport alone = check(one, Datatype::kv);
    ASSERT_EQ(alone.verdict, Linearizability::linearizable);
    alone_steps += alone.steps;
    most_steps = std::max(most_steps, alone.steps);
  }
  EXPECT_EQ(together.steps, alone_steps);
  EXPECT_GT(most_steps, 20'000u) << "a key must need several slices (10k, then 20k)";
}

// The memo and stack are counted against a limit; passing it is unknown,
// with the reason, never an allocation failure. Other keys go on.
TEST(Linearizability, MemoryLimitEndsAKeyAsUnknownAndOtherKeysGoOn) {
  CheckOptions small;
  small.memory_limit_bytes = 4 << 20;
  small.step_budget = UINT64_MAX;  // memory, not steps, must end it
  CheckReport report = check(testing::intractable_key_history(50), Datatype::kv, small);
  EXPECT_EQ(report.verdict, Linearizability::unknown);
  EXPECT_EQ(report.key, "a");
  EXPECT_NE(report.summary.find("memory limit of 4 MB reached"), std::string::npos) << report.summary;
  HistoryBuilder more;  // "a" hits the limit; "b" after it is still checked and refuted
  for (int64_t p = 0; p < 50; ++p) more.invoke(p, "put", V::of(p + 1), "a");
  for (int64_t p = 0; p < 50; ++p) more.ok(p);
  more.invoke(60, "get", {}, "a").ok(60, V::of(-1));
  for (int64_t i = 0; i < 2000; ++i)  // b needs many slices
    more.invoke(61, "put", V::of(i), "b").ok(61).invoke(62, "get", {}, "b").ok(62, V::of(i));
  more.invoke(62, "get", {}, "b").ok(62, V::of(-7));
  CheckReport both = check(more.history(), Datatype::kv, small);
  EXPECT_EQ(both.verdict, Linearizability::not_linearizable) << both.summary;
  EXPECT_EQ(both.key, "b");
}

TEST(Linearizability, RejectsOperationsTheDatatypeLacks) {
  HistoryBuilder h;
  h.invoke(0, "append", V::of("x")).ok(0);
  std::optional<HistoryError> error;
  check_history(h.history(), Datatype::register_, {}, &error);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->message.find("expected read, write or cas"), std::string::npos);
  HistoryBuilder cas;
  cas.invoke(0, "cas", V::of(1)).ok(0);
  check_history(cas.history(), Datatype::kv, {}, &error);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->message.find("expected [old new]"), std::string::npos);
}

TEST(Linearizability, SameHistorySameStepsAndCounterexample) {
  History history = testing::generate_history({.seed = 9, .processes = 8, .keys = 3, .operations = 3000, .kv = true});
  CheckReport first = check(history, Datatype::kv);
  CheckReport second = check(history, Datatype::kv);
  EXPECT_EQ(first.verdict, Linearizability::linearizable);
  EXPECT_EQ(first.steps, second.steps);
  EXPECT_EQ(first.keys, 3u);
}

}  // namespace
}  // namespace detsim::check
