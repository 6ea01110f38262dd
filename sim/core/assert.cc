#include "sim/core/assert.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/core/engine.h"
#include "sim/core/model_assertion.h"

namespace detsim {

void assert_failed(const char* file, int line, const char* expression) {
  Engine* engine = Engine::on_this_thread();
  std::string where = engine == nullptr ? std::string("outside a simulation")
                                        : fmt::format("seed={} t={:.9f}s", engine->seed(), engine->now().to_seconds());
  std::string message = fmt::format("assertion failed: {} at {}:{} ({})", expression, file, line, where);
  // A fiber unwinding from a crash may be inside a destructor: throwing
  // there would end in std::terminate with no word of why.
  if (engine != nullptr && engine->current_fiber() != kNoFiber && !engine->current_fiber_killed())
    throw ModelAssertion(message);
  std::fprintf(stderr, "detsim: %s\n", message.c_str());
  std::abort();
}

}  // namespace detsim
