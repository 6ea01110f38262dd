// The front tier and cache (nodes.h). The cache keeps no keys: it keeps,
// per tenant, the request rate it saw over the last epochs and how many
// entries it has filled since it booted, and from those Che's
// approximation (workload.h) gives each tenant's hit ratio, so a batch of n
// requests is split into hits and misses in O(1). A crash empties it: the
// next incarnation starts with nothing filled (a cold cache), and every
// miss fills one entry until it is full again.
#include <algorithm>
#include <vector>

#include "models/noisy_neighbours/messages.h"
#include "models/noisy_neighbours/nodes.h"

namespace detsim::noisy {
namespace {

// A token bucket (the rate limiter): `rate` tokens per second, at most
// `depth` of them banked.
struct Bucket {
  double rate = 0;
  double depth = 0;
  double tokens = 0;
  Time last;

  // Admits up to n requests at `now`; returns how many.
  uint64_t take(uint64_t n, Time now) {
    tokens = std::min(depth, tokens + rate * (now - last).to_seconds());
    last = now;
    const auto admitted = std::min(n, static_cast<uint64_t>(tokens));
    tokens -= static_cast<double>(admitted);
    return admitted;
  }
};

struct TenantCache {
  int64_t tenant = 0;
  uint64_t seen = 0;  // requests this epoch
  double rate = 0;    // requests per second, smoothed over epochs
  double hit = 0;     // hit ratio for the next epoch
  double quota = 0;   // quota mode: this tenant's entries
  double filled = 0;  // quota mode: entries it filled
  bool hot_cached = false;
  size_t bucket = 0;  // index into buckets_
};

class Cache {
 public:
  Cache(Context& ctx, Observer& observer, const Topology& topology, int64_t pod)
      : ctx_(ctx),
        observer_(observer),
        params_(observer.params()),
        topology_(topology),
        pod_(pod),
        rng_(ctx.rng().fork("hits")),
        capacity_(
            static_cast<double>(params_.cache_entries * (params_.isolation == Isolation::pods ? 1 : params_.pods))) {
    index_.assign(static_cast<size_t>(params_.tenants), SIZE_MAX);
    double total_nominal = 0;
    for (int64_t t = 0; t < params_.tenants; ++t) {
      if (observer.pod_of(t) != pod) continue;
      index_[static_cast<size_t>(t)] = tenants_.size();
      tenants_.push_back(TenantCache{.tenant = t});
      total_nominal += observer.nominal_rate(t);
    }
    // The cache quota: each tenant's nominal share of the entries.
    for (TenantCache& tc : tenants_) tc.quota = capacity_ * observer.nominal_rate(tc.tenant) / total_nominal;
    make_buckets(total_nominal);
    next_epoch_ = ctx.now();
  }

  void run() {
    if (ctx_.incarnation() > 0) observer_.note_restart();
    while (true) {
      std::optional<Envelope> in = ctx_.net().receive();
      if (!in) continue;
      if (const Batch* batch = in->message.get_if<Batch>()) on_batch(*batch);
    }
  }

 private:
  bool quota_mode() const { return params_.isolation == Isolation::quota; }

  // Quota mode: a bucket per tenant at quota_factor x its nominal rate. The
  // planted bug keys the limiter by nothing: one bucket with every tenant's
  // allowance, shared by all.
  void make_buckets(double total_nominal) {
    if (!quota_mode()) return;
    const double depth_s = params_.quota_depth.to_seconds();
    auto bucket_for = [&](double nominal) {
      const double rate = params_.quota_factor * nominal;
      return Bucket{rate, rate * depth_s, rate * depth_s, ctx_.now()};
    };
    if (params_.quota_keyed_globally) {
      buckets_.push_back(bucket_for(total_nominal));
      return;
    }
    for (TenantCache& tc : tenants_) {
      tc.bucket = buckets_.size();
      buckets_.push_back(bucket_for(observer_.nominal_rate(tc.tenant)));
    }
  }

