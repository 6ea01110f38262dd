#include "models/outbox/register.h"

#include <fmt/format.h>

#include <memory>

#include "models/outbox/client.h"
#include "models/outbox/consumer.h"
#include "models/outbox/observer.h"
#include "models/outbox/params.h"
#include "models/outbox/schema.h"
#include "models/outbox/service.h"
#include "models/parts/plog/cluster.h"
#include "models/parts/plog/observer.h"

namespace detsim::outbox {
namespace {

parts::plog::LogConfig log_config(const OutboxParams& params) {
  parts::plog::LogConfig config;
  config.brokers = 3;
  config.topics.push_back(parts::plog::TopicSpec{kTopicName, static_cast<int32_t>(params.partitions), 3, 2});
  return config;
}

class OutboxModel final : public Model {
 public:
  explicit OutboxModel(const OutboxParams& params) : params_(params), log_(log_config(params), &log_observer_) {}

  void setup(Setup& setup) override {
    observer_ = std::make_unique<Observer>(params_, setup.heal_time(), log_observer_);
    log_.add_servers(setup, "log-");
    const NodeId service =
        setup.add_server("svc", [this](Context& ctx) { service_main(ctx, params_, log_, *observer_); });
    std::vector<NodeId> consumers;
    for (int64_t i = 0; i < params_.consumers; ++i) {
      consumers.push_back(setup.add_server(fmt::format("k{}", i), [this, i](Context& ctx) {
        consumer_main(ctx, params_, log_, *observer_, static_cast<size_t>(i));
      }));
    }
    observer_->set_nodes(LedgerNodes{service, std::move(consumers), setup.end_time()});
    const Time stop_at = setup.heal_time();
    for (int64_t i = 0; i < params_.clients; ++i) {
      setup.add_client(fmt::format("c{}", i),
                       [this, service, stop_at](Context& ctx) { client_main(ctx, params_, service, stop_at); });
    }
  }

  CheckResult check() override { return observer_->check(); }
  void report(MetricList& metrics) const override { observer_->report(metrics); }

 private:
  OutboxParams params_;
  parts::plog::Observer log_observer_;  // before log_, which points to it
  parts::plog::Cluster log_;
  std::unique_ptr<Observer> observer_;
};

}  // namespace

ModelInfo model_info() {
  return ModelInfo{
      .name = "outbox",
      .summary =
          "an order service telling other services of its changes: dual write (commit or publish first) "
          "against the transactional outbox (polling or log tailing), over a replicated log",
      .params = bindings().specs(),
      .bugs = bindings().bugs(),
      .probes = {},
      .make = [](const Params& params) -> std::unique_ptr<Model> {
        return std::make_unique<OutboxModel>(bindings().read(params));
      },
  };
}

}  // namespace detsim::outbox
