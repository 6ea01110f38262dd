// `detsim run ... --coverage`: how often a run of seeds hit each probe the
// model declared (ModelInfo::probes, hit through Context::sometimes), so a
// rare path that no seed reaches is seen rather than assumed (docs/coverage.md).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "replay/outcome.h"
#include "sim/api/model.h"

namespace detsim {

class Coverage {
 public:
  explicit Coverage(const ModelInfo& model);
  // Outcomes may come in any order; a crashed worker's outcome has no
  // probes and counts as a seed that hit none.
  void add(const SeedOutcome& outcome);

  struct Tally {
    std::string name;
    uint64_t hits = 0;
    uint64_t seeds_hit = 0;
    std::optional<uint64_t> first_seed;  // the lowest seed that hit it
  };
  const std::vector<Tally>& tallies() const { return tallies_; }
  uint64_t seeds() const { return seeds_; }

  // One `coverage: NAME hits=H seeds=S/N first_seed=F|never` line per
  // probe, in declaration order.
  void print_text(std::ostream& out) const;
  // One {"coverage": {...}} JSON line per probe.
  void print_json(std::ostream& out) const;

 private:
  std::string model_name_;
  std::vector<Tally> tallies_;
  uint64_t seeds_ = 0;
};

}  // namespace detsim
