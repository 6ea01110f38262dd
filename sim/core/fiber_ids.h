// The few engine types the model seam needs to name (sim/api/context.h,
// sim/api/sync.h), without the engine itself: model code never sees the
// engine's interface.
#pragma once

#include <cstdint>

namespace detsim {

using FiberId = uint32_t;
using GroupId = uint32_t;
inline constexpr FiberId kNoFiber = UINT32_MAX;

// One particular park of one fiber. Waking a Waiter whose park is over does
// nothing, which is what makes timers and wake-ups cancellable in O(1).
struct Waiter {
  FiberId fiber = kNoFiber;
  uint64_t epoch = 0;
};

// Thrown out of park() in a fiber whose node crashed, so RAII runs as the
// stack unwinds. It does not derive from std::exception on purpose: model
// code that catches std::exception must not stop a crash. Code that catches
// (...) must rethrow; the engine detects it when it does not.
class FiberKilled final {};

}  // namespace detsim
