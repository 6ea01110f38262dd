// `detsim report`'s data (replay/report_data.h), its page, its command
// line, and the counterexample marks `replay --dot/--perfetto` write.
// The page in a real browser: scripts/report-check.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "models/registry.h"
#include "replay/commands.h"
#include "replay/report_data.h"
#include "replay/report_html.h"
#include "tests/real_cli.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;
using testing::real_cli;
using testing::ScratchDir;

// raft_kv with the stale-read bug fails on seed 1 (docs/debugging.md): c5
// reads null from n0, which restarted with an empty state.
constexpr uint64_t kStaleReadSeed = 1;

Scenario stale_read_scenario(std::vector<std::string> sets = {"bug=stale_read"}) {
  return load_scenario("raft_kv", sets, model_registry(), std::nullopt);
}

ReportSettings without_shrink() {
  ReportSettings settings;
  settings.shrink = false;
  return settings;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ReportData, FindsTheCounterexampleAndTheServerThatAnsweredIt) {
  const ReportData data = collect_report(stale_read_scenario(), kStaleReadSeed, without_shrink());
  ASSERT_EQ(data.outcome.verdict, Verdict::safety);
  ASSERT_TRUE(data.outcome.violation_at_s.has_value());
  EXPECT_EQ(data.checker, "not_linearizable");
  std::vector<const ReportOp*> marked;
  for (const ReportOp& op : data.ops)
    if (op.counterexample) marked.push_back(&op);
  ASSERT_FALSE(marked.empty());
  EXPECT_EQ(data.around.size(), marked.size());
  // The operation that cannot be linearized is the stale read: a get that
  // returned null, answered by the node the run's check named, at the
  // violation time.
  const ReportOp& stale = *marked.back();
  EXPECT_EQ(stale.f, "get");
  EXPECT_EQ(stale.result, "null");
  // read_fresh names the server, then the client that read.
  ASSERT_EQ(data.outcome.violation_nodes.size(), 2u);
  EXPECT_EQ(stale.server, data.outcome.violation_nodes[0]);
  EXPECT_EQ(stale.client, data.outcome.violation_nodes[1]);
  EXPECT_TRUE(stale.violating);
  ASSERT_TRUE(stale.complete_s.has_value());
  EXPECT_LE(stale.invoke_s, *data.outcome.violation_at_s);
  EXPECT_GE(*stale.complete_s, *data.outcome.violation_at_s);
  // Messages around it: to and from its client, within its span.
  const auto around =
      std::find_if(data.around.begin(), data.around.end(), [&](const auto& entry) { return entry.first == stale.id; });
  ASSERT_NE(around, data.around.end());
  ASSERT_FALSE(around->second.empty());
  for (const ReportMessage& message : around->second) {
    EXPECT_TRUE(message.from == stale.client || message.to == stale.client || message.from == stale.server ||
                message.to == stale.server)
        << message.from << " -> " << message.to;
    EXPECT_GE(message.at_s, stale.invoke_s);
    EXPECT_LE(message.at_s, *stale.complete_s);
  }
}

// docs/debugging.md's walk-through: seed 22 shrunk to one fault, the
// leader n2 isolated from the other servers while clients still reach
// it. The history check cannot refute the read (its value was current),
// so the page shows the operation the run's read_fresh check blamed.
TEST(ReportData, ShowsTheBlamedReadTheCutOffSideAndBothLeaders) {
  const Scenario scenario = stale_read_scenario({"bug=stale_read", "duration=17.187s", "clients=9", "rate=9.07",
                                                 "faults.schedule=8.612s isolate @leader 1.375s 0"});
  const ReportData data = collect_report(scenario, 22, without_shrink());
  ASSERT_EQ(data.outcome.property, "read_fresh");
  EXPECT_EQ(data.checker, "linearizable");
  ASSERT_EQ(data.violating.size(), 1u);
  const auto blamed = std::find_if(data.ops.begin(), data.ops.end(), [](const ReportOp& op) { return op.violating; });
  ASSERT_NE(blamed, data.ops.end());
  EXPECT_EQ(blamed->id, data.violating[0].first);
  EXPECT_EQ(blamed->client, "c0");
  EXPECT_EQ(blamed->f, "get");
  EXPECT_EQ(blamed->server, "n2");
  EXPECT_FALSE(data.violating[0].second.empty());
  auto band_on = [&](const std::string& kind, const std::string& node, double at) {
    return std::any_of(data.bands.begin(), data.bands.end(), [&](const ReportBand& band) {
      return band.kind == kind && band.node == node && band.from_s <= at && at <= band.to_s;
    });
  };
  const double at = *data.outcome.violation_at_s;
  EXPECT_TRUE(band_on("partition", "n2", at));   // the cut-off side
  EXPECT_FALSE(band_on("partition", "n1", at));  // the majority side is not drawn per row
  EXPECT_TRUE(band_on("partition", "", at));     // and the whole network's band
  EXPECT_TRUE(band_on("leader", "n2", at));      // the deposed leader still believes it leads
  EXPECT_TRUE(band_on("leader", "n1", at));      // while the majority elected n1
}

