#include "models/broadcast/register.h"

#include <fmt/format.h>

#include <memory>
#include <string>

#include "models/broadcast/checks.h"
#include "models/broadcast/client.h"
#include "models/broadcast/node.h"
#include "models/broadcast/params.h"

namespace detsim::broadcast {
namespace {

// Owns what is observed from outside the nodes (acknowledged values, each
// server's live store, counters); nodes hold a reference, which the model
// outliving its fibers (model.h) keeps valid.
class BroadcastModel final : public Model {
 public:
  explicit BroadcastModel(const BroadcastParams& params) : params_(params), observer_() {}

  void setup(Setup& setup) override {
    observer_.set_clock(setup.sim_time());
    for (int64_t i = 0; i < params_.nodes; ++i) {
      std::string name = fmt::format("n{}", i);
      NodeId node = setup.add_server(
          name, [params = params_, &observer = observer_](Context& ctx) { Server::main(ctx, params, observer); });
      observer_.add_server(node, std::move(name));
    }
    for (int64_t i = 0; i < params_.clients; ++i) {
      const ClientConfig config{.index = i, .stop_at = setup.heal_time()};
      setup.add_client(fmt::format("c{}", i), [params = params_, config, &observer = observer_](Context& ctx) {
        client_main(ctx, params, config, observer);
      });
    }
    workload_ran_ = setup.heal_time() > Time::zero();
  }

  // Safety first: a lost value matters more than slow progress.
  CheckResult check() override {
    // report() runs after the fibers unwind, when no store is attached.
    values_total_ = values_total(observer_);
    if (observer_.violation()) return *observer_.violation();
    CheckResult safety = check_acked_everywhere(observer_);
    if (safety.verdict != Verdict::pass) return safety;
    safety = check_values_sent(observer_);
    if (safety.verdict != Verdict::pass) return safety;
    return check_progress(observer_, workload_ran_);
  }

  void report(MetricList& metrics) const override {
    metrics.push_back({"values_acked", static_cast<double>(observer_.acked().size())});
    metrics.push_back({"values_total", static_cast<double>(values_total_)});
    metrics.push_back({"gossip_messages", static_cast<double>(observer_.gossip_messages())});
    metrics.push_back({"client_retries", static_cast<double>(observer_.client_retries())});
    if (params_.durable) metrics.push_back({"bad_records", static_cast<double>(observer_.bad_records())});
    const Histogram& latency = observer_.ack_latency();
    if (!latency.empty()) {
      metrics.push_back({"op_latency_p50_ms", latency.quantile_s(0.5) * 1e3});
      metrics.push_back({"op_latency_p99_ms", latency.quantile_s(0.99) * 1e3});
      metrics.push_back({"op_latency_p999_ms", latency.quantile_s(0.999) * 1e3});
    }
  }

 private:
  BroadcastParams params_;
  Observer observer_;
  bool workload_ran_ = false;
  size_t values_total_ = 0;
};

}  // namespace

ModelInfo model_info() {
  return ModelInfo{
      .name = "broadcast",
      .summary =
          "Maelstrom's broadcast: servers gossip client values with retries until every "
          "server holds every acknowledged value, through loss and crashes",
      .params = bindings().specs(),
      .bugs = bindings().bugs(),
      .probes =
          {
              {"client_retried_elsewhere", "a client got no ack in time and sent its value to another server"},
              {"client_retry_already_held", "a client's retry reached a server that already held the value"},
              {"restarted_peer_resent", "a peer announced a restart and was sent everything again"},
              {"client_gave_up_unacked",
               "a client stopped retrying at the heal with its value never acked (indeterminate)"},
          },
      .make = [](const Params& params) -> std::unique_ptr<Model> {
        return std::make_unique<BroadcastModel>(read_params(params));
      },
  };
}

}  // namespace detsim::broadcast
