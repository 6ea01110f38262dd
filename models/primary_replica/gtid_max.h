// GTID sets as origin -> highest applied sequence, and their wire form.
#pragma once

#include <cstdint>
#include <map>

#include "models/primary_replica/messages.h"

namespace detsim::primary_replica {

using GtidSet = std::map<int64_t, int64_t>;

inline GtidMax to_wire(const GtidSet& set) {
  GtidMax out;
  for (const auto& [origin, seq] : set) {
    out.push_back(origin);
    out.push_back(seq);
  }
  return out;
}
inline GtidSet from_wire(const GtidMax& wire) {
  GtidSet out;
  for (size_t i = 0; i + 1 < wire.size(); i += 2) out[wire[i]] = wire[i + 1];
  return out;
}
inline int64_t seq_of(const GtidSet& set, int64_t origin) {
  auto it = set.find(origin);
  return it == set.end() ? 0 : it->second;
}
// Every transaction of `inner` is in `outer`.
inline bool covers(const GtidSet& outer, const GtidSet& inner) {
  for (const auto& [origin, seq] : inner) {
    if (seq_of(outer, origin) < seq) return false;
  }
  return true;
}
inline int64_t total(const GtidSet& set) {
  int64_t sum = 0;
  for (const auto& [origin, seq] : set) sum += seq;
  return sum;
}

}  // namespace detsim::primary_replica
