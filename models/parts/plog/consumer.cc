#include "models/parts/plog/consumer.h"

#include "models/parts/plog/observer.h"
#include "sim/api/codec.h"

namespace detsim::parts::plog {

namespace {
constexpr size_t kCommitScanRecords = 500;

std::string encode_commit(const std::string& group, TopicPartition tp, int64_t offset) {
  ByteWriter out;
  out.u32(static_cast<uint32_t>(tp.topic));
  out.u32(static_cast<uint32_t>(tp.partition));
  out.i64(offset);
  out.raw(group);
  return out.take();
}

struct Commit {
  std::string group;
  TopicPartition tp;
  int64_t offset = 0;
};

std::optional<Commit> decode_commit(const std::string& value) {
  ByteReader in(value);
  Commit commit;
  commit.tp.topic = static_cast<int32_t>(in.u32());
  commit.tp.partition = static_cast<int32_t>(in.u32());
  commit.offset = in.i64();
  if (!in.ok()) return std::nullopt;
  commit.group = value.substr(in.offset());
  return commit;
}
}  // namespace

Consumer::Consumer(Context& ctx, const Cluster& cluster, std::string group)
    : metadata_(ctx, cluster), group_(std::move(group)), committer_(ctx, cluster, ProducerOptions{}) {}

std::optional<FetchReply> Consumer::fetch_once(TopicPartition tp, int64_t offset, size_t max_records, Time deadline) {
  Context& ctx = metadata_.ctx();
  const Duration attempt =
      std::max(metadata_.cluster().config().fetch_wait * 4, metadata_.cluster().config().client_timeout);
  while (ctx.now() < deadline) {
    std::optional<NodeId> leader = metadata_.leader(tp);
    if (!leader) {
      ctx.sleep_for(std::min(metadata_.cluster().config().fetch_wait, deadline - ctx.now()));
      continue;
    }
    FetchRequest request;
    request.tp = tp;
    request.fetch_offset = offset;
    request.max_records = static_cast<int32_t>(std::min<size_t>(max_records, 1 << 20));
    std::optional<Message> reply = metadata_.endpoint().call(*leader, request, std::min(attempt, deadline - ctx.now()));
    const auto* fetched = reply ? reply->get_if<FetchReply>() : nullptr;
    if (fetched != nullptr && fetched->error == ErrorCode::none) return *fetched;
    metadata_.refresh();
  }
  return std::nullopt;
}

std::optional<std::vector<FetchedRecord>> Consumer::fetch(TopicPartition tp, int64_t offset, size_t max_records,
                                                          Duration timeout) {
  Context& ctx = metadata_.ctx();
  const Time deadline = ctx.now() + timeout;
  bool answered = false;
  do {
    std::optional<FetchReply> reply = fetch_once(tp, offset, max_records, deadline);
    if (!reply) break;
    answered = true;
    std::vector<FetchedRecord> out;
    for (const Batch& batch : reply->batches) {
      for (size_t i = 0; i < batch.records.size() && out.size() < max_records; ++i) {
        const int64_t at = batch.base_offset + static_cast<int64_t>(i);
        if (at >= offset) out.push_back({at, batch.records[i]});  // the leader sends only below its HW
      }
    }
    if (Observer* observer = metadata_.cluster().observer()) {
      for (const FetchedRecord& r : out) observer->on_consumed(tp, r.offset, r.record.key, r.record.digest());
    }
    if (!out.empty() || max_records == 0) return out;
    ctx.sleep_for(std::max(Duration::zero(), std::min(metadata_.cluster().config().fetch_wait, deadline - ctx.now())));
  } while (ctx.now() < deadline);
  if (answered) return std::vector<FetchedRecord>{};
  return std::nullopt;
}

std::optional<int64_t> Consumer::end_offset(TopicPartition tp) {
  const Time deadline = metadata_.ctx().now() + metadata_.cluster().config().session_timeout * 2;
  std::optional<FetchReply> reply = fetch_once(tp, 0, 1, deadline);
  if (!reply) return std::nullopt;
  return reply->high_watermark;
}

uint64_t Consumer::offsets_key(TopicPartition tp) const {
  return stable_hash(fmt::format("{}/{}/{}", group_, tp.topic, tp.partition));
}

TopicPartition Consumer::offsets_partition(TopicPartition tp) const {
  const Cluster& cluster = metadata_.cluster();
  const auto partitions = static_cast<uint64_t>(cluster.topic(cluster.offsets_topic()).partitions);
  return {cluster.offsets_topic(), static_cast<int32_t>(offsets_key(tp) % partitions)};
}

bool Consumer::commit(TopicPartition tp, int64_t next_offset) {
  Record record{offsets_key(tp), encode_commit(group_, tp, next_offset),
                metadata_.ctx().now().since_start().count_ns()};
  const ProduceResult result = committer_.send(offsets_partition(tp), {record});
  if (result.error != ProduceError::none) return false;
  commits_[{group_, tp.topic, tp.partition}] = next_offset;
  return true;
}

std::optional<int64_t> Consumer::committed(TopicPartition tp) {
  read_commits(offsets_partition(tp));
  auto it = commits_.find({group_, tp.topic, tp.partition});
  if (it == commits_.end()) return std::nullopt;
  return it->second;
}

// Reads the offsets partition from where this consumer stopped up to its
// current high watermark; later records of a key replace earlier ones.
void Consumer::read_commits(TopicPartition offsets_tp) {
  std::optional<int64_t> end = end_offset(offsets_tp);
  if (!end) return;
  int64_t& at = read_up_to_[offsets_tp];
  while (at < *end) {
    std::optional<std::vector<FetchedRecord>> records =
        fetch(offsets_tp, at, kCommitScanRecords, metadata_.cluster().config().session_timeout);
    if (!records || records->empty()) return;
    for (const FetchedRecord& fetched : *records) {
      at = fetched.offset + 1;
      if (std::optional<Commit> commit = decode_commit(fetched.record.value)) {
        commits_[{commit->group, commit->tp.topic, commit->tp.partition}] = commit->offset;
      }
    }
  }
}

}  // namespace detsim::parts::plog
