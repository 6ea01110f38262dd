#include "models/resource_fsm/register.h"

#include <fmt/format.h>

#include <memory>
#include <vector>

#include "models/resource_fsm/api.h"
#include "models/resource_fsm/client.h"
#include "models/resource_fsm/observer.h"
#include "models/resource_fsm/params.h"
#include "models/resource_fsm/provider.h"
#include "models/resource_fsm/store.h"
#include "models/resource_fsm/worker.h"

namespace detsim::rfsm {
namespace {

class FsmModel final : public Model {
 public:
  explicit FsmModel(const FsmParams& params) : params_(params) {}

  void setup(Setup& setup) override {
    observer_ = std::make_unique<Observer>(params_, setup.heal_time(), provider_state_);
    const NodeId store = setup.add_server("db", [this](Context& ctx) { store_main(ctx, params_, *observer_); });
    for (int64_t i = 0; i < params_.api_servers; ++i) {
      apis_.push_back(setup.add_server(
          fmt::format("api{}", i), [this, store, i](Context& ctx) { api_main(ctx, params_, *observer_, store, i); }));
    }
    // The provider is outside the system under test: a client node, never
    // crashed (its durability is the cloud's), though partitions reach it.
    const NodeId provider = setup.add_client(
        "provider", [this](Context& ctx) { provider_main(ctx, params_, *observer_, provider_state_); });
    LedgerNodes nodes{store, provider, setup.end_time(), {}};
    for (int64_t i = 0; i < params_.workers; ++i) {
      const std::string name = fmt::format("w{}", i);
      const NodeId worker = setup.add_server(name, [this, store, provider, i](Context& ctx) {
        worker_main(ctx, params_, *observer_, store, provider, i);
      });
      nodes.worker_names.emplace(worker.index(), name);
    }
    observer_->ledger().set_nodes(std::move(nodes));
    const Time stop_at = setup.heal_time();
    for (int64_t i = 0; i < params_.clients; ++i) {
      setup.add_client(fmt::format("c{}", i),
                       [this, stop_at](Context& ctx) { client_main(ctx, params_, *observer_, apis_, stop_at); });
    }
  }

  CheckResult check() override { return observer_->check(); }
  void report(MetricList& metrics) const override { observer_->report(metrics); }

 private:
  FsmParams params_;
  ProviderState provider_state_;  // before observer_, which reads it
  std::vector<NodeId> apis_;
  std::unique_ptr<Observer> observer_;
};

}  // namespace

ModelInfo model_info() {
  return ModelInfo{
      .name = "resource_fsm",
      .summary =
          "a cloud control plane: API servers change resources by compare-and-set, async workers carry the "
          "jobs out at a provider under leases and fencing tokens",
      .params = bindings().specs(),
      .bugs = bindings().bugs(),
      .probes = {},
      .make = [](const Params& params) -> std::unique_ptr<Model> {
        return std::make_unique<FsmModel>(bindings().read(params));
      },
  };
}

}  // namespace detsim::rfsm
