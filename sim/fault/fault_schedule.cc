#include "sim/fault/fault_schedule.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

namespace detsim {

const char* to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::crash: return "crash";
    case FaultKind::restart: return "restart";
    case FaultKind::pause: return "pause";
  }
  return "?";
}

std::string FaultSchedule::to_short_string() const {
  std::string text;
  for (const FaultAction& action : actions) {
    if (!text.empty()) text += "; ";
    text += fmt::format("{} {} {}", format_duration(action.at.since_start()), to_string(action.kind), action.node);
    if (action.kind == FaultKind::pause) text += " " + format_duration(action.length);
  }
  return text;
}

namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

std::optional<FaultAction> parse_action(std::string_view text, std::string* error) {
  std::vector<std::string_view> words = split(text, ' ');
  auto fail = [&](std::string why) {
    *error = fmt::format("fault '{}': {}", text, why);
    return std::nullopt;
  };
  if (words.size() < 3) return fail("expected 'TIME KIND NODE', e.g. '1.5s crash n2'");
  FaultAction action;
  auto at = parse_duration(words[0]);
  if (!at) return fail("expected a time like 1.5s");
  action.at = Time::zero() + *at;
  if (words[1] == "crash") action.kind = FaultKind::crash;
  else if (words[1] == "restart") action.kind = FaultKind::restart;
  else if (words[1] == "pause") action.kind = FaultKind::pause;
  else return fail("expected crash, restart or pause");
  uint32_t index = 0;
  std::string_view node = words[2];
  if (node.size() < 2 || node[0] != 'n' ||
      std::from_chars(node.data() + 1, node.data() + node.size(), index).ec != std::errc())
    return fail("expected a node like n2");
  action.node = NodeId(index);
  const size_t expected_words = action.kind == FaultKind::pause ? 4 : 3;
  if (words.size() != expected_words) return fail(action.kind == FaultKind::pause ? "pause needs a length" : "too many words");
  if (action.kind == FaultKind::pause) {
    auto length = parse_duration(words[3]);
    if (!length) return fail("expected a pause length like 200ms");
    action.length = *length;
  }
  return action;
}

}  // namespace

std::optional<FaultSchedule> FaultSchedule::parse_short(std::string_view text, std::string* error) {
  FaultSchedule schedule;
  for (std::string_view part : split(text, ';')) {
    if (part == "none") continue;
    auto action = parse_action(part, error);
    if (!action) return std::nullopt;
    schedule.actions.push_back(*action);
  }
  std::stable_sort(schedule.actions.begin(), schedule.actions.end(),
                   [](const FaultAction& x, const FaultAction& y) { return x.at < y.at; });
  return schedule;
}

namespace {

// Generated faults land on whole milliseconds: the schedule a failure
// prints then reads "1.204s crash n2", not "1.204137912s crash n2", and
// nothing a fault can reveal depends on sub-millisecond placement.
Time round_to_ms(Time t) {
  constexpr int64_t kMs = 1'000'000;
  return Time::from_ns((t.count_ns() + kMs / 2) / kMs * kMs);
}

Duration round_to_ms(Duration d) { return round_to_ms(Time::zero() + d).since_start(); }

// A poisson process of candidate crash times; each crashes a random server
// that is up, if fewer than max_down are down, and schedules its restart.
void add_crashes(Rng& rng, const CrashFaultOptions& options, const std::vector<NodeId>& servers,
                 Time heal_at, std::vector<FaultAction>& out) {
  if (options.crash_interval_mean <= Duration::zero() || servers.empty()) return;
  const int minority = static_cast<int>((servers.size() - 1) / 2);
  const int max_down = options.max_down < 0 ? minority : options.max_down;
  if (max_down == 0) return;
  std::map<uint32_t, Time> down_until;  // ordered: deterministic iteration
  Time t = Time::zero();
  for (;;) {
    t = round_to_ms(t + rng.exponential(options.crash_interval_mean));
    if (t >= heal_at) break;
    std::vector<NodeId> up;
    int down = 0;
    for (NodeId server : servers) {
      auto it = down_until.find(server.index());
      if (it != down_until.end() && it->second > t) ++down;
      else up.push_back(server);
    }
    if (down >= max_down || up.empty()) continue;
    NodeId victim = up[rng.below(up.size())];
    Time restart_at = std::min(round_to_ms(t + options.down_time.sample(rng)), heal_at);
    down_until[victim.index()] = restart_at;
    out.push_back({t, FaultKind::crash, victim, Duration()});
    out.push_back({restart_at, FaultKind::restart, victim, Duration()});
  }
}

void add_pauses(Rng& rng, const CrashFaultOptions& options, const std::vector<NodeId>& servers,
                Time heal_at, std::vector<FaultAction>& out) {
  if (options.pause_interval_mean <= Duration::zero() || servers.empty()) return;
  Time t = Time::zero();
  for (;;) {
    t = round_to_ms(t + rng.exponential(options.pause_interval_mean));
    if (t >= heal_at) break;
    NodeId victim = servers[rng.below(servers.size())];
    Duration length = std::min(round_to_ms(options.pause_length.sample(rng)), heal_at - t);
    out.push_back({t, FaultKind::pause, victim, length});
  }
}

}  // namespace

FaultSchedule generate_fault_schedule(Rng rng, const CrashFaultOptions& options,
                                      const std::vector<NodeId>& servers, Time heal_at) {
  FaultSchedule schedule;
  Rng crash_rng = rng.fork("crash");
  Rng pause_rng = rng.fork("pause");
  add_crashes(crash_rng, options, servers, heal_at, schedule.actions);
  add_pauses(pause_rng, options, servers, heal_at, schedule.actions);
  std::stable_sort(schedule.actions.begin(), schedule.actions.end(),
                   [](const FaultAction& x, const FaultAction& y) { return x.at < y.at; });
  return schedule;
}

}  // namespace detsim
