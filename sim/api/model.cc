#include "sim/api/model.h"

#include "sim/core/assert.h"

namespace detsim {

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass: return "pass";
    case Verdict::safety: return "safety";
    case Verdict::liveness: return "liveness";
    case Verdict::model_crashed: return "model_crashed";
  }
  DETSIM_ASSERT(false);
}

void ModelRegistry::add(ModelInfo info) {
  // Invariant: a scenario names its model, so names must be unique.
  DETSIM_ASSERT(find(info.name) == nullptr);
  DETSIM_ASSERT(!info.name.empty());
  DETSIM_ASSERT(info.make != nullptr);
  models_.push_back(std::move(info));
}

namespace {

// A function-local static: registrations run during static initialization
// of other files, in an order the language leaves open.
std::vector<ModelInfoFunction>& registrations() {
  static std::vector<ModelInfoFunction> functions;
  return functions;
}

}  // namespace

const std::vector<ModelInfoFunction>& registered_models() { return registrations(); }

ModelRegistration::ModelRegistration(ModelInfoFunction function) {
  // Invariant: DETSIM_REGISTER_MODEL names a function.
  DETSIM_ASSERT(function != nullptr);
  registrations().push_back(function);
}

const ModelInfo* ModelRegistry::find(std::string_view name) const {
  for (const ModelInfo& model : models_) {
    if (model.name == name) return &model;
  }
  return nullptr;
}

}  // namespace detsim
