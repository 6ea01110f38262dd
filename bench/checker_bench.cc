// checker_bench -- the linearizability checker (sim/check) on histories of
// 1k, 10k and 100k operations from a correct simulated register or kv
// store (tests/history_gen.h, seeded with detsim's Rng), with and without
// the (set, state) memo of Lowe 2017. The search without the memo is the
// same code with memoize = false, capped at a step budget; a capped run is
// reported as ">" its time. docs/performance.md has the results.
//
// Usage: checker_bench [--repeat=R] [--naive-steps=S]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "sim/check/linearizability.h"
#include "tests/history_gen.h"

namespace {

using namespace detsim;

struct Case {
  const char* name;
  testing::GenOptions options;
};

struct Timing {
  check::CheckReport report;
  double wall_s = 0;
};

Timing time_check(const History& history, bool kv, bool memoize, uint64_t budget, int repeat) {
  std::optional<check::HistoryError> error;
  check::CheckOptions options;
  options.memoize = memoize;
  options.step_budget = budget;
  Timing best;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    check::CheckReport report =
        check::check_history(history, kv ? check::Datatype::kv : check::Datatype::register_, options, &error);
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (error) {
      std::fprintf(stderr, "checker_bench: malformed generated history: %s\n", error->message.c_str());
      std::exit(1);
    }
    if (r == 0 || wall_s < best.wall_s) best = {report, wall_s};
  }
  return best;
}

std::vector<Case> cases() {
  auto make = [](int ops, int keys, bool kv, double info) {
    testing::GenOptions o;
    o.seed = 42;
    o.processes = 10;
    o.operations = ops;
    o.keys = keys;
    o.kv = kv;
    o.info_probability = info;
    return o;
  };
  auto wide = [](testing::GenOptions o) {
    o.processes = 30;
    o.values = 3;
    return o;
  };
  auto twenty = [](testing::GenOptions o) {
    o.processes = 20;
    return o;
  };
  auto unique = [](testing::GenOptions o) {
    o.values = 1'000'000'000;
    return o;
  };
  return {
      {"register 1k, 1 key", make(1000, 1, false, 0)},
      {"register 10k, 1 key", make(10000, 1, false, 0)},
      {"register 10k, 1 key, 2% info", make(10000, 1, false, 0.02)},
      {"register 10k, 1 key, 30 processes, 10% info", wide(make(10000, 1, false, 0.1))},
      // Unique values, as detsim's clients write them: unobserved info
      // writes are pruned before the search (sim/check/unobserved.h).
      {"register 10k, 1 key, 10 processes, 10% info, unique values", unique(make(10000, 1, false, 0.1))},
      {"register 10k, 1 key, 20 processes, 10% info, unique values", twenty(unique(make(10000, 1, false, 0.1)))},
      {"kv 1k, 4 keys", make(1000, 4, true, 0)},
      {"kv 10k, 4 keys", make(10000, 4, true, 0)},
      {"kv 100k, 8 keys", make(100000, 8, true, 0)},
      {"kv 100k, 8 keys, 2% info", make(100000, 8, true, 0.02)},
      {"register 100k, 1 key (no split)", make(100000, 1, false, 0)},
  };
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 3;
  uint64_t naive_steps = 200'000'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--repeat=", 9) == 0)
      repeat = std::atoi(argv[i] + 9);
    else if (std::strncmp(argv[i], "--naive-steps=", 14) == 0)
      naive_steps = std::strtoull(argv[i] + 14, nullptr, 10);
    else
      return std::fprintf(stderr, "usage: checker_bench [--repeat=R] [--naive-steps=S]\n"), 64;
  }
  std::printf("| history | ops | keys | verdict | steps | memo ms | no-memo steps | no-memo ms | ratio |\n");
  std::printf("|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
  for (const Case& c : cases()) {
    const History history = testing::generate_history(c.options);
    const Timing memo = time_check(history, c.options.kv, true, check::kDefaultStepBudget * 10, repeat);
    const Timing naive = time_check(history, c.options.kv, false, naive_steps, 1);
    const bool capped = naive.report.verdict == check::Linearizability::unknown;
    const std::string mark = capped ? ">" : "";
    std::printf("| %s | %zu | %zu | %s | %llu | %.2f | %s%llu | %s%.2f | %s%.1f× |\n", c.name, memo.report.operations,
                memo.report.keys, check::to_string(memo.report.verdict),
                static_cast<unsigned long long>(memo.report.steps), memo.wall_s * 1e3, mark.c_str(),
                static_cast<unsigned long long>(naive.report.steps), mark.c_str(), naive.wall_s * 1e3, mark.c_str(),
                naive.wall_s / memo.wall_s);
    std::fflush(stdout);
  }
}
