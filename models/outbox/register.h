// The outbox model as the simulator sees it: an order service that must
// change its database and tell other services, by dual write (expected to
// fail) or through a transactional outbox (docs/outbox.md).
#pragma once

#include "sim/api/model.h"

namespace detsim::outbox {

ModelInfo model_info();

}  // namespace detsim::outbox
