#include "models/registry.h"

#include "models/broadcast/register.h"

namespace detsim {

const ModelRegistry& model_registry() {
  static const ModelRegistry registry = [] {
    ModelRegistry r;
    r.add(broadcast::model_info());
    return r;
  }();
  return registry;
}

}  // namespace detsim
