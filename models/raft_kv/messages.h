// Wire types of the Raft key-value store: RequestVote and AppendEntries
// (Ongaro & Ousterhout 2014, Figure 2) over datagrams, and the client
// protocol with sessions (Ongaro's thesis §6.3: a client id and a sequence
// number per request, so a retried write applies once).
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/message.h"

namespace detsim::raft_kv {

enum class OpKind : uint8_t { noop = 0, get, put, append, cas };

inline const char* to_string(OpKind kind) {
  switch (kind) {
    case OpKind::noop: return "noop";
    case OpKind::get: return "get";
    case OpKind::put: return "put";
    case OpKind::append: return "append";
    case OpKind::cas: return "cas";
  }
  return "?";
}

// Folds bytes or words into a running 64-bit hash (FNV-1a then a
// splitmix64 finish): message digests, record checksums and the observer's
// chained log hashes.
// The FNV-1a steps alone, so that a hash over pieces needs no concatenation.
inline uint64_t fnv1a_fold(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}
inline uint64_t hash_bytes(uint64_t chain, std::string_view bytes) {
  uint64_t h = fnv1a_fold(chain ^ 0xcbf29ce484222325ULL, bytes);
  return splitmix64(h);
}
inline uint64_t hash_word(uint64_t chain, uint64_t word) {
  uint64_t state = chain * 0x9e3779b97f4a7c15ULL ^ word;
  return splitmix64(state);
}

// A state-machine command: what a log entry carries.
struct Command {
  OpKind kind = OpKind::noop;
  uint64_t client = 0;  // session; 0 for the leader's no-op
  uint64_t seq = 0;
  std::string key;
  std::string value;     // put, append: the argument; cas: the new value
  std::string expected;  // cas: the old value
  uint64_t digest() const {
    uint64_t h = hash_word(hash_word(hash_word(0x5a, static_cast<uint64_t>(kind)), client), seq);
    return hash_bytes(hash_bytes(hash_bytes(h, key), value), expected);
  }
  size_t size_bytes() const { return 24 + key.size() + value.size() + expected.size(); }
};

struct Entry {
  uint64_t term = 0;
  Command command;
};

inline size_t entries_size_bytes(const std::vector<Entry>& entries) {
  size_t bytes = 0;
  for (const Entry& entry : entries) bytes += 8 + entry.command.size_bytes();
  return bytes;
}

struct RequestVote {
  uint64_t term = 0;
  uint64_t last_log_index = 0;
  uint64_t last_log_term = 0;
  size_t size_bytes() const { return 32; }
};

struct VoteReply {
  uint64_t term = 0;
  bool granted = false;
  size_t size_bytes() const { return 24; }
};

struct AppendEntries {
  uint64_t term = 0;
  uint64_t prev_index = 0;
  uint64_t prev_term = 0;
  uint64_t leader_commit = 0;
  uint64_t round = 0;  // the heartbeat round: read-index and lease confirm leadership by it
  std::vector<Entry> entries;
  size_t size_bytes() const { return 48 + entries_size_bytes(entries); }
  uint64_t digest() const {
    uint64_t h = hash_word(hash_word(hash_word(0xae, term), prev_index), prev_term);
    h = hash_word(hash_word(h, leader_commit), round);
    for (const Entry& entry : entries) h = hash_word(hash_word(h, entry.term), entry.command.digest());
    return h;
  }
};

struct AppendReply {
  uint64_t term = 0;
  bool success = false;
  uint64_t match_index = 0;     // success: the follower's log matches up to here
  uint64_t conflict_index = 0;  // failure: where the leader should try next (fast backoff)
  uint64_t conflict_term = 0;   // failure: the term of the follower's conflicting entry, 0 if none
  uint64_t prev_index = 0;      // failure: the prevLogIndex that did not match
  uint64_t round = 0;
  // The term of the AppendEntries this answers. A reply counts toward a
  // leader's rounds only if it answers that leader's own request: a
  // follower that rejects a previous incarnation's request replies with
  // its (maybe equal) current term and that incarnation's round.
  uint64_t request_term = 0;
  size_t size_bytes() const { return 64; }
};

// Whether a reply acknowledges one of this leader's heartbeat rounds
// (thesis §6.4: only acks of our own requests confirm our leadership):
// it answers a request of our term, accepted or rejected for its log, and
// names a round we have sent.
inline bool acks_own_round(const AppendReply& reply, uint64_t term, uint64_t round_sent_max) {
  if (reply.term != term || reply.request_term != term) return false;
  return reply.round <= round_sent_max;
}

// Hole filling (a server that salvaged intact entries past damage in its
// log): "send me your entries first_index..last_index if your entry at
// last_index has last_term". Log matching (§5.3) makes such a log equal to
// the asker's own up to last_index.
struct FetchEntries {
  uint64_t first_index = 0;
  uint64_t last_index = 0;
  uint64_t last_term = 0;
  size_t size_bytes() const { return 32; }
};

struct FetchReply {
  uint64_t first_index = 0;
  uint64_t prev_term = 0;  // the responder's term at first_index - 1
  std::vector<Entry> entries;
  size_t size_bytes() const { return 24 + entries_size_bytes(entries); }
};

struct ClientRequest {
  Command command;  // get is never logged
  size_t size_bytes() const { return 8 + command.size_bytes(); }
  uint64_t digest() const { return hash_word(0xc1, command.digest()); }
};

enum class ReplyStatus : uint8_t { ok = 0, fail, not_leader };

struct ClientReply {
  uint64_t seq = 0;
  ReplyStatus status = ReplyStatus::ok;
  bool has_value = false;  // get: false when the key is absent
  std::string value;
  int64_t leader_hint = -1;  // not_leader: the server index believed to lead, -1 if unknown
  size_t size_bytes() const { return 32 + value.size(); }
};

}  // namespace detsim::raft_kv

DETSIM_MESSAGE_FORMAT(detsim::raft_kv::RequestVote, "request_vote term={} last={}@{}", m.term, m.last_log_index,
                      m.last_log_term);
DETSIM_MESSAGE_FORMAT(detsim::raft_kv::VoteReply, "vote_reply term={} granted={}", m.term, m.granted);
DETSIM_MESSAGE_FORMAT(detsim::raft_kv::AppendEntries, "append_entries term={} prev={}@{} commit={} round={} entries={}",
                      m.term, m.prev_index, m.prev_term, m.leader_commit, m.round, m.entries.size());
DETSIM_MESSAGE_FORMAT(detsim::raft_kv::AppendReply,
                      "append_reply term={} request_term={} success={} match={} conflict={}@{} round={}", m.term,
                      m.request_term, m.success, m.match_index, m.conflict_index, m.conflict_term, m.round);
DETSIM_MESSAGE_FORMAT(detsim::raft_kv::FetchEntries, "fetch_entries {}..{}@{}", m.first_index, m.last_index,
                      m.last_term);
DETSIM_MESSAGE_FORMAT(detsim::raft_kv::FetchReply, "fetch_reply first={} prev_term={} entries={}", m.first_index,
                      m.prev_term, m.entries.size());
DETSIM_MESSAGE_FORMAT(detsim::raft_kv::ClientRequest, "request {} session={} seq={} key={} value={} expected={}",
                      detsim::raft_kv::to_string(m.command.kind), m.command.client, m.command.seq, m.command.key,
                      m.command.value, m.command.expected);
DETSIM_MESSAGE_FORMAT(detsim::raft_kv::ClientReply, "reply seq={} status={} value={}{} hint={}", m.seq,
                      static_cast<int>(m.status), m.has_value ? "" : "nil:", m.value, m.leader_hint);
