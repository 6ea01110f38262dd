#include "sim/fault/shrink.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>

namespace detsim {
namespace {

using Units = std::vector<std::vector<size_t>>;
using Subset = std::vector<size_t>;  // unit numbers, ascending

FaultSchedule schedule_of(const FaultSchedule& original, const Units& units, const Subset& subset) {
  std::vector<size_t> indexes;
  for (size_t unit : subset) indexes.insert(indexes.end(), units[unit].begin(), units[unit].end());
  std::sort(indexes.begin(), indexes.end());
  FaultSchedule schedule;
  for (size_t index : indexes) schedule.actions.push_back(original.actions[index]);
  return schedule;
}

// Splits subset into n nearly equal consecutive chunks.
std::vector<Subset> chunks_of(const Subset& subset, size_t n) {
  std::vector<Subset> chunks;
  size_t start = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t end = start + (subset.size() - start) / (n - i);
    chunks.emplace_back(subset.begin() + static_cast<ptrdiff_t>(start), subset.begin() + static_cast<ptrdiff_t>(end));
    start = end;
  }
  return chunks;
}

Subset without(const Subset& subset, const Subset& removed) {
  Subset rest;
  std::set_difference(subset.begin(), subset.end(), removed.begin(), removed.end(), std::back_inserter(rest));
  return rest;
}

class Shrinker {
 public:
  Shrinker(const FaultSchedule& original, const std::function<bool(const FaultSchedule&)>& still_fails, size_t max_runs)
      : original_(original), units_(fault_units(original)), still_fails_(still_fails), max_runs_(max_runs) {}

  ShrinkResult run() {
    Subset current(units_.size());
    for (size_t i = 0; i < current.size(); ++i) current[i] = i;
    // Often the failure needs no fault at all; one run settles that.
    if (!current.empty() && fails({})) current.clear();
    current = ddmin(current);
    current = remove_singles(current);
    return {schedule_of(original_, units_, current), runs_, exhausted_};
  }

 private:
  bool fails(const Subset& subset) {
    if (runs_ >= max_runs_) {
      exhausted_ = true;
      return false;
    }
    ++runs_;
    return still_fails_(schedule_of(original_, units_, subset));
  }

  // Zeller and Hildebrandt's ddmin: try each chunk, then each complement,
  // at finer and finer granularity.
  Subset ddmin(Subset current) {
    size_t n = 2;
    while (current.size() >= 2 && !exhausted_) {
      const std::vector<Subset> chunks = chunks_of(current, std::min(n, current.size()));
      std::optional<Subset> smaller = first_failing(chunks, current);
      if (smaller) {
        current = *smaller;
        n = std::max<size_t>(n - 1, 2);
      } else if (n >= current.size()) {
        break;
      } else {
        n = std::min(2 * n, current.size());
      }
    }
    return current;
  }

  std::optional<Subset> first_failing(const std::vector<Subset>& chunks, const Subset& current) {
    for (const Subset& chunk : chunks) {
      if (fails(chunk)) return chunk;
    }
    if (chunks.size() == 2) return std::nullopt;  // the complements are the chunks again
    for (const Subset& chunk : chunks) {
      Subset complement = without(current, chunk);
      if (fails(complement)) return complement;
    }
    return std::nullopt;
  }

  // Makes the result 1-minimal even if ddmin stopped early.
  Subset remove_singles(Subset current) {
    for (size_t i = 0; i < current.size() && !exhausted_;) {
      Subset candidate = without(current, {current[i]});
      if (fails(candidate)) {
        current = std::move(candidate);
      } else {
        ++i;
      }
    }
    return current;
  }

  const FaultSchedule& original_;
  Units units_;
  const std::function<bool(const FaultSchedule&)>& still_fails_;
  size_t max_runs_;
  size_t runs_ = 0;
  bool exhausted_ = false;
};

}  // namespace

std::vector<std::vector<size_t>> fault_units(const FaultSchedule& schedule) {
  Units units;
  std::map<uint32_t, size_t> open_crash;  // node -> its crash's unit
  // A sentinel, not an optional: g++ 12 warns (maybe-uninitialized) on
  // an optional<size_t> here, a false positive that -Werror makes fatal.
  constexpr size_t kNoPartition = SIZE_MAX;
  size_t open_partition = kNoPartition;
  for (size_t i = 0; i < schedule.actions.size(); ++i) {
    const FaultAction& action = schedule.actions[i];
    if (action.kind == FaultKind::restart) {
      auto it = open_crash.find(action.node.index());
      if (it != open_crash.end()) {
        units[it->second].push_back(i);
        open_crash.erase(it);
        continue;
      }
    } else if (action.kind == FaultKind::heal && open_partition != kNoPartition) {
      units[open_partition].push_back(i);
      open_partition = kNoPartition;
      continue;
    }
    units.push_back({i});
    if (action.kind == FaultKind::crash) open_crash[action.node.index()] = units.size() - 1;
    // A heal ends every partition so far: pair it with the latest only if
    // one is open; overlapping partitions keep their own units.
    // A ring and a flap are partitions of their own shape.
    const bool cuts = action.kind == FaultKind::partition || action.kind == FaultKind::ring ||
                      (action.kind == FaultKind::flap && action.role.empty());
    if (cuts) open_partition = units.size() - 1;
  }
  return units;
}

ShrinkResult shrink_schedule(const FaultSchedule& failing, const std::function<bool(const FaultSchedule&)>& still_fails,
                             size_t max_runs) {
  return Shrinker(failing, still_fails, max_runs).run();
}

}  // namespace detsim
