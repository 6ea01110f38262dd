// What DETSIM_ASSERT throws inside a simulated fiber: the fiber's wrapper
// turns it into a "model crashed" verdict. Like FiberKilled it does not
// derive from std::exception, so model code catching std::exception does
// not hide a failed invariant.
#pragma once

#include <string>

namespace detsim {

class ModelAssertion final {
 public:
  explicit ModelAssertion(std::string what) : what_(std::move(what)) {}
  const std::string& what() const { return what_; }

 private:
  std::string what_;
};

}  // namespace detsim
