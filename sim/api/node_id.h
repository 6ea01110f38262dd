#pragma once

#include <fmt/format.h>

#include <compare>
#include <cstdint>

namespace detsim {

// A node of the simulated world: a server or a client. Stable across
// crashes and restarts (an incarnation is a different thing).
class NodeId {
 public:
  constexpr NodeId() = default;
  constexpr explicit NodeId(uint32_t index) : index_(index) {}
  constexpr uint32_t index() const { return index_; }
  constexpr bool valid() const { return index_ != UINT32_MAX; }
  constexpr auto operator<=>(const NodeId&) const = default;

 private:
  uint32_t index_ = UINT32_MAX;
};

}  // namespace detsim

template <>
struct fmt::formatter<detsim::NodeId> : fmt::formatter<uint32_t> {
  auto format(detsim::NodeId id, format_context& ctx) const { return fmt::format_to(ctx.out(), "n{}", id.index()); }
};