  void on_batch(const Batch& batch) {
    const size_t i = index_[static_cast<size_t>(batch.tenant)];
    // A batch for a tenant this pod does not serve: never answered here, so
    // the generator fails it (and the blast-radius check sees no answer).
    if (i == SIZE_MAX) return;
    maybe_new_epoch();
    TenantCache& tc = tenants_[i];
    tc.seen += batch.count;
    const uint64_t admitted = quota_mode() ? buckets_[tc.bucket].take(batch.count, ctx_.now()) : batch.count;
    const uint64_t hot = batch.count == 0 ? 0 : batch.hot * admitted / batch.count;
    const uint64_t normal = admitted - hot;
    const double expected_hits = static_cast<double>(normal) * tc.hit;
    const double fraction = rng_.uniform01();
    uint64_t hits = std::min(normal, static_cast<uint64_t>(expected_hits + fraction));
    ctx_.sometimes("throttled", admitted < batch.count);
    ctx_.sometimes("hot_key_missed_cold", hot > 0 && !tc.hot_cached);
    ctx_.sometimes("cold_cache_after_restart", ctx_.incarnation() > 0 && filled(tc) == 0);
    uint64_t hot_misses = 0;
    if (hot > 0 && tc.hot_cached) hits += hot;
    if (hot > 0 && !tc.hot_cached) hot_misses = hot;
    tc.hot_cached = tc.hot_cached || hot > 0;
    const uint64_t misses = admitted - hits;
    fill(tc, static_cast<double>(misses));
    observer_.record_lookups(admitted, hits);
    const NodeId generator = topology_.generators[static_cast<size_t>(batch.generator)];
    Answer answer;
    answer.tenant = batch.tenant;
    answer.batch = batch.id;
    answer.part = Part::front;
    answer.pod = pod_;
    answer.ok = hits;
    answer.throttled = batch.count - admitted;
    answer.forwarded = misses;
    ctx_.net().send(generator, std::move(answer));
    if (misses == 0) return;
    const Duration tick = params_.requests == Requests::batch ? params_.tick : Duration::zero();
    const int64_t db_pod = params_.pods_share_database ? 0 : pod_;
    ctx_.net().send(topology_.dbs[static_cast<size_t>(db_pod)],
                    MissBatch{batch.tenant, batch.id, batch.generator, misses, hot_misses, tick});
  }

  // Every miss fills an entry (an approximation: repeated misses of one
  // key in a batch fill one), up to the capacity or the tenant's quota.
  void fill(TenantCache& tc, double misses) {
    if (quota_mode()) {
      tc.filled = std::min(tc.quota, tc.filled + misses);
    } else {
      filled_ = std::min(capacity_, filled_ + misses);
    }
  }

  double filled(const TenantCache& tc) const { return quota_mode() ? tc.filled : filled_; }

  void maybe_new_epoch() {
    if (ctx_.now() < next_epoch_) return;
    const double epoch_s = params_.cache_epoch.to_seconds();
    for (TenantCache& tc : tenants_) {
      const double observed = static_cast<double>(tc.seen) / epoch_s;
      tc.rate = tc.rate == 0 ? observed : 0.5 * tc.rate + 0.5 * observed;
      tc.seen = 0;
    }
    if (quota_mode()) {
      for (TenantCache& tc : tenants_) tc.hit = lru_hit_ratios({Stream{tc.rate, &observer_.bands()}}, tc.filled)[0];
    } else {
      std::vector<Stream> streams;
      for (const TenantCache& tc : tenants_) streams.push_back(Stream{tc.rate, &observer_.bands()});
      const std::vector<double> hits = lru_hit_ratios(streams, filled_);
      for (size_t i = 0; i < tenants_.size(); ++i) tenants_[i].hit = hits[i];
    }
    next_epoch_ = ctx_.now() + params_.cache_epoch;
  }

  Context& ctx_;
  Observer& observer_;
  const NoisyParams& params_;
  const Topology& topology_;
  int64_t pod_;
  Rng rng_;
  double capacity_;
  double filled_ = 0;          // shared LRU: entries filled since boot
  std::vector<size_t> index_;  // by tenant: its TenantCache, or SIZE_MAX
  std::vector<TenantCache> tenants_;
  std::vector<Bucket> buckets_;
  Time next_epoch_;
};

}  // namespace

void cache_main(Context& ctx, Observer& observer, const Topology& topology, int64_t pod) {
  Cache(ctx, observer, topology, pod).run();
}

}  // namespace detsim::noisy
