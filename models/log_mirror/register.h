// The geo-mirroring model as the simulator sees it (docs/log_mirror.md):
// two regional plog clusters, MirrorMaker-2-style mirror tasks, and an
// aggregate cluster in a third region.
#pragma once

#include "sim/api/model.h"

namespace detsim::mirror {

ModelInfo model_info();

}  // namespace detsim::mirror
