// An ABD atomic register (Attiya, Bar-Noy and Dolev, "Sharing Memory
// Robustly in Message-Passing Systems", JACM 1995), multi-writer form: no
// leader and no failure detector. Each client coordinates its own
// operations over the replicas in two phases, each needing a majority:
//   write(v): query for the highest timestamp, then store (ts+1, me, v);
//   read:     query for the highest (ts, writer, value), then store it back
//             (the write-back), then return its value.
// The write-back is what makes reads linearizable: without it a read can
// return a value that a later read, from another majority, no longer sees
// (the planted bug skip_write_back). Replicas keep their version on disk
// and recover it after a crash; an observer checks that a replica never
// forgets a version it acknowledged (the planted bug ack_before_fsync).
// The clients record a Jepsen history, which detsim checks for
// linearizability after every run.
//
// This file uses only sim/api (scripts/check-seam.sh checks it), and is
// what docs/writing-a-model.md builds, step by step.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "sim/api/bindings.h"
#include "sim/api/codec.h"
#include "sim/api/context.h"
#include "sim/api/history.h"
#include "sim/api/message.h"
#include "sim/api/model.h"

namespace abd {

using namespace detsim;

// ---- parameters, declared once ----
struct AbdParams {
  int64_t servers = 3;
  int64_t clients = 4;
  double rate = 20;  // operations per second, per client
  Duration resend = Duration::milliseconds(50);
  Duration op_timeout = Duration::seconds(1);
  // The planted bugs.
  bool skip_write_back = false;
  bool ack_before_fsync = false;
};

const ParamBindings<AbdParams>& bindings() {
  using P = AbdParams;
  static const auto b =
      ParamBindings<P>()
          .integer("servers", &P::servers, "replicas", 1, 15)
          .integer("clients", &P::clients, "clients, each with one operation in flight", 1, 64)
          .real("rate", &P::rate, "operations per second per client (exponential think time)", 1e-3, 1e6)
          .swarm({"5", "20", "80"})
          .duration("resend", &P::resend, "how often a phase re-sends to replicas that have not answered", 0.001, 10)
          .duration("op_timeout", &P::op_timeout, "after this an operation is indeterminate (info)", 0.01, 600)
          .bug("skip_write_back", &P::skip_write_back,
               "a read returns the highest value a majority reported without storing it back first: a later "
               "read can miss what an earlier one returned")
          .bug("ack_before_fsync", &P::ack_before_fsync,
               "a replica acknowledges a store before its disk holds it: a crash then forgets a version "
               "a majority was counted on");
  return b;
}

// ---- messages ----
// A register version: higher timestamp wins, the writer breaks ties.
struct Tag {
  uint64_t ts = 0;
  int64_t writer = -1;
  auto operator<=>(const Tag&) const = default;
};
struct Query {
  uint64_t op = 0;
};
struct QueryReply {
  uint64_t op = 0;
  Tag tag;
  int64_t value = 0;  // meaningless while tag.ts == 0 (never written)
};
struct Store {
  uint64_t op = 0;
  Tag tag;
  int64_t value = 0;
};
struct StoreAck {
  uint64_t op = 0;
};

}  // namespace abd

DETSIM_MESSAGE_FORMAT(abd::Query, "query op={}", m.op);
DETSIM_MESSAGE_FORMAT(abd::QueryReply, "query_reply op={} ts={}/{} value={}", m.op, m.tag.ts, m.tag.writer, m.value);
DETSIM_MESSAGE_FORMAT(abd::Store, "store op={} ts={}/{} value={}", m.op, m.tag.ts, m.tag.writer, m.value);
DETSIM_MESSAGE_FORMAT(abd::StoreAck, "store_ack op={}", m.op);

namespace abd {

// ---- the observer: checks each replica's promise when it counts ----
// A replica that acknowledged a version has promised to remember it (or a
// higher one) across crashes: ABD's majorities count on it. Checked when
// the replica recovers, the moment the promise is tested.
class Observer {
 public:
  explicit Observer(size_t replicas) : acked_(replicas) {}
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  void on_store_acked(size_t replica, Tag tag) { acked_[replica] = std::max(acked_[replica], tag); }
  void on_recovered(size_t replica, Tag tag) {
    if (tag >= acked_[replica] || violation_) return;
    violation_ = CheckResult::safety(
        "replica_remembers_acks", fmt::format("r{} recovered version {}/{} after acknowledging {}/{}", replica, tag.ts,
                                              tag.writer, acked_[replica].ts, acked_[replica].writer));
  }
  const std::optional<CheckResult>& violation() const { return violation_; }

