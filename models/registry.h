// Every model the command line knows, in the order `detsim list` shows them.
#pragma once

#include "sim/api/model.h"

namespace detsim {

const ModelRegistry& model_registry();

}  // namespace detsim
