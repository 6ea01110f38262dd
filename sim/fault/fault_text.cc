// The text form of fault actions and schedules (grammar in fault_schedule.h).
// Printing writes only the fields an action's kind uses, so a schedule whose
// other fields are at their defaults (every parsed or generated one) reads
// back equal.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "sim/core/assert.h"
#include "sim/core/duration_dist.h"
#include "sim/fault/fault_schedule.h"

namespace detsim {
namespace {

// How each kind is written after "TIME KIND", for error messages.
struct Usage {
  FaultKind kind;
  size_t words;  // after the kind
  std::string_view arguments;
  std::string_view example;
};
constexpr std::array<Usage, kFaultKindCount> kUsages = {{
    {FaultKind::crash, 1, "NODE", "1.2s crash n2"},
    {FaultKind::restart, 1, "NODE", "3.9s restart n2"},
    {FaultKind::pause, 2, "NODE LENGTH", "5s pause n1 200ms"},
    {FaultKind::partition, 1, "GROUP|GROUP...", "2s partition n0,n1|n2 or 2s partition n0>n1,n2"},
    {FaultKind::heal, 0, "", "3s heal"},
    {FaultKind::clog, 3, "NODE>PEER DELAY LENGTH", "4s clog n1>n2 300ms 2s"},
    {FaultKind::corrupt, 2, "NODE PICK", "5s corrupt n2 17"},
    {FaultKind::misdirect, 1, "NODE", "5s misdirect n2"},
    {FaultKind::disk_full, 2, "NODE LENGTH", "6s disk_full n2 2s"},
    {FaultKind::disk_slow, 3, "NODE FACTORx LENGTH", "6s disk_slow n2 10x 2s"},
    {FaultKind::clock_jump, 2, "NODE OFFSET", "7s clock_jump n1 -2s"},
    {FaultKind::clock_drift, 2, "NODE PPMppm", "8s clock_drift n1 -200ppm"},
    {FaultKind::isolate, 3, "@ROLE LENGTH CLIENTS", "9s isolate @leader 2s 1"},
    {FaultKind::figure8, 4, "@ROLE DELAY DOWN NEXT_MS", "9s figure8 @leader 80ms 1s 3"},
    {FaultKind::kill, 2, "@ROLE DOWN", "9s kill @leader 1s"},
    {FaultKind::ring, 1, "NODE,NODE,NODE,NODE...", "2s ring n0,n2,n4,n1,n3"},
    {FaultKind::flap, 4, "NODE|@ROLE PEER LENGTH PERIOD", "2s flap n1 n3 2s 200ms"},
    {FaultKind::rolling, 2, "GAP DOWN", "2s rolling 500ms 1s"},
    {FaultKind::power_fsync, 3, "NODE,NODE... WAIT DOWN", "2s power_fsync n0,n2 1s 800ms"},
}};

const Usage& usage_of(FaultKind kind) {
  const Usage& usage = kUsages[static_cast<size_t>(kind)];
  // Invariant: kUsages lists the kinds in declaration order.
  DETSIM_ASSERT(usage.kind == kind);
  return usage;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Text for an error message, control characters escaped so the message
// stays on one line whatever the input held.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f)
      out += c;
    else
      out += fmt::format("\\x{:02x}", byte);
  }
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Nonempty trimmed parts of text between separators.
std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find(separator, start), text.size());
    std::string_view part = trim(text.substr(start, end - start));
    if (!part.empty()) parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

std::string format_group(const std::vector<NodeId>& group) { return fmt::format("{}", fmt::join(group, ",")); }

std::string format_groups(const FaultAction& action) {
  std::vector<std::string> groups;
  for (const std::vector<NodeId>& group : action.groups) groups.push_back(format_group(group));
  if (!action.one_way || groups.empty()) return fmt::format("{}", fmt::join(groups, "|"));
  std::string rest = fmt::format("{}", fmt::join(groups.begin() + 1, groups.end(), "|"));
  return groups.front() + ">" + rest;
}

// Signed: format_duration writes "-2s" and parse_signed_duration reads it.
std::optional<Duration> parse_signed_duration(std::string_view text) {
  if (text.empty() || text.front() != '-') return parse_duration(text);
  auto magnitude = parse_duration(text.substr(1));
  if (!magnitude) return std::nullopt;
  return -*magnitude;
}

// A whole decimal integer followed by exactly suffix ("10x", "-200ppm", "17").
std::optional<int64_t> parse_integer(std::string_view text, std::string_view suffix) {
  if (text.size() <= suffix.size() || !text.ends_with(suffix)) return std::nullopt;
  text.remove_suffix(suffix.size());
  int64_t value = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<NodeId> parse_node(std::string_view text) {
  uint32_t index = 0;
  if (text.size() < 2 || text[0] != 'n') return std::nullopt;
  auto result = std::from_chars(text.data() + 1, text.data() + text.size(), index);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return NodeId(index);
}

std::optional<std::vector<NodeId>> parse_group(std::string_view text) {
  std::vector<NodeId> group;
  for (std::string_view part : split(text, ',')) {
    auto node = parse_node(part);
    if (!node) return std::nullopt;
    group.push_back(*node);
  }
  // "n0,,n1" or a trailing comma: every comma separates two nodes.
  if (group.empty() || static_cast<size_t>(std::count(text.begin(), text.end(), ',')) != group.size() - 1) {
    return std::nullopt;
  }
  return group;
}

// "n0,n1|n2" or "n0>n1,n2|n3" into action->groups and action->one_way.
bool parse_groups(std::string_view text, FaultAction* action) {
  size_t arrow = text.find('>');
  action->one_way = arrow != std::string_view::npos;
  std::string_view rest = action->one_way ? text.substr(arrow + 1) : text;
  if (action->one_way) {
    auto source = parse_group(text.substr(0, arrow));
    if (!source) return false;
    action->groups.push_back(*source);
  }
  size_t bars = static_cast<size_t>(std::count(rest.begin(), rest.end(), '|'));
  std::vector<std::string_view> parts = split(rest, '|');
  if (parts.size() != bars + 1) return false;
  for (std::string_view part : parts) {
    auto group = parse_group(part);
    if (!group) return false;
    action->groups.push_back(*group);
  }
  return true;
}

// Reads the words after "TIME KIND" into an action; the first failure
// leaves its reason in error_.
class ArgumentReader {
 public:
  ArgumentReader(std::vector<std::string_view> words, FaultAction* action) : words_(words), action_(action) {}

  const std::string& error() const { return error_; }

  void read() {
    const FaultKind kind = action_->kind;
    // Invariant: the caller checked the word count against kUsages.
    DETSIM_ASSERT(words_.size() == usage_of(kind).words);
    if (kind == FaultKind::heal) return;
    if (kind == FaultKind::partition) return groups(words_[0]);
    if (kind == FaultKind::clog) return clog();
    if (is_shape(kind)) return shape();
    if (kind == FaultKind::ring || kind == FaultKind::flap || kind == FaultKind::rolling ||
        kind == FaultKind::power_fsync) {
      return jepsen_shape();
    }
    if (kind == FaultKind::pause || kind == FaultKind::clock_jump) {
      node_or_role(words_[0]);
    } else {
      node(words_[0], &action_->node);
    }
    if (kind == FaultKind::pause || kind == FaultKind::disk_full) length(words_[1]);
    if (kind == FaultKind::corrupt) integer(words_[1], "", "a sector pick like 17");
    if (kind == FaultKind::disk_slow) integer(words_[1], "x", "a slowdown factor like 10x");
    if (kind == FaultKind::disk_slow) length(words_[2]);
    if (kind == FaultKind::clock_drift) integer(words_[1], "ppm", "a drift like 200ppm or -200ppm");
    if (kind == FaultKind::clock_jump) signed_duration(words_[1]);
  }

 private:
  void fail(std::string_view expected, std::string_view got) {
    if (error_.empty()) error_ = fmt::format("expected {}, got '{}'", expected, printable(got));
  }
  void node(std::string_view word, NodeId* out) {
    if (auto parsed = parse_node(word))
      *out = *parsed;
    else
      fail("a node like n2", word);
  }
  // "@leader": '@' and a role name.
  bool role(std::string_view word) {
    const bool good = !word.empty() && word[0] == '@' && is_role_name(word.substr(1));
    if (good) action_->role = std::string(word.substr(1));
    return good;
  }
  void node_or_role(std::string_view word) {
    if (!word.empty() && word[0] == '@') {
      if (!role(word)) fail("a role like @leader", word);
      return;
    }
    node(word, &action_->node);
  }
  void shape() {
    if (!role(words_[0])) return fail("a role like @leader", words_[0]);
    if (action_->kind == FaultKind::figure8) {
      if (auto delay = parse_duration(words_[1]))
        action_->amount = *delay;
      else
        fail("a delay like 80ms", words_[1]);
    }
    // isolate @ROLE LENGTH CLIENTS; figure8 @ROLE DELAY DOWN NEXT_MS; kill @ROLE DOWN.
    const bool is_figure8 = action_->kind == FaultKind::figure8;
    length(words_[is_figure8 ? 2 : 1]);
    if (action_->kind == FaultKind::isolate) integer(words_[2], "", "a client count like 1");
    if (is_figure8) integer(words_[3], "", "milliseconds after the next claim like 3");
  }
  // ring NODES; flap NODE|@ROLE PEER LENGTH PERIOD; rolling GAP DOWN;
  // power_fsync NODES WAIT DOWN.
  void jepsen_shape() {
    switch (action_->kind) {
      case FaultKind::ring: return node_list(words_[0]);
      case FaultKind::flap:
        node_or_role(words_[0]);
        node(words_[1], &action_->peer);
        length(words_[2]);
        return amount(words_[3], "a period like 200ms");
      case FaultKind::rolling: amount(words_[0], "a gap like 500ms"); return length(words_[1]);
      case FaultKind::power_fsync:
        node_list(words_[0]);
        amount(words_[1], "a wait like 1s");
        return length(words_[2]);
      default: DETSIM_ASSERT(false && "not a Jepsen shape");
    }
  }
  void node_list(std::string_view word) {
    if (auto group = parse_group(word))
      action_->groups.push_back(*group);
    else
      fail("nodes like n0,n2,n4", word);
  }
  void amount(std::string_view word, std::string_view expected) {
    if (auto parsed = parse_duration(word))
      action_->amount = *parsed;
    else
      fail(expected, word);
  }
  void length(std::string_view word) {
    if (auto parsed = parse_duration(word))
      action_->length = *parsed;
    else
      fail("a length like 200ms", word);
  }
  void signed_duration(std::string_view word) {
    if (auto parsed = parse_signed_duration(word))
      action_->amount = *parsed;
    else
      fail("an offset like 2s or -2s", word);
  }
  void integer(std::string_view word, std::string_view suffix, std::string_view expected) {
    if (auto parsed = parse_integer(word, suffix))
      action_->value = *parsed;
    else
      fail(expected, word);
  }
  void groups(std::string_view word) {
    if (!parse_groups(word, action_)) fail("groups of nodes like n0,n1|n2 or n0>n1,n2", word);
  }
  void clog() {
    size_t arrow = words_[0].find('>');
    if (arrow == std::string_view::npos) return fail("a link like n1>n2", words_[0]);
    node(words_[0].substr(0, arrow), &action_->node);
    node(words_[0].substr(arrow + 1), &action_->peer);
    if (auto delay = parse_duration(words_[1]))
      action_->amount = *delay;
    else
      fail("a delay like 300ms", words_[1]);
    length(words_[2]);
  }

  std::vector<std::string_view> words_;
  FaultAction* action_;
  std::string error_;
};

std::string expected_kinds() {
  std::string kinds;
  for (const Usage& usage : kUsages) kinds += std::string(kinds.empty() ? "" : ", ") + to_string(usage.kind);
  return kinds;
}

std::optional<FaultAction> parse_action(std::string_view text, std::string* error) {
  std::vector<std::string_view> words = split_words(text);
  auto fail = [&](std::string why) -> std::optional<FaultAction> {
    if (error != nullptr) *error = fmt::format("fault '{}': {}", printable(text), why);
    return std::nullopt;
  };
  if (words.size() < 2) return fail("expected 'TIME KIND ...', e.g. '1.5s crash n2'");
  FaultAction action;
  auto at = parse_duration(words[0]);
  if (!at) return fail(fmt::format("expected a time like 1.5s, got '{}'", printable(words[0])));
  action.at = Time::zero() + *at;
  auto kind = parse_fault_kind(words[1]);
  if (!kind) return fail(fmt::format("expected a fault kind ({}), got '{}'", expected_kinds(), printable(words[1])));
  action.kind = *kind;
  const Usage& usage = usage_of(action.kind);
  if (words.size() != usage.words + 2) {
    std::string form =
        fmt::format("TIME {}{}{}", to_string(action.kind), usage.arguments.empty() ? "" : " ", usage.arguments);
    return fail(fmt::format("expected '{}', e.g. '{}'", form, usage.example));
  }
  ArgumentReader reader(std::vector<std::string_view>(words.begin() + 2, words.end()), &action);
  reader.read();
  if (!reader.error().empty()) return fail(reader.error());
  std::string why = check_action(action);
  if (!why.empty()) return fail(why);
  return action;
}

// Parses the ';'-separated actions of one line (or a whole short string)
// onto schedule; "none" stands for nothing.
bool parse_actions(std::string_view text, FaultSchedule* schedule, std::string* error) {
  for (std::string_view part : split(text, ';')) {
    if (part == "none") continue;
    auto action = parse_action(part, error);
    if (!action) return false;
    schedule->actions.push_back(std::move(*action));
  }
  return true;
}

}  // namespace

std::string to_short_string(const FaultAction& action) {
  std::string text = fmt::format("{} {}", format_duration(action.at.since_start()), to_string(action.kind));
  switch (action.kind) {
    case FaultKind::heal: return text;
    case FaultKind::partition: return text + " " + format_groups(action);
    case FaultKind::clog:
      return text + fmt::format(" {}>{} {} {}", action.node, action.peer, format_duration(action.amount),
                                format_duration(action.length));
    case FaultKind::ring: return text + " " + format_groups(action);
    case FaultKind::rolling:
      return text + fmt::format(" {} {}", format_duration(action.amount), format_duration(action.length));
    case FaultKind::power_fsync:
      return text + fmt::format(" {} {} {}", format_groups(action), format_duration(action.amount),
                                format_duration(action.length));
    default: break;
  }
  text += action.role.empty() ? fmt::format(" {}", action.node) : " @" + action.role;
  switch (action.kind) {
    case FaultKind::isolate: return text + fmt::format(" {} {}", format_duration(action.length), action.value);
    case FaultKind::figure8:
      return text +
             fmt::format(" {} {} {}", format_duration(action.amount), format_duration(action.length), action.value);
    case FaultKind::kill: return text + " " + format_duration(action.length);
    case FaultKind::flap:
      return text +
             fmt::format(" {} {} {}", action.peer, format_duration(action.length), format_duration(action.amount));
    case FaultKind::pause:
    case FaultKind::disk_full: return text + " " + format_duration(action.length);
    case FaultKind::corrupt: return text + fmt::format(" {}", action.value);
    case FaultKind::disk_slow: return text + fmt::format(" {}x {}", action.value, format_duration(action.length));
    case FaultKind::clock_jump: return text + " " + format_duration(action.amount);
    case FaultKind::clock_drift: return text + fmt::format(" {}ppm", action.value);
    default: return text;
  }
}

std::string FaultSchedule::to_short_string() const {
  std::string text;
  for (const FaultAction& action : actions) {
    if (!text.empty()) text += "; ";
    text += detsim::to_short_string(action);
  }
  return text;
}

std::optional<FaultSchedule> FaultSchedule::parse_short(std::string_view text, std::string* error) {
  FaultSchedule schedule;
  if (!parse_actions(text, &schedule, error)) return std::nullopt;
  schedule.sort();
  return schedule;
}

std::string FaultSchedule::to_file_text() const {
  std::string text = "# detsim fault schedule: one action per line, grammar in sim/fault/fault_schedule.h\n";
  if (actions.empty()) return text + "none\n";
  for (const FaultAction& action : actions) text += detsim::to_short_string(action) + "\n";
  return text;
}

std::optional<FaultSchedule> FaultSchedule::parse_file_text(std::string_view text, std::string* error) {
  FaultSchedule schedule;
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    ++line_number;
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    line = line.substr(0, line.find('#'));
    std::string why;
    if (!parse_actions(line, &schedule, &why)) {
      if (error != nullptr) *error = fmt::format("line {}: {}", line_number, why);
      return std::nullopt;
    }
  }
  schedule.sort();
  return schedule;
}

}  // namespace detsim
