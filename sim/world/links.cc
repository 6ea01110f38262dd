#include "sim/world/links.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "sim/core/assert.h"

namespace detsim {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// A cursor over one clause; every read skips leading blanks.
class ClauseReader {
 public:
  explicit ClauseReader(std::string_view text) : text_(text) {}
  void skip_blanks() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }
  bool at_end() {
    skip_blanks();
    return pos_ == text_.size();
  }
  bool take(std::string_view token) {
    skip_blanks();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  // nN or '*' (returned as an invalid NodeId); nullopt on anything else.
  std::optional<NodeId> endpoint() {
    if (take("*")) return NodeId();
    if (!take("n")) return std::nullopt;
    uint32_t index = 0;
    auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), index);
    if (ec != std::errc() || end == text_.data() + pos_) return std::nullopt;
    pos_ = static_cast<size_t>(end - text_.data());
    return NodeId(index);
  }
  // Up to the next blank or '=' at parenthesis depth 0 ("uniform(1ms, 10ms)" is one word).
  std::string_view word(bool stop_at_equals) {
    skip_blanks();
    const size_t start = pos_;
    int depth = 0;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '(') ++depth;
      if (c == ')') --depth;
      if (depth == 0 && (is_space(c) || (stop_at_equals && c == '='))) break;
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Sets one key of options; on a bad key or value returns the reason.
std::string set_key(std::string_view key, std::string_view value, LinkOptions* options) {
  if (key == "latency") {
    std::string error;
    auto dist = DurationDist::parse(value, &error);
    if (!dist) return fmt::format("latency '{}': {}", value, error);
    options->latency = *dist;
    return {};
  }
  if (key == "loss") {
    auto loss = parse_number(value);
    if (!loss || *loss < 0 || *loss > 1) return fmt::format("loss '{}': expected a probability in [0, 1]", value);
    options->loss = *loss;
    return {};
  }
  if (key == "bandwidth") {
    auto bandwidth = parse_number(value);
    if (!bandwidth || *bandwidth < 0) {
      return fmt::format("bandwidth '{}': expected bytes per second, >= 0 (0 is unlimited)", value);
    }
    options->bandwidth = *bandwidth;
    return {};
  }
  return fmt::format("unknown key '{}' (expected latency, loss or bandwidth)", key);
}

// One clause; returns the reason on failure.
std::string parse_clause(std::string_view text, LinkOverride* link) {
  ClauseReader reader(text);
  auto from = reader.endpoint();
  if (!from) return "expected a node (nN or *) at the start, as in 'n0>n1 loss=0.1'";
  if (reader.take("<>")) {
    link->both_directions = true;
  } else if (!reader.take(">")) {
    return "expected '>' or '<>' after the first node";
  }
  auto to = reader.endpoint();
  if (!to) return "expected a node (nN or *) after the arrow";
  link->from = *from;
  link->to = *to;
  int keys = 0;
  while (!reader.at_end()) {
    std::string_view key = reader.word(true);
    if (!reader.take("=")) return fmt::format("expected key=value, got '{}'", key);
    std::string_view value = reader.word(false);
    if (value.empty()) return fmt::format("no value for '{}'", key);
    if (std::string reason = set_key(key, value, &link->options); !reason.empty()) return reason;
    ++keys;
  }
  if (keys == 0) return "no settings (expected latency=, loss= or bandwidth=)";
  return {};
}

std::string format_endpoint(NodeId node) { return node.valid() ? fmt::format("{}", node) : "*"; }

}  // namespace

std::optional<std::vector<LinkOverride>> parse_link_overrides(std::string_view text, std::string* error) {
  std::vector<LinkOverride> links;
  size_t number = 0;
  while (!text.empty()) {
    const size_t semicolon = text.find(';');
    std::string_view clause = trim(text.substr(0, semicolon));
    text = semicolon == std::string_view::npos ? std::string_view() : text.substr(semicolon + 1);
    if (clause.empty()) continue;
    ++number;
    LinkOverride link;
    if (std::string reason = parse_clause(clause, &link); !reason.empty()) {
      if (error != nullptr) *error = fmt::format("link override {} ('{}'): {}", number, clause, reason);
      return std::nullopt;
    }
    links.push_back(link);
  }
  return links;
}

std::string format_link_override(const LinkOverride& link) {
  std::string text =
      fmt::format("{}{}{}", format_endpoint(link.from), link.both_directions ? "<>" : ">", format_endpoint(link.to));
  if (link.options.latency) text += " latency=" + link.options.latency->to_string();
  if (link.options.loss) text += fmt::format(" loss={}", *link.options.loss);
  if (link.options.bandwidth) text += fmt::format(" bandwidth={}", *link.options.bandwidth);
  return text;
}

// ---------------------------------------------------------------- LinkTable

const LinkTable::Link* LinkTable::find(NodeId from, NodeId to) const {
  if (links_.empty()) return nullptr;
  auto it = links_.find(key(from, to));
  return it == links_.end() ? nullptr : &it->second;
}

void LinkTable::set_options(NodeId from, NodeId to, const LinkOptions& options) {
  LinkOptions& current = at(from, to).options;
  if (options.latency) current.latency = options.latency;
  if (options.loss) current.loss = options.loss;
  if (options.bandwidth) current.bandwidth = options.bandwidth;
}

bool LinkTable::is_cut(NodeId from, NodeId to) const {
  const Link* link = find(from, to);
  return link != nullptr && (link->cut || link->flapped);
}

bool LinkTable::set_flapped(NodeId from, NodeId to, bool flapped) {
  Link& link = at(from, to);
  const bool changed = link.flapped != flapped;
  link.flapped = flapped;
  return changed;
}

std::vector<std::pair<NodeId, NodeId>> ring_cuts(const std::vector<NodeId>& ring) {
  const size_t n = ring.size();
  const size_t majority = n / 2 + 1;
  const size_t reach = majority / 2;
  // Invariant: each node sees itself and reach neighbours each way: a majority.
  DETSIM_ASSERT(n == 0 || std::min(n, 2 * reach + 1) >= majority);
  std::vector<std::pair<NodeId, NodeId>> cuts;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const size_t distance = std::min(j - i, n - (j - i));
      if (distance > reach) cuts.emplace_back(ring[i], ring[j]);
    }
  }
  return cuts;
}

Duration LinkTable::clog_delay(NodeId from, NodeId to, Time now) const {
  const Link* link = find(from, to);
  if (link == nullptr || now >= link->clog_until) return Duration::zero();
  return link->clog_extra;
}

bool LinkTable::heal(Time now) {
  bool healed = false;
  for (auto& [key, link] : links_) {
    healed = healed || link.cut || link.flapped || now < link.clog_until;
    link.cut = false;
    link.flapped = false;
    link.clog_until = Time();
    link.clog_extra = Duration::zero();
  }
  return healed;
}

}  // namespace detsim
