#include "sim/fault/node_names.h"

#include <fmt/format.h>

#include <charconv>
#include <map>

namespace detsim {
namespace {

constexpr std::string_view kSeparators = " \t\r\n,|<>;";
constexpr std::string_view kForbidden = " \t\r\n,|<>;=#@";

std::optional<uint32_t> numbered_index(std::string_view word) {
  uint32_t index = 0;
  if (word.size() < 2 || word[0] != 'n') return std::nullopt;
  auto result = std::from_chars(word.data() + 1, word.data() + word.size(), index);
  if (result.ec != std::errc() || result.ptr != word.data() + word.size()) return std::nullopt;
  return index;
}

bool usable(std::string_view name, uint32_t index, const std::map<std::string_view, int>& uses) {
  if (name.empty() || name.find_first_of(kForbidden) != std::string_view::npos) return false;
  if (uses.at(name) > 1) return false;
  const std::optional<uint32_t> numbered = numbered_index(name);
  return !numbered || *numbered == index;
}

// Calls replace(word) for each word of text and joins the results with
// the separators as they were.
template <class Replace>
std::string map_words(std::string_view text, Replace replace) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = std::min(text.find_first_of(kSeparators, at), text.size());
    if (end == at) {
      out += text[at++];
      continue;
    }
    out += replace(text.substr(at, end - at));
    at = end;
  }
  return out;
}

}  // namespace

std::vector<std::string> stable_node_names(const std::vector<std::string>& given, std::vector<uint32_t>* generated) {
  std::map<std::string_view, int> uses;
  for (const std::string& name : given) ++uses[name];
  std::vector<std::string> names;
  for (uint32_t i = 0; i < given.size(); ++i) {
    if (usable(given[i], i, uses)) {
      names.push_back(given[i]);
      continue;
    }
    names.push_back(fmt::format("n{}", i));
    if (generated != nullptr) generated->push_back(i);
  }
  return names;
}

std::optional<NodeId> resolve_node_name(std::string_view name, const std::vector<std::string>& names) {
  for (uint32_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return NodeId(i);
  }
  const std::optional<uint32_t> numbered = numbered_index(name);
  if (numbered && *numbered < names.size()) return NodeId(*numbered);
  return std::nullopt;
}

std::string name_nodes_in_fault_text(std::string_view text, const std::vector<std::string>& names) {
  return map_words(text, [&names](std::string_view word) {
    const std::optional<uint32_t> numbered = numbered_index(word);
    return numbered && *numbered < names.size() ? names[*numbered] : std::string(word);
  });
}

std::string number_nodes_in_fault_text(std::string_view text, const std::vector<std::string>& names) {
  return map_words(text, [&names](std::string_view word) {
    for (uint32_t i = 0; i < names.size(); ++i) {
      if (names[i] == word) return fmt::format("n{}", i);
    }
    return std::string(word);
  });
}

}  // namespace detsim
