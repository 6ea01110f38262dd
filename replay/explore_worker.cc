// The process side of `detsim explore` (explore.h): deciding when a run
// branches, forking the branches, and reporting.
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <new>
#include <vector>

#include "replay/commands.h"
#include "replay/explore.h"
#include "replay/jobs.h"
#include "replay/outcome.h"
#include "sim/core/assert.h"

namespace detsim {
namespace {

// A model's detail can be long (a history excerpt); a record must fit the
// socket's buffer whole.
constexpr size_t kDetailMax = 8000;

// This process's place in the exploration. fork() copies it, so each
// branch starts with its parent's path and extends its own copy.
struct Family {
  const Scenario* scenario = nullptr;
  ExploreShared* shared = nullptr;
  ExploreLimits limits;
  int socket = -1;
  uint64_t seed = 0;
  std::vector<BranchPoint> path;
  bool owns_slot = true;
  uint64_t last_branch_index = UINT64_MAX;
};

bool try_take_slot(ExploreShared& shared, int jobs) {
  int32_t live = shared.live.load();
  while (live < jobs) {
    if (shared.live.compare_exchange_weak(live, live + 1)) return true;
  }
  return false;
}

// A feature is a probe and the power of two its hits just reached. New
// features saturate within a few hundred seeds; rare ones keep the search
// branching after that.
bool wants_branch(Family& family, size_t probe, uint64_t hits) {
  const size_t bucket = static_cast<size_t>(std::bit_width(hits)) - 1;
  if (probe >= ExploreShared::kProbesMax || bucket >= ExploreShared::kBucketsMax) return false;
  const uint32_t before = family.shared->reached[probe * ExploreShared::kBucketsMax + bucket].fetch_add(1);
  const double runs = static_cast<double>(family.shared->runs.load());
  const bool rare = before == 0 || static_cast<double>(before) < runs * family.limits.rare_percent / 100;
  return rare && family.limits.fanout > 0 && family.path.size() < family.limits.depth_max &&
         family.shared->stop.load() == 0;
}

// The parent of a branch that runs on the parent's lent slot waits for it,
// and speaks for it if it died without a word.
void wait_for_lent(Family& family, pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  send_record(family.socket, {{"crashed", {{"pid", child}, {"why", describe_exit(status)}}}});
}

// In the child: becomes the branch (path + (index, salt)) and returns salt.
uint64_t become_branch(Family& family, uint64_t index, uint64_t salt, bool owns_slot) {
  family.path.push_back({index, salt});
  family.owns_slot = owns_slot;
  family.shared->runs.fetch_add(1);
  send_record(family.socket, {{"start",
                               {{"pid", ::getpid()},
                                {"seed", family.seed},
                                {"branch", branch_path_text(family.path)},
                                {"owns_slot", owns_slot}}}});
  return salt;
}

// At the event boundary after a new feature: forks salts 1..fanout. The
// parent goes on unchanged (salt 0), so every seed's own run completes as
// plain `run` would have run it.
uint64_t branch_here(Family& family, uint64_t index) {
  // Several features at one boundary branch once.
  if (index == family.last_branch_index) return 0;
  family.last_branch_index = index;
  std::atomic<uint32_t>& forked = family.shared->family_branches[family.seed % ExploreShared::kFamilies];
  for (int salt = 1; salt <= family.limits.fanout; ++salt) {
    if (family.shared->stop.load() != 0) break;
    if (forked.fetch_add(1) >= family.limits.branches_per_seed) break;
    const bool owned = try_take_slot(*family.shared, family.limits.jobs);
    const pid_t pid = ::fork();
    if (pid == 0) return become_branch(family, index, static_cast<uint64_t>(salt), owned);
    if (pid < 0) {
      if (owned) family.shared->live.fetch_sub(1);
      break;
    }
    if (!owned) wait_for_lent(family, pid);
  }
  return 0;
}

[[noreturn]] void report_and_exit(Family& family, SeedOutcome outcome) {
  outcome.branch = branch_path_text(family.path);
  if (outcome.detail.size() > kDetailMax) outcome.detail.resize(kDetailMax);
  nlohmann::json record = {
      {"result", {{"pid", ::getpid()}, {"owns_slot", family.owns_slot}, {"outcome", to_wire(outcome)}}}};
  // _exit, not exit: no atexit handlers and no stdio buffers of the
  // parent's (jobs.cc's workers do the same).
  ::_exit(send_record(family.socket, record) ? 0 : 1);
}

}  // namespace

ExploreShared* map_explore_shared() {
  void* memory = ::mmap(nullptr, sizeof(ExploreShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  // Invariant: a fresh anonymous mapping is available (or the machine is out of memory).
  DETSIM_ASSERT(memory != MAP_FAILED);
  return new (memory) ExploreShared();
}

void unmap_explore_shared(ExploreShared* shared) {
  shared->~ExploreShared();
  ::munmap(shared, sizeof(ExploreShared));
}

bool send_record(int socket, const nlohmann::json& record) {
  const std::string text = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  while (true) {
    const ssize_t sent = ::send(socket, text.data(), text.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    return sent == static_cast<ssize_t>(text.size());
  }
}

void explore_seed_worker(const Scenario& scenario, uint64_t seed, ExploreShared* shared, ExploreLimits limits,
                         int socket) {
  Family family{&scenario, shared, limits, socket, seed, {}, true, UINT64_MAX};
  shared->runs.fetch_add(1);
  BranchSetup setup;
  setup.wants_branch = [&family](size_t probe, uint64_t hits) { return wants_branch(family, probe, hits); };
  setup.branch_salt = [&family](uint64_t index) { return branch_here(family, index); };
  // Every process of the family returns here, each from its own fork.
  SeedOutcome outcome = run_seed(scenario, seed, nullptr, nullptr, &setup);
  report_and_exit(family, std::move(outcome));
}

}  // namespace detsim
