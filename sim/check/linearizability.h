// Linearizability checking of client histories (Herlihy & Wing, TOPLAS
// 1990), by the Wing & Gong search (J. Wing and C. Gong, "Testing and
// verifying concurrent objects", JPDC 1993) with Lowe's memoization of
// (linearized set, state) pairs (G. Lowe, "Testing for linearizability",
// Concurrency and Computation 2017), the design Porcupine also uses
// (A. Athalye, github.com/anishathalye/porcupine).
//
// The history is split per key first: linearizability is local (Herlihy &
// Wing, Theorem 1; "P-compositionality" in Horn & Kroening, "Faster
// linearizability checking via P-compositionality", FORTE 2015), so each
// key's sub-history is checked alone.
//
// Semantics: fail operations took no effect and are dropped. info
// operations (and invokes that never completed) may take effect at any
// point after their invoke, or never; an info read carries no information
// and is dropped. The search succeeds once every ok operation is placed.
//
// Keys share the step budget in slices, so one intractable key cannot
// hide a refutable key after it; the first key refuted decides the
// history.
//
// Deterministic: the same history and options give the same verdict,
// steps and counterexample on every platform; the step budget and the
// counted memory limit are the only limits inside a simulation.
// docs/checker.md has the details.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/api/history.h"
#include "sim/check/operations.h"

namespace detsim::check {

// About a few seconds of search on one core (docs/performance.md).
constexpr uint64_t kDefaultStepBudget = 20'000'000;
// What the searches' memo tables and stacks may hold at once, counted (not
// measured: the same on every platform). The budget alone can need more:
// 20M steps may each add a memo entry, some 2-3 GB with wide sets. The
// process peaks somewhat above it (a memo table's growth briefly holds
// both its old and new slots).
constexpr uint64_t kDefaultMemoryLimitBytes = uint64_t{2048} << 20;

struct CheckOptions {
  // Over all keys together, shared out in slices (linearizability.cc).
  uint64_t step_budget = kDefaultStepBudget;
  // Over all keys together: a key whose search would pass it ends as
  // unknown; the other keys go on.
  uint64_t memory_limit_bytes = kDefaultMemoryLimitBytes;
  // Off only to measure what memoization buys (bench/checker_bench.cc).
  bool memoize = true;
  // Polled every few thousand steps; true ends the search as unknown. For a
  // wall-clock limit outside simulation only: simulate() passes none.
  std::function<bool()> should_stop;
  // The one-line summary names each process so ("c5", the client that
  // ran it) instead of "p24": simulate() passes the run's node names.
  std::map<int64_t, std::string> process_names;
};

enum class Linearizability : uint8_t { linearizable, not_linearizable, unknown };
const char* to_string(Linearizability verdict);

struct CheckReport {
  Linearizability verdict = Linearizability::linearizable;
  size_t operations = 0;  // every paired operation, fail and info included
  size_t keys = 0;
  uint64_t steps = 0;
  std::string key;  // the key that is not linearizable (unknown: the first key left undecided)
  // not_linearizable: the last operations of the longest linearizable
  // prefix found, the state after them, and the ok operation that could
  // not be placed next, one line each. unknown: why.
  std::vector<std::string> counterexample;
  std::string summary;  // the same on one line, for a run's detail
  // not_linearizable: the operations counterexample names, in its order:
  // the prefix's last operations, then the one that cannot be placed.
  std::vector<Operation> counterexample_operations;
};

// Checks that every operation fits the datatype: a known f, a cas value of
// [old new], an append of a string or integer, no completion before its
// invoke. nullopt if so.
std::optional<HistoryError> validate_operations(const std::vector<Operation>& operations, Datatype datatype);

// operations must be valid (validate_operations).
CheckReport check_operations(const std::vector<Operation>& operations, Datatype datatype, const CheckOptions& options);

// Pairs, validates and checks. On malformed input sets *error and returns
// an empty report.
CheckReport check_history(const History& history, Datatype datatype, const CheckOptions& options,
                          std::optional<HistoryError>* error);

}  // namespace detsim::check
