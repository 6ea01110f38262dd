// The noisy-neighbours model as the simulator sees it: a multi-tenant
// serving tier (a cache in front of a database) under zipf-skewed tenant
// load, one tenant's burst and a hot key (docs/noisy_neighbours.md).
#pragma once

#include "sim/api/model.h"

namespace detsim::noisy {

ModelInfo model_info();

}  // namespace detsim::noisy
