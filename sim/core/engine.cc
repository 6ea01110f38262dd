#include "sim/core/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/context/detail/exception.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/protected_fixedsize_stack.hpp>
#include <cstdio>
#include <cstdlib>
#include <typeinfo>

#include "sim/core/assert.h"
#include "sim/core/fifo_algorithm.h"
#include "sim/core/model_assertion.h"
#include "sim/core/stack_pool.h"

namespace detsim {
namespace {

thread_local Engine* t_engine = nullptr;

// The engine's fingerprint kind (the network's are 101.., the disk's
// 201.., the clocks' 301..): a branch's salt, mixed in where it applies.
constexpr uint64_t kReseedKind = 1;

// FxHash-style step: cheap enough to run on every event. The final value is
// put through a full avalanche in fingerprint().
inline uint64_t mix_step(uint64_t state, uint64_t value) {
  state = (state << 5 | state >> 59) ^ value;
  return state * 0x9E3779B97F4A7C15ULL;
}

inline uint64_t avalanche(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A fiber that swallows FiberKilled this many times is stuck in a loop
// that no crash can end; the process cannot continue the run.
constexpr uint32_t kSwallowedKillsFatal = 1000;

}  // namespace

const char* to_string(StopReason reason) {
  switch (reason) {
    case StopReason::none: return "none";
    case StopReason::time_limit: return "time_limit";
    case StopReason::event_limit: return "event_limit";
    case StopReason::quiescent: return "quiescent";
    case StopReason::livelock: return "livelock";
    case StopReason::model_crashed: return "model_crashed";
    case StopReason::requested: return "requested";
  }
  return "?";
}

// Kept small (32 bytes): the wake path touches one per event, and at 10^4+
// fibers those touches are cache misses. The name lives in fiber_names_.
struct Engine::FiberRecord {
  boost::fibers::context* context = nullptr;
  uint64_t epoch = 0;
  GroupId group = 0;
  bool in_use = false;
  bool parked = false;
  bool woken_by_signal = false;
  bool killed = false;
  bool kill_thrown = false;
  uint32_t kills_swallowed = 0;
};

struct Engine::GroupRecord {
  uint32_t node = 0;
  bool killed = false;
  std::vector<FiberId> live;      // unordered; sorted where order matters
  std::vector<FiberId> deferred;  // woken while paused, in wake order
};

class Engine::WakeTarget final : public EventTarget {
 public:
  explicit WakeTarget(Engine& engine) : engine_(engine) {}
  void fire(uint64_t fiber, uint64_t epoch) override {
    FiberRecord& record = engine_.fibers_[fiber];
    if (!record.in_use || !record.parked || record.epoch != epoch) return;  // stale
    engine_.make_ready(static_cast<FiberId>(fiber), /*by_signal=*/false);
  }

 private:
  Engine& engine_;
};

class Engine::CallbackTarget final : public EventTarget {
 public:
  explicit CallbackTarget(Engine& engine) : engine_(engine) {}
  void fire(uint64_t slot, uint64_t generation) override {
    if (engine_.callback_generations_[slot] != generation) return;  // cancelled
    std::function<void()> fn = std::move(engine_.callbacks_[slot]);
    engine_.callbacks_[slot] = nullptr;
    ++engine_.callback_generations_[slot];
    engine_.free_callbacks_.push_back(static_cast<uint32_t>(slot));
    fn();
  }

