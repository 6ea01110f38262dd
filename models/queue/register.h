// The queue model as the simulator sees it: an M/M/c or M/D/c FIFO service
// queue that reports its measured waits next to queueing theory's, to
// calibrate the simulator's timing (docs/queue.md).
#pragma once

#include "sim/api/model.h"

namespace detsim::queue {

ModelInfo model_info();

}  // namespace detsim::queue
