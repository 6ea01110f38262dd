#include "models/cdc_fanin/register.h"

#include <fmt/format.h>

#include <memory>
#include <vector>

#include "models/cdc_fanin/connector.h"
#include "models/cdc_fanin/loader.h"
#include "models/cdc_fanin/observer.h"
#include "models/cdc_fanin/params.h"
#include "models/cdc_fanin/schema.h"
#include "models/cdc_fanin/source.h"
#include "models/parts/plog/cluster.h"
#include "models/parts/plog/observer.h"

namespace detsim::cdc {
namespace {

// One partition per source in each topic: a source's changes stay in
// commit order, so its loaded watermark is well defined. RF 3, min.insync 2.
parts::plog::LogConfig log_config(const CdcParams& params) {
  parts::plog::LogConfig config;
  config.brokers = 3;
  const auto partitions = static_cast<int32_t>(params.sources);
  config.topics.push_back(parts::plog::TopicSpec{kEventsTopic, partitions, 3, 2});
  config.topics.push_back(parts::plog::TopicSpec{kOffsetsTopic, partitions, 3, 2});
  config.unclean_election = params.unclean_leader_election;
  return config;
}

class CdcModel final : public Model {
 public:
  explicit CdcModel(const CdcParams& params) : params_(params), log_(log_config(params), &log_observer_) {}

  void setup(Setup& setup) override {
    observer_ = std::make_unique<Observer>(params_, setup.heal_time());
    log_.add_servers(setup, "log-");
    const Time stop_at = setup.heal_time();
    std::vector<NodeId> sources;
    for (int64_t i = 0; i < params_.sources; ++i) {
      sources.push_back(setup.add_server(fmt::format("s{}", i), [this, i, stop_at](Context& ctx) {
        source_main(ctx, params_, *observer_, i, stop_at);
      }));
    }
    std::vector<NodeId> connectors;
    for (int64_t i = 0; i < params_.sources; ++i) {
      connectors.push_back(
          setup.add_server(fmt::format("cn{}", i), [this, i, source = sources[static_cast<size_t>(i)]](Context& ctx) {
            connector_main(ctx, params_, log_, *observer_, i, source);
          }));
    }
    const NodeId warehouse =
        setup.add_server("wh", [this](Context& ctx) { loader_main(ctx, params_, log_, *observer_); });
    observer_->set_nodes(std::move(sources), std::move(connectors), warehouse, setup.end_time());
  }

  // The model's invariants first; then the log's own promises, which a
  // lost record breaks even where no source happened to notice.
  CheckResult check() override {
    const CheckResult result = observer_->check();
    if (result.verdict == Verdict::safety) return result;
    for (const auto& log_check : {log_observer_.no_acked_record_lost(), log_observer_.consistent_prefix()}) {
      if (log_check) return *log_check;
    }
    return result;
  }

  void report(MetricList& metrics) const override {
    observer_->report(metrics);
    metrics.push_back({"log_unclean_elections", static_cast<double>(log_observer_.unclean_elections())});
  }

 private:
  CdcParams params_;
  parts::plog::Observer log_observer_;
  parts::plog::Cluster log_;
  std::unique_ptr<Observer> observer_;
};

}  // namespace

ModelInfo model_info() {
  return ModelInfo{
      .name = "cdc_fanin",
      .summary =
          "CDC fan-in: N source databases, Debezium-like connectors with a DBLog snapshot, a replicated "
          "partitioned log, and a warehouse loader whose aggregates must match the sources",
      .params = bindings().specs(),
      .bugs = bindings().bugs(),
      .probes =
          {
              {"connector_resumed_mid_snapshot", "a restarted connector resumed a DBLog snapshot from its offsets"},
              {"connector_resumed_mid_stream", "a restarted connector resumed streaming after its snapshot"},
              {"window_dropped_a_changed_chunk_row", "a key changed inside a DBLog window left the chunk"},
              {"produce_failed_batch_retried", "the log did not acknowledge a batch of events; it is sent again"},
              {"loader_skipped_a_redelivered_event", "the loader's merge found an event already loaded"},
              {"loader_restarted_on_a_loaded_warehouse", "the loader restarted on a warehouse that had rows"},
              {"source_write_failed", "a source transaction failed (a full disk, an I/O error)"},
          },
      .make = [](const Params& params) -> std::unique_ptr<Model> {
        return std::make_unique<CdcModel>(bindings().read(params));
      },
  };
}

}  // namespace detsim::cdc
