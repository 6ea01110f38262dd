#include "models/resource_fsm/api.h"

#include <memory>

#include "models/resource_fsm/rpc.h"
#include "models/resource_fsm/schema.h"

namespace detsim::rfsm {
namespace {

class ApiServer {
 public:
  ApiServer(Context& ctx, const FsmParams& params, Observer& observer, NodeId store, int64_t index)
      : ctx_(ctx), params_(params), observer_(observer), store_(store), index_(index), rpc_(ctx) {}

  Rpc& rpc() { return rpc_; }

  void serve(NodeId client, const Request& request) {
    const int64_t change = next_change();
    const Outcome outcome = handle(request, change);
    observer_.on_api_request(outcome == Outcome::conflict);
    if (outcome == Outcome::ok) observer_.ledger().on_acknowledged(change);
    ctx_.net().send(client, Response{request.id, outcome});
  }

 private:
  Outcome handle(const Request& request, int64_t change) {
    const auto read = rpc_.call<DbRow>(store_, DbRead{0, request.resource}, params_.resend, params_.rpc_timeout);
    if (!read) return Outcome::unavailable;
    const parts::Row& row = read->row;
    const State state = row.empty() ? State::absent : static_cast<State>(row[res::state]);
    const auto kind = static_cast<Kind>(request.kind);
    const State next = intermediate_of(kind);
    if (state == State::deleted || (kind == Kind::create) != (state == State::absent)) return Outcome::rejected;
    if (!legal_transition(state, next)) return Outcome::conflict;
    // The rest of the request's work (validation, quota) between the read
    // and the write: the window concurrent requests race in.
    const Duration think = ctx_.rng().exponential(params_.api_think);
    ctx_.sleep_for(think);
    const int64_t version = row.empty() ? 1 : row[res::version] + 1;
    DbWrite write;
    write.resource = request.resource;
    write.compare = !params_.no_version_check;
    write.expected = row;
    write.next = {static_cast<int64_t>(next), version, change, row.empty() ? 0 : row[res::change], request.spec};
    write.job = change;
    write.job_row = {request.resource, request.kind, request.spec, version, -1, 0, 0};
    // Sent once: a resent compare-and-set whose first copy committed would
    // come back as a conflict for a request that took effect.
    const auto reply = rpc_.call<DbWriteReply>(store_, write, params_.rpc_timeout, params_.rpc_timeout);
    if (!reply) return Outcome::unavailable;
    return reply->status == WriteStatus::ok         ? Outcome::ok
           : reply->status == WriteStatus::conflict ? Outcome::conflict
                                                    : Outcome::unavailable;
  }

  // Unique in the run: the server, its incarnation, a counter.
  int64_t next_change() { return ((index_ + 1) << 48) | (static_cast<int64_t>(ctx_.incarnation()) << 32) | ++changes_; }

  Context& ctx_;
  const FsmParams& params_;
  Observer& observer_;
  NodeId store_;
  int64_t index_;
  Rpc rpc_;
  int64_t changes_ = 0;
};

}  // namespace

void api_main(Context& ctx, const FsmParams& params, Observer& observer, NodeId store, int64_t index) {
  auto server = std::make_shared<ApiServer>(ctx, params, observer, store, index);
  while (true) {
    std::optional<Envelope> in = ctx.net().receive();
    if (!in || server->rpc().offer(*in)) continue;
    if (const auto* request = in->message.get_if<Request>()) {
      ctx.spawn("request", [server, client = in->from, copy = *request] { server->serve(client, copy); });
    }
  }
}

}  // namespace detsim::rfsm