TEST(ReportData, NamesTheServerOfMostCompletedOperations) {
  const ReportData data = collect_report(stale_read_scenario(), kStaleReadSeed, without_shrink());
  size_t ok = 0, served = 0;
  for (const ReportOp& op : data.ops) {
    if (op.type != "ok") continue;
    ++ok;
    served += op.server.empty() ? 0 : 1;
    if (!op.server.empty()) EXPECT_EQ(op.server[0], 'n') << op.server;  // a server, not a client
  }
  ASSERT_GT(ok, 100u);
  EXPECT_EQ(served, ok);  // an ok reply is a message from a server
}

TEST(ReportData, FaultBandsSeriesAndShrunkSchedule) {
  const ReportSettings settings;  // the default budget of 60 runs: enough to shrink, then mark what is needed
  const ReportData data = collect_report(stale_read_scenario(), kStaleReadSeed, settings);
  // Seed 1's schedule starts with a partition at 372 ms, healed at 1.468 s.
  const auto partition = std::find_if(data.bands.begin(), data.bands.end(),
                                      [](const ReportBand& band) { return band.kind == "partition"; });
  ASSERT_NE(partition, data.bands.end());
  EXPECT_NEAR(partition->from_s, 0.372, 1e-9);
  EXPECT_NEAR(partition->to_s, 1.468, 1e-9);
  EXPECT_TRUE(std::any_of(data.bands.begin(), data.bands.end(),
                          [](const ReportBand& band) { return band.kind == "crash" && band.to_s > band.from_s; }));
  EXPECT_EQ(data.series.latency_ms.size(), settings.buckets);
  EXPECT_GT(*std::max_element(data.series.ops_per_s.begin(), data.series.ops_per_s.end()), 0);
  EXPECT_TRUE(data.schedule_title.starts_with("shrunk to ")) << data.schedule_title;
  ASSERT_FALSE(data.schedule.empty());
  EXPECT_TRUE(std::any_of(data.schedule.begin(), data.schedule.end(),
                          [](const std::string& line) { return line.starts_with("necessary: "); }));
}

TEST(ReportData, KeepsTheWindowAndSamplesElsewhere) {
  ReportSettings settings = without_shrink();
  settings.sampled_ops = 50;
  const ReportData data = collect_report(stale_read_scenario(), kStaleReadSeed, settings);
  size_t inside = 0;
  for (const ReportOp& op : data.ops) {
    const double end = op.complete_s.value_or(data.outcome.sim_s);
    inside += end >= data.window_from_s && op.invoke_s <= data.window_to_s ? 1 : 0;
  }
  EXPECT_GT(data.ops_total, 1000u);
  EXPECT_GT(inside, 0u);
  EXPECT_LE(data.ops.size(), inside + 50 + data.around.size());
  EXPECT_GE(data.ops.size(), inside + 40);
}

TEST(ReportData, ALongRunGivesASmallPage) {
  // 60 s of raft_kv at its full client rate: every op would be megabytes.
  const Scenario scenario = stale_read_scenario({"bug=stale_read", "duration=60s"});
  const ReportData data = collect_report(scenario, kStaleReadSeed, without_shrink());
  const std::string html = render_report_html(report_json(data));
  EXPECT_LT(html.size(), 2u << 20) << data.ops.size() << " of " << data.ops_total << " ops";
  EXPECT_LT(data.ops.size(), data.ops_total);
}

TEST(ReportData, APassingSeedIsBadInput) {
  const Scenario scenario = stale_read_scenario({});
  try {
    collect_report(scenario, kStaleReadSeed, without_shrink());
    FAIL() << "a passing seed gave a report";
  } catch (const UsageError& error) {
    EXPECT_TRUE(std::string(error.what()).starts_with("seed 1 passes")) << error.what();
  }
}

