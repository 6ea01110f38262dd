#include "replay/coverage.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sim/core/assert.h"

namespace detsim {

Coverage::Coverage(const ModelInfo& model) : model_name_(model.name) {
  for (const ProbeSpec& probe : model.probes) tallies_.push_back({probe.name, 0, 0, std::nullopt});
}

void Coverage::add(const SeedOutcome& outcome) {
  ++seeds_;
  for (const ProbeCount& count : outcome.probes) {
    if (count.hits == 0) continue;
    auto tally = std::find_if(tallies_.begin(), tallies_.end(), [&](const Tally& t) { return t.name == count.name; });
    // Invariant: a run reports only the probes its model declared.
    DETSIM_ASSERT(tally != tallies_.end());
    tally->hits += count.hits;
    ++tally->seeds_hit;
    if (!tally->first_seed || outcome.seed < *tally->first_seed) tally->first_seed = outcome.seed;
  }
}

void Coverage::print_text(std::ostream& out) const {
  if (tallies_.empty()) out << "coverage: model " << model_name_ << " declares no probes\n";
  for (const Tally& tally : tallies_) {
    std::string first = tally.first_seed ? std::to_string(*tally.first_seed) : "never";
    out << fmt::format("coverage: {} hits={} seeds={}/{} first_seed={}\n", tally.name, tally.hits, tally.seeds_hit,
                       seeds_, first);
  }
}

void Coverage::print_json(std::ostream& out) const {
  for (const Tally& tally : tallies_) {
    nlohmann::ordered_json line = {{"probe", tally.name},
                                   {"hits", tally.hits},
                                   {"seeds_hit", tally.seeds_hit},
                                   {"seeds", seeds_},
                                   {"first_seed", nullptr}};
    if (tally.first_seed) line["first_seed"] = *tally.first_seed;
    out << nlohmann::ordered_json{{"coverage", line}}.dump() << '\n';
  }
}

}  // namespace detsim