 private:
  std::vector<Tag> acked_;  // by replica: the highest version it acknowledged
  std::optional<CheckResult> violation_;
};

// ---- a replica: answers queries, keeps the highest version, durably ----
// Two slots on disk, written in turn, each checksummed: a crash that tears
// the slot being written leaves the other, and recovery takes the valid
// slot with the higher sequence number.
class Replica {
 public:
  Replica(Context& ctx, const AbdParams& params, Observer& observer, size_t index)
      : ctx_(ctx), params_(params), observer_(observer), index_(index) {}

  void run() {
    recover();
    while (true) {
      std::optional<Envelope> in = ctx_.net().receive();
      if (!in) continue;
      if (const auto* query = in->message.get_if<Query>()) {
        ctx_.net().send(in->from, QueryReply{query->op, tag_, value_});
      } else if (const auto* store = in->message.get_if<Store>()) {
        on_store(in->from, *store);
      }
    }
  }

 private:
  static constexpr const char* kFile = "register";
  static constexpr uint64_t kSlotBytes = 40;
  static constexpr uint64_t kSalt = 0xabd;

  void on_store(NodeId from, const Store& store) {
    if (store.tag > tag_) {
      tag_ = store.tag;
      value_ = store.value;
      if (params_.ack_before_fsync) {
        ctx_.net().send(from, StoreAck{store.op});
        observer_.on_store_acked(index_, tag_);
      }
      persist();
      if (params_.ack_before_fsync) return;
    }
    ctx_.net().send(from, StoreAck{store.op});
    observer_.on_store_acked(index_, tag_);
  }

  void persist() {
    ++sequence_;
    ByteWriter record;
    record.u64(sequence_);
    record.u64(tag_.ts);
    record.i64(tag_.writer);
    record.i64(value_);
    record.u64(salted_checksum(kSalt, record.bytes()));
    ctx_.disk().write(kFile, (sequence_ % 2) * kSlotBytes, record.bytes());
    ctx_.disk().fsync(kFile);
  }

  void recover() {
    ctx_.disk().open(kFile, true);
    for (uint64_t slot = 0; slot < 2; ++slot) {
      std::string bytes;
      ctx_.disk().read(kFile, slot * kSlotBytes, kSlotBytes, &bytes);
      ByteReader in(bytes);
      const uint64_t sequence = in.u64();
      const Tag tag{in.u64(), in.i64()};
      const int64_t value = in.i64();
      const uint64_t checksum = in.u64();
      const bool valid = in.ok() && checksum == salted_checksum(kSalt, std::string_view(bytes).substr(0, 32));
      if (valid && sequence > sequence_) {
        sequence_ = sequence;
        tag_ = tag;
        value_ = value;
      }
    }
    observer_.on_recovered(index_, tag_);
  }

  Context& ctx_;
  const AbdParams& params_;
  Observer& observer_;
  size_t index_;
  Tag tag_;
  int64_t value_ = 0;
  uint64_t sequence_ = 0;
};

// ---- a client: coordinates its own reads and writes ----
class Client {
 public:
  Client(Context& ctx, const AbdParams& params, int64_t index, History& history)
      : ctx_(ctx), params_(params), index_(index), history_(history), process_(index) {}

  void run(Time stop_at) {
    const Duration think = Duration::from_seconds(1.0 / params_.rate);
    while (ctx_.now() < stop_at) {
      if (ctx_.rng().bernoulli(0.5)) {
        write(static_cast<int64_t>(ctx_.rng().below(5)));
      } else {
        read();
      }
      ctx_.sleep_for(ctx_.rng().exponential(think));
    }
  }

 private:
  struct Highest {
    Tag tag;
    int64_t value = 0;
  };

  void write(int64_t value) {
    const size_t invoked = history_.invoke(process_, "write", "", OpValue::of(value), ctx_.now());
    const Time deadline = ctx_.now() + params_.op_timeout;
    std::optional<Highest> highest = query(deadline);
    if (highest && store({highest->tag.ts + 1, index_}, value, deadline)) {
      history_.complete(invoked, OpType::ok, OpValue::of(value), ctx_.now());
      return;
    }
    give_up(invoked, OpValue::of(value));
  }

  void read() {
    const size_t invoked = history_.invoke(process_, "read", "", OpValue::nil(), ctx_.now());
    const Time deadline = ctx_.now() + params_.op_timeout;
    std::optional<Highest> highest = query(deadline);
    if (highest && (params_.skip_write_back || store(highest->tag, highest->value, deadline))) {
      const OpValue read = highest->tag.ts == 0 ? OpValue::nil() : OpValue::of(highest->value);
      history_.complete(invoked, OpType::ok, read, ctx_.now());
      return;
    }
    give_up(invoked, OpValue::nil());
  }