TEST(ReportData, AModelWithoutHistoryGetsTheMessagesOfTheWindow) {
  const Scenario scenario = load_scenario("broadcast", {"bug=no_retry"}, model_registry(), std::nullopt);
  ReportSettings settings = without_shrink();
  settings.window_messages = 20;
  const ReportData data = collect_report(scenario, 1, settings);
  ASSERT_EQ(data.outcome.verdict, Verdict::safety);
  EXPECT_FALSE(data.history_recorded);
  EXPECT_TRUE(data.ops.empty());
  ASSERT_EQ(data.window_messages.size(), 20u);  // more arrived: the nearest to the violation are kept
  for (const ReportMessage& message : data.window_messages) {
    EXPECT_GE(message.at_s, data.window_from_s);
    EXPECT_LE(message.at_s, data.window_to_s);
    EXPECT_LE(message.sent_s, message.at_s);
  }
  EXPECT_FALSE(data.bands.empty());
}

TEST(ReportHtml, EmbedsTheDataSafelyAndSetsTheMarker) {
  nlohmann::json page = {{"detail", "</script><b>"}};
  const std::string html = render_report_html(page);
  EXPECT_EQ(html.find("</script><b>"), std::string::npos);
  EXPECT_NE(html.find(R"(<\/script><b>)"), std::string::npos);
  EXPECT_NE(html.find("setAttribute('data-rendered','ok')"), std::string::npos);
  EXPECT_EQ(html.find("http"), html.find("http://www.w3.org/2000/svg"));  // no fetches: only the SVG namespace
}

TEST(ReportCli, WritesThePageWholeAndExitsWithTheVerdict) {
  ScratchDir dir("report_test");
  const fs::path out = dir.path() / "page";
  const testing::CliRun run = real_cli(
      {"report", "raft_kv", "--seed", "1", "--set", "bug=stale_read", "--out", out.string(), "--max-runs", "10"});
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_NE(run.out.find("report: " + (out / "index.html").string()), std::string::npos) << run.out;
  const std::string html = read_file(out / "index.html");
  EXPECT_NE(html.find("\"cx\":true"), std::string::npos);
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
}

TEST(ReportCli, BadInputIsOneLineAndWritesNothing) {
  ScratchDir dir("report_test");
  const fs::path out = dir.path() / "page";
  const testing::CliRun passing = real_cli({"report", "raft_kv", "--seed", "1", "--out", out.string()});
  EXPECT_EQ(passing.code, kExitBadInput);
  EXPECT_EQ(passing.err, "detsim: seed 1 passes (raft_kv with its defaults): nothing to report\n");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
  const testing::CliRun unwritable = real_cli(
      {"report", "raft_kv", "--seed", "1", "--set", "bug=stale_read", "--out", (dir.path() / "a" / "b").string()});
  EXPECT_EQ(unwritable.code, kExitBadInput);
  EXPECT_EQ(std::count(unwritable.err.begin(), unwritable.err.end(), '\n'), 1) << unwritable.err;
  const testing::CliRun bad_set =
      real_cli({"report", "raft_kv", "--seed", "1", "--set", "nosuchkey=1", "--out", out.string()});
  EXPECT_EQ(bad_set.code, kExitBadInput);
  EXPECT_FALSE(fs::exists(out));
}

#if __has_include("sim/trace/dot_writer.h") && __has_include("sim/trace/perfetto_writer.h")
TEST(ReplayMarks, DotAndPerfettoMarkTheCounterexampleOperations) {
  ScratchDir dir("report_test");
  const std::string dot = (dir.path() / "t.dot").string();
  const std::string perfetto = (dir.path() / "t.json").string();
  const testing::CliRun run = real_cli({"replay", "raft_kv", "--seed", "1", "--set", "bug=stale_read", "--dot", dot,
                                        "--perfetto", perfetto, "--window", "auto"});
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_NE(run.out.find("counterexample: "), std::string::npos) << run.out;
  const ReportData data = collect_report(stale_read_scenario(), kStaleReadSeed, without_shrink());
  const std::string dot_text = read_file(dot);
  const std::string perfetto_text = read_file(perfetto);
  for (const ReportOp& op : data.ops) {
    if (!op.counterexample) continue;
    // Perfetto: a counterexample slice on the client, for every one.
    EXPECT_NE(perfetto_text.find("\"name\":\"counterexample: " + op.client), std::string::npos) << op.client;
    // Dot: red marks at invoke and completion, where inside the window.
    if (op.complete_s && *op.complete_s >= data.window_from_s && *op.complete_s <= data.window_to_s) {
      EXPECT_NE(dot_text.find("fontcolor=red, label=\"complete: " + op.client), std::string::npos) << op.id;
    }
  }
  EXPECT_NE(dot_text.find("fontcolor=red, label=\"invoke: "), std::string::npos);
}
#endif

}  // namespace
}  // namespace detsim
