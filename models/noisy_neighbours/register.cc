#include "models/noisy_neighbours/register.h"

#include <fmt/format.h>

#include <memory>

#include "models/noisy_neighbours/nodes.h"
#include "models/noisy_neighbours/observer.h"
#include "models/noisy_neighbours/params.h"

namespace detsim::noisy {
namespace {

class NoisyModel final : public Model {
 public:
  explicit NoisyModel(const NoisyParams& params) : params_(params) {}

  // Servers: a cache (the front tier) and a database per pod, or one of
  // each for the pool, with pods x one pod's entries and workers. Clients:
  // the generators, which the nemesis never touches.
  void setup(Setup& setup) override {
    observer_ = std::make_unique<Observer>(params_, setup.heal_time(), setup.end_time());
    observer_->set_topology(&topology_);
    for (int64_t pod = 0; pod < observer_->pod_count(); ++pod) {
      topology_.caches.push_back(setup.add_server(
          fmt::format("cache{}", pod), [this, pod](Context& ctx) { cache_main(ctx, *observer_, topology_, pod); }));
      topology_.dbs.push_back(setup.add_server(
          fmt::format("db{}", pod), [this, pod](Context& ctx) { db_main(ctx, *observer_, topology_, pod); }));
    }
    for (int64_t g = 0; g < std::min(params_.generators, params_.tenants); ++g) {
      topology_.generators.push_back(setup.add_client(
          fmt::format("gen{}", g), [this, g](Context& ctx) { generator_main(ctx, *observer_, topology_, g); }));
    }
  }

  CheckResult check() override { return observer_->check(); }
  void report(MetricList& metrics) const override { observer_->report(metrics); }

 private:
  NoisyParams params_;
  std::unique_ptr<Observer> observer_;
  Topology topology_;
};

}  // namespace

ModelInfo model_info() {
  return ModelInfo{
      .name = "noisy_neighbours",
      .summary =
          "a multi-tenant serving tier (cache in front of a database) in shared, pods or quota isolation, "
          "with zipf tenant load, one tenant's 10-50x burst and a hot key; requests in per-tick batches",
      .params = bindings().specs(),
      .bugs = bindings().bugs(),
      .probes =
          {
              {"hot_key_missed_cold", "the hot key missed a cache that had not seen it since it booted"},
              {"cold_cache_after_restart", "a restarted cache answered a batch with nothing filled yet"},
              {"throttled", "the front tier throttled part of a batch"},
              {"db_shed", "an overloaded database shed a request it could not start within half the timeout"},
              {"db_slow_disk", "a database's disk probe was slow, so its service times were scaled up"},
          },
      .make = [](const Params& params) -> std::unique_ptr<Model> {
        return std::make_unique<NoisyModel>(bindings().read(params));
      },
  };
}

}  // namespace detsim::noisy
