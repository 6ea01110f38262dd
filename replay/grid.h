// The parameter grid of `detsim sweep`: each --grid KEY=V1,V2,... is an
// axis, and the points are their cartesian product with the first axis
// varying slowest (like nested loops written in --grid order).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace detsim {

struct GridAxis {
  std::string key;
  std::vector<std::string> values;  // as given, in order
};

// Splits at the commas outside parentheses, so a value may itself be
// "uniform(1ms, 10ms)". Spaces around a piece are dropped, so
// "10, 20" is 10 and 20.
std::vector<std::string> split_top_level(std::string_view text);

// "KEY=V1,V2,...". Throws UsageError on a missing key or '=', an empty
// list or an empty value; the key and values are checked against the
// model elsewhere.
GridAxis parse_grid_axis(std::string_view text);

class Grid {
 public:
  // Throws UsageError if two axes share a key, or if the product does not
  // fit in 64 bits.
  explicit Grid(std::vector<GridAxis> axes);

  const std::vector<GridAxis>& axes() const { return axes_; }
  uint64_t point_count() const { return point_count_; }
  // Point `point`'s value on each axis, in axis order.
  std::vector<std::string> values(uint64_t point) const;
  // The same as "KEY=VALUE" assignments, for --set.
  std::vector<std::string> assignments(uint64_t point) const;

 private:
  std::vector<GridAxis> axes_;
  uint64_t point_count_ = 1;
};

}  // namespace detsim
