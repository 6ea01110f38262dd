// The broadcast model as the simulator sees it: Maelstrom's broadcast
// workload (doc/03-broadcast) with crashes, loss and a planted bug.
#pragma once

#include "sim/api/model.h"

namespace detsim::broadcast {

ModelInfo model_info();

}  // namespace detsim::broadcast
