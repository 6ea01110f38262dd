// What `detsim report` puts on its page, collected from one failing seed:
// the outcome, the client operations (with the counterexample's marked and
// the server that answered each), the faults as bands on the time axis,
// latency and throughput over time, and the shrunk schedule in prose.
// report_html.h draws it; report_json() is the blob the page embeds.
//
// Long runs stay small: every operation inside the window around the
// violation (1 s before, 200 ms after, as `replay --window auto`) is kept,
// elsewhere an even sample of at most ReportSettings::sampled_ops. The
// series cover every operation before sampling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "replay/outcome.h"
#include "replay/scenario.h"
#include "sim/check/linearizability.h"

namespace detsim {

struct ReportSettings {
  bool shrink = true;         // false: --no-shrink, the full schedule in prose
  size_t max_runs = 60;       // the shrink's run budget
  size_t sampled_ops = 1500;  // operations kept outside the window, at most
  size_t buckets = 120;       // points of the latency and throughput series
  size_t window_messages = 1500;
};

struct ReportOp {
  size_t id = 0;  // index in ReportData::ops order before sampling: the page's "op N"
  int64_t process = 0;
  std::string client;  // the client node's name; "" if the model bound none
  std::string f;
  std::string key;
  std::string value;   // the invoke's argument, as JSON text
  std::string result;  // the completion's value, as JSON text
  std::string type;    // ok, fail or info
  double invoke_s = 0;
  std::optional<double> complete_s;  // unset: never completed
  bool counterexample = false;
  // The run's own check blamed it: a client it names, running at the
  // violation's time (a stale read the history check cannot refute).
  bool violating = false;
  std::string server;  // who answered: the sender of the last message the client got before completing
};

struct ReportMessage {
  std::string kind;  // send, deliver or drop
  double at_s = 0;
  std::string from;
  std::string to;
  std::string text;
  double sent_s = 0;  // a deliver's or drop's send time
};

// A fault over time: crash..boot and pause..resume per node, a partition
// (or ring, flap) until the network heals, across the network and on
// each node of its smaller side; clock and disk faults and clogs are
// instants (from_s == to_s). Not a fault, but drawn the same way: a
// server's time as leader, from the model's "role:" trace events.
struct ReportBand {
  std::string kind;  // crash, pause, partition, clock, disk, other, leader
  std::string node;  // "" for the whole network
  double from_s = 0;
  double to_s = 0;
  std::string label;
};

struct ReportSeries {
  double bucket_s = 0;
  std::vector<double> latency_ms;      // mean latency of ops completing in the bucket; -1: none
  std::vector<double> ops_per_s;       // completions per second
  std::vector<double> messages_per_s;  // sends per second, for every model
};

struct ReportData {
  std::string scenario;
  uint64_t seed = 0;
  SeedOutcome outcome;
  std::string reproduce;  // reproduce_command
  std::string replay;     // the replay command with --trace/--dot/--perfetto --window auto
  std::vector<std::string> nodes;
  bool history_recorded = false;
  std::string datatype;
  std::string checker;  // the linearizability verdict, "" if not checked
  std::vector<std::string> counterexample;
  std::vector<ReportOp> ops;  // after sampling, in id order
  size_t ops_total = 0;
  double window_from_s = 0;
  double window_to_s = 0;
  // Per counterexample op (by id): the messages to and from its client and
  // its server while it ran.
  std::vector<std::pair<size_t, std::vector<ReportMessage>>> around;
  // The same for each violating op (ReportOp::violating).
  std::vector<std::pair<size_t, std::vector<ReportMessage>>> violating;
  // For a model without a client history: the messages delivered or
  // dropped inside the window (those nearest the violation, at most
  // ReportSettings::window_messages), drawn between the nodes' rows.
  std::vector<ReportMessage> window_messages;
  std::vector<ReportBand> bands;
  ReportSeries series;
  std::string schedule_title;         // "shrunk to 2 of 56 fault actions in 40 runs", or "full schedule"
  std::vector<std::string> schedule;  // prose, necessary actions prefixed "necessary: "
};

// The linearizability check of a run's client history, first over the
// operations invoked up to cutoff (the violation's window end), then, if
// those are linearizable, over all of them: the checker refutes the first
// key it can, which in a long run may be an anomaly later than the one the
// run reported. nullopt when the model records no history or it does not
// validate. `report` and `replay --dot/--perfetto` mark the same operations.
std::optional<check::CheckReport> check_client_history(const ClientHistory& history, std::optional<Time> cutoff);
// The window's end for a violation at violation_at_s: 200 ms after it.
std::optional<Time> counterexample_cutoff(const SeedOutcome& outcome);

// Runs the seed (and the shrink). Throws UsageError "seed N passes ..."
// for a passing seed: a report is of a failure.
ReportData collect_report(const Scenario& scenario, uint64_t seed, const ReportSettings& settings);

// The embedded blob; field names as the page's script reads them.
nlohmann::json report_json(const ReportData& data);

}  // namespace detsim
