// The database (nodes.h). A FIFO queue of c workers, computed at arrival:
// request i of a batch of n arrives at receipt + i/n of the tick and starts
// on the first worker free at or after that (Kiefer-Wolfowitz's workload
// recursion for FIFO G/G/c), so a batch costs O(n log c) and no event per
// request. The answer leaves when the batch's last request completes; a
// crash before then loses it, as it loses the queue.
#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <string>
#include <vector>

#include "models/noisy_neighbours/messages.h"
#include "models/noisy_neighbours/nodes.h"
#include "sim/api/sync.h"

namespace detsim::noisy {
namespace {

constexpr size_t kSojournPoints = 16;
constexpr const char* kProbeFile = "probe";
constexpr size_t kProbeBytes = 4096;
constexpr Duration kProbeInterval = Duration::milliseconds(10);
constexpr double kMaxSlowdown = 100;

class Database {
 public:
  Database(Context& ctx, Observer& observer, const Topology& topology, int64_t pod)
      : ctx_(ctx),
        observer_(observer),
        topology_(topology),
        params_(observer.params()),
        pod_(pod),
        service_rng_(ctx.rng().fork("service")),
        hot_free_(ctx.now()),
        doorbell_(ctx) {
    const int64_t workers = params_.db_workers * (params_.isolation == Isolation::pods ? 1 : params_.pods);
    for (int64_t w = 0; w < workers; ++w) free_at_.push(ctx.now());
  }

  void run() {
    if (ctx_.incarnation() > 0) observer_.note_restart();
    ctx_.spawn("disk_probe", [this] { probe_loop(); });
    ctx_.spawn("sender", [this] { send_loop(); });
    while (true) {
      std::optional<Envelope> in = ctx_.net().receive();
      if (!in) continue;
      if (const MissBatch* batch = in->message.get_if<MissBatch>()) on_batch(*batch);
    }
  }

 private:
  // The database cannot see the nemesis, but it sees its disk: a probe read
  // every 10 ms, and a read slower than twice the healthy bound scales
  // every service time by how much slower it was (a degraded volume slows
  // every query that touches it).
  void probe_loop() {
    ctx_.disk().open(kProbeFile, true);
    ctx_.disk().write(kProbeFile, 0, std::string(kProbeBytes, 'p'));
    std::string bytes;
    while (true) {
      const Time start = ctx_.now();
      ctx_.disk().read(kProbeFile, 0, kProbeBytes, &bytes);
      const double ratio = (ctx_.now() - start).to_seconds() / params_.db_disk_baseline.to_seconds();
      slowdown_ = ratio > 2 ? std::min(ratio, kMaxSlowdown) : 1;
      if (slowdown_ > 1) observer_.note_slow_disk();
      ctx_.sleep_for(kProbeInterval);
    }
  }

  void on_batch(const MissBatch& batch) {
    const Time received = ctx_.now();
    const Duration shed_after = params_.request_timeout / 2;
    std::vector<Duration> sojourns;
    sojourns.reserve(batch.count);
    Time last = received;
    uint64_t shed = 0;
    Duration busy;
    for (uint64_t i = 0; i < batch.count; ++i) {
      const Time arrival = received + batch.tick * static_cast<int64_t>(i) / static_cast<int64_t>(batch.count);
      // The hot key's requests queue on one worker: its shard.
      const bool hot = i < batch.hot;
      const Time free = hot ? hot_free_ : free_at_.top();
      const Time start = std::max(arrival, free);
      if (start - arrival > shed_after) {
        ++shed;
        continue;
      }
      const double service_s = service_rng_.exponential(params_.db_service.to_seconds()) * slowdown_;
      const Duration service = Duration::from_seconds(service_s);
      const Time done = start + service;
      if (hot) {
        hot_free_ = done;
      } else {
        free_at_.pop();
        free_at_.push(done);
      }
      busy += service;
      observer_.record_db_wait(pod_, arrival, start - arrival);
      sojourns.push_back(done - arrival);
      last = std::max(last, done);
    }
    observer_.record_db(busy, batch.count, shed);
    Answer answer;
    answer.tenant = batch.tenant;
    answer.batch = batch.batch;
    answer.part = Part::db;
    answer.pod = pod_;
    answer.ok = sojourns.size();
    answer.failed = shed;
    answer.span = last - received;
    summarise(sojourns, answer);
    const NodeId generator = topology_.generators[static_cast<size_t>(batch.generator)];
    outbox_.emplace(last, Outgoing{generator, std::move(answer)});
    // Wake the sender only when this answer is due before its next wake-up.
    if (last < sender_wakes_at_) {
      sender_wakes_at_ = last;
      doorbell_.push(last);
    }
  }

  // One fiber sends every answer at its batch's completion time, so a
  // batch costs no fiber of its own.
  void send_loop() {
    while (true) {
      while (!outbox_.empty() && outbox_.begin()->first <= ctx_.now()) {
        Outgoing& out = outbox_.begin()->second;
        ctx_.net().send(out.to, std::move(out.answer));
        outbox_.erase(outbox_.begin());
      }
      sender_wakes_at_ = outbox_.empty() ? Time::max() : outbox_.begin()->first;
      doorbell_.pop(outbox_.empty() ? Duration::max() : sender_wakes_at_ - ctx_.now());
      while (doorbell_.try_pop()) {
      }
    }
  }

  // At most 16 points of the sorted sojourns, each the middle of its equal
  // share: the batch's latency distribution to within 1/16 of its ranks.
  static void summarise(std::vector<Duration>& sojourns, Answer& answer) {
    std::sort(sojourns.begin(), sojourns.end());
    const size_t n = sojourns.size();
    const size_t points = std::min(n, kSojournPoints);
    for (size_t j = 0; j < points; ++j) {
      const size_t lo = j * n / points;
      const size_t hi = (j + 1) * n / points;
      answer.sojourn.push_back(sojourns[(lo + hi) / 2]);
      answer.weight.push_back(hi - lo);
    }
  }

  Context& ctx_;
  Observer& observer_;
  const Topology& topology_;
  const NoisyParams& params_;
  int64_t pod_;
  Rng service_rng_;
  std::priority_queue<Time, std::vector<Time>, std::greater<>> free_at_;  // when each worker frees up
  Time hot_free_;
  double slowdown_ = 1;
  struct Outgoing {
    NodeId to;
    Answer answer;
  };
  std::multimap<Time, Outgoing> outbox_;  // by when the batch's last request completes
  Mailbox<Time> doorbell_;
  Time sender_wakes_at_ = Time::max();
};

}  // namespace

void db_main(Context& ctx, Observer& observer, const Topology& topology, int64_t pod) {
  Database(ctx, observer, topology, pod).run();
}

}  // namespace detsim::noisy
