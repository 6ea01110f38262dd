// The source's services: the binlog dump and SQL sessions.
#include <algorithm>

#include "models/edge_replication/source.h"

namespace detsim::edge {
namespace {

// A dump session with nothing new to send says where the binlog ends this
// often, so the replicator can tell "caught up" from "cut off".
constexpr Duration kHeartbeatInterval = Duration::milliseconds(100);

}  // namespace

size_t Source::first_group_at(uint64_t seq) const {
  auto it = std::upper_bound(binlog_.begin(), binlog_.end(), seq,
                             [](uint64_t s, const GroupPtr& group) { return s < group->end_seq(); });
  return static_cast<size_t>(it - binlog_.begin());
}

void Source::serve_dump(Connection connection) {
  Message request;
  if (connection.receive(&request, Duration::seconds(5)) != NetStatus::ok) return connection.close();
  const DumpFrom* from = request.get_if<DumpFrom>();
  if (!from) return connection.close();
  size_t next = first_group_at(from->seq);
  while (true) {
    while (next < binlog_.size()) {
      if (connection.send(BinlogEvent{binlog_[next], params_.row_bytes}) != NetStatus::ok) return;
      ++next;
    }
    if (connection.send(SourceHeartbeat{next_seq_, workload_done_ && schema_done_}) != NetStatus::ok) return;
    new_group_.wait_until(ctx_.now() + kHeartbeatInterval);
  }
}

void Source::serve_sql(Connection connection) {
  const uint64_t session = connection.id();
  Message request;
  while (connection.receive(&request) == NetStatus::ok) {
    if (connection.send(answer(request, session)) != NetStatus::ok) break;
  }
  // The session ended (the replicator crashed, or a partition broke the
  // connection): its transaction aborts and its share locks go with it.
  release_locks(session);
}

Message Source::answer(const Message& request, uint64_t session) {
  if (const auto* select = request.get_if<SelectChunk>()) return select_chunk(*select, session);
  if (request.is<ReleaseLocks>()) {
    release_locks(session);
    return Applied{};
  }
  if (const auto* watermark = request.get_if<WriteWatermark>()) {
    std::optional<uint64_t> seq = write_watermark(watermark->window);
    if (!seq) return Applied{false};
    return WatermarkWritten{*seq};
  }
  if (const auto* range = request.get_if<ChecksumRange>()) {
    ChecksumReply reply;
    {
      LockGuard guard(commit_mutex_);
      const Table& table = tables_.at(range->table);
      reply.digest = table.digest(range->lo, range->hi);
      reply.schema = table.schema();
    }
    ctx_.sleep_for(params_.select_row_cost * static_cast<int64_t>(reply.digest.rows));
    return reply;
  }
  // Invariant: the replicator sends only the requests above.
  DETSIM_ASSERT(false);
  return Applied{false};
}

// Between group commits (the mutex), so the chunk is a committed state and
// its place in the binlog is well defined: after every group before, before
// every group after. DBLog's low and high watermarks bracket it that way.
ChunkRows Source::select_chunk(const SelectChunk& request, uint64_t session) {
  ChunkRows out;
  out.table = request.table;
  out.row_bytes = params_.row_bytes;
  {
    LockGuard guard(commit_mutex_);
    const Table& table = tables_.at(request.table);
    out.schema_version = table.schema().version;
    auto it = table.slots().upper_bound(request.after_key);
    for (; it != table.slots().end() && static_cast<int64_t>(out.rows.size()) < request.limit; ++it) {
      if (it->second.live) out.rows.emplace_back(it->first, it->second.row);
    }
    while (it != table.slots().end() && !it->second.live) ++it;
    out.done = it == table.slots().end();
    if (request.share_lock && !out.rows.empty()) {
      locks_.push_back({request.table, request.after_key + 1, out.rows.back().first, session});
    }
  }
  ctx_.sleep_for(params_.select_row_cost * static_cast<int64_t>(out.rows.size()));
  return out;
}

void Source::release_locks(uint64_t session) {
  std::erase_if(locks_, [session](const ShareLock& lock) { return lock.session == session; });
  locks_released_.notify_all();
}

bool Source::table_locked(uint32_t table) const {
  return std::any_of(locks_.begin(), locks_.end(), [table](const ShareLock& lock) { return lock.table == table; });
}

}  // namespace detsim::edge
