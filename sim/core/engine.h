// The discrete-event engine: virtual time, the (time, sequence) event queue,
// and the simulated fibers that model code runs in.
//
// One OS thread runs everything. Fibers block only through park(); when no
// fiber is ready, the Boost.Fiber dispatcher asks the engine for work and the
// engine fires events, advancing virtual time, until a fiber becomes ready
// (docs/engine.md and docs/fiber-engine-notes.md give the measured design).
//
// Fibers belong to groups. A group is one incarnation of a node: the unit
// that a crash kills and a pause freezes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/event_queue.h"
#include "sim/core/fiber_ids.h"
#include "sim/core/sched_order.h"
#include "sim/core/time.h"

namespace boost::fibers {
class context;
}

namespace detsim {

class FifoAlgorithm;

enum class StopReason {
  none,
  time_limit,     // virtual time reached the limit
  event_limit,    // the event budget was used up
  quiescent,      // nothing left to do: no event pending, no fiber ready
  livelock,       // too many events without virtual time advancing
  model_crashed,  // an exception or failed assert in model code
  requested,      // the world asked to stop
};
const char* to_string(StopReason reason);

struct EngineOptions {
  uint64_t seed = 0;
  Time time_limit = Time::max();
  uint64_t event_limit = UINT64_MAX;
  // Events fired at one instant before the run counts as a livelock.
  uint64_t livelock_events = 5'000'000;
  size_t stack_bytes = 64 * 1024;
  // A guard page turns a stack overflow into a crash instead of silent
  // corruption, at the price of two memory mappings per fiber.
  bool stack_guard = true;
  // Same-instant order and timer jitter (sched_order.h); the default is
  // the fifo order, with no jitter.
  SchedOptions sched;
};

class Engine {
 public:
  explicit Engine(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The engine running on this thread, or nullptr. Only the engine's own
  // plumbing (the scheduling algorithm, assert reports) uses this.
  static Engine* on_this_thread();

  Time now() const { return now_; }
  uint64_t seed() const { return options_.seed; }
  uint64_t events_fired() const { return events_fired_; }
  size_t events_pending() const { return queue_.size(); }
  uint64_t fingerprint() const;
  // World-level events (a message delivered, a node crashed) add what they
  // are about; the engine already mixes in every event's time and arguments.
  void mix_fingerprint(uint64_t kind, uint64_t node, uint64_t digest);

  // ---- events ----
  // The event's owner, for the same-instant policies, is the current
  // fiber's node, or kWorldOwner outside fibers; schedule_for names it.
  void schedule(Time at, EventTarget* target, uint64_t a, uint64_t b);
  void schedule_for(uint32_t owner_node, Time at, EventTarget* target, uint64_t a, uint64_t b);
  struct CallbackId {
    uint32_t slot = UINT32_MAX;
    uint32_t generation = 0;
  };
  CallbackId schedule_callback(Time at, std::function<void()> fn);
  void cancel(CallbackId id);

  // ---- event boundaries (detsim explore's branch points) ----
  // Runs hook once `index` events have fired, before the next one fires:
  // between events, never inside a fiber's step, so a fork() or reseed
  // there cuts the run at a point a replay can find again by count alone.
  // Hooks due at one index run in the order added; an index already
  // passed runs at the next boundary. A hook may add hooks.
  void at_event_boundary(uint64_t index, std::function<void()> hook);
  // Perturbs the engine's own draws from here on (PCT priorities of owners
  // not yet seen, timer jitter) and mixes salt into the fingerprint.
  void reseed(uint64_t salt);

  // ---- groups ----
  GroupId create_group(uint32_t node);
  uint32_t node_of(GroupId group) const;
  // Kills every fiber of the group: each unwinds with FiberKilled the next
  // time it runs. A killed group accepts no new fibers.
  void kill_group(GroupId group);
  bool group_killed(GroupId group) const;
  // A paused group's fibers stay parked: their wake-ups are held back and
  // delivered, in order, at resume. Timers therefore fire late.
  void pause_group(GroupId group);
  void resume_group(GroupId group);
  bool group_paused(GroupId group) const;
  size_t live_fibers(GroupId group) const;

  // ---- fibers ----
  FiberId spawn(GroupId group, std::string name, std::function<void()> body);
  FiberId current_fiber() const { return current_; }
  // Whether the current fiber's node crashed: it is unwinding.
  bool current_fiber_killed() const;
  GroupId current_group() const;
  const std::string& fiber_name(FiberId fiber) const;
  // Starts a wait for the current fiber; hand the Waiter to whoever will
  // wake it, then call park().
  Waiter begin_wait();
  // Parks the current fiber until wake() of its Waiter (returns true) or
  // the deadline (returns false). Throws FiberKilled if its group is killed.
  bool park(Time deadline);
  void sleep_until(Time deadline);
  // Makes the fiber ready if the Waiter's park is still on; returns whether
  // it was.
  bool wake(Waiter waiter);

  // ---- the run ----
  // Runs until a stop condition, calls before_unwind (on the main context,
  // with every fiber still in place: it must not block), then unwinds every
  // fiber. Call it from the thread's main context, once.
  StopReason run(const std::function<void()>& before_unwind = {});
  void request_stop(StopReason reason, std::string detail);
  StopReason stop_reason() const { return stop_reason_; }
  const std::string& stop_detail() const { return stop_detail_; }
  // The first model crash (exception or failed assert in a fiber) wins.
  void record_model_crash(std::string what);

  // Called by the scheduling algorithm when no fiber is ready.
  void on_idle();

 private:
  struct FiberRecord;
  struct GroupRecord;
  class WakeTarget;
  class CallbackTarget;

  void fiber_main(FiberId id, std::function<void()>& body);
  void finish_fiber(FiberId id);
  void make_ready(FiberId id, bool by_signal);
  void schedule_context(boost::fibers::context* ctx);
  bool fire_events_while_parking(FiberId self);
  [[noreturn]] void throw_killed(FiberId id);
  void wait_main();
  void fire_next_event();
  uint32_t current_owner() const;
  void push_event(uint32_t owner, Time at, EventTarget* target, uint64_t a, uint64_t b);
  [[gnu::noinline]] void push_timer(FiberId self, Time deadline);
  // Inlined into fire_next_event(): as a call it cost W2 about 5%.
  [[gnu::always_inline]] inline void fire_event(const Event& event);
  [[gnu::noinline]] void reach_change_point(const Event& event);
  [[gnu::noinline]] bool run_due_hooks();
  void update_checkpoint();
  void teardown();

  EngineOptions options_;
  Time now_ = Time::zero();
  EventQueue queue_;
  // Read per event, so kept next to the queue; order_ (cold, a few hundred
  // bytes) sits at the end. next_checkpoint_ is the event limit, or the
  // index before PCT's next change point if that comes sooner.
  uint64_t next_checkpoint_ = UINT64_MAX;
  bool ranked_ = false;     // order_.ranked()
  bool jitters_ = false;    // order_.jitters()
  bool exploring_ = false;  // ranked_ || jitters_
  uint64_t events_fired_ = 0;
  uint64_t same_instant_events_ = 0;
  uint64_t fingerprint_state_ = 0x6a09e667f3bcc908ULL;
  uint64_t epoch_counter_ = 0;

  std::vector<FiberRecord> fibers_;
  std::vector<std::string> fiber_names_;  // by FiberId
  std::vector<uint8_t> group_paused_;     // by GroupId: dense, read per wake
  std::vector<FiberId> free_fibers_;
  std::vector<GroupRecord> groups_;
  size_t live_total_ = 0;
  FiberId current_ = kNoFiber;
  FiberId fast_parker_ = kNoFiber;  // the fiber firing events in park()
  bool parker_woken_ = false;

  // By event index; a multimap keeps the hooks of one index in order.
  std::multimap<uint64_t, std::function<void()>> boundary_hooks_;

  std::vector<std::function<void()>> callbacks_;
  std::vector<uint32_t> callback_generations_;
  std::vector<uint32_t> free_callbacks_;

  std::unique_ptr<WakeTarget> wake_target_;
  std::unique_ptr<CallbackTarget> callback_target_;

  FifoAlgorithm* algorithm_ = nullptr;
  boost::fibers::context* main_context_ = nullptr;
  bool main_waiting_ = false;
  bool stopping_ = false;
  bool running_ = false;
  StopReason stop_reason_ = StopReason::none;
  std::string stop_detail_;
  Engine* previous_on_thread_ = nullptr;
  SchedOrder order_;
};

}  // namespace detsim
