// The resource state machine model as the simulator sees it: a control
// plane of API servers, a job queue and async workers under leases and
// fencing tokens, in front of a provider (docs/resource_fsm.md).
#pragma once

#include "sim/api/model.h"

namespace detsim::rfsm {

ModelInfo model_info();

}  // namespace detsim::rfsm