 private:
  Engine& engine_;
};

Engine::Engine(EngineOptions options)
    : options_(options),
      wake_target_(std::make_unique<WakeTarget>(*this)),
      callback_target_(std::make_unique<CallbackTarget>(*this)),
      order_(options.sched, Rng(options.seed).fork("sched")) {
  ranked_ = order_.ranked();
  jitters_ = order_.jitters();
  exploring_ = ranked_ || jitters_;
  update_checkpoint();
  static_assert(sizeof(FiberRecord) <= 32, "keep the wake path's record small");
  algorithm_ = FifoAlgorithm::install_on_this_thread();
  // Engines nest only in tests that build one inside another's lifetime;
  // the innermost is the one running.
  previous_on_thread_ = t_engine;
  t_engine = this;
  mix_fingerprint(0, 0, options_.seed);
}

Engine::~Engine() {
  // Invariant: every fiber was unwound by run(); a fiber left behind would
  // keep pointers into this engine.
  if (live_total_ != 0) {
    std::fprintf(stderr, "detsim: engine destroyed with %zu live fibers (run() not called?)\n", live_total_);
    std::abort();
  }
  t_engine = previous_on_thread_;
}

Engine* Engine::on_this_thread() { return t_engine; }

uint64_t Engine::fingerprint() const { return avalanche(fingerprint_state_); }

void Engine::mix_fingerprint(uint64_t kind, uint64_t node, uint64_t digest) {
  fingerprint_state_ = mix_step(fingerprint_state_, static_cast<uint64_t>(now_.count_ns()));
  fingerprint_state_ = mix_step(fingerprint_state_, kind);
  fingerprint_state_ = mix_step(fingerprint_state_, node);
  fingerprint_state_ = mix_step(fingerprint_state_, digest);
}

// ---------------------------------------------------------------- events

void Engine::schedule(Time at, EventTarget* target, uint64_t a, uint64_t b) {
  // Invariant: nothing is scheduled in the past; time only moves forward.
  DETSIM_ASSERT(at >= now_);
  // The fifo path stays one branch away from what it was: the owner is
  // looked up only when a policy ranks events.
  if (!ranked_) [[likely]] {
    queue_.push(at, target, a, b);
    return;
  }
  push_event(current_owner(), at, target, a, b);
}

void Engine::schedule_for(uint32_t owner_node, Time at, EventTarget* target, uint64_t a, uint64_t b) {
  // Invariant: nothing is scheduled in the past; time only moves forward.
  DETSIM_ASSERT(at >= now_);
  push_event(owner_node, at, target, a, b);
}

uint32_t Engine::current_owner() const {
  return current_ == kNoFiber ? kWorldOwner : groups_[fibers_[current_].group].node;
}

void Engine::push_event(uint32_t owner, Time at, EventTarget* target, uint64_t a, uint64_t b) {
  if (!ranked_) {
    queue_.push(at, target, a, b);
    return;
  }
  queue_.push_ranked(at, order_.rank(owner, at), target, a, b);
}

// A park's deadline under a policy or with jitter. Only timers are
// jittered (sched_order.h says why).
void Engine::push_timer(FiberId self, Time deadline) {
  Time at = deadline < now_ ? now_ : deadline;
  if (jitters_) at = order_.jittered(at, now_, options_.time_limit);
  push_event(current_owner(), at, wake_target_.get(), self, fibers_[self].epoch);
}

// PCT: the owner of the event about to fire is the node that runs this
// step; it drops below the others, and its pending events with it.
void Engine::reach_change_point(const Event& event) {
  const uint32_t old_rank = EventQueue::rank_of(event);
  const uint32_t new_rank = order_.demote(old_rank);
  queue_.rerank(old_rank, new_rank);
  update_checkpoint();
}

// Change point i falls on event index k_i, which fires when k_i - 1 events
// have fired.
// A boundary hook's index joins them: the slow path then runs it.
void Engine::update_checkpoint() {
  const uint64_t change_index = order_.next_change_index();
  next_checkpoint_ = std::min(options_.event_limit, change_index == UINT64_MAX ? UINT64_MAX : change_index - 1);
  if (!boundary_hooks_.empty()) next_checkpoint_ = std::min(next_checkpoint_, boundary_hooks_.begin()->first);
}

void Engine::at_event_boundary(uint64_t index, std::function<void()> hook) {
  // Invariant: a hook is something to run.
  DETSIM_ASSERT(hook != nullptr);
  boundary_hooks_.emplace(index, std::move(hook));
  update_checkpoint();
}

// Returns whether any hook ran. Each is taken off before it runs, so one
// that adds a hook at this same index sees it run next, not itself again.
bool Engine::run_due_hooks() {
  bool ran = false;
  while (!boundary_hooks_.empty() && boundary_hooks_.begin()->first <= events_fired_) {
    std::function<void()> hook = std::move(boundary_hooks_.begin()->second);
    boundary_hooks_.erase(boundary_hooks_.begin());
    hook();
    ran = true;
  }
  update_checkpoint();
  return ran;
}

void Engine::reseed(uint64_t salt) {
  order_.reseed(salt);
  mix_fingerprint(kReseedKind, 0, salt);
}

Engine::CallbackId Engine::schedule_callback(Time at, std::function<void()> fn) {
  uint32_t slot;
  if (!free_callbacks_.empty()) {
    slot = free_callbacks_.back();
    free_callbacks_.pop_back();
    callbacks_[slot] = std::move(fn);
  } else {
    slot = static_cast<uint32_t>(callbacks_.size());
    callbacks_.push_back(std::move(fn));
    callback_generations_.push_back(0);
  }
  schedule(at, callback_target_.get(), slot, callback_generations_[slot]);
  return CallbackId{slot, callback_generations_[slot]};
}

void Engine::cancel(CallbackId id) {
  if (id.slot >= callbacks_.size() || callback_generations_[id.slot] != id.generation) return;
  callbacks_[id.slot] = nullptr;
  ++callback_generations_[id.slot];
  free_callbacks_.push_back(id.slot);
}

// ---------------------------------------------------------------- groups

GroupId Engine::create_group(uint32_t node) {
  groups_.push_back(GroupRecord{});
  group_paused_.push_back(0);
  groups_.back().node = node;
  return static_cast<GroupId>(groups_.size() - 1);
}

uint32_t Engine::node_of(GroupId group) const { return groups_[group].node; }
bool Engine::group_killed(GroupId group) const { return groups_[group].killed; }
bool Engine::group_paused(GroupId group) const { return group_paused_[group] != 0; }
size_t Engine::live_fibers(GroupId group) const { return groups_[group].live.size(); }

void Engine::kill_group(GroupId group) {
  GroupRecord& record = groups_[group];
  if (record.killed) return;
  resume_group(group);  // a crash ends a pause: the fibers must run to unwind
  record.killed = true;
  std::vector<FiberId> victims = record.live;
  std::sort(victims.begin(), victims.end());  // deterministic wake order
  for (FiberId id : victims) {
    FiberRecord& fiber = fibers_[id];
    fiber.killed = true;
    if (fiber.parked) make_ready(id, /*by_signal=*/false);
  }
}

void Engine::pause_group(GroupId group) {
  if (!groups_[group].killed) group_paused_[group] = 1;
}

void Engine::resume_group(GroupId group) {
  GroupRecord& record = groups_[group];
  if (group_paused_[group] == 0) return;
  group_paused_[group] = 0;
  std::vector<FiberId> held = std::move(record.deferred);
  record.deferred.clear();
  for (FiberId id : held) schedule_context(fibers_[id].context);
}

// ---------------------------------------------------------------- fibers

GroupId Engine::current_group() const {
  DETSIM_ASSERT(current_ != kNoFiber);
  return fibers_[current_].group;
}

bool Engine::current_fiber_killed() const { return current_ != kNoFiber && fibers_[current_].killed; }

const std::string& Engine::fiber_name(FiberId fiber) const { return fiber_names_[fiber]; }

FiberId Engine::spawn(GroupId group, std::string name, std::function<void()> body) {
  if (groups_[group].killed) return kNoFiber;
  FiberId id;
  if (!free_fibers_.empty()) {
    id = free_fibers_.back();
    free_fibers_.pop_back();
  } else {
    id = static_cast<FiberId>(fibers_.size());
    fibers_.emplace_back();
    fiber_names_.emplace_back();
  }
  FiberRecord& record = fibers_[id];
  record = FiberRecord{};
  record.in_use = true;
  record.group = group;
  fiber_names_[id] = std::move(name);
  groups_[group].live.push_back(id);
  ++live_total_;

  auto entry = [this, id, body = std::move(body)]() mutable { fiber_main(id, body); };
  size_t stack_bytes = options_.stack_bytes;
#ifdef DETSIM_SANITIZE
  stack_bytes *= 4;  // ASan's redzones make frames several times larger
#endif
  boost::fibers::fiber fiber =
      options_.stack_guard
          ? boost::fibers::fiber(std::allocator_arg, boost::fibers::protected_fixedsize_stack(stack_bytes),
                                 std::move(entry))
          : boost::fibers::fiber(std::allocator_arg, PooledStack(StackPool::for_this_thread(stack_bytes)),
                                 std::move(entry));
  fiber.detach();
  return id;
}

void Engine::fiber_main(FiberId id, std::function<void()>& body) {
  current_ = id;
  fibers_[id].context = boost::fibers::context::active();
  bool returned_normally = false;
  if (!fibers_[id].killed) {
    try {
      std::function<void()> run = std::move(body);
      run();
      returned_normally = true;
    } catch (const FiberKilled&) {
      // The crash unwound this fiber, as it should.
    } catch (const boost::context::detail::forced_unwind&) {
      throw;
    } catch (const ModelAssertion& failure) {
      record_model_crash(failure.what());
    } catch (const std::exception& error) {
      record_model_crash(fmt::format("fiber '{}' threw {}: {}", fiber_names_[id], typeid(error).name(), error.what()));
    } catch (...) {
      record_model_crash(fmt::format("fiber '{}' threw a non-standard exception", fiber_names_[id]));
    }
  }
  if (returned_normally && fibers_[id].kill_thrown) {
    record_model_crash(
        fmt::format("fiber '{}' on node {} caught the crash unwinding (catch (...) without rethrow) and returned",
                    fiber_names_[id], groups_[fibers_[id].group].node));
  }
  finish_fiber(id);
}

void Engine::finish_fiber(FiberId id) {
  FiberRecord& record = fibers_[id];
  std::vector<FiberId>& live = groups_[record.group].live;
  auto it = std::find(live.begin(), live.end(), id);
  DETSIM_ASSERT(it != live.end());
  *it = live.back();
  live.pop_back();
  record.in_use = false;
  record.parked = false;
  fiber_names_[id].clear();
  free_fibers_.push_back(id);
  --live_total_;
  current_ = kNoFiber;
  if (stopping_ && live_total_ == 0 && main_waiting_) {
    main_waiting_ = false;
    schedule_context(main_context_);
  }
}

Waiter Engine::begin_wait() {
  // Invariant: only simulated fibers wait; the main context drives the run.
  DETSIM_ASSERT(current_ != kNoFiber);
  FiberRecord& record = fibers_[current_];
  record.epoch = ++epoch_counter_;
  return Waiter{current_, record.epoch};
}

bool Engine::park(Time deadline) {
  DETSIM_ASSERT(current_ != kNoFiber);
  const FiberId self = current_;
  if (fibers_[self].killed) throw_killed(self);
  fibers_[self].parked = true;
  fibers_[self].woken_by_signal = false;
  if (deadline != Time::max()) {
    // The fifo path as it was; anything else out of line, so that park()
    // stays small enough to be inlined into sleep_until().
    if (!exploring_) [[likely]] {
      queue_.push(deadline < now_ ? now_ : deadline, wake_target_.get(), self, fibers_[self].epoch);
    } else {
      push_timer(self, deadline);
    }
  }
  if (!fire_events_while_parking(self)) fibers_[self].context->suspend();
  current_ = self;
  if (fibers_[self].killed) throw_killed(self);
  return fibers_[self].woken_by_signal;
}

void Engine::sleep_until(Time deadline) {
  begin_wait();
  while (park(deadline)) {
    // Only the deadline ends a sleep; nobody holds a sleeper's Waiter, but
    // be robust to a stray wake anyway.
    if (now_ >= deadline) break;
  }
}

bool Engine::wake(Waiter waiter) {
  if (waiter.fiber >= fibers_.size()) return false;
  FiberRecord& record = fibers_[waiter.fiber];
  if (!record.in_use || !record.parked || record.epoch != waiter.epoch) return false;
  make_ready(waiter.fiber, /*by_signal=*/true);
  return true;
}

void Engine::make_ready(FiberId id, bool by_signal) {
  FiberRecord& record = fibers_[id];
  record.parked = false;
  record.woken_by_signal = by_signal;
  if (group_paused_[record.group] != 0) {
    groups_[record.group].deferred.push_back(id);
    return;
  }
  schedule_context(record.context);
}

void Engine::schedule_context(boost::fibers::context* ctx) {
  if (fast_parker_ != kNoFiber && ctx == fibers_[fast_parker_].context) {
    // The fiber firing events in park() woke itself: it is still running,
    // so it must not enter the ready queue; park() just returns.
    parker_woken_ = true;
    return;
  }
  ctx->get_scheduler()->schedule(ctx);
}

// The fast path (fiber-engine.md: 1.7-2x throughput). With no fiber ready,
// the parking fiber fires the due events itself instead of switching to
// the dispatcher to do it. If an event wakes this very fiber, no context
// switch happens at all; otherwise suspend() switches straight to the
// fiber that became ready. Events fire in the same order either way, so
// the fingerprint is the same. Returns whether the fiber was woken.
bool Engine::fire_events_while_parking(FiberId self) {
  if (stopping_ || algorithm_->any_ready()) return false;
  fast_parker_ = self;
  parker_woken_ = false;
  // Handlers run with no current fiber, exactly as on the dispatcher: an
  // assert in one aborts instead of being blamed on this fiber.
  current_ = kNoFiber;
  while (!parker_woken_ && !stopping_ && !algorithm_->any_ready()) fire_next_event();
  fast_parker_ = kNoFiber;
  current_ = self;
  return parker_woken_;
}

void Engine::throw_killed(FiberId id) {
  FiberRecord& record = fibers_[id];
  if (record.kill_thrown) {
    // It parked again after the crash unwinding was thrown: some handler
    // swallowed it. Report it as the model bug it is, and keep unwinding.
    ++record.kills_swallowed;
    record_model_crash(fmt::format("fiber '{}' on node {} caught the crash unwinding (catch (...) without rethrow)",
                                   fiber_names_[id], groups_[record.group].node));
    if (record.kills_swallowed >= kSwallowedKillsFatal) {
      std::fprintf(stderr, "detsim: fiber '%s' swallowed the crash unwinding %u times; giving up\n",
                   fiber_names_[id].c_str(), record.kills_swallowed);
      std::abort();
    }
  }
  record.kill_thrown = true;
  throw FiberKilled{};
}

// ---------------------------------------------------------------- the run

void Engine::record_model_crash(std::string what) { request_stop(StopReason::model_crashed, std::move(what)); }

void Engine::request_stop(StopReason reason, std::string detail) {
  // The first stop wins, except that a model crash outranks any other:
  // it is the verdict the user must see.
  bool upgrade = reason == StopReason::model_crashed && stop_reason_ != StopReason::model_crashed;
  if (stopping_ && !upgrade) return;
  stop_reason_ = reason;
  stop_detail_ = std::move(detail);
  stopping_ = true;
  if (main_waiting_ && running_) {
    main_waiting_ = false;
    schedule_context(main_context_);
  }
}

void Engine::wait_main() {
  main_waiting_ = true;
  main_context_->suspend();
}

StopReason Engine::run(const std::function<void()>& before_unwind) {
  // Invariant: run() is called once, from the thread's main context.
  DETSIM_ASSERT(!running_ && current_ == kNoFiber);
  running_ = true;
  main_context_ = boost::fibers::context::active();
  if (!stopping_) wait_main();
  if (before_unwind) before_unwind();
  teardown();
  running_ = false;
  return stop_reason_;
}

void Engine::teardown() {
  for (GroupId group = 0; group < groups_.size(); ++group) kill_group(group);
  while (live_total_ > 0) wait_main();
  current_ = kNoFiber;
}

void Engine::on_idle() {
  while (!algorithm_->any_ready()) {
    if (stopping_) {
      if (main_waiting_) {
        main_waiting_ = false;
        schedule_context(main_context_);
        continue;
      }
      std::fprintf(stderr,
                   "detsim: %zu fiber(s) are blocked outside the engine (a Boost mutex, condition "
                   "or channel?) and cannot be unwound\n",
                   live_total_);
      std::abort();
    }
    fire_next_event();
  }
}

inline void Engine::fire_event(const Event& event) {
  if (event.at > now_) {
    now_ = event.at;
    same_instant_events_ = 0;
  } else if (++same_instant_events_ > options_.livelock_events) {
    request_stop(StopReason::livelock,
                 fmt::format("{} events at t={}ns without time advancing", same_instant_events_, now_.count_ns()));
    return;
  }
  ++events_fired_;
  fingerprint_state_ = mix_step(fingerprint_state_, static_cast<uint64_t>(event.at.count_ns()));
  fingerprint_state_ = mix_step(fingerprint_state_, event.a);
  fingerprint_state_ = mix_step(fingerprint_state_, event.b);
  event.target->fire(event.a, event.b);
}

void Engine::fire_next_event() {
  if (queue_.empty()) {
    request_stop(StopReason::quiescent, "no events pending and no fiber ready");
    return;
  }
  if (queue_.top().at > options_.time_limit) {
    now_ = options_.time_limit;
    request_stop(StopReason::time_limit, "");
    return;
  }
  // One compare covers the event limit and PCT's next change point: a
  // separate test per event cost W1 about 5% (docs/performance.md).
  if (events_fired_ >= next_checkpoint_) [[unlikely]] {
    if (events_fired_ >= options_.event_limit) {
      request_stop(StopReason::event_limit, fmt::format("event limit {} reached", options_.event_limit));
      return;
    }
    // A hook's turn: the callers loop back here, and the next pass fires
    // the event (or meets the change point) with the hooks' effects in.
    if (run_due_hooks()) return;
    if (events_fired_ + 1 < order_.next_change_index()) return fire_event(queue_.pop());
    Event event = queue_.pop();
    reach_change_point(event);
    return fire_event(event);
  }
  fire_event(queue_.pop());
}

}  // namespace detsim
