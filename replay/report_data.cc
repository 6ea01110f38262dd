// collect_report: one run of the seed with a sink that keeps the trace
// events and the client history, then the linearizability check, the
// serving node of each operation, the fault bands, the series and the
// shrink. See report_data.h.
#include "replay/report_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "replay/causal_shrink.h"
#include "replay/commands.h"
#include "replay/fault_prose.h"
#include "sim/check/linearizability.h"
#include "sim/core/assert.h"
#include "sim/fault/fault_schedule.h"
#include "sim/fault/shrink.h"

namespace detsim {
namespace {

// The window around a violation, as `replay --window auto` takes it.
constexpr double kWindowBefore_s = 1.0;
constexpr double kWindowAfter_s = 0.2;
// Messages listed around one counterexample operation, at most.
constexpr size_t kMessagesAround = 40;

// Keeps every event but model log lines: the page needs messages, faults,
// crashes and pauses; logs are in `replay --trace`.
class KeepingSink final : public TraceSink {
 public:
  void record(const TraceEvent& event) override {
    if (event.kind != TraceKind::log) events.push_back(event);
  }
  std::vector<TraceEvent> events;
};

std::string node_name(NodeId node, const std::vector<std::string>& names) {
  if (!node.valid()) return "";
  return node.index() < names.size() ? names[node.index()] : fmt::format("n{}", node.index());
}

// Per client node, the times messages reached it and who sent them.
using Arrivals = std::map<uint32_t, std::vector<std::pair<Time, NodeId>>>;

Arrivals arrivals_of(const std::vector<TraceEvent>& events) {
  Arrivals arrivals;
  for (const TraceEvent& event : events) {
    if (event.kind == TraceKind::deliver && event.peer.valid() && event.peer != event.node)
      arrivals[event.node.index()].emplace_back(event.at, event.peer);
  }
  return arrivals;
}

// The sender of the last message the client got while the op ran: the
// server whose reply completed it.
NodeId serving_node(const Arrivals& arrivals, NodeId client, Time invoke, Time complete) {
  auto it = arrivals.find(client.index());
  if (it == arrivals.end()) return NodeId();
  const auto& list = it->second;
  auto after = std::upper_bound(list.begin(), list.end(), complete,
                                [](Time at, const std::pair<Time, NodeId>& arrival) { return at < arrival.first; });
  if (after == list.begin()) return NodeId();
  const auto& last = *std::prev(after);
  return last.first >= invoke ? last.second : NodeId();
}

struct OpSource {
  check::Operation op;
  NodeId client;
};

std::vector<OpSource> paired_ops(const ClientHistory& history) {
  std::optional<check::HistoryError> error;
  std::vector<check::Operation> operations = check::pair_operations(history.history, &error);
  std::vector<OpSource> ops;
  const auto& clients = history.history.process_clients();
  for (check::Operation& op : operations) {
    auto it = clients.find(op.process);
    ops.push_back({std::move(op), it == clients.end() ? NodeId() : it->second});
  }
  return ops;
}

// The counterexample's operations by invoke event index, each with its
// place in the checker's order (the one that cannot be linearized last).
std::map<size_t, size_t> counterexample_events(const ClientHistory& history, ReportData* data) {
  const Time cutoff = Time::zero() + Duration::from_seconds(data->window_to_s);
  const std::optional<check::CheckReport> report = check_client_history(history, cutoff);
  if (!report) return {};
  data->checker = check::to_string(report->verdict);
  data->counterexample = report->counterexample;
  std::map<size_t, size_t> marked;
  for (const check::Operation& op : report->counterexample_operations) marked.emplace(op.invoke_event, marked.size());
  return marked;
}

// The checker's lines name history processes; the page names clients, so
// each line that names a process also names its client, as check-history
// does ("process=157 ... (client c0)").
void name_counterexample_clients(const std::vector<ReportOp>& ops, std::vector<std::string>* lines) {
  std::map<int64_t, std::string> client_of;
  for (const ReportOp& op : ops) {
    if (!op.client.empty()) client_of.emplace(op.process, op.client);
  }
  static const std::regex process(R"(process=(-?[0-9]+))");
  for (std::string& line : *lines) {
    std::smatch match;
    if (!std::regex_search(line, match, process)) continue;
    const auto it = client_of.find(std::stoll(match[1].str()));
    if (it != client_of.end()) line += " (client " + it->second + ")";
  }
}

ReportOp report_op(size_t id, const OpSource& source, const std::vector<std::string>& names) {
  const check::Operation& op = source.op;
  ReportOp out;
  out.id = id;
  out.process = op.process;
  out.client = node_name(source.client, names);
  out.f = op.f;
  out.key = op.key;
  out.value = check::format_value(op.argument);
  out.result = check::format_value(op.result);
  out.type = to_string(op.outcome);
  out.invoke_s = op.invoke_at.to_seconds();
  if (op.complete_at != Time::max()) out.complete_s = op.complete_at.to_seconds();
  return out;
}

// The messages to and from the client and the server while the op ran;
// past kMessagesAround, the first and the last half of that (the request
// and the reply are at the ends).
std::vector<ReportMessage> messages_around(const std::vector<TraceEvent>& events, NodeId client, NodeId server,
                                           Time from, Time to, const std::vector<std::string>& names) {
  std::vector<ReportMessage> messages;
  auto involves = [&](NodeId node) { return node.valid() && (node == client || node == server); };
  for (const TraceEvent& event : events) {
    if (event.at < from || event.at > to) continue;
    const bool is_message =
        event.kind == TraceKind::send || event.kind == TraceKind::deliver || event.kind == TraceKind::drop;
    if (!is_message || !(involves(event.node) || involves(event.peer))) continue;
    // A deliver's node is the receiver; a send's and a drop's, the sender.
    const bool received = event.kind == TraceKind::deliver;
    messages.push_back({to_string(event.kind), event.at.to_seconds(),
                        node_name(received ? event.peer : event.node, names),
                        node_name(received ? event.node : event.peer, names), event.text, event.sent_at.to_seconds()});
  }
  if (messages.size() > kMessagesAround) {
    messages.erase(messages.begin() + kMessagesAround / 2, messages.end() - kMessagesAround / 2);
  }
  return messages;
}

// Every operation inside the window and every counterexample operation,
// and an even sample of the rest: one in `stride`.
void keep_sample(std::vector<ReportOp> all, size_t sampled_ops, ReportData* data) {
  auto in_window = [&](const ReportOp& op) {
    const double end = op.complete_s.value_or(data->outcome.sim_s);
    return end >= data->window_from_s && op.invoke_s <= data->window_to_s;
  };
  const size_t outside = static_cast<size_t>(std::count_if(all.begin(), all.end(), [&](const ReportOp& op) {
    return !op.counterexample && !op.violating && !in_window(op);
  }));
  const size_t stride = sampled_ops == 0 ? 0 : std::max<size_t>(1, (outside + sampled_ops - 1) / sampled_ops);
  size_t seen_outside = 0;
  for (ReportOp& op : all) {
    const bool keep =
        op.counterexample || op.violating || in_window(op) || (stride > 0 && seen_outside++ % stride == 0);
    if (keep) data->ops.push_back(std::move(op));
  }
}

bool is_violating(const ReportOp& op, const SeedOutcome& outcome) {
  if (!outcome.violation_at_s || op.client.empty()) return false;
  const std::vector<std::string>& nodes = outcome.violation_nodes;
  if (std::find(nodes.begin(), nodes.end(), op.client) == nodes.end()) return false;
  const double at = *outcome.violation_at_s;
  return op.invoke_s <= at && (!op.complete_s || at <= *op.complete_s);
}

// Every op, its server, the counterexample marks and the messages around
// them; then the sample.
void collect_ops(const ClientHistory& history, const std::vector<TraceEvent>& events, const ReportSettings& settings,
                 ReportData* data) {
  const std::vector<OpSource> ops = paired_ops(history);
  const std::map<size_t, size_t> marked = counterexample_events(history, data);
  const Arrivals arrivals = arrivals_of(events);
  std::vector<ReportOp> all;
  std::map<size_t, size_t> rank_of;  // op id -> its place in the counterexample
  for (size_t id = 0; id < ops.size(); ++id) {
    const check::Operation& source = ops[id].op;
    const bool completed = source.complete_at != Time::max();
    const NodeId server = ops[id].client.valid() && completed
                              ? serving_node(arrivals, ops[id].client, source.invoke_at, source.complete_at)
                              : NodeId();
    ReportOp op = report_op(id, ops[id], data->nodes);
    op.server = node_name(server, data->nodes);
    const auto mark = marked.find(source.invoke_event);
    op.counterexample = mark != marked.end();
    op.violating = is_violating(op, data->outcome);
    const Time to = completed ? source.complete_at : source.invoke_at + Duration::milliseconds(200);
    if (op.counterexample) {
      data->around.emplace_back(id, messages_around(events, ops[id].client, server, source.invoke_at, to, data->nodes));
      rank_of[id] = mark->second;
    }
    if (op.violating) {
      data->violating.emplace_back(id,
                                   messages_around(events, ops[id].client, server, source.invoke_at, to, data->nodes));
    }
    all.push_back(std::move(op));
  }
  // In the checker's order, which the page lists backwards: the operation
  // that cannot be linearized first.
  std::stable_sort(data->around.begin(), data->around.end(),
                   [&rank_of](const auto& a, const auto& b) { return rank_of.at(a.first) < rank_of.at(b.first); });
  name_counterexample_clients(all, &data->counterexample);
  data->ops_total = all.size();
  keep_sample(std::move(all), settings.sampled_ops, data);
}

// What a fault event's text says it is.
std::string fault_kind_of(const std::string& text) {
  for (const char* network : {"partition", "ring", "flap", "clog", "link"})
    if (text.starts_with(network)) return "partition";
  if (text.starts_with("clock:")) return "clock";
  if (text.starts_with("disk:")) return "disk";
  return "other";
}

// "partition n2 | n0,n1,n3,n4": the nodes of the smaller side, the ones
// cut off; none for a fault text of another shape.
std::vector<std::string> cut_off_side(const std::string& text) {
  if (!text.starts_with("partition ")) return {};
  const size_t bar = text.find('|');
  if (bar == std::string::npos) return {};
  auto side = [](std::string part) {
    std::vector<std::string> nodes;
    std::string name;
    for (char c : part + ',') {
      if (c == ',') {
        if (!name.empty()) nodes.push_back(name);
        name.clear();
      } else if (c != ' ') {
        name += c;
      }
    }
    return nodes;
  };
  std::vector<std::string> left = side(text.substr(10, bar - 10));
  std::vector<std::string> right = side(text.substr(bar + 1));
  return left.size() <= right.size() ? left : right;
}

// An open network fault: since when, its text, and the nodes cut off.
struct OpenCut {
  double from = 0;
  std::string label;
  std::vector<std::string> side;
};

void close_cuts(std::vector<OpenCut>* cut, double at, ReportData* data) {
  for (const OpenCut& open : *cut) {
    data->bands.push_back({"partition", "", open.from, at, open.label});
    for (const std::string& node : open.side) data->bands.push_back({"partition", node, open.from, at, open.label});
  }
  cut->clear();
}

void collect_bands(const std::vector<TraceEvent>& events, ReportData* data) {
  const std::vector<std::string>& names = data->nodes;
  const double end = data->outcome.sim_s;
  std::map<uint32_t, std::pair<double, std::string>> down, paused, leading;
  std::vector<OpenCut> cut;
  auto end_leading = [&](uint32_t index, double at) {
    if (auto it = leading.find(index); it != leading.end()) {
      data->bands.push_back({"leader", names.at(index), it->second.first, at, it->second.second});
      leading.erase(it);
    }
  };
  for (const TraceEvent& event : events) {
    const double at = event.at.to_seconds();
    const std::string node = node_name(event.node, names);
    switch (event.kind) {
      case TraceKind::crash:
        down.try_emplace(event.node.index(), at, "crash " + node);
        end_leading(event.node.index(), at);
        break;
      case TraceKind::pause: paused.try_emplace(event.node.index(), at, "pause " + node + " " + event.text); break;
      case TraceKind::boot:
        if (auto it = down.find(event.node.index()); it != down.end()) {
          data->bands.push_back({"crash", node, it->second.first, at, it->second.second});
          down.erase(it);
        }
        break;
      case TraceKind::resume:
        if (auto it = paused.find(event.node.index()); it != paused.end()) {
          data->bands.push_back({"pause", node, it->second.first, at, it->second.second});
          paused.erase(it);
        }
        break;
      case TraceKind::fault: {
        if (event.text == "role: claims leader") leading.try_emplace(event.node.index(), at, node + " leader");
        if (event.text == "role: drops leader") end_leading(event.node.index(), at);
        if (event.text.starts_with("swarm:") || event.text.starts_with("role:")) break;
        if (event.text.starts_with("heal")) {
          close_cuts(&cut, at, data);
          break;
        }
        const std::string kind = fault_kind_of(event.text);
        const bool lasting = kind == "partition" && !event.text.starts_with("clog") && !event.text.ends_with(" up");
        if (lasting) {
          cut.push_back({at, event.text, cut_off_side(event.text)});
        } else {
          data->bands.push_back({kind, node, at, at, node.empty() ? event.text : node + ": " + event.text});
        }
        break;
      }
      default: break;
    }
  }
  for (const auto& [index, open] : down)
    data->bands.push_back({"crash", names.at(index), open.first, end, open.second});
  for (const auto& [index, open] : paused)
    data->bands.push_back({"pause", names.at(index), open.first, end, open.second});
  for (const auto& [index, open] : leading)
    data->bands.push_back({"leader", names.at(index), open.first, end, open.second});
  close_cuts(&cut, end, data);
}

// The messages that arrived (or were lost) inside the window, nearest the
// violation first when there are too many, then in time order.
void collect_window_messages(const std::vector<TraceEvent>& events, const ReportSettings& settings, ReportData* data) {
  const double center = data->outcome.violation_at_s.value_or(data->window_to_s);
  std::vector<const TraceEvent*> inside;
  for (const TraceEvent& event : events) {
    const double at = event.at.to_seconds();
    const bool arrival = event.kind == TraceKind::deliver || event.kind == TraceKind::drop;
    if (arrival && event.node.valid() && event.peer.valid() && at >= data->window_from_s && at <= data->window_to_s)
      inside.push_back(&event);
  }
  auto distance = [&](const TraceEvent* event) { return std::abs(event->at.to_seconds() - center); };
  if (inside.size() > settings.window_messages) {
    std::stable_sort(inside.begin(), inside.end(),
                     [&](const TraceEvent* a, const TraceEvent* b) { return distance(a) < distance(b); });
    inside.resize(settings.window_messages);
    std::stable_sort(inside.begin(), inside.end(),
                     [](const TraceEvent* a, const TraceEvent* b) { return a->at < b->at; });
  }
  for (const TraceEvent* event : inside) {
    // A deliver's node is the receiver; a drop's, the sender.
    const bool delivered = event->kind == TraceKind::deliver;
    data->window_messages.push_back(
        {to_string(event->kind), event->at.to_seconds(), node_name(delivered ? event->peer : event->node, data->nodes),
         node_name(delivered ? event->node : event->peer, data->nodes), event->text, event->sent_at.to_seconds()});
  }
}

void collect_series(const ClientHistory& history, const std::vector<TraceEvent>& events, const ReportSettings& settings,
                    ReportData* data) {
  ReportSeries& series = data->series;
  const size_t buckets = std::max<size_t>(settings.buckets, 1);
  series.bucket_s = std::max(data->outcome.sim_s / static_cast<double>(buckets), 0.001);
  auto bucket_of = [&](double at) { return std::min(buckets - 1, static_cast<size_t>(at / series.bucket_s)); };
  std::vector<double> latency_sum(buckets, 0), completions(buckets, 0), ok(buckets, 0), sends(buckets, 0);
  std::optional<check::HistoryError> error;
  for (const check::Operation& op : check::pair_operations(history.history, &error)) {
    if (op.complete_at == Time::max()) continue;
    const size_t b = bucket_of(op.complete_at.to_seconds());
    completions[b] += 1;
    if (op.outcome != OpType::ok) continue;
    ok[b] += 1;
    latency_sum[b] += (op.complete_at - op.invoke_at).to_seconds() * 1000;
  }
  for (const TraceEvent& event : events)
    if (event.kind == TraceKind::send) sends[bucket_of(event.at.to_seconds())] += 1;
  for (size_t b = 0; b < buckets; ++b) {
    series.latency_ms.push_back(ok[b] > 0 ? latency_sum[b] / ok[b] : -1);
    series.ops_per_s.push_back(completions[b] / series.bucket_s);
    series.messages_per_s.push_back(sends[b] / series.bucket_s);
  }
}

bool fails_alike(const RunResult& result, const SeedOutcome& original) {
  return result.verdict == original.verdict && result.property == original.property;
}

// The schedule in prose: shrunk, with the necessary actions marked, or
// whole when shrinking is off or there is nothing to shrink.
void collect_schedule(const Scenario& scenario, const ReportSettings& settings, ReportData* data) {
  const SeedOutcome& original = data->outcome;
  std::string error;
  const std::optional<FaultSchedule> failing = FaultSchedule::parse_short(original.faults, &error);
  // Invariant: a schedule's short form reads back (fault_schedule_test).
  DETSIM_ASSERT(failing.has_value());
  if (!settings.shrink || failing->actions.empty()) {
    data->schedule_title = failing->actions.empty() ? "no faults: the seed fails without any"
                                                    : fmt::format("full schedule ({} actions)", failing->size());
    data->schedule = schedule_prose(*failing, data->nodes, original.clients);
    return;
  }
  auto still_fails = [&](const FaultSchedule& candidate) {
    return fails_alike(run_with_faults(scenario, data->seed, candidate), original);
  };
  const ShrinkResult shrunk = shrink_schedule(*failing, still_fails, settings.max_runs);
  const size_t left = settings.max_runs - std::min(shrunk.runs, settings.max_runs);
  auto same_at = [&](const Scenario& candidate, const FaultSchedule& faults) {
    Params params = candidate.params;
    params.set("faults.schedule", faults.actions.empty() ? std::string("none") : faults.to_short_string());
    if (!check_fault_schedule(*candidate.model, params).empty()) return false;
    return fails_alike(run_with_faults(candidate, data->seed, faults), original);
  };
  const CausalShrinkResult causal = causal_shrink(scenario, shrunk.schedule, original.swarm, same_at, left);
  std::set<size_t> necessary;
  for (size_t u = 0; u < causal.units.size(); ++u)
    if (causal.necessary[u]) necessary.insert(causal.units[u].begin(), causal.units[u].end());
  data->schedule_title = fmt::format(
      "shrunk to {} of {} fault actions in {} runs{}", shrunk.schedule.size(), failing->size(),
      shrunk.runs + causal.runs, shrunk.exhausted || causal.exhausted ? " (budget reached: may not be minimal)" : "");
  const std::vector<std::string> prose = schedule_prose(shrunk.schedule, data->nodes, original.clients);
  for (size_t i = 0; i < prose.size(); ++i)
    data->schedule.push_back((necessary.count(i) ? "necessary: " : "") + prose[i]);
}

void set_window(ReportData* data) {
  const double end = data->outcome.sim_s;
  if (!data->outcome.violation_at_s) {  // no time to center on: the whole run
    data->window_to_s = end;
    return;
  }
  const double at = *data->outcome.violation_at_s;
  data->window_from_s = std::max(0.0, at - kWindowBefore_s);
  data->window_to_s = std::min(end, at + kWindowAfter_s);
  if (data->window_to_s < data->window_from_s) data->window_to_s = at;
}

}  // namespace

std::optional<check::CheckReport> check_client_history(const ClientHistory& history, std::optional<Time> cutoff) {
  std::optional<check::Datatype> type = check::parse_datatype(history.datatype);
  if (!history.recorded || !type) return std::nullopt;
  std::optional<check::HistoryError> error;
  const std::vector<check::Operation> all = check::pair_operations(history.history, &error);
  if (error || all.empty() || check::validate_operations(all, *type)) return std::nullopt;
  std::vector<check::Operation> early;
  for (const check::Operation& op : all)
    if (cutoff && op.invoke_at <= *cutoff) early.push_back(op);
  if (!early.empty() && early.size() < all.size()) {
    check::CheckReport report = check::check_operations(early, *type, check::CheckOptions());
    if (report.verdict == check::Linearizability::not_linearizable) return report;
  }
  return check::check_operations(all, *type, check::CheckOptions());
}

std::optional<Time> counterexample_cutoff(const SeedOutcome& outcome) {
  if (!outcome.violation_at_s) return std::nullopt;
  return Time::zero() + Duration::from_seconds(*outcome.violation_at_s + kWindowAfter_s);
}

ReportData collect_report(const Scenario& scenario, uint64_t seed, const ReportSettings& settings) {
  ReportData data;
  data.scenario = scenario.name;
  data.seed = seed;
  KeepingSink sink;
  ClientHistory history;
  data.outcome = run_seed(scenario, seed, &sink, &history);
  if (data.outcome.verdict == Verdict::pass) {
    throw UsageError(fmt::format(
        "seed {} passes ({} with {}): nothing to report", seed, scenario.name,
        scenario.overrides.empty() ? "its defaults" : fmt::format("{}", fmt::join(scenario.overrides, " "))));
  }
  data.reproduce = reproduce_command(scenario, seed);
  data.replay = data.reproduce + " --trace trace.jsonl --dot trace.dot --perfetto trace.json --window auto";
  data.nodes = data.outcome.node_names;
  data.history_recorded = history.recorded;
  data.datatype = history.datatype;
  set_window(&data);
  if (history.recorded) collect_ops(history, sink.events, settings, &data);
  if (!history.recorded) collect_window_messages(sink.events, settings, &data);
  collect_bands(sink.events, &data);
  collect_series(history, sink.events, settings, &data);
  collect_schedule(scenario, settings, &data);
  return data;
}

namespace {

nlohmann::json around_json(const std::vector<std::pair<size_t, std::vector<ReportMessage>>>& ops) {
  nlohmann::json around = nlohmann::json::array();
  for (const auto& [id, messages] : ops) {
    nlohmann::json list = nlohmann::json::array();
    for (const ReportMessage& m : messages)
      list.push_back({{"kind", m.kind}, {"t", m.at_s}, {"from", m.from}, {"to", m.to}, {"text", m.text}});
    around.push_back({{"op", id}, {"messages", list}});
  }
  return around;
}

}  // namespace

nlohmann::json report_json(const ReportData& data) {
  using nlohmann::json;
  const SeedOutcome& outcome = data.outcome;
  json page;
  page["scenario"] = data.scenario;
  page["seed"] = data.seed;
  page["verdict"] = to_string(outcome.verdict);
  page["property"] = outcome.property;
  page["detail"] = outcome.detail;
  page["sim_s"] = outcome.sim_s;
  page["violation_at_s"] = outcome.violation_at_s ? json(*outcome.violation_at_s) : json();
  page["violation_nodes"] = outcome.violation_nodes;
  page["reproduce"] = data.reproduce;
  page["replay"] = data.replay;
  page["nodes"] = data.nodes;
  page["history"] = data.history_recorded;
  page["datatype"] = data.datatype;
  page["checker"] = data.checker;
  page["counterexample"] = data.counterexample;
  page["ops_total"] = data.ops_total;
  page["window"] = {data.window_from_s, data.window_to_s};
  json ops = json::array();
  for (const ReportOp& op : data.ops) {
    ops.push_back({{"id", op.id},
                   {"p", op.process},
                   {"client", op.client},
                   {"f", op.f},
                   {"key", op.key},
                   {"value", op.value},
                   {"result", op.result},
                   {"type", op.type},
                   {"t0", op.invoke_s},
                   {"t1", op.complete_s ? json(*op.complete_s) : json()},
                   {"cx", op.counterexample},
                   {"vx", op.violating},
                   {"server", op.server}});
  }
  page["ops"] = ops;
  page["around"] = around_json(data.around);
  page["violating"] = around_json(data.violating);
  json window_messages = json::array();
  for (const ReportMessage& m : data.window_messages)
    window_messages.push_back(
        {{"kind", m.kind}, {"t", m.at_s}, {"t0", m.sent_s}, {"from", m.from}, {"to", m.to}, {"text", m.text}});
  page["window_messages"] = window_messages;
  json bands = json::array();
  for (const ReportBand& band : data.bands)
    bands.push_back(
        {{"kind", band.kind}, {"node", band.node}, {"t0", band.from_s}, {"t1", band.to_s}, {"label", band.label}});
  page["bands"] = bands;
  page["series"] = {{"bucket_s", data.series.bucket_s},
                    {"latency_ms", data.series.latency_ms},
                    {"ops_per_s", data.series.ops_per_s},
                    {"messages_per_s", data.series.messages_per_s}};
  json metrics = json::array();
  for (const auto& metric : outcome.metrics) metrics.push_back({metric.name, metric.value});
  page["metrics"] = metrics;
  page["faults"] = named_faults(outcome);
  page["schedule_title"] = data.schedule_title;
  page["schedule"] = data.schedule;
  return page;
}

}  // namespace detsim
