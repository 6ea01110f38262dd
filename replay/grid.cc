#include "replay/grid.h"

#include <set>

#include "replay/commands.h"
#include "sim/core/assert.h"

namespace detsim {

namespace {

std::string trimmed(std::string_view text) {
  size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  size_t last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

}  // namespace

std::vector<std::string> split_top_level(std::string_view text) {
  std::vector<std::string> pieces(1);
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    // An unbalanced ')' must not hide the commas after it; the value is
    // then rejected by its parser, with its own message.
    if (c == ')' && depth > 0) --depth;
    if (c == ',' && depth == 0) {
      pieces.emplace_back();
      continue;
    }
    pieces.back() += c;
  }
  for (std::string& piece : pieces) piece = trimmed(piece);
  return pieces;
}

GridAxis parse_grid_axis(std::string_view text) {
  std::string prefix = "--grid " + std::string(text) + ": ";
  size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    throw UsageError(prefix + "expected KEY=V1,V2,... like clients=10,20,40");
  }
  GridAxis axis;
  axis.key = std::string(text.substr(0, equals));
  std::string_view list = text.substr(equals + 1);
  if (list.empty()) throw UsageError(prefix + "no values for '" + axis.key + "'");
  axis.values = split_top_level(list);
  for (size_t i = 0; i < axis.values.size(); ++i) {
    if (axis.values[i].empty()) {
      throw UsageError(prefix + "value " + std::to_string(i + 1) + " of " + std::to_string(axis.values.size()) +
                       " is empty");
    }
  }
  return axis;
}

Grid::Grid(std::vector<GridAxis> axes) : axes_(std::move(axes)) {
  std::set<std::string> keys;
  for (const GridAxis& axis : axes_) {
    // Invariant: parse_grid_axis never makes an empty axis.
    DETSIM_ASSERT(!axis.values.empty());
    if (!keys.insert(axis.key).second) {
      throw UsageError("--grid " + axis.key + ": the key is given twice (list all its values in one --grid)");
    }
    if (point_count_ > UINT64_MAX / axis.values.size()) throw UsageError("--grid: too many grid points");
    point_count_ *= axis.values.size();
  }
}

std::vector<std::string> Grid::values(uint64_t point) const {
  DETSIM_ASSERT(point < point_count_);
  std::vector<std::string> values(axes_.size());
  // The last axis varies fastest: peel it off first.
  for (size_t i = axes_.size(); i-- > 0;) {
    uint64_t size = axes_[i].values.size();
    values[i] = axes_[i].values[point % size];
    point /= size;
  }
  DETSIM_ASSERT(point == 0);
  return values;
}

std::vector<std::string> Grid::assignments(uint64_t point) const {
  std::vector<std::string> assignments = values(point);
  for (size_t i = 0; i < axes_.size(); ++i) assignments[i] = axes_[i].key + "=" + assignments[i];
  return assignments;
}

}  // namespace detsim
