#include "models/queue/register.h"

#include <memory>

#include "models/queue/checks.h"
#include "models/queue/node.h"
#include "models/queue/params.h"
#include "sim/api/metrics.h"

namespace detsim::queue {
namespace {

// What theory predicts for the configuration, where it predicts anything:
// only a stable queue has a steady state. M/M/c has closed forms for the
// mean and the quantiles; M/D/1 has P-K for the mean; M/D/c (c > 1) has only
// an approximation (Cosmetatos's), reported under its own name so no one
// takes it for theory.
void report_theory(const QueueParams& params, MetricList& metrics) {
  if (params.rho() >= 1) return;
  const double lambda = params.arrival_rate;
  const double mu = params.service_rate;
  const int64_t c = params.servers;
  if (!params.deterministic) {
    metrics.push_back({"theory_wait_probability", queueing::erlang_c(c, lambda / mu)});
    metrics.push_back({"theory_wait_mean_s", queueing::mmc_wait_mean_s(lambda, mu, c)});
    metrics.push_back({"theory_wait_p99_s", queueing::mmc_wait_quantile_s(lambda, mu, c, 0.99)});
    metrics.push_back({"theory_wait_p999_s", queueing::mmc_wait_quantile_s(lambda, mu, c, 0.999)});
  } else if (c == 1) {
    // M/G/1: an arrival waits exactly when the server is busy (PASTA), rho.
    metrics.push_back({"theory_wait_probability", params.rho()});
    metrics.push_back({"theory_wait_mean_s", queueing::md1_wait_mean_s(lambda, mu)});
  } else {
    metrics.push_back({"approx_wait_mean_s", queueing::mdc_wait_mean_approx_s(lambda, mu, c)});
  }
}

class QueueModel final : public Model {
 public:
  explicit QueueModel(const QueueParams& params) : params_(params) {}

  void setup(Setup& setup) override {
    observer_ = std::make_unique<Observer>(Time::zero() + params_.warmup, setup.heal_time());
    server_ = setup.add_server(
        "q0", [params = params_, &observer = *observer_](Context& ctx) { QueueServer::main(ctx, params, observer); });
    end_at_ = setup.end_time();
  }

  // Safety first (a lost or reordered job makes every number wrong), then
  // whether the numbers mean anything: a steady state, a drained queue, and
  // jobs in the measurement window.
  CheckResult check() override {
    const QueueState state = observer_->snapshot();
    for (const CheckResult& result :
         {check_conservation(state), check_fifo(state), check_stable(params_.rho()), check_drained(state),
          check_measured(observer_->measured().waits.count(), params_.warmup, observer_->arrivals_stop())}) {
      // The one server is where it went wrong; books compared at the end
      // (and liveness deadlines) are at the run's end.
      if (result.verdict == Verdict::pass) continue;
      CheckResult placed = result;
      return std::move(placed.at(result.when.value_or(end_at_)).on({server_}));
    }
    return CheckResult::ok();
  }

  void report(MetricList& metrics) const override {
    const QueueState state = observer_->snapshot();
    const Measured& measured = observer_->measured();
    const Histogram& waits = measured.waits;
    const Duration window = observer_->arrivals_stop() - observer_->measure_from();
    const double capacity_s = static_cast<double>(params_.servers) * window.to_seconds();
    const double jobs = static_cast<double>(waits.count());
    metrics.push_back({"rho", params_.rho()});
    metrics.push_back({"jobs_arrived", static_cast<double>(state.arrived)});
    metrics.push_back({"jobs_served", static_cast<double>(state.served)});
    metrics.push_back({"jobs_measured", jobs});
    metrics.push_back({"utilisation", capacity_s > 0 ? measured.busy.to_seconds() / capacity_s : 0});
    metrics.push_back({"queue_depth_max", static_cast<double>(observer_->queue_depth_max())});
    metrics.push_back({"wait_probability", jobs > 0 ? static_cast<double>(measured.waited) / jobs : 0});
    metrics.push_back({"wait_mean_s", waits.mean_s()});
    metrics.push_back({"wait_p50_s", waits.quantile_s(0.5)});
    metrics.push_back({"wait_p99_s", waits.quantile_s(0.99)});
    metrics.push_back({"wait_p999_s", waits.quantile_s(0.999)});
    metrics.push_back({"wait_max_s", waits.max().to_seconds()});
    report_theory(params_, metrics);
  }

 private:
  QueueParams params_;
  std::unique_ptr<Observer> observer_;
  NodeId server_;
  Time end_at_;
};

}  // namespace

ModelInfo model_info() {
  return ModelInfo{
      .name = "queue",
      .summary =
          "an M/M/c or M/D/c FIFO service queue with Poisson arrivals: measured waits next to "
          "queueing theory's (Erlang C, Pollaczek-Khinchine), to calibrate the simulator's timing",
      .params = bindings().specs(),
      .bugs = {},
      .probes = {},
      .make = [](const Params& params) -> std::unique_ptr<Model> {
        return std::make_unique<QueueModel>(read_params(params));
      },
  };
}

}  // namespace detsim::queue
