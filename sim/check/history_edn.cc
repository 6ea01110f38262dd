// Jepsen histories in EDN (github.com/edn-format/edn), in both layouts:
// one map per line, as Jepsen writes history.edn
//   {:process 0, :type :invoke, :f :read, :value nil}
// and one top-level vector or list of maps, maps spanning lines, as
// Knossos ships its test histories (knossos/data/**.edn)
//   [{:process 0, :type :invoke, :f :write, :value 1}
//    {:process 0, :type :ok,     :f :write, :value 1}]
// with `;` comments and `#_` discards anywhere. The reader takes the whole
// EDN grammar a history can hold (maps, vectors, lists, sets, tagged
// values, numbers, strings, keywords, symbols), so that keys it ignores
// (:error {...}, :time, :index) never trip it; only the fields it uses are
// interpreted.
#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>

#include "sim/check/history_io.h"

namespace detsim::check {
namespace {

struct Edn {
  enum class Kind : uint8_t { nil, boolean, integer, floating, text, keyword, symbol, vector, list, map, set };
  Kind kind = Kind::nil;
  int64_t integer = 0;
  std::string text;        // text, keyword and symbol names (keyword without ':')
  std::vector<Edn> items;  // collections; a map's are key, value, key, value...

  static Edn make(Kind kind, int64_t integer = 0, std::string text = {}) {
    Edn edn;
    edn.kind = kind;
    edn.integer = integer;
    edn.text = std::move(text);
    return edn;
  }
};

class EdnReader {
 public:
  explicit EdnReader(std::string_view text) : text_(text) {}

  std::optional<Edn> read_value() {
    skip_space();
    if (at_end()) return fail("expected a value");
    // The reader recurses once per nesting level: a hostile line must not
    // run it off the stack. A history value nests two deep (a cas's list).
    if (depth_ >= kMaxHistoryNesting) return fail(fmt::format("nested more than {} deep", kMaxHistoryNesting));
    ++depth_;
    std::optional<Edn> value = read_unnested();
    --depth_;
    return value;
  }

  std::optional<Edn> read_unnested() {
    const char c = text_[at_];
    if (c == '{') return read_collection(Edn::Kind::map, '}');
    if (c == '[') return read_collection(Edn::Kind::vector, ']');
    if (c == '(') return read_collection(Edn::Kind::list, ')');
    if (c == '"') return read_string();
    if (c == '#') return read_dispatch();
    if (c == ':') {
      ++at_;
      Edn keyword = Edn::make(Edn::Kind::keyword);
      keyword.text = read_token();
      if (keyword.text.empty()) return fail("expected a keyword name after ':'");
      return keyword;
    }
    return read_atom();
  }
  // Skips space, comments and `#_` discarded values; false on a malformed
  // discarded value.
  bool skip_ignorable() {
    for (;;) {
      skip_space();
      if (at_ + 1 >= text_.size() || text_[at_] != '#' || text_[at_ + 1] != '_') return true;
      at_ += 2;
      if (!read_value()) return false;
    }
  }
  // Whether only blanks or a comment follow on the current line.
  bool line_ends() const {
    size_t at = at_;
    while (at < text_.size() && (text_[at] == ' ' || text_[at] == '\t' || text_[at] == '\r' || text_[at] == ',')) ++at;
    return at >= text_.size() || text_[at] == '\n' || text_[at] == ';';
  }
  bool at_end() const { return at_ >= text_.size(); }
  char peek() const { return text_[at_]; }
  void advance() { ++at_; }
  size_t offset() const { return at_; }
  // "what at column C", and the line, of the first failure.
  const std::string& problem() const { return problem_; }
  size_t problem_line() { return line_of(problem_at_); }
  // 1-based; amortized O(1) for offsets that only move forward.
  size_t line_of(size_t offset) {
    if (offset < counted_to_) counted_to_ = 0, counted_line_ = 1;
    for (; counted_to_ < offset && counted_to_ < text_.size(); ++counted_to_)
      if (text_[counted_to_] == '\n') ++counted_line_;
    return counted_line_;
  }
  std::nullopt_t fail(std::string what) { return fail_at(at_, std::move(what)); }
  std::nullopt_t fail_at(size_t offset, std::string what) {
    if (problem_.empty()) {
      problem_ = fmt::format("{} at column {}", what, column_of(offset));
      problem_at_ = offset;
    }
    return std::nullopt;
  }

