// The database (nodes.h). A FIFO queue of c workers, computed rather than
// run: request i of a batch of n arrives at receipt + i/n of the tick, and
// starts on the first worker free at or after its arrival (Kiefer and
// Wolfowitz's workload recursion for the FIFO G/G/c queue, 1955), so a
// request costs O(log c + log b) arithmetic and no event.
//
// Batches overlap: several tenants' batches spread over the same tick. So
// that the queue stays FIFO across them, requests are given workers in
// arrival order over every open batch, and only once the clock has passed
// their arrival (nothing earlier can still come). The node wakes when a
// batch arrives, when an open batch's last request has arrived (then every
// request of it has a worker and its answer is known), and when an answer
// is due: when its batch's last request completes. A crash loses the
// queue and every answer not yet sent.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "models/noisy_neighbours/messages.h"
#include "models/noisy_neighbours/nodes.h"

namespace detsim::noisy {
namespace {

constexpr size_t kSojournPoints = 16;
constexpr const char* kProbeFile = "probe";
constexpr size_t kProbeBytes = 4096;
constexpr Duration kProbeInterval = Duration::milliseconds(10);
constexpr double kMaxSlowdown = 100;

// A batch whose requests are not all placed yet.
struct OpenBatch {
  MissBatch batch;
  Time received;
  uint64_t next = 0;  // its first request without a worker
  uint64_t shed = 0;
  Duration busy;
  Time last;  // the latest completion so far
  std::vector<Duration> sojourns;

  Time arrival(uint64_t i) const {
    return received + batch.tick * static_cast<int64_t>(i) / static_cast<int64_t>(batch.count);
  }
  Time last_arrival() const { return arrival(batch.count - 1); }
};

// Shared with its disk probe fiber, which may still be unwinding after a
// crash when the main fiber lets go.
class Database : public std::enable_shared_from_this<Database> {
 public:
  Database(Context& ctx, Observer& observer, const Topology& topology, int64_t pod)
      : ctx_(ctx),
        observer_(observer),
        topology_(topology),
        params_(observer.params()),
        pod_(pod),
        service_rng_(ctx.rng().fork("service")),
        hot_free_(ctx.now()) {
    const int64_t workers = params_.db_workers * (params_.isolation == Isolation::pods ? 1 : params_.pods);
    for (int64_t w = 0; w < workers; ++w) free_at_.push(ctx.now());
  }

  void run() {
    if (ctx_.incarnation() > 0) observer_.note_restart();
    ctx_.spawn("disk_probe", [self = shared_from_this()] { self->probe_loop(); });
    while (true) {
      const Time wake = next_wake();
      std::optional<Envelope> in = ctx_.net().receive(wake == Time::max() ? Duration::max() : wake - ctx_.now());
      if (in) {
        if (const MissBatch* batch = in->message.get_if<MissBatch>()) open(*batch);
      }
      place_arrived();
      send_due();
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
      if (ctx_.sometimes("db_slow_disk", slowdown_ > 1)) observer_.note_slow_disk();
      ctx_.sleep_for(kProbeInterval);
    }
  }

  Time next_wake() const {
    Time wake = outbox_.empty() ? Time::max() : outbox_.begin()->first;
    for (const auto& [seq, open] : open_) wake = std::min(wake, open.last_arrival());
    return wake;
  }

  void open(const MissBatch& batch) {
    if (batch.count == 0) return;
    const uint64_t seq = next_seq_++;
    OpenBatch& open = open_[seq];
    open.batch = batch;
    open.received = ctx_.now();
    open.last = open.received;
    open.sojourns.reserve(batch.count);
    arrivals_.emplace(open.arrival(0), seq);
  }

  // Every request that has arrived by now gets a worker, in arrival order
  // over every open batch (ties: the batch received first).
  void place_arrived() {
    while (!arrivals_.empty() && arrivals_.top().first <= ctx_.now()) {
      const auto [arrival, seq] = arrivals_.top();
      arrivals_.pop();
      OpenBatch& open = open_.at(seq);
      place(open, arrival);
      if (++open.next < open.batch.count) {
        arrivals_.emplace(open.arrival(open.next), seq);
      } else {
        close(open);
        open_.erase(seq);
      }
    }
  }

  void place(OpenBatch& open, Time arrival) {
    // The hot key's requests queue on one worker: its shard.
    const bool hot = open.next < open.batch.hot;
    const Time free = hot ? hot_free_ : free_at_.top();
    const Time start = std::max(arrival, free);
    if (start - arrival > params_.request_timeout / 2) {
      ctx_.sometimes("db_shed", true);
      ++open.shed;  // it would time out anyway: answered failed, at no cost
      return;
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
    open.busy += service;
    open.sojourns.push_back(done - arrival);
    open.last = std::max(open.last, done);
    observer_.record_db_wait(pod_, arrival, start - arrival);
  }

  // Every request of the batch has a worker: its answer leaves when the
  // last one completes.
  void close(OpenBatch& open) {
    observer_.record_db(open.busy, open.batch.count, open.shed);
    Answer answer;
    answer.tenant = open.batch.tenant;
    answer.batch = open.batch.batch;
    answer.part = Part::db;
    answer.pod = pod_;
    answer.ok = open.sojourns.size();
    answer.failed = open.shed;
    answer.span = open.last - open.received;
    summarise(open.sojourns, answer);
    const NodeId generator = topology_.generators[static_cast<size_t>(open.batch.generator)];
    outbox_.emplace(open.last, Outgoing{generator, std::move(answer)});
  }

  void send_due() {
    while (!outbox_.empty() && outbox_.begin()->first <= ctx_.now()) {
      Outgoing& out = outbox_.begin()->second;
      ctx_.net().send(out.to, std::move(out.answer));
      outbox_.erase(outbox_.begin());
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

  struct Outgoing {
    NodeId to;
    Answer answer;
  };

  Context& ctx_;
  Observer& observer_;
  const Topology& topology_;
  const NoisyParams& params_;
  int64_t pod_;
  Rng service_rng_;
  std::priority_queue<Time, std::vector<Time>, std::greater<>> free_at_;  // when each worker frees up
  Time hot_free_;
  double slowdown_ = 1;
  uint64_t next_seq_ = 0;
  std::map<uint64_t, OpenBatch> open_;  // by arrival order of the batch
  // (next request's arrival, batch): the next request to place.
  std::priority_queue<std::pair<Time, uint64_t>, std::vector<std::pair<Time, uint64_t>>, std::greater<>> arrivals_;
  std::multimap<Time, Outgoing> outbox_;  // by when the batch's last request completes
};

}  // namespace

void db_main(Context& ctx, Observer& observer, const Topology& topology, int64_t pod) {
  std::make_shared<Database>(ctx, observer, topology, pod)->run();
}

}  // namespace detsim::noisy
