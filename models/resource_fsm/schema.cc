#include "models/resource_fsm/schema.h"

namespace detsim::rfsm {

const char* to_string(State state) {
  switch (state) {
    case State::absent: return "absent";
    case State::creating: return "creating";
    case State::ready: return "ready";
    case State::updating: return "updating";
    case State::deleting: return "deleting";
    case State::deleted: return "deleted";
    case State::failed: return "failed";
  }
  return "?";
}

bool legal_transition(State from, State to) {
  switch (from) {
    case State::absent: return to == State::creating;
    case State::creating: return to == State::ready || to == State::failed;
    case State::ready: return to == State::updating || to == State::deleting;
    case State::updating: return to == State::ready || to == State::failed;
    case State::failed: return to == State::updating || to == State::deleting;
    case State::deleting: return to == State::deleted || to == State::failed;
    case State::deleted: return false;
  }
  return false;
}

}  // namespace detsim::rfsm
