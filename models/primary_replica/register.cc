#include "models/primary_replica/register.h"

#include <fmt/format.h>

#include <memory>
#include <vector>

#include "models/primary_replica/edge.h"
#include "models/primary_replica/manager.h"
#include "models/primary_replica/observer.h"
#include "models/primary_replica/params.h"
#include "models/primary_replica/server.h"
#include "sim/api/history.h"

namespace detsim::primary_replica {
namespace {

constexpr int64_t kProxies = 2;

class PrimaryReplicaModel final : public Model {
 public:
  explicit PrimaryReplicaModel(const PrParams& params)
      : params_(params), observer_(params, servers()), power_(servers()) {}

  void setup(Setup& setup) override {
    for (size_t i = 0; i < servers(); ++i) {
      server_ids_.push_back(setup.add_server(fmt::format("db{}", i), [this, i](Context& ctx) {
        server_main(ctx, params_, observer_, power_, static_cast<int64_t>(i), server_ids_);
      }));
      // Invariant: servers come first, so server i is NodeId i (server_node).
      DETSIM_ASSERT(server_ids_.back() == server_node(static_cast<int64_t>(i)));
    }
    observer_.set_end_time(setup.end_time());
    setup.add_server("mgr",
                     [this](Context& ctx) { manager_main(ctx, params_, observer_, power_, server_ids_, proxy_ids_); });
    for (int64_t i = 0; i < kProxies; ++i) {
      proxy_ids_.push_back(
          setup.add_client(fmt::format("px{}", i), [this](Context& ctx) { proxy_main(ctx, server_ids_); }));
    }
    history_.reserve_processes(params_.clients);
    const Time stop_at = setup.heal_time();
    for (int64_t i = 0; i < params_.clients; ++i) {
      setup.add_client(fmt::format("c{}", i), [this, i, stop_at](Context& ctx) {
        client_main(ctx, params_, observer_, history_, i, proxy_ids_[static_cast<size_t>(i % kProxies)], stop_at);
      });
    }
  }
  CheckResult check() override { return observer_.check(); }
  void report(MetricList& metrics) const override { observer_.report(metrics); }
  const History* history() const override { return &history_; }
  std::string history_model() const override { return "kv"; }

 private:
  size_t servers() const { return static_cast<size_t>(params_.replicas + 1); }

  PrParams params_;
  Observer observer_;
  PowerSwitch power_;
  std::vector<NodeId> server_ids_;
  std::vector<NodeId> proxy_ids_;
  History history_;
};

}  // namespace

ModelInfo model_info() {
  return ModelInfo{
      .name = "primary_replica",
      .summary =
          "a MySQL-style primary and replicas: GTID binlog replication (async or semi-sync), an "
          "orchestrator-like failover manager with STONITH fencing, proxies routing clients to the primary",
      .params = bindings().specs(),
      .bugs = bindings().bugs(),
      .probes = {},
      .make = [](const Params& params) -> std::unique_ptr<Model> {
        return std::make_unique<PrimaryReplicaModel>(bindings().read(params));
      },
  };
}

}  // namespace detsim::primary_replica
