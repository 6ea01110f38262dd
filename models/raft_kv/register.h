#pragma once

#include "sim/api/model.h"

namespace detsim::raft_kv {

// The Raft key-value store, for models/registry.cc.
ModelInfo model_info();

}  // namespace detsim::raft_kv