 private:
  size_t column_of(size_t offset) const {
    const size_t newline = offset == 0 ? std::string_view::npos : text_.rfind('\n', offset - 1);
    return newline == std::string_view::npos ? offset + 1 : offset - newline;
  }
  static bool is_delimiter(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '{' || c == '}' || c == '[' ||
           c == ']' || c == '(' || c == ')' || c == '"' || c == ';';
  }
  void skip_space() {
    while (!at_end()) {
      const char c = text_[at_];
      if (c == ';') {
        const size_t newline = text_.find('\n', at_);  // a comment runs to the end of the line
        at_ = newline == std::string_view::npos ? text_.size() : newline;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
        ++at_;
      } else {
        return;
      }
    }
  }
  std::string read_token() {
    const size_t start = at_;
    while (!at_end() && !is_delimiter(text_[at_])) ++at_;
    return std::string(text_.substr(start, at_ - start));
  }

  std::optional<Edn> read_collection(Edn::Kind kind, char close) {
    const size_t opened = at_++;
    Edn collection = Edn::make(kind);
    for (;;) {
      if (!skip_ignorable()) return std::nullopt;
      // Unclosed: name where it was opened, not the end of the file.
      if (at_end()) return fail_at(opened, fmt::format("expected '{}' closing the '{}'", close, text_[opened]));
      if (text_[at_] == close) break;
      std::optional<Edn> item = read_value();
      if (!item) return std::nullopt;
      collection.items.push_back(std::move(*item));
    }
    ++at_;
    if (kind == Edn::Kind::map && collection.items.size() % 2 != 0) return fail("expected a value for every map key");
    return collection;
  }

  std::optional<Edn> read_dispatch() {
    ++at_;
    if (!at_end() && text_[at_] == '{') {
      std::optional<Edn> set = read_collection(Edn::Kind::set, '}');
      if (set) set->kind = Edn::Kind::set;
      return set;
    }
    if (!at_end() && text_[at_] == '_') {  // #_ discards the next value
      ++at_;
      if (!read_value()) return std::nullopt;
      return read_value();
    }
    // A tagged value (#inst "...", #jepsen.history.Op {...}): the value counts.
    if (read_token().empty()) return fail("expected a tag after '#'");
    return read_value();
  }

  std::optional<Edn> read_string();
  std::optional<Edn> read_atom();

