// Indeterminate writes that nothing observed are dropped before the
// search. An info operation may take effect at any point after its invoke,
// or never; one left open in Lowe's list is retried at every backtrack, so
// histories with many timed-out writes explode (docs/performance.md: 7.4M
// steps instead of 105k for 10k ops with 10% info).
//
// The rule keeps the verdict exact. Take an info write (write/put, append
// or cas) whose value no completed read and no cas ever saw, and a
// linearization L that places it. From its effect until the next
// effective write, the state holds that value (kv: contains it, as
// appends keep it), so an ok read there would return it and a cas taking
// effect there would need it as its old value: there are none. Only
// operations whose outcome does not depend on the state lie in that span,
// so L without the write (and without info cas that did nothing there) is
// a linearization too.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/check/operations.h"

namespace detsim::check {

// For each of `members` (indices into operations, one key's), whether it
// is an info write whose value no operation of the key observed.
std::vector<bool> unobserved_info_writes(const std::vector<Operation>& operations, const std::vector<uint32_t>& members,
                                         Datatype datatype);

}  // namespace detsim::check
