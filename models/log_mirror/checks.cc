#include "models/log_mirror/checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace detsim::mirror {
namespace {

// Source index of each sequence number. Usually increasing along the log,
// but not always: a late replayed produce of a failed producer id can land
// after newer records.
class SourceIndex {
 public:
  explicit SourceIndex(const std::vector<uint64_t>& source) {
    for (size_t i = 0; i < source.size(); ++i) index_.emplace(source[i], static_cast<int64_t>(i));
  }
  std::optional<int64_t> of(uint64_t seq) const {
    auto it = index_.find(seq);
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<uint64_t, int64_t> index_;  // the first position wins
};

}  // namespace

std::optional<std::string> first_disorder(const std::vector<uint64_t>& source, const std::vector<uint64_t>& target,
                                          int64_t covered, uint64_t* record) {
  const SourceIndex index(source);
  int64_t previous = -2;  // source index of the previous target record
  for (size_t i = 0; i < target.size(); ++i) {
    if (record != nullptr) *record = target[i];
    const std::optional<int64_t> at = index.of(target[i]);
    if (!at) return fmt::format("record {} (position {}) is not in the source log", target[i], i);
    const bool continues_run = *at == previous + 1;
    if (!continues_run && *at > covered + 1) {
      return fmt::format("record {} (position {}) skips source record {}: nothing before it covered it", target[i], i,
                         source[static_cast<size_t>(covered + 1)]);
    }
    covered = std::max(covered, *at);
    previous = *at;
  }
  return std::nullopt;
}

int64_t covered_end(const std::vector<uint64_t>& source, const std::vector<uint64_t>& target) {
  const SourceIndex index(source);
  int64_t covered = -1;
  for (uint64_t seq : target) {
    if (const std::optional<int64_t> at = index.of(seq)) covered = std::max(covered, *at);
  }
  return covered;
}

uint64_t duplicates(const std::vector<uint64_t>& target) {
  std::set<uint64_t> seen;
  uint64_t repeats = 0;
  for (uint64_t seq : target) repeats += seen.insert(seq).second ? 0 : 1;
  return repeats;
}

std::optional<int64_t> translate(const std::map<int64_t, int64_t>& syncs, int64_t committed, bool off_by_one) {
  auto it = syncs.upper_bound(committed);
  if (it == syncs.begin()) return std::nullopt;
  --it;  // the latest sync with upstream <= committed
  const auto [upstream, downstream] = *it;
  const int64_t translated = committed == upstream ? downstream : downstream + 1;
  return off_by_one ? translated + 1 : translated;
}

AckedFate acked_fate(bool in_target, int64_t source_offset, int64_t mirror_committed) {
  if (in_target) return AckedFate::mirrored;
  if (source_offset < 0) return AckedFate::lost_at_source;
  return source_offset < mirror_committed ? AckedFate::skipped : AckedFate::not_yet_mirrored;
}

}  // namespace detsim::mirror
