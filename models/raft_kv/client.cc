#include "models/raft_kv/client.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <string>

#include "models/raft_kv/messages.h"

namespace detsim::raft_kv {
namespace {

constexpr int64_t kValuesPerClient = 1'000'000'000;
// A hint-less NotLeader (an election is on): wait a little before the next try.
constexpr Duration kNoLeaderBackoff = Duration::milliseconds(20);

struct Operation {
  Command command;
  OpValue argument;                      // as the history records it
  int64_t old_value = 0, new_value = 0;  // cas
};

// A value as the history shows it: integers (put, cas) as integers, the
// concatenations of appends as text.
OpValue history_value(const std::string& text) {
  const bool digits = !text.empty() && text.size() < 19 && text.find_first_not_of("0123456789") == std::string::npos;
  return digits ? OpValue::of(static_cast<int64_t>(std::stoll(text))) : OpValue::of(text);
}

class Client {
 public:
  Client(Context& ctx, const RaftParams& params, const ClientConfig& config, Observer& observer)
      : ctx_(ctx), params_(params), config_(config), observer_(observer), process_(config.index) {}

  void run() {
    const Duration think_mean = Duration::from_seconds(1.0 / params_.rate);
    while (true) {
      ctx_.sleep_for(ctx_.rng().exponential(think_mean));
      if (ctx_.now() >= config_.stop_at) break;
      perform(next_operation(), config_.stop_at + params_.op_timeout);
    }
    probe();
  }

 private:
  Operation next_operation();
  // Runs one operation until it completes or its deadline; returns
  // whether it completed (ok or fail).
  bool perform(Operation operation, Time give_up_at);
  std::optional<ClientReply> attempt(const ClientRequest& request, Duration timeout);
  size_t pick_server();
  // After the heal: one last get, retried until the end of the run, shows
  // the cluster serves clients again (the liveness check).
  void probe();

  Context& ctx_;
  const RaftParams& params_;
  ClientConfig config_;
  Observer& observer_;
  int64_t process_;
  uint64_t seq_ = 0;
  int64_t counter_ = 0;
  std::optional<size_t> leader_;
  std::map<std::string, int64_t> known_;  // the last integer seen per key, for cas
};

Operation Client::next_operation() {
  const double total = params_.mix_get + params_.mix_put + params_.mix_append + params_.mix_cas;
  const double draw = ctx_.rng().uniform_real(0, total);
  Operation op;
  Command& command = op.command;
  command.key = fmt::format("k{}", ctx_.rng().below(static_cast<uint64_t>(params_.keys)));
  ++counter_;
  // Invariant: values stay unique across clients.
  DETSIM_ASSERT(counter_ < kValuesPerClient);
  const int64_t fresh = (config_.index + 1) * kValuesPerClient + counter_;
  if (draw < params_.mix_get) {
    command.kind = OpKind::get;
  } else if (draw < params_.mix_get + params_.mix_put) {
    command.kind = OpKind::put;
    command.value = fmt::format("{}", fresh);
    op.argument = OpValue::of(fresh);
  } else if (draw < params_.mix_get + params_.mix_put + params_.mix_append) {
    command.kind = OpKind::append;
    command.value = fmt::format("c{}-{}", config_.index, counter_);
    op.argument = OpValue::of(command.value);
  } else {
    command.kind = OpKind::cas;
    auto it = known_.find(command.key);
    op.old_value = it != known_.end() ? it->second : fresh - 1;
    op.new_value = fresh;
    command.expected = fmt::format("{}", op.old_value);
    command.value = fmt::format("{}", op.new_value);
    op.argument = OpValue::list({OpValue::of(op.old_value), OpValue::of(op.new_value)});
  }
  return op;
}

size_t Client::pick_server() {
  if (leader_) return *leader_;
  return ctx_.rng().below(ctx_.servers().size());
}

std::optional<ClientReply> Client::attempt(const ClientRequest& request, Duration timeout) {
  const size_t server = pick_server();
  ctx_.net().send(ctx_.servers()[server], request);
  const Time deadline = ctx_.now() + timeout;
  while (ctx_.now() < deadline) {
    std::optional<Envelope> envelope = ctx_.net().receive(deadline - ctx_.now());
    if (!envelope) break;
    const auto* reply = envelope->message.get_if<ClientReply>();
    // Late replies to earlier operations are dropped.
    if (reply == nullptr || reply->seq != request.command.seq) continue;
    if (reply->status != ReplyStatus::not_leader) {
      leader_ = server;
      return *reply;
    }
    const bool hinted = reply->leader_hint >= 0 && static_cast<size_t>(reply->leader_hint) != server;
    leader_ = hinted ? std::optional<size_t>(static_cast<size_t>(reply->leader_hint)) : std::nullopt;
    if (!hinted) ctx_.sleep_for(kNoLeaderBackoff);
    return std::nullopt;
  }
  leader_.reset();  // silence: that server may be down or cut off
  return std::nullopt;
}

bool Client::perform(Operation op, Time give_up_at) {
  History& history = observer_.history();
  Command& command = op.command;
  command.client = static_cast<uint64_t>(config_.index + 1);
  command.seq = ++seq_;
  history.bind_process(process_, ctx_.self());
  const size_t invoked = history.invoke(process_, to_string(command.kind), command.key, op.argument, ctx_.now());
  const Time deadline = std::min(ctx_.now() + params_.op_timeout, give_up_at);
  const ClientRequest request{command};
  std::optional<ClientReply> reply;
  while (!reply && ctx_.now() < deadline) {
    reply = attempt(request, std::min(params_.attempt_timeout, deadline - ctx_.now()));
    if (!reply) ++observer_.counters().client_retries;
  }
  if (!reply) {
    // Indeterminate: it may still apply. Jepsen: this process is done.
    history.complete(invoked, OpType::info, op.argument, ctx_.now());
    process_ = history.next_process();
    return false;
  }
  if (command.kind == OpKind::get) {
    const OpValue read = reply->has_value ? history_value(reply->value) : OpValue::nil();
    if (read.kind == OpValue::Kind::integer) known_[command.key] = read.integer;
    history.complete(invoked, OpType::ok, read, ctx_.now());
  } else if (reply->status == ReplyStatus::fail) {
    history.complete(invoked, OpType::fail, op.argument, ctx_.now());
  } else {
    if (command.kind == OpKind::put) known_[command.key] = op.argument.integer;
    if (command.kind == OpKind::cas) known_[command.key] = op.new_value;
    history.complete(invoked, OpType::ok, op.argument, ctx_.now());
  }
  return true;
}

void Client::probe() {
  const Time give_up_at = config_.end_at - Duration::milliseconds(1);
  bool done = false;
  while (!done && ctx_.now() < give_up_at) {
    Operation op;
    op.command.kind = OpKind::get;
    op.command.key = "k0";
    done = perform(op, give_up_at);
  }
  observer_.record_probe(done);
}

}  // namespace

void client_main(Context& ctx, const RaftParams& params, const ClientConfig& config, Observer& observer) {
  DETSIM_ASSERT(config.stop_at <= config.end_at);
  Client client(ctx, params, config, observer);
  client.run();
}

}  // namespace detsim::raft_kv