  // Indeterminate: a store may still land. Jepsen: this process is done,
  // and the client goes on as a new one.
  void give_up(size_t invoked, OpValue value) {
    history_.complete(invoked, OpType::info, std::move(value), ctx_.now());
    process_ = history_.next_process();
  }

  // Phase 1: the highest version a majority holds.
  std::optional<Highest> query(Time deadline) {
    Highest highest;
    const uint64_t op = ++op_;
    const bool done = round(deadline, [&] { return Message(Query{op}); }, [&](const Message& reply) {
      const auto* answer = reply.get_if<QueryReply>();
      if (answer == nullptr || answer->op != op) return false;
      if (answer->tag > highest.tag) highest = {answer->tag, answer->value};
      return true;
    });
    if (!done) return std::nullopt;
    return highest;
  }

  // Phase 2: a majority stores (tag, value).
  bool store(Tag tag, int64_t value, Time deadline) {
    const uint64_t op = ++op_;
    return round(deadline, [&] { return Message(Store{op, tag, value}); }, [&](const Message& reply) {
      const auto* ack = reply.get_if<StoreAck>();
      return ack != nullptr && ack->op == op;
    });
  }

  // Sends to every replica that has not answered, every `resend`, until a
  // majority answered (true) or the deadline (false). `accept` says whether
  // a message is an answer to this round.
  template <class Make, class Accept>
  bool round(Time deadline, Make make, Accept accept) {
    const std::vector<NodeId>& replicas = ctx_.servers();
    std::vector<bool> answered(replicas.size(), false);
    size_t answers = 0;
    const size_t majority = replicas.size() / 2 + 1;
    while (answers < majority && ctx_.now() < deadline) {
      for (size_t i = 0; i < replicas.size(); ++i) {
        if (!answered[i]) ctx_.net().send(replicas[i], make());
      }
      const Time resend_at = std::min(deadline, ctx_.now() + params_.resend);
      while (answers < majority && ctx_.now() < resend_at) {
        std::optional<Envelope> in = ctx_.net().receive(resend_at - ctx_.now());
        if (!in) break;
        const size_t from = index_of(in->from);
        if (from < replicas.size() && !answered[from] && accept(in->message)) {
          answered[from] = true;
          ++answers;
        }
      }
    }
    return answers >= majority;
  }

  size_t index_of(NodeId node) const {
    const std::vector<NodeId>& replicas = ctx_.servers();
    for (size_t i = 0; i < replicas.size(); ++i) {
      if (replicas[i] == node) return i;
    }
    return replicas.size();
  }

  Context& ctx_;
  const AbdParams& params_;
  int64_t index_;
  History& history_;
  int64_t process_;
  uint64_t op_ = 0;
};

// ---- the model: declares the nodes, owns the history ----
class AbdModel final : public Model {
 public:
  explicit AbdModel(const AbdParams& params)
      : params_(params), observer_(static_cast<size_t>(params.servers)) {}

  void setup(Setup& setup) override {
    for (int64_t i = 0; i < params_.servers; ++i) {
      setup.add_server(fmt::format("r{}", i), [this, i](Context& ctx) {
        Replica(ctx, params_, observer_, static_cast<size_t>(i)).run();
      });
    }
    history_.reserve_processes(params_.clients);
    const Time stop_at = setup.heal_time();
    for (int64_t i = 0; i < params_.clients; ++i) {
      setup.add_client(fmt::format("c{}", i), [this, i, stop_at](Context& ctx) {
        Client(ctx, params_, i, history_).run(stop_at);
      });
    }
  }
  // The observer's verdict; then detsim checks the history for
  // linearizability itself.
  CheckResult check() override { return observer_.violation() ? *observer_.violation() : CheckResult::ok(); }
  const History* history() const override { return &history_; }
  std::string history_model() const override { return "register"; }

 private:
  AbdParams params_;
  Observer observer_;
  History history_;
};

ModelInfo model_info() {
  ModelInfo info;
  info.name = "abd_register";
  info.summary = "ABD atomic register: clients read and write through two majority phases";
  info.params = bindings().specs();
  info.bugs = bindings().bugs();
  info.make = [](const Params& params) { return std::make_unique<AbdModel>(bindings().read(params)); };
  return info;
}

DETSIM_REGISTER_MODEL(model_info);

}  // namespace abd
