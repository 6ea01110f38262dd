// The primary_replica model's registration (docs/primary_replica.md).
#pragma once

#include "sim/api/model.h"

namespace detsim::primary_replica {

ModelInfo model_info();

}  // namespace detsim::primary_replica
