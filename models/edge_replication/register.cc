#include "models/edge_replication/register.h"

#include <memory>

#include "models/edge_replication/checks.h"
#include "models/edge_replication/edge.h"
#include "models/edge_replication/observer.h"
#include "models/edge_replication/params.h"
#include "models/edge_replication/replicator.h"
#include "models/edge_replication/source.h"

namespace detsim::edge {
namespace {

class EdgeReplicationModel final : public Model {
 public:
  explicit EdgeReplicationModel(const EdgeParams& params) : params_(params), observer_(params) {}

  // Three servers, all of them targets for the nemesis: the source (n0),
  // the edge (n1) and the replicator (n2), which sits near the source and
  // edge_rtt away from the edge.
  void setup(Setup& setup) override {
    heal_at_ = setup.heal_time();
    end_at_ = setup.end_time();
    observer_.set_heal_time(heal_at_);
    const SourceConfig source_config{heal_at_};
    source_ = setup.add_server("source", [params = params_, source_config, &o = observer_](Context& ctx) {
      Source::main(ctx, params, source_config, o);
    });
    const EdgeConfig edge_config{heal_at_};
    edge_ = setup.add_server("edge", [params = params_, edge_config, &o = observer_](Context& ctx) {
      Edge::main(ctx, params, edge_config, o);
    });
    const ReplicatorConfig config{source_, edge_, heal_at_};
    replicator_ = setup.add_server("replicator", [params = params_, config, &o = observer_](Context& ctx) {
      Replicator::main(ctx, params, config, o);
    });
    const DurationDist one_way = DurationDist::constant(params_.edge_rtt / 2);
    setup.set_link_latency(replicator_, edge_, one_way);
    setup.set_link_latency(edge_, replicator_, one_way);
  }

  CheckResult check() override {
    CheckResult result = check_no_time_travel(observer_.time_travel());
    if (result.verdict == Verdict::pass) result = check_checkpoints_forward(observer_.checkpoint_regression());
    if (result.verdict == Verdict::pass) result = check_checkpoint_durable_on_edge(observer_.checkpoint_ahead());
    if (result.verdict == Verdict::pass) result = check_chunk_applied_before_cursor(observer_.chunk_ahead());
    if (result.verdict == Verdict::pass) {
      result =
          check_caught_up(observer_.caught_up_at(), heal_at_, observer_.rows_committed(), observer_.rows_applied());
    }
    if (result.verdict != Verdict::pass) return placed(std::move(result));
    if (!params_.explicit_rows()) return placed(check_exactly_once(observer_.committed(), observer_.edge_applied()));
    KeyRef differing;
    CheckResult equal = check_edge_equals_source(observer_.source_tables(), observer_.edge_tables(),
                                                 observer_.final_verification(), observer_.injected(), &differing);
    // A diverged key is timed by the edge's last durable write to it.
    if (equal.property == "edge_equals_source") {
      if (std::optional<Time> written = observer_.edge_written_at(differing)) equal.at(*written);
    }
    return placed(std::move(equal));
  }

  // When and where (CheckResult::at/on): the replicator moves every row
  // and checkpoint, so it is in each; the edge holds what went wrong, or
  // the source is what the edge is compared with. A check of end states
  // (and a liveness deadline) is at the run's end.
  CheckResult placed(CheckResult result) const {
    if (result.verdict == Verdict::pass) return result;
    if (!result.when) result.at(end_at_);
    if (result.property == "checkpoints_forward") return std::move(result.on({replicator_}));
    if (result.property == "edge_equals_source") return std::move(result.on({source_, edge_, replicator_}));
    return std::move(result.on({replicator_, edge_}));
  }

  void report(MetricList& metrics) const override {
    observer_.report(metrics, heal_at_, end_at_);
    const std::optional<Time>& caught_up = observer_.caught_up_at();
    metrics.push_back({"catch_up_s", caught_up ? (*caught_up - heal_at_).to_seconds() : -1.0});
    if (!params_.explicit_rows()) return;
    // The verification's ground truth, for the verification scenario's tests.
    const std::vector<Table>* source = observer_.source_tables();
    const std::vector<Table>* edge = observer_.edge_tables();
    const double diverged = source && edge ? static_cast<double>(differing_keys(*source, *edge).size()) : -1.0;
    const std::optional<FinalVerification>& verification = observer_.final_verification();
    metrics.push_back({"diverged_keys", diverged});
    metrics.push_back({"verifier_keys", verification ? static_cast<double>(verification->keys.size()) : -1.0});
    metrics.push_back({"injected_keys", static_cast<double>(observer_.injected().size())});
  }

 private:
  EdgeParams params_;
  Observer observer_;
  Time heal_at_;
  Time end_at_;
  NodeId source_;
  NodeId edge_;
  NodeId replicator_;
};

}  // namespace

ModelInfo model_info() {
  return ModelInfo{
      .name = "edge_replication",
      .summary =
          "a source's row-based binlog streamed to an edge store with a concurrent backfill "
          "(DBLog windows or Ghostferry's locked copy), schema changes, parallel apply, "
          "checkpoints and verification; lag and throughput metrics",
      .params = bindings().specs(),
      .bugs = bindings().bugs(),
      .probes =
          {
              {"backfill_resumed", "a restarted replicator resumed a half-copied table from its checkpoint cursor"},
              {"batch_retry_deduplicated", "the edge recognized a retried apply batch and applied it once"},
              {"ddl_barrier_waited", "a schema change waited for earlier rows to drain before going to the edge"},
              {"ddl_replayed_after_resume",
               "the edge got a schema change it already had (replicator resumed behind it)"},
              {"chunk_row_superseded_by_stream",
               "a chunk row was skipped: the stream changed it inside the window (DBLog)"},
              {"stale_watermark_ignored",
               "a watermark of an abandoned window (or of an earlier incarnation) was ignored"},
          },
      .make = [](const Params& params) -> std::unique_ptr<Model> {
        return std::make_unique<EdgeReplicationModel>(read_params(params));
      },
  };
}

}  // namespace detsim::edge
