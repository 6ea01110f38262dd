#include "models/raft_kv/register.h"

#include <fmt/format.h>

#include <memory>
#include <string>

#include "models/raft_kv/checks.h"
#include "models/raft_kv/client.h"
#include "models/raft_kv/node.h"
#include "models/raft_kv/params.h"

namespace detsim::raft_kv {
namespace {

// Owns the observer (Raft invariants, checked as servers report, the
// clients' History and the counters); servers and clients hold a
// reference, valid as long as they run (model.h).
class RaftModel final : public Model {
 public:
  static constexpr uint64_t kLateElectionsMax = 10;

  explicit RaftModel(const RaftParams& params) : params_(params), observer_(static_cast<size_t>(params.nodes)) {}

  void setup(Setup& setup) override {
    observer_.set_clock(setup.sim_time());
    for (int64_t i = 0; i < params_.nodes; ++i) {
      const NodeId node = setup.add_server(
          fmt::format("n{}", i),
          [params = params_, &observer = observer_](Context& ctx) { Server::main(ctx, params, observer); });
      // Invariant: servers come first, so server i is NodeId i.
      DETSIM_ASSERT(node.index() == static_cast<uint32_t>(i));
      servers_.push_back(node);
    }
    observer_.history().reserve_processes(params_.clients);
    for (int64_t i = 0; i < params_.clients; ++i) {
      const ClientConfig config{.index = i, .stop_at = setup.heal_time(), .end_at = setup.end_time()};
      setup.add_client(fmt::format("c{}", i), [params = params_, config, &observer = observer_](Context& ctx) {
        client_main(ctx, params, config, observer);
      });
    }
    workload_ran_ = setup.heal_time() > Time::zero();
    end_at_ = setup.end_time();
    // Check quorum: the server steps down after 2 election timeouts without
    // a majority (node.cc); the observer allows one more heartbeat and half
    // an election timeout for clock drift and late timers.
    observer_.set_quorum_limit(params_.election_timeout_max * 2 + params_.heartbeat_interval +
                               params_.election_timeout_max / 2);
    observer_.set_settled_from(setup.heal_time() + (setup.end_time() - setup.heal_time()) / 2);
  }

  // Safety first (the first invariant violated), then liveness: after the
  // heal a leader serves every client's final probe.
  CheckResult check() override {
    if (observer_.violation()) return *observer_.violation();
    if (!workload_ran_) return CheckResult::ok();
    CheckResult live = check_liveness();
    // The deadline is the run's end; the cluster (every server) is stuck.
    if (live.verdict != Verdict::pass) live.at(end_at_).on(servers_);
    return live;
  }

  CheckResult check_liveness() const {
    // A healed cluster keeps its leader: in the second half of the settle
    // period a correct run starts 0-4 elections (600 stock seeds), a
    // cluster whose followers keep timing out starts dozens.
    if (observer_.counters().elections_late > kLateElectionsMax) {
      return CheckResult::liveness(
          "leader_stable_after_heal",
          fmt::format("{} elections started in the second half of the settle period, long after the heal",
                      observer_.counters().elections_late));
    }
    // Every client answered after the heal is the liveness that matters;
    // an election that starts in the run's last milliseconds (a lost
    // heartbeat) leaves no leader at that instant and is no failure.
    if (observer_.probes_ok() >= static_cast<uint64_t>(params_.clients)) return CheckResult::ok();
    if (!observer_.leader_now()) {
      return CheckResult::liveness("no_leader_after_heal", "no server leads at the end of the run");
    }
    return CheckResult::liveness("no_progress_after_heal",
                                 fmt::format("{} of {} clients got no answer after the heal (probes done: {})",
                                             params_.clients - static_cast<int64_t>(observer_.probes_ok()),
                                             params_.clients, observer_.probes()));
  }

  void report(MetricList& metrics) const override {
    const Counters& c = observer_.counters();
    uint64_t ok = 0, info = 0, fail = 0;
    for (const HistoryEvent& event : observer_.history().events()) {
      ok += event.type == OpType::ok;
      info += event.type == OpType::info;
      fail += event.type == OpType::fail;
    }
    auto put = [&](const char* name, double value) { metrics.push_back({name, value}); };
    put("ops_ok", static_cast<double>(ok));
    put("ops_info", static_cast<double>(info));
    put("ops_fail", static_cast<double>(fail));
    put("elections", static_cast<double>(c.elections));
    put("elections_late", static_cast<double>(c.elections_late));
    put("leader_changes", static_cast<double>(c.leader_changes));
    put("commit_index_max", static_cast<double>(c.commit_index_max));
    put("reads_lease", static_cast<double>(c.reads_lease));
    put("reads_index", static_cast<double>(c.reads_index));
    put("lease_fallback", params_.lease_fallback ? 1 : 0);
    put("corruptions", static_cast<double>(c.corruptions));
    put("servers_fail_stopped", static_cast<double>(observer_.servers_fail_stopped()));
    put("meta_repairs", static_cast<double>(c.meta_repairs));
    put("torn_tails", static_cast<double>(c.torn_tails));
    put("holes_filled", static_cast<double>(c.holes_filled));
    put("recoveries_done", static_cast<double>(c.recoveries_done));
    put("client_retries", static_cast<double>(c.client_retries));
  }

  const History* history() const override { return &observer_.history(); }
  std::string history_model() const override { return "kv"; }

 private:
  RaftParams params_;
  Observer observer_;
  bool workload_ran_ = false;
  Time end_at_;
  std::vector<NodeId> servers_;
};

}  // namespace

ModelInfo model_info() {
  return ModelInfo{
      .name = "raft_kv",
      .summary =
          "Raft (Ongaro & Ousterhout 2014) replicating a key-value store with client sessions and "
          "linearizable reads (read-index or lease); Figure 3 invariants checked as they happen",
      .params = bindings().specs(),
      .bugs = bindings().bugs(),
      .probes =
          {
              {"split_vote", "a candidate's election timed out with no winner, and it campaigned again"},
              {"leader_deposed_by_higher_term", "a leader stepped down on hearing a higher term"},
              {"conflicting_suffix_truncated", "a follower cut a conflicting suffix from its log (Raft 5.3)"},
              {"read_dropped_unconfirmed", "a deposed leader dropped reads whose leadership round never confirmed"},
              {"retry_answered_from_session",
               "a retried write already applied was answered from its session (thesis 6.3)"},
              {"leader_lost_quorum", "a leader heard from no majority for two election timeouts and stepped down"},
          },
      .make = [](const Params& params) -> std::unique_ptr<Model> {
        return std::make_unique<RaftModel>(read_params(params));
      },
  };
}

}  // namespace detsim::raft_kv
