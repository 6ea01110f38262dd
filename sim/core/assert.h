// DETSIM_ASSERT stays on in every build type (STYLE.md rule 1). A failure
// names the file, the line, the expression, the run's seed and the simulated
// time. Inside a simulated fiber it becomes a "model crashed" verdict (exit
// 3); anywhere else it prints and aborts.
#pragma once

namespace detsim {

[[noreturn]] void assert_failed(const char* file, int line, const char* expression);

}  // namespace detsim

#define DETSIM_ASSERT(condition)                               \
  do {                                                         \
    if (!(condition)) [[unlikely]]                             \
      ::detsim::assert_failed(__FILE__, __LINE__, #condition); \
  } while (false)