  std::string_view text_;
  size_t at_ = 0;
  size_t depth_ = 0;
  std::string problem_;
  size_t problem_at_ = 0;
  size_t counted_to_ = 0;  // line_of's cursor
  size_t counted_line_ = 1;
};

void append_utf8(std::string& out, uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

std::optional<Edn> EdnReader::read_string() {
  ++at_;
  Edn value = Edn::make(Edn::Kind::text);
  static const std::map<char, char> kEscapes = {{'"', '"'},  {'\\', '\\'}, {'n', '\n'}, {'t', '\t'},
                                                {'r', '\r'}, {'b', '\b'},  {'f', '\f'}, {'/', '/'}};
  while (!at_end() && text_[at_] != '"') {
    char c = text_[at_++];
    if (c != '\\') {
      value.text += c;
      continue;
    }
    if (at_end()) break;
    const char escape = text_[at_++];
    if (escape == 'u' && at_ + 4 <= text_.size()) {
      const std::string hex(text_.substr(at_, 4));
      if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return fail("expected \\uXXXX");
      append_utf8(value.text, static_cast<uint32_t>(std::stoul(hex, nullptr, 16)));
      at_ += 4;
      continue;
    }
    auto known = kEscapes.find(escape);
    if (known == kEscapes.end()) return fail(fmt::format("expected a string escape, not '\\{}'", escape));
    value.text += known->second;
  }
  if (at_end()) return fail("expected '\"' closing the string");
  ++at_;
  return value;
}

std::optional<Edn> EdnReader::read_atom() {
  const size_t start = at_;
  std::string token = read_token();
  if (token.empty()) return fail(fmt::format("expected a value, not '{}'", text_[start]));
  if (token == "nil") return Edn::make(Edn::Kind::nil);
  if (token == "true" || token == "false") return Edn::make(Edn::Kind::boolean, token == "true" ? 1 : 0);
  const bool numeric =
      std::isdigit(static_cast<unsigned char>(token[0])) ||
      (token.size() > 1 && (token[0] == '-' || token[0] == '+') && std::isdigit(static_cast<unsigned char>(token[1])));
  if (!numeric) return Edn::make(Edn::Kind::symbol, 0, token);
  std::string digits = token.back() == 'N' ? token.substr(0, token.size() - 1) : token;
  if (digits.find_first_not_of("+-0123456789") != std::string::npos) return Edn::make(Edn::Kind::floating, 0, token);
  errno = 0;
  char* end = nullptr;
  const long long number = std::strtoll(digits.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return fail("expected an integer that fits in 64 bits, not " + token);
  return Edn::make(Edn::Kind::integer, number);
}

// The first value under :name in a map, or null.
const Edn* lookup(const Edn& map, std::string_view name) {
  for (size_t i = 0; i + 1 < map.items.size(); i += 2)
    if (map.items[i].kind == Edn::Kind::keyword && map.items[i].text == name) return &map.items[i + 1];
  return nullptr;
}

std::optional<OpValue> op_value(const Edn& edn) {
  switch (edn.kind) {
    case Edn::Kind::nil: return OpValue::nil();
    case Edn::Kind::integer: return OpValue::of(edn.integer);
    case Edn::Kind::text:
    case Edn::Kind::keyword: return OpValue::of(edn.text);
    case Edn::Kind::vector:
    case Edn::Kind::list: {
      std::vector<OpValue> items;
      for (const Edn& item : edn.items) {
        std::optional<OpValue> value = op_value(item);
        if (!value) return std::nullopt;
        items.push_back(std::move(*value));
      }
      return OpValue::list(std::move(items));
    }
    default: return std::nullopt;
  }
}

// A keyword or string naming something (:f :read, :f "read").
std::optional<std::string> name_of(const Edn* edn) {
  if (edn == nullptr || (edn->kind != Edn::Kind::keyword && edn->kind != Edn::Kind::text)) return std::nullopt;
  return edn->text;
}

bool read_edn_fields(const Edn& map, ParsedLine& parsed, std::string* reason) {
  const Edn* type = lookup(map, "type");
  std::optional<std::string> type_name = name_of(type);
  static const std::map<std::string, OpType> kTypes = {
      {"invoke", OpType::invoke}, {"ok", OpType::ok}, {"fail", OpType::fail}, {"info", OpType::info}};
  auto op_type = type_name ? kTypes.find(*type_name) : kTypes.end();
  if (op_type == kTypes.end()) return *reason = "expected :type to be :invoke, :ok, :fail or :info", false;
  const Edn* f = lookup(map, "f");
  std::optional<std::string> f_name = name_of(f);
  if (!f_name) return *reason = "expected :f with a keyword or string", false;
  parsed.event.type = op_type->second;
  parsed.event.f = *f_name;
  const Edn* key = lookup(map, "key");
  if (key != nullptr && key->kind != Edn::Kind::nil) {
    std::optional<std::string> key_name = name_of(key);
    if (!key_name && key->kind != Edn::Kind::integer) return *reason = "expected :key with a string or integer", false;
    parsed.event.key = key_name ? *key_name : std::to_string(key->integer);
  }
  return true;
}

// One event map as an event, or nullopt with *reason.
std::optional<ParsedLine> event_of(const Edn& map, std::string* reason) {
  if (map.kind != Edn::Kind::map)
    return *reason = "expected an EDN map {:process ..., :type ..., :f ...}", std::nullopt;
  ParsedLine parsed;
  const Edn* process = lookup(map, "process");
  if (process != nullptr && process->kind == Edn::Kind::keyword) {
    parsed.skip = true;  // :nemesis and other non-client processes
    return parsed;
  }
  if (process == nullptr || process->kind != Edn::Kind::integer)
    return *reason = "expected :process with an integer", std::nullopt;
  parsed.event.process = process->integer;
  if (!read_edn_fields(map, parsed, reason)) return std::nullopt;
  const Edn* value = lookup(map, "value");
  std::optional<OpValue> converted = value == nullptr ? OpValue::nil() : op_value(*value);
  if (!converted)
    return *reason = "expected :value nil, an integer, a string, or a vector or list of those", std::nullopt;
  parsed.event.value = std::move(*converted);
  const Edn* time = lookup(map, "time");
  if (time != nullptr && time->kind == Edn::Kind::integer && time->integer >= 0) {
    parsed.event.time = Time::from_ns(time->integer);
    parsed.has_time = true;
  }
  return parsed;
}

// The events of one EDN text, top-level form by top-level form. Maps in a
// top-level vector are read one at a time, never as one value, so a large
// file is no deeper and no bigger in memory than its maps.
class EdnEvents {
 public:
  EdnEvents(EdnReader& reader, const std::function<bool()>& should_stop) : reader_(reader), should_stop_(should_stop) {}

  // A map at the top level: it must end its line (Jepsen's layout).
  bool read_line_map() {
    if (!read_event()) return false;
    if (reader_.line_ends()) return true;
    reason_ = "expected the end of the line after the map";
    return false;
  }
  // A top-level vector or list of maps (Knossos's layout).
  bool read_sequence(char close) {
    const size_t opened = reader_.offset();
    reader_.advance();
    for (;;) {
      if (!reader_.skip_ignorable()) return false;
      if (reader_.at_end()) {
        reader_.fail_at(opened, fmt::format("expected '{}' closing the vector or list", close));
        return false;
      }
      if (reader_.peek() == close) break;
      if (!read_event()) return false;
    }
    reader_.advance();
    return true;
  }
  std::vector<LocatedEvent> take() { return std::move(events_); }
  // After a false from a read: where and why.
  std::nullopt_t failed(size_t* line, std::string* reason) {
    if (reason_.empty()) return reader_failed(line, reason);
    *line = line_;
    *reason = reason_;
    return std::nullopt;
  }
  std::nullopt_t reader_failed(size_t* line, std::string* reason) {
    *line = reader_.problem_line();
    *reason = "expected an EDN map: " + reader_.problem();
    return std::nullopt;
  }

 private:
  bool read_event() {
    if (should_stop_ && ++read_ % kEventsPerPoll == 0 && should_stop_()) throw ReadStopped{};
    line_ = reader_.line_of(reader_.offset());
    std::optional<Edn> map = reader_.read_value();
    if (!map) return false;
    std::optional<ParsedLine> parsed = event_of(*map, &reason_);
    if (!parsed) return false;
    if (!parsed->skip) events_.push_back({std::move(*parsed), line_});
    return true;
  }

  static constexpr size_t kEventsPerPoll = 256;
  EdnReader& reader_;
  const std::function<bool()>& should_stop_;
  std::vector<LocatedEvent> events_;
  size_t read_ = 0;
  size_t line_ = 0;  // the line the event being read starts on
  std::string reason_;
};

}  // namespace

std::optional<std::vector<LocatedEvent>> parse_edn_events(std::string_view text, size_t* line, std::string* reason,
                                                          const std::function<bool()>& should_stop) {
  EdnReader reader(text);
  EdnEvents events(reader, should_stop);
  for (;;) {
    if (!reader.skip_ignorable()) return events.reader_failed(line, reason);
    if (reader.at_end()) return events.take();
    const char c = reader.peek();
    const bool ok = c == '[' || c == '(' ? events.read_sequence(c == '[' ? ']' : ')') : events.read_line_map();
    if (!ok) return events.failed(line, reason);
  }
}

}  // namespace detsim::check
