#include "models/raft_kv/node.h"

#include <algorithm>
#include <utility>

namespace detsim::raft_kv {

Server::Server(Context& ctx, const RaftParams& params, Observer& observer)
    : ctx_(ctx), params_(params), observer_(observer), self_(ctx.self().index()), storage_(ctx) {
  for (NodeId node : ctx_.servers()) {
    if (node != ctx_.self()) peers_[node.index()] = Peer{};
  }
  // Invariant: servers are declared first, so a server's index is its
  // NodeId's, and it is the only one missing from its peers.
  DETSIM_ASSERT(self_ < ctx_.servers().size());
  DETSIM_ASSERT(peers_.size() + 1 == ctx_.servers().size());
  observer_.attach_disk(self_, &ctx_.disk());
}

// A crashed incarnation leads nothing, whenever its fibers finish unwinding.
Server::~Server() { observer_.on_down(self_); }

void Server::main(Context& ctx, const RaftParams& params, Observer& observer) {
  Server server(ctx, params, observer);
  server.run();
}

void Server::run() {
  recover();
  // With leases, a server that just booted treats itself as having heard
  // from a leader now, so it grants no vote within the minimum election
  // timeout: it may have acknowledged a heartbeat a lease counts on just
  // before it crashed. Without leases Raft needs no such wait.
  last_heard_ = ctx_.monotonic_now();
  if (params_.reads != ReadMode::lease) last_heard_ = last_heard_ - params_.election_timeout_max;
  reset_election_deadline();
  while (true) {
    std::optional<Envelope> envelope = ctx_.net().receive(until_deadline());
    if (envelope) handle(*envelope);
    for (int drained = 0; drained < 256; ++drained) {
      std::optional<Envelope> more = ctx_.net().receive(Duration::zero());
      if (!more) break;
      handle(*more);
    }
    flush();
    on_timer();
  }
}

// Figure 2: currentTerm, votedFor and log[] survive crashes. A meta file
// with no good slot left (both copies damaged) means the term and vote are
// unknown: no local evidence bounds the term it voted in (its log's last
// term may be lower), so no vote or ack it gives could be proven safe. The
// server fail-stops for the rest of the run (see fail_stop()).
void Server::recover() {
  const LoadedMeta loaded = storage_.load_meta();
  const std::optional<Meta>& meta = loaded.meta;
  RecoveredLog recovered = storage_.recover_log();
  log_ = std::move(recovered.entries);
  salvaged_ = std::move(recovered.salvaged);
  if (meta) {
    term_ = meta->term;
    voted_for_ = meta->voted_for;
    recovering_ = meta->recovering;
    recover_target_ = meta->recover_target;
    floor_term_ = meta->floor_term;
  }
  if (!meta && loaded.damaged) {
    fail_stop(recovered);
    return;
  }
  if (recovered.corrupted) {
    recovering_ = true;
    // The vote floor: the last entry the log held before the damage.
    if (std::pair(recovered.term_seen_max, recovered.index_seen_max) > std::pair(floor_term_, recover_target_)) {
      floor_term_ = recovered.term_seen_max;
      recover_target_ = recovered.index_seen_max;
    }
    term_ = std::max(term_, term_at(last_index()));
    ++observer_.counters().corruptions;
    persist_meta();
  } else if (loaded.needs_repair) {
    // Both slots get the same copy before anything is sent: with only one
    // good slot of the newest version, a later rot of it would bring back
    // an older term or vote (storage.h LoadedMeta).
    persist_meta();
    ++observer_.counters().meta_repairs;
  }
  observer_.counters().torn_tails += recovered.torn_tail ? 1 : 0;
  // The planted bug vote_not_persisted loses terms too; the log still
  // shows the highest term it held (the lost vote is the bug).
  if (params_.vote_not_persisted) term_ = std::max(term_, term_at(last_index()));
  // Invariant: a log never holds an entry from a term the server has not seen.
  DETSIM_ASSERT(term_at(last_index()) <= term_);
  report_boot();
  // The log is the server's own: salvage that continues it joins it.
  absorb_salvage();
  if (salvaged_.empty() && !recovered.salvaged.empty()) storage_.save_salvage(salvaged_);
  maybe_finish_repair();
  ctx_.log("recovered term={} vote={} entries={} recovering={} target={} salvaged={}", term_, voted_for_, log_.size(),
           recovering_, recover_target_, salvaged_.size());
}

// What the observer mirrors of a booted server: its log, where each record
// ends on disk, and its vote floor.
void Server::report_boot() {
  std::vector<uint64_t> ends;
  ends.reserve(log_.size());
  for (uint64_t index = 1; index <= last_index(); ++index) ends.push_back(storage_.record_end(index));
  observer_.on_boot(self_, log_, ends);
  observer_.set_vote_floor(self_, recovering_ ? floor_term_ : 0, recovering_ ? recover_target_ : 0);
  observer_.on_recovered_vote(self_, term_, voted_for_);
}

// Both meta slots lost: the server neither votes, nor acknowledges, nor
// campaigns, nor writes anything for the rest of the run; it answers
// clients NotLeader. It never rewrites the meta file, so the damage itself
// keeps it stopped across restarts. This is the model's limit: a real
// system would bring the server back as a new member through a membership
// change (thesis §4), which this model does not implement.
void Server::fail_stop(const RecoveredLog& recovered) {
  fail_stopped_ = true;
  term_ = std::max(term_, term_at(last_index()));
  ++observer_.counters().meta_lost;
  observer_.on_fail_stop(self_);
  observer_.counters().torn_tails += recovered.torn_tail ? 1 : 0;
  report_boot();
  ctx_.log("meta lost: fail-stopped (entries={})", log_.size());
}

void Server::persist_meta(bool sync) {
  storage_.save_meta(Meta{term_, voted_for_, recovering_, recover_target_, floor_term_, 0}, sync);
}

namespace {

// The term a message obliges its receiver to adopt (Figure 2): any Raft
// RPC or reply, save a vote request, which §4.2.3 lets a server ignore
// within the minimum election timeout of hearing from a leader.
uint64_t term_to_adopt(const Message& message) {
  if (const auto* append = message.get_if<AppendEntries>()) return append->term;
  if (const auto* reply = message.get_if<AppendReply>()) return reply->term;
  if (const auto* vote_reply = message.get_if<VoteReply>()) return vote_reply->term;
  return 0;
}

}  // namespace

void Server::handle(const Envelope& envelope) {
  const Message& message = envelope.message;
  const NodeId from = envelope.from;
  if (fail_stopped_) {
    if (const auto* request = message.get_if<ClientRequest>()) reply_not_leader(from, request->command.seq);
    return;
  }
  const uint64_t seen = term_to_adopt(message);
  dispatch(from, message);
  observer_.on_message_handled(self_, seen, term_);
}

void Server::dispatch(NodeId from, const Message& message) {
  if (const auto* append = message.get_if<AppendEntries>()) {
    on_append_entries(from, *append);
  } else if (const auto* reply = message.get_if<AppendReply>()) {
    on_append_reply(from, *reply);
  } else if (const auto* vote = message.get_if<RequestVote>()) {
    on_request_vote(from, *vote);
  } else if (const auto* vote_reply = message.get_if<VoteReply>()) {
    on_vote_reply(from, *vote_reply);
  } else if (const auto* request = message.get_if<ClientRequest>()) {
    on_client_request(from, *request);
  } else if (const auto* fetch = message.get_if<FetchEntries>()) {
    on_fetch(from, *fetch);
  } else if (const auto* fill = message.get_if<FetchReply>()) {
    on_fetch_reply(*fill);
  }
}

Duration Server::until_deadline() const {
  Time deadline = role_ == Role::leader ? heartbeat_deadline_ : election_deadline_;
  if (role_ == Role::candidate) deadline = std::min(deadline, vote_retry_deadline_);
  if (!salvaged_.empty()) deadline = std::min(deadline, fill_deadline_);
  const Time now = ctx_.monotonic_now();
  return deadline > now ? deadline - now : Duration::zero();
}

void Server::reset_election_deadline() {
  election_deadline_ =
      ctx_.monotonic_now() + ctx_.rng().uniform(params_.election_timeout_min, params_.election_timeout_max);
}

void Server::on_timer() {
  const Time now = ctx_.monotonic_now();
  if (role_ == Role::leader) {
    if (now < heartbeat_deadline_) return;
    // Check quorum (thesis §6.2): a leader cut off from a majority for an
    // election timeout steps down, so clients look elsewhere.
    const Time confirmed = has_lease_ ? std::max(lease_start_, leader_since_) : leader_since_;
    if (now - confirmed > params_.election_timeout_max * 2) {
      ctx_.log("no majority heard since {}: stepping down", confirmed.to_seconds());
      ctx_.sometimes("leader_lost_quorum", true);
      step_down(term_);
      return;
    }
    observer_.on_heartbeat(self_, ctx_.now());
    broadcast_round();
    return;
  }
  if (!salvaged_.empty() && now >= fill_deadline_) request_fill();
  if (role_ == Role::candidate && now >= vote_retry_deadline_ && now < election_deadline_) {
    request_votes();
    return;
  }
  if (now < election_deadline_) return;
  // A recovering server must not campaign: its log may lack entries it
  // once acknowledged. A fail-stopped one never does.
  if (recovering_ || fail_stopped_) {
    reset_election_deadline();
    return;
  }
  ctx_.sometimes("split_vote", role_ == Role::candidate);
  start_election();
}

// Raft §5.2: a follower that hears from no leader for an election timeout
// becomes a candidate, votes for itself and asks every peer.
void Server::start_election() {
  ++term_;
  role_ = Role::candidate;
  leader_ = -1;
  voted_for_ = static_cast<int64_t>(self_);
  persist_meta(!params_.vote_not_persisted);
  observer_.on_vote_granted(self_, term_, self_);
  votes_ = {self_};
  ++observer_.counters().elections;
  observer_.on_campaign(ctx_.now());
  reset_election_deadline();
  ctx_.log("campaign term={}", term_);
  request_votes();
  if (votes_.size() >= majority()) become_leader();
}

// Figure 2: RPCs are retried if they get no answer. A candidate asks the
// peers that have not granted, every heartbeat interval (lost datagrams).
void Server::request_votes() {
  const RequestVote request{term_, last_index(), term_at(last_index())};
  for (const auto& [index, peer] : peers_) {
    if (std::find(votes_.begin(), votes_.end(), index) == votes_.end()) ctx_.net().send(ctx_.servers()[index], request);
  }
  vote_retry_deadline_ = ctx_.monotonic_now() + params_.heartbeat_interval;
}

bool Server::heard_from_leader_recently() const {
  return ctx_.monotonic_now() - last_heard_ < params_.election_timeout_min;
}

void Server::on_request_vote(NodeId from, const RequestVote& message) {
  const auto candidate = static_cast<int64_t>(index_of(from));
  // Thesis §4.2.3: within the minimum election timeout of hearing from a
  // current leader, ignore the request, and do not even adopt its term
  // (a leader lease depends on it).
  if (message.term > term_ && role_ != Role::candidate && heard_from_leader_recently()) {
    ctx_.net().send(from, VoteReply{term_, false});
    return;
  }
  if (message.term > term_) step_down(message.term);
  // Raft §5.4.1: vote only for a candidate whose log is at least as
  // up-to-date as ours: a later last term, or the same and at least as long.
  const auto candidate_last = std::pair(message.last_log_term, message.last_log_index);
  bool up_to_date = candidate_last >= std::pair(term_at(last_index()), last_index());
  // A recovering server votes as the log it had before the damage would
  // have (the up-to-date check needs only its last entry): safe, and it
  // keeps a cluster with several damaged logs able to elect a leader.
  if (recovering_) up_to_date = up_to_date && candidate_last >= std::pair(floor_term_, recover_target_);
  const bool grant = message.term == term_ && up_to_date && (voted_for_ == -1 || voted_for_ == candidate);
  if (grant && voted_for_ != candidate) {
    voted_for_ = candidate;
    // Figure 2: the vote is durable before the reply that reveals it.
    persist_meta(!params_.vote_not_persisted);
  }
  if (grant) {
    reset_election_deadline();
    observer_.on_vote_granted(self_, term_, index_of(from));
  }
  ctx_.net().send(from, VoteReply{term_, grant});
}

void Server::on_vote_reply(NodeId from, const VoteReply& message) {
  if (message.term > term_) {
    step_down(message.term);
    return;
  }
  if (role_ != Role::candidate || message.term != term_ || !message.granted) return;
  const size_t voter = index_of(from);
  if (std::find(votes_.begin(), votes_.end(), voter) == votes_.end()) votes_.push_back(voter);
  if (votes_.size() >= majority()) become_leader();
}

void Server::become_leader() {
  // Invariant: only a candidate with a majority of this term's votes leads.
  DETSIM_ASSERT(role_ == Role::candidate);
  DETSIM_ASSERT(votes_.size() >= majority());
  role_ = Role::leader;
  leader_ = static_cast<int64_t>(self_);
  for (auto& [index, peer] : peers_) peer = Peer{last_index() + 1, 0, 0, false};
  has_lease_ = false;
  round_sent_.clear();
  // Rounds are unique across terms (and so across incarnations): a round
  // number of another term never matches one of ours.
  round_ = term_ << 32;
  term_start_index_ = last_index() + 1;
  rebuild_log_seqs();
  observer_.on_leader(self_, term_, ctx_.now());
  ctx_.set_role("leader", true);
  ctx_.log("leader term={} last={}", term_, last_index());
  // Raft §8 / thesis §6.4: a no-op at the start of the term commits the
  // entries of earlier terms (§5.4.2) and lets reads be served. The planted
  // bug commit_previous_term keeps it: its only fault is the commit rule,
  // which commits an older entry replicated ahead of the no-op.
  batch_.push_back(Command{});
  heartbeat_deadline_ = ctx_.monotonic_now();
  leader_since_ = ctx_.monotonic_now();
}

// A higher term, or a leader of our term: back to follower (Figure 2,
// "Rules for Servers"). A new term forgets the vote.
void Server::step_down(uint64_t term) {
  // Invariant: terms never go back.
  DETSIM_ASSERT(term >= term_);
  const bool was_leader = role_ == Role::leader;
  ctx_.sometimes("leader_deposed_by_higher_term", was_leader && term > term_);
  if (term > term_) {
    term_ = term;
    voted_for_ = -1;
    leader_ = -1;
    persist_meta(!params_.vote_not_persisted);
  }
  role_ = Role::follower;
  if (was_leader) {
    observer_.on_step_down(self_);
    ctx_.set_role("leader", false);
    drop_client_state();
    leader_ = -1;
  }
  reset_election_deadline();
}

}  // namespace detsim::raft_kv
