#include "models/parts/plog/controller.h"

#include "models/parts/plog/observer.h"
#include "sim/api/codec.h"

namespace detsim::parts::plog {

namespace {
constexpr const char* kMetadataFile = "plog-controller.meta";
constexpr const char* kMetadataTemp = "plog-controller.meta.tmp";
constexpr uint64_t kSalt = 0x706c6f67'6d657461;  // "plogmeta"

void encode_list(ByteWriter& out, const std::vector<int32_t>& list) {
  out.u32(static_cast<uint32_t>(list.size()));
  for (int32_t b : list) out.u32(static_cast<uint32_t>(b));
}

std::vector<int32_t> decode_list(ByteReader& in) {
  std::vector<int32_t> list(std::min<uint32_t>(in.u32(), 1024));
  for (int32_t& b : list) b = static_cast<int32_t>(in.u32());
  return list;
}
}  // namespace

Controller::Controller(Context& ctx, const Cluster& cluster)
    : ctx_(ctx), cluster_(cluster), endpoint_(cluster.endpoint(ctx)) {
  brokers_.resize(cluster.brokers().size());
}

void Controller::run() {
  load();
  // A (re)started controller gives every broker a full session before it
  // declares one dead.
  for (Liveness& broker : brokers_) broker.last_heartbeat = ctx_.now();
  for (int32_t b = 0; b < static_cast<int32_t>(brokers_.size()); ++b) push(b);
  Time next_tick = ctx_.now() + cluster_.config().heartbeat;
  while (true) {
    std::optional<Envelope> in = endpoint_.receive(next_tick - ctx_.now());
    if (in) {
      if (const auto* heartbeat = in->message.get_if<Heartbeat>()) on_heartbeat(in->from, *heartbeat);
      if (const auto* alter = in->message.get_if<AlterPartition>()) on_alter_partition(in->from, *alter);
      if (const auto* request = in->message.get_if<MetadataRequest>()) {
        endpoint_.send(in->from, MetadataReply{request->rid, version_, partitions_});
      }
    }
    if (ctx_.now() >= next_tick) {
      tick();
      next_tick = ctx_.now() + cluster_.config().heartbeat;
    }
  }
}

void Controller::load() {
  ctx_.disk().open(kMetadataFile, true);
  std::string bytes;
  ctx_.disk().read(kMetadataFile, 0, ctx_.disk().size(kMetadataFile).value_or(0), &bytes);
  if (bytes.size() > 8) {
    const std::string_view body = std::string_view(bytes).substr(0, bytes.size() - 8);
    ByteReader trailer(std::string_view(bytes).substr(bytes.size() - 8));
    if (trailer.u64() == salted_checksum(kSalt, body)) {
      ByteReader in(body);
      version_ = in.i64();
      partitions_.resize(in.u32());
      for (PartitionState& state : partitions_) {
        state.tp.topic = static_cast<int32_t>(in.u32());
        state.tp.partition = static_cast<int32_t>(in.u32());
        state.replicas = decode_list(in);
        state.leader = static_cast<int32_t>(in.u32());
        state.leader_epoch = static_cast<int32_t>(in.u32());
        state.isr = decode_list(in);
        state.partition_epoch = static_cast<int32_t>(in.u32());
      }
      // Invariant: a file whose checksum holds decodes completely.
      DETSIM_ASSERT(in.ok());
      return;
    }
  }
  // First boot: every partition led by its first replica, all in the ISR.
  for (TopicPartition tp : cluster_.partitions()) {
    PartitionState state;
    state.tp = tp;
    state.replicas = cluster_.replicas(tp);
    state.leader = state.replicas.front();
    state.isr = state.replicas;
    partitions_.push_back(state);
    if (cluster_.observer() != nullptr) cluster_.observer()->on_election(tp, state.leader, 0, true);
  }
  version_ = 1;
  persist();
}

// Write a new file and rename it over the old one: rename is atomic and
// durable (sim/api/disk.h), so a crash leaves one whole version.
void Controller::persist() {
  ByteWriter out;
  out.i64(version_);
  out.u32(static_cast<uint32_t>(partitions_.size()));
  for (const PartitionState& state : partitions_) {
    out.u32(static_cast<uint32_t>(state.tp.topic));
    out.u32(static_cast<uint32_t>(state.tp.partition));
    encode_list(out, state.replicas);
    out.u32(static_cast<uint32_t>(state.leader));
    out.u32(static_cast<uint32_t>(state.leader_epoch));
    encode_list(out, state.isr);
    out.u32(static_cast<uint32_t>(state.partition_epoch));
  }
  out.u64(salted_checksum(kSalt, out.bytes()));
  Disk& disk = ctx_.disk();
  disk.open(kMetadataTemp, true);
  disk.truncate(kMetadataTemp, 0);
  disk.write(kMetadataTemp, 0, out.bytes());
  disk.fsync(kMetadataTemp);
  disk.rename(kMetadataTemp, kMetadataFile);
  if (cluster_.observer() != nullptr) {
    for (const PartitionState& state : partitions_) cluster_.observer()->on_partition_state(state);
  }
}

void Controller::tick() {
  for (int32_t b = 0; b < static_cast<int32_t>(brokers_.size()); ++b) {
    Liveness& broker = brokers_[static_cast<size_t>(b)];
    if (broker.alive && ctx_.now() - broker.last_heartbeat > cluster_.config().session_timeout) broker_failed(b);
  }
  // Offline partitions whose ISR member came back (or, unclean, any replica).
  for (PartitionState& state : partitions_) {
    if (state.leader < 0 && elect(state)) dirty_ = true;
  }
  commit_changes();
  for (int32_t b = 0; b < static_cast<int32_t>(brokers_.size()); ++b) {
    const Liveness& broker = brokers_[static_cast<size_t>(b)];
    if (broker.alive && broker.applied_version < version_) push(b);
  }
}

void Controller::on_heartbeat(NodeId from, const Heartbeat& heartbeat) {
  const int32_t b = cluster_.broker_index(from);
  if (b < 0 || b != heartbeat.broker) return;
  Liveness& broker = brokers_[static_cast<size_t>(b)];
  // Datagrams from a previous incarnation may arrive late: ignore them.
  if (broker.incarnation_known && heartbeat.incarnation < broker.incarnation) return;
  if (broker.incarnation_known && heartbeat.incarnation > broker.incarnation && broker.alive) {
    // A restart the session did not notice: its memory (and, without
    // fsync, maybe its log's tail) is gone; treat it as a failure first.
    broker_failed(b);
  }
  broker.incarnation_known = true;
  broker.incarnation = heartbeat.incarnation;
  broker.last_heartbeat = ctx_.now();
  broker.applied_version = heartbeat.metadata_version;
  broker.alive = true;
  commit_changes();
  if (broker.applied_version < version_) push(b);
}

void Controller::broker_failed(int32_t b) {
  brokers_[static_cast<size_t>(b)].alive = false;
  brokers_[static_cast<size_t>(b)].applied_version = -1;
  for (PartitionState& state : partitions_) {
    if (!contains(state.replicas, b)) continue;
    if (contains(state.isr, b) && state.isr.size() > 1) {
      std::erase(state.isr, b);
      ++state.partition_epoch;
      dirty_ = true;
    }
    if (state.leader == b) {
      state.leader = -1;
      ++state.leader_epoch;
      ++state.partition_epoch;
      dirty_ = true;
      elect(state);
    }
  }
}

bool Controller::elect(PartitionState& state) {
  auto live = [&](int32_t b) { return brokers_[static_cast<size_t>(b)].alive; };
  for (int32_t b : state.replicas) {
    if (contains(state.isr, b) && live(b)) {
      state.leader = b;
      ++state.leader_epoch;
      ++state.partition_epoch;
      if (cluster_.observer() != nullptr) cluster_.observer()->on_election(state.tp, b, state.leader_epoch, true);
      return true;
    }
  }
  if (!cluster_.config().unclean_election) return false;
  for (int32_t b : state.replicas) {
    if (!live(b)) continue;
    // Unclean: the new leader's log becomes the truth; what it lacks is lost.
    state.leader = b;
    state.isr = {b};
    ++state.leader_epoch;
    ++state.partition_epoch;
    if (cluster_.observer() != nullptr) cluster_.observer()->on_election(state.tp, b, state.leader_epoch, false);
    return true;
  }
  return false;
}

void Controller::on_alter_partition(NodeId from, const AlterPartition& request) {
  PartitionState* state = find(request.proposed.tp);
  if (state == nullptr) return;
  const PartitionState& proposed = request.proposed;
  bool valid = cluster_.broker_index(from) == request.broker && state->leader == request.broker &&
               proposed.leader_epoch == state->leader_epoch && proposed.partition_epoch == state->partition_epoch &&
               contains(proposed.isr, request.broker);
  for (int32_t b : proposed.isr) {
    // KIP-841: only replicas of the partition with a live session join.
    valid =
        valid && contains(state->replicas, b) && (contains(state->isr, b) || brokers_[static_cast<size_t>(b)].alive);
  }
  if (!valid) {
    endpoint_.send(from, AlterPartitionReply{request.rid, ErrorCode::stale, *state});
    return;
  }
  state->isr = proposed.isr;
  ++state->partition_epoch;
  dirty_ = true;
  commit_changes();
  endpoint_.send(from, AlterPartitionReply{request.rid, ErrorCode::none, *find(proposed.tp)});
}

// Persists what changed before anyone hears of it, then pushes it.
void Controller::commit_changes() {
  if (!dirty_) return;
  dirty_ = false;
  ++version_;
  persist();
  for (int32_t b = 0; b < static_cast<int32_t>(brokers_.size()); ++b) {
    if (brokers_[static_cast<size_t>(b)].alive) push(b);
  }
}

void Controller::push(int32_t broker) {
  endpoint_.send(cluster_.brokers()[static_cast<size_t>(broker)], LeaderAndIsr{version_, partitions_});
}

PartitionState* Controller::find(TopicPartition tp) {
  for (PartitionState& state : partitions_) {
    if (state.tp == tp) return &state;
  }
  return nullptr;
}

}  // namespace detsim::parts::plog
