// The control plane's database (parts::RowStore, int64 columns) and the
// resource state machine it enforces.
#pragma once

#include <cstdint>

#include "models/parts/row_store.h"

namespace detsim::rfsm {

// resource id -> [state, version, change, based_on, spec]. `change` names
// the request (or completion) that wrote the row, `based_on` the change it
// read: the lost-update oracle follows that chain.
inline constexpr parts::TableId kResources = 1;
// job id (the change id of the request that made it) ->
// [resource, kind, spec, version, holder, token, expires]. `version` is the
// resource version the job's request wrote; `holder` the worker holding the
// lease (-1: none), `token` its fencing token, `expires` the lease's end on
// the store's monotonic clock (ns).
inline constexpr parts::TableId kJobs = 2;
// kTokenKey -> [next fencing token]: one counter for all jobs, so tokens
// increase across every grant of every job.
inline constexpr parts::TableId kMeta = 3;
inline constexpr parts::Key kTokenKey = 0;

namespace res {
inline constexpr size_t state = 0, version = 1, change = 2, based_on = 3, spec = 4;
}
namespace job {
inline constexpr size_t resource = 0, kind = 1, spec = 2, version = 3, holder = 4, token = 5, expires = 6;
}

enum class State : int64_t { absent = 0, creating, ready, updating, deleting, deleted, failed };
enum class Kind : int64_t { create = 0, update, erase };

const char* to_string(State state);
// The state machine: absent -> creating; creating -> ready | failed;
// ready -> updating | deleting; updating -> ready | failed;
// failed -> updating | deleting; deleting -> deleted | failed. deleted is
// terminal. No state moves to itself.
bool legal_transition(State from, State to);
inline bool is_intermediate(State s) { return s == State::creating || s == State::updating || s == State::deleting; }
// The state a job's kind ends in when the provider did its part.
inline State done_state(Kind kind) { return kind == Kind::erase ? State::deleted : State::ready; }
inline State intermediate_of(Kind kind) {
  return kind == Kind::create ? State::creating : kind == Kind::update ? State::updating : State::deleting;
}

}  // namespace detsim::rfsm
