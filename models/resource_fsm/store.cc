#include "models/resource_fsm/store.h"

#include <limits>
#include <memory>

#include "models/parts/row_store.h"
#include "models/resource_fsm/messages.h"
#include "models/resource_fsm/schema.h"

namespace detsim::rfsm {
namespace {

constexpr int64_t kCompletionBit = int64_t{1} << 62;  // a completion's change id: its job's, marked

WriteStatus status_of(parts::CommitStatus status) {
  return status == parts::CommitStatus::committed  ? WriteStatus::ok
         : status == parts::CommitStatus::conflict ? WriteStatus::conflict
                                                   : WriteStatus::error;
}

class Store {
 public:
  Store(Context& ctx, const FsmParams& params, Observer& observer)
      : ctx_(ctx), params_(params), store_(ctx, options(observer)) {
    store_.open();
  }

  void serve(const Envelope& in) {
    if (const auto* read = in.message.get_if<DbRead>()) {
      const parts::Row* row = store_.get(kResources, read->resource);
      ctx_.net().send(in.from, DbRow{read->id, row ? *row : parts::Row{}});
    } else if (const auto* write = in.message.get_if<DbWrite>()) {
      ctx_.net().send(in.from, DbWriteReply{write->id, on_write(*write)});
    } else if (const auto* acquire = in.message.get_if<Acquire>()) {
      ctx_.net().send(in.from, on_acquire(*acquire));
    } else if (const auto* renew = in.message.get_if<Renew>()) {
      ctx_.net().send(in.from, on_renew(*renew));
    } else if (const auto* complete = in.message.get_if<Complete>()) {
      const WriteStatus status =
          params_.non_idempotent_completion ? complete_blindly(*complete) : complete_fenced(*complete);
      ctx_.net().send(in.from, DbWriteReply{complete->id, status});
    }
  }

 private:
  static parts::RowStoreOptions options(Observer& observer) {
    parts::RowStoreOptions options;
    options.dir = "control_db";
    options.on_commit = [&observer](const parts::DecodedTxn& txn) { observer.on_store_commit(txn); };
    options.on_replay = [&observer](const parts::DecodedTxn& txn) { observer.on_store_replay(txn); };
    return options;
  }

  WriteStatus on_write(const DbWrite& write) {
    parts::RowStore::Txn txn = store_.begin();
    if (write.compare) {
      txn.expect(kResources, write.resource,
                 write.expected.empty() ? std::nullopt : std::optional<parts::Row>(write.expected));
    }
    txn.put(kResources, write.resource, write.next);
    txn.put(kJobs, write.job, write.job_row);
    return status_of(store_.commit(std::move(txn)).status);
  }

  int64_t mono_ns() const { return ctx_.monotonic_now().count_ns(); }
  int64_t expires_wall_ns() const { return (ctx_.wall_now() + params_.lease_ttl).unix_ns(); }

  Grant on_acquire(const Acquire& acquire) {
    const int64_t now = mono_ns();
    const auto jobs = store_.scan(kJobs, std::numeric_limits<parts::Key>::min(), store_.row_count(kJobs));
    for (const auto& [id, row] : jobs) {
      if (row[job::holder] >= 0 && row[job::expires] > now) continue;
      const parts::Row* counter = store_.get(kMeta, kTokenKey);
      const int64_t token = counter ? (*counter)[0] : 1;
      parts::Row granted = row;
      granted[job::holder] = acquire.worker;
      granted[job::token] = token;
      granted[job::expires] = now + params_.lease_ttl.count_ns();
      parts::RowStore::Txn txn = store_.begin();
      txn.expect(kJobs, id, row);
      txn.expect(kMeta, kTokenKey, counter ? std::optional<parts::Row>(*counter) : std::nullopt);
      txn.put(kJobs, id, granted);
      txn.put(kMeta, kTokenKey, {token + 1});
      if (store_.commit(std::move(txn)).status != parts::CommitStatus::committed) break;
      return Grant{acquire.id, id, granted, token, expires_wall_ns()};
    }
    return Grant{acquire.id, 0, {}, 0, 0};
  }

  RenewReply on_renew(const Renew& renew) {
    const int64_t now = mono_ns();
    const parts::Row* row = store_.get(kJobs, renew.job);
    if (row == nullptr || (*row)[job::token] != renew.token) return RenewReply{renew.id, false, 0};
    parts::Row renewed = *row;
    renewed[job::expires] = now + params_.lease_ttl.count_ns();
    parts::RowStore::Txn txn = store_.begin();
    txn.expect(kJobs, renew.job, *row);
    txn.put(kJobs, renew.job, renewed);
    const bool ok = store_.commit(std::move(txn)).status == parts::CommitStatus::committed;
    return RenewReply{renew.id, ok, ok ? expires_wall_ns() : 0};
  }

  // UPDATE resources ... WHERE change = job AND jobs.token = ?: only the
  // lease holder's completion of the state its own job created counts; a
  // duplicate or late one finds the job gone (stale) and changes nothing.
  WriteStatus complete_fenced(const Complete& done) {
    const parts::Row* job_row = store_.get(kJobs, done.job);
    if (job_row == nullptr || (*job_row)[job::token] != done.token) return WriteStatus::stale;
    const parts::Row* current = store_.get(kResources, done.resource);
    if (current == nullptr || (*current)[res::change] != done.job) return WriteStatus::stale;
    parts::RowStore::Txn txn = store_.begin();
    txn.expect(kJobs, done.job, *job_row);
    txn.expect(kResources, done.resource, *current);
    txn.put(kResources, done.resource, completed(*current, done));
    txn.erase(kJobs, done.job);
    return status_of(store_.commit(std::move(txn)).status);
  }

  // The planted bug: the completion is applied to whatever the resource is
  // now, whichever job it belongs to and however often it comes.
  WriteStatus complete_blindly(const Complete& done) {
    const parts::Row* current = store_.get(kResources, done.resource);
    if (current == nullptr) return WriteStatus::stale;
    parts::RowStore::Txn txn = store_.begin();
    txn.put(kResources, done.resource, completed(*current, done));
    txn.erase(kJobs, done.job);
    return status_of(store_.commit(std::move(txn)).status);
  }

  static parts::Row completed(const parts::Row& current, const Complete& done) {
    parts::Row next = current;
    next[res::state] = done.state;
    next[res::version] = current[res::version] + 1;
    next[res::change] = done.job | kCompletionBit;
    next[res::based_on] = current[res::change];
    next[res::spec] = done.spec;
    return next;
  }

  Context& ctx_;
  const FsmParams& params_;
  parts::RowStore store_;
};

}  // namespace

void store_main(Context& ctx, const FsmParams& params, Observer& observer) {
  auto store = std::make_shared<Store>(ctx, params, observer);
  while (true) {
    std::optional<Envelope> in = ctx.net().receive();
    if (!in) continue;
    ctx.spawn("statement", [store, copy = *in] { store->serve(copy); });
  }
}

}  // namespace detsim::rfsm
