// The CDC fan-in model as the simulator sees it (docs/cdc_fanin.md):
// sources, connectors, a replicated partitioned log and a warehouse loader.
#pragma once

#include "sim/api/model.h"

namespace detsim::cdc {

ModelInfo model_info();

}  // namespace detsim::cdc
