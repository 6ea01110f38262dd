#include "sim/check/history_io.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/core/assert.h"

namespace detsim::check {
namespace {

using Json = nlohmann::json;

constexpr size_t kLinesPerPoll = 256;  // a few hundred microseconds of parsing

std::optional<OpType> parse_type(std::string_view text) {
  if (text == "invoke") return OpType::invoke;
  if (text == "ok") return OpType::ok;
  if (text == "fail") return OpType::fail;
  if (text == "info") return OpType::info;
  return std::nullopt;
}

std::optional<int64_t> json_integer(const Json& json) {
  if (json.is_number_integer() && !json.is_number_unsigned()) return json.get<int64_t>();
  if (json.is_number_unsigned() && json.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(json.get<uint64_t>());
  return std::nullopt;
}

std::optional<OpValue> json_value(const Json& json) {
  if (json.is_null()) return OpValue::nil();
  if (json.is_string()) return OpValue::of(json.get<std::string>());
  if (std::optional<int64_t> integer = json_integer(json)) return OpValue::of(*integer);
  if (!json.is_array()) return std::nullopt;
  std::vector<OpValue> items;
  for (const Json& item : json) {
    std::optional<OpValue> value = json_value(item);
    if (!value) return std::nullopt;
    items.push_back(std::move(*value));
  }
  return OpValue::list(std::move(items));
}

Json value_json(const OpValue& value) {
  switch (value.kind) {
    case OpValue::Kind::nil: return nullptr;
    case OpValue::Kind::integer: return value.integer;
    case OpValue::Kind::text: return value.text;
    case OpValue::Kind::list: {
      Json items = Json::array();
      for (const OpValue& item : value.items) items.push_back(value_json(item));
      return items;
    }
  }
  return nullptr;
}

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

// The JSON fields of one event, or the reason it is not one.
bool read_json_fields(const Json& json, ParsedLine& parsed, std::string* reason) {
  auto process = json.find("process");
  std::optional<int64_t> number = process == json.end() ? std::nullopt : json_integer(*process);
  if (!number) return *reason = "expected \"process\" with an integer", false;
  auto type = json.find("type");
  std::optional<OpType> op_type =
      type != json.end() && type->is_string() ? parse_type(type->get<std::string>()) : std::nullopt;
  if (!op_type) return *reason = "expected \"type\": one of \"invoke\", \"ok\", \"fail\", \"info\"", false;
  auto f = json.find("f");
  if (f == json.end() || !f->is_string()) return *reason = "expected \"f\" with a string", false;
  parsed.event.process = *number;
  parsed.event.type = *op_type;
  parsed.event.f = f->get<std::string>();
  return true;
}

bool read_json_optionals(const Json& json, ParsedLine& parsed, std::string* reason) {
  auto key = json.find("key");
  if (key != json.end() && !key->is_null()) {
    std::optional<int64_t> number = json_integer(*key);
    if (!key->is_string() && !number) return *reason = "expected \"key\" with a string or an integer", false;
    parsed.event.key = key->is_string() ? key->get<std::string>() : std::to_string(*number);
  }
  auto value = json.find("value");
  if (value != json.end()) {
    std::optional<OpValue> op_value = json_value(*value);
    if (!op_value) return *reason = "expected \"value\": null, an integer, a string or a list of those", false;
    parsed.event.value = std::move(*op_value);
  }
  auto client = json.find("client");
  if (client != json.end() && client->is_string()) parsed.client = client->get<std::string>();
  auto time = json.find("time_ns");
  if (time != json.end()) {
    std::optional<int64_t> ns = json_integer(*time);
    if (!ns || *ns < 0) return *reason = "expected \"time_ns\" with a non-negative integer", false;
    parsed.event.time = Time::from_ns(*ns);
    parsed.has_time = true;
  }
  return true;
}

// Times are used only if every line had one (else line order rules).
History settle_times(std::vector<HistoryEvent> events, bool all_timed, const std::function<bool()>& should_stop) {
  History history;
  for (size_t i = 0; i < events.size(); ++i) {
    if (should_stop && i % kLinesPerPoll == 0 && should_stop()) throw ReadStopped{};
    HistoryEvent& event = events[i];
    event.has_time = all_timed;
    if (!all_timed) event.time = Time::zero();
    history.append(std::move(event));
  }
  return history;
}

}  // namespace

namespace {

// The deepest nesting of [ and { outside strings: nlohmann's parser
// recurses per level, so it must not see a line that nests too deep.
size_t json_nesting(std::string_view line) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

std::optional<ParsedLine> parse_json_line(std::string_view line, std::string* reason) {
  if (json_nesting(line) > kMaxHistoryNesting) {
    *reason = fmt::format("nested more than {} deep", kMaxHistoryNesting);
    return std::nullopt;
  }
  Json json = Json::parse(line.begin(), line.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    *reason = "expected one JSON object per line, like {\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}";
    return std::nullopt;
  }
  ParsedLine parsed;
  if (!read_json_fields(json, parsed, reason) || !read_json_optionals(json, parsed, reason)) return std::nullopt;
  return parsed;
}

namespace {

enum class Format : uint8_t { json_lines, edn, json_array, unknown };

// The offset of the first character from `at` on that is not blank or in
// an EDN `;` comment; *line counts the lines passed.
size_t skip_blanks(std::string_view text, size_t at, size_t* line) {
  while (at < text.size()) {
    const char c = text[at];
    if (c == ';') {
      at = text.find('\n', at);
      if (at == std::string_view::npos) return text.size();
    } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',') {
      return at;
    }
    if (text[at] == '\n') ++*line;
    ++at;
  }
  return at;
}

// From the first significant characters: `{:` is EDN, any other `{` JSON;
// `[`, `(` and `#` are EDN, but `[{"` is a JSON array, not JSON lines.
Format detect_format(std::string_view text, size_t* line) {
  *line = 1;
  const size_t first = skip_blanks(text, 0, line);
  if (first >= text.size()) return Format::json_lines;  // blank: no events either way
  size_t ignored = 0;
  const size_t second = skip_blanks(text, first + 1, &ignored);
  const char next = second < text.size() ? text[second] : '\0';
  const size_t third = next == '{' ? skip_blanks(text, second + 1, &ignored) : text.size();
  switch (text[first]) {
    case '{': return next == ':' ? Format::edn : Format::json_lines;
    case '[': return third < text.size() && text[third] == '"' ? Format::json_array : Format::edn;
    case '(':
    case '#': return Format::edn;
    default: return Format::unknown;
  }
}

std::optional<std::vector<LocatedEvent>> parse_json_lines(std::string_view text, size_t* line_number,
                                                          std::string* reason,
                                                          const std::function<bool()>& should_stop) {
  std::vector<LocatedEvent> events;
  *line_number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++*line_number;
    if (should_stop && *line_number % kLinesPerPoll == 0 && should_stop()) throw ReadStopped{};
    if (is_blank(line)) continue;
    std::optional<ParsedLine> parsed = parse_json_line(line, reason);
    if (!parsed) return std::nullopt;
    events.push_back({std::move(*parsed), *line_number});
  }
  return events;
}

std::optional<std::vector<LocatedEvent>> parse_events(std::string_view text, size_t* line, std::string* reason,
                                                      const std::function<bool()>& should_stop) {
  switch (detect_format(text, line)) {
    case Format::json_lines: return parse_json_lines(text, line, reason, should_stop);
    case Format::edn: return parse_edn_events(text, line, reason, should_stop);
    case Format::json_array:
      *reason = "a JSON array: expected JSON lines, one object per line, like {\"process\":0,\"type\":\"invoke\",...}";
      return std::nullopt;
    case Format::unknown: break;
  }
  *reason =
      "expected a history: JSON lines like {\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}, or Jepsen EDN "
      "like {:process 0, :type :invoke, :f :read} (a map per line, or a vector of maps)";
  return std::nullopt;
}

}  // namespace

std::optional<LoadedHistory> parse_history(std::string_view text, const std::string& name, std::string* error,
                                           const std::function<bool()>& should_stop) {
  DETSIM_ASSERT(error != nullptr);
  size_t line = 0;
  std::string reason;
  std::optional<std::vector<LocatedEvent>> located = parse_events(text, &line, &reason, should_stop);
  if (!located) {
    *error = fmt::format("{}:{}: {}", name, line, reason);
    return std::nullopt;
  }
  LoadedHistory loaded;
  std::vector<HistoryEvent> events;
  bool all_timed = true;
  for (LocatedEvent& event : *located) {
    if (event.parsed.skip) continue;
    all_timed = all_timed && event.parsed.has_time;
    if (!event.parsed.client.empty()) loaded.process_clients[event.parsed.event.process] = event.parsed.client;
    events.push_back(std::move(event.parsed.event));
    loaded.lines.push_back(event.line);
  }
  loaded.history = settle_times(std::move(events), all_timed, should_stop);
  std::optional<HistoryError> pairing;
  loaded.operations = pair_operations(loaded.history, &pairing);
  // Pairing is not polled inside (some 0.05 s per 300k operations): ask after it.
  if (should_stop && should_stop()) throw ReadStopped{};
  if (pairing) {
    *error = fmt::format("{}:{}: {}", name, loaded.lines[pairing->event], pairing->message);
    return std::nullopt;
  }
  return loaded;
}

std::optional<LoadedHistory> read_history_file(const std::string& path, std::string* error,
                                               const std::function<bool()>& should_stop) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    *error = path + " is a directory, not a history file";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    *error = "cannot read " + path;
    return std::nullopt;
  }
  return parse_history(text.str(), path, error, should_stop);
}

void write_history_jsonl(const History& history, std::ostream& out, const std::vector<std::string>& names) {
  const auto& clients = history.process_clients();
  for (const HistoryEvent& event : history.events()) {
    nlohmann::ordered_json line;
    line["process"] = event.process;
    auto client = clients.find(event.process);
    if (client != clients.end() && client->second.index() < names.size())
      line["client"] = names[client->second.index()];
    line["type"] = to_string(event.type);
    line["f"] = event.f;
    if (!event.key.empty()) line["key"] = event.key;
    line["value"] = value_json(event.value);
    if (event.has_time) line["time_ns"] = event.time.count_ns();
    out << line.dump() << '\n';
  }
}

}  // namespace detsim::check
