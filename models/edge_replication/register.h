#pragma once

#include "sim/api/model.h"

namespace detsim::edge {

ModelInfo model_info();

}  // namespace detsim::edge
