// The guarantee stated in sim/api/model.h: a Model outlives every fiber of
// its nodes, so node code may hold plain references into it. Fibers still
// blocked when the run ends, and a node crashed mid-run, unwind while the
// Model is alive.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/world/simulation.h"

namespace detsim {
namespace {

struct Ledger {
  bool model_alive = false;
  int unwound_with_model_alive = 0;
  int unwound_after_model = 0;
};

// Runs its destructor as a fiber's stack unwinds, and looks at the model.
class UnwindWitness {
 public:
  explicit UnwindWitness(Ledger& ledger) : ledger_(ledger) {}
  UnwindWitness(const UnwindWitness&) = delete;
  UnwindWitness& operator=(const UnwindWitness&) = delete;
  ~UnwindWitness() { ++(ledger_.model_alive ? ledger_.unwound_with_model_alive : ledger_.unwound_after_model); }

 private:
  Ledger& ledger_;
};

class LifetimeModel final : public Model {
 public:
  explicit LifetimeModel(Ledger& ledger) : ledger_(ledger) { ledger_.model_alive = true; }
  ~LifetimeModel() override { ledger_.model_alive = false; }
  void setup(Setup& setup) override {
    for (const char* name : {"s0", "s1"}) {
      setup.add_server(name, [this](Context& ctx) {
        UnwindWitness witness(ledger_);
        ctx.spawn("helper", [this, &ctx] {
          UnwindWitness helper(ledger_);
          ctx.sleep_for(Duration::seconds(3600));
        });
        ctx.sleep_for(Duration::seconds(3600));  // still blocked at the end
      });
    }
  }
  CheckResult check() override { return CheckResult::ok(); }

 private:
  Ledger& ledger_;
};

TEST(ModelLifetime, EveryFiberUnwindsWhileTheModelIsAlive) {
  Ledger ledger;
  ModelInfo info;
  info.name = "lifetime";
  info.summary = "a model for the lifetime guarantee";
  info.make = [&ledger](const Params&) { return std::make_unique<LifetimeModel>(ledger); };
  RunRequest request;
  request.model = &info;
  request.params = default_params(info);
  request.params.set("duration", Duration::seconds(2));
  request.seed = 1;
  // s0 crashes mid-run and restarts: its first incarnation unwinds then.
  std::string error;
  request.faults = FaultSchedule::parse_short("500ms crash n0; 900ms restart n0", &error);
  ASSERT_TRUE(request.faults.has_value()) << error;
  const RunResult result = simulate(request);
  EXPECT_EQ(result.verdict, Verdict::pass) << result.property << ": " << result.detail;
  EXPECT_FALSE(ledger.model_alive);
  // Two servers with a helper each, and s0's first incarnation and helper.
  EXPECT_EQ(ledger.unwound_with_model_alive, 6);
  EXPECT_EQ(ledger.unwound_after_model, 0);
}

}  // namespace
}  // namespace detsim
