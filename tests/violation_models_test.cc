// Issue 13 item 2 in every model: the first failing seed of a planted bug
// says when (violation_at, before the run's end for a safety violation)
// and where (violation_nodes, in the model's own node names).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "tests/real_cli.h"

namespace detsim {
namespace {

struct PlantedCase {
  const char* model;
  std::vector<std::string> sets;  // only the bug (queue has none: a settle too short to drain)
  uint64_t seed;                  // the first failing seed
  const char* property;
  std::vector<std::string> nodes;
};

void PrintTo(const PlantedCase& c, std::ostream* out) { *out << c.model << " " << c.property; }

class PlantedViolation : public ::testing::TestWithParam<PlantedCase> {};

TEST_P(PlantedViolation, SaysWhenAndWhere) {
  const PlantedCase& c = GetParam();
  std::vector<std::string> args = {"run", c.model, "--seeds", fmt::format("{}..{}", c.seed, c.seed), "--json"};
  for (const std::string& set : c.sets) {
    args.push_back("--set");
    args.push_back(set);
  }
  const testing::CliRun run = testing::real_cli(args);
  const nlohmann::json line = nlohmann::json::parse(run.out.substr(0, run.out.find('\n')));
  ASSERT_EQ(line["property"], c.property) << run.out << run.err;
  ASSERT_TRUE(line["violation_at_s"].is_number()) << run.out;
  const double at = line["violation_at_s"].get<double>();
  const double end = line["sim_s"].get<double>();
  if (line["verdict"] == "safety") {
    EXPECT_LT(at, end) << "a safety violation is timed by its step, not the run's end";
  } else {
    EXPECT_DOUBLE_EQ(at, end) << "a liveness deadline is the run's end";
  }
  EXPECT_GT(at, 0);
  EXPECT_EQ(line["violation_nodes"].get<std::vector<std::string>>(), c.nodes);
}

INSTANTIATE_TEST_SUITE_P(
    EveryModel, PlantedViolation,
    ::testing::Values(
        PlantedCase{"cdc_fanin", {"bug=loader_insert_not_upsert"}, 1, "no_duplicate_rows", {"s7", "cn7", "wh"}},
        PlantedCase{"edge_replication", {"bug=skip_window_dedup"}, 1, "no_time_travel", {"replicator", "edge"}},
        // An end-state comparison, timed by the edge's last write to the key.
        PlantedCase{"edge_replication",
                    {"bug=no_row_lock", "backfill=rowlock"},
                    2,
                    "edge_equals_source",
                    {"source", "edge", "replicator"}},
        PlantedCase{"outbox", {"bug=mark_before_publish"}, 2, "every_commit_published", {"svc", "k0"}},
        PlantedCase{"resource_fsm", {"bug=lease_without_fencing"}, 5, "one_writer_per_epoch", {"w0", "provider"}},
        PlantedCase{"log_mirror", {"bug=commit_before_produce"}, 1, "target_in_order", {"us-mm0"}},
        // The plog part's own oracle, as log_mirror's source cluster.
        PlantedCase{"log_mirror", {"bug=unclean_election"}, 1, "no_acked_record_lost", {"us-log-b0"}},
        PlantedCase{"noisy_neighbours", {"bug=quota_keyed_globally"}, 1, "throttled_innocent", {"cache0", "gen0"}},
        PlantedCase{"primary_replica", {"bug=relay_log_recovery_off"}, 1, "replicas_converge", {"db2"}},
        PlantedCase{"primary_replica", {"bug=promote_least_advanced"}, 2, "no_acked_write_lost", {"db0", "db1"}},
        PlantedCase{"queue", {"settle=0s"}, 1, "queue_drained", {"q0"}},
        // Voter and candidate are one server: named once.
        PlantedCase{"raft_kv", {"bug=vote_not_persisted"}, 1, "vote_durable", {"n2"}}),
    [](const ::testing::TestParamInfo<PlantedCase>& info) {
      return std::string(info.param.model) + "_" + info.param.property;
    });

}  // namespace
}  // namespace detsim
