// Wire types of Maelstrom's broadcast workload (Maelstrom doc/03-broadcast):
// clients send `broadcast` and wait for `broadcast_ok`; servers spread the
// values among themselves by gossip. Every server-to-server message carries
// the sender's incarnation, so a peer that restarted with empty memory is
// noticed and re-sent everything.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/api/message.h"

namespace detsim::broadcast {

// Folds a word into a running digest; used so that a message's fingerprint
// covers every value, not only the (truncated) trace text.
inline uint64_t digest_mix(uint64_t chain, uint64_t word) {
  uint64_t state = chain ^ word;
  return splitmix64(state);
}

inline uint64_t digest_values(uint64_t chain, const std::vector<int64_t>& values) {
  chain = digest_mix(chain, values.size());
  for (int64_t value : values) chain = digest_mix(chain, static_cast<uint64_t>(value));
  return chain;
}

// Client -> server: "make this value known to every server".
struct Broadcast {
  int64_t value = 0;
  uint64_t request_id = 0;  // the client's operation; retries reuse it
  size_t size_bytes() const { return 32; }
  uint64_t digest() const { return digest_mix(digest_mix(0xb0, static_cast<uint64_t>(value)), request_id); }
};

// Server -> client: a majority of servers holds the value.
struct BroadcastOk {
  uint64_t request_id = 0;
  size_t size_bytes() const { return 24; }
  uint64_t digest() const { return digest_mix(0xb1, request_id); }
};

// Server -> server: values the target is not known to hold.
struct Gossip {
  uint32_t sender_incarnation = 0;
  // The target's incarnation as the sender knows it, -1 if unknown. A
  // restarted target repeats Hello until a Gossip names its new incarnation:
  // only then does it know the sender has dropped its stale confirmations.
  int64_t target_incarnation = -1;
  std::vector<int64_t> values;
  // The sender's wall clock at send, in ns; only the planted bug
  // trust_wall_clock sets it (0 otherwise, and then left out of the digest).
  int64_t sent_wall_ns = 0;
  size_t size_bytes() const { return 24 + 8 * values.size() + (sent_wall_ns != 0 ? 8 : 0); }
  uint64_t digest() const {
    uint64_t chain = digest_mix(digest_mix(0xb2, sender_incarnation), static_cast<uint64_t>(target_incarnation));
    if (sent_wall_ns != 0) chain = digest_mix(chain, static_cast<uint64_t>(sent_wall_ns));
    return digest_values(chain, values);
  }
};

// Server -> server: the sender now holds exactly these values (all of the
// Gossip it answers), in incarnation sender_incarnation.
struct GossipOk {
  uint32_t sender_incarnation = 0;
  std::vector<int64_t> values;
  size_t size_bytes() const { return 16 + 8 * values.size(); }
  uint64_t digest() const { return digest_values(digest_mix(0xb3, sender_incarnation), values); }
};

// Server -> server, on boot: "I am incarnation N and remember nothing".
struct Hello {
  uint32_t incarnation = 0;
  size_t size_bytes() const { return 16; }
  uint64_t digest() const { return digest_mix(0xb4, incarnation); }
};

// Trace text for a value list: the first few values and the count, so a
// 256-value batch stays one readable line.
inline std::string format_values(const std::vector<int64_t>& values) {
  constexpr size_t kShown = 6;
  std::string text = "[";
  for (size_t i = 0; i < std::min(values.size(), kShown); ++i) {
    if (i > 0) text += ", ";
    text += fmt::format("{}", values[i]);
  }
  if (values.size() > kShown) text += fmt::format(", ... {} values", values.size());
  return text + "]";
}

}  // namespace detsim::broadcast

// How each message prints in traces (sim/api/message.h).
DETSIM_MESSAGE_FORMAT(detsim::broadcast::Broadcast, "broadcast value={} req={}", m.value, m.request_id);
DETSIM_MESSAGE_FORMAT(detsim::broadcast::BroadcastOk, "broadcast_ok req={}", m.request_id);
DETSIM_MESSAGE_FORMAT(detsim::broadcast::Gossip, "gossip inc={} target_inc={} values={}", m.sender_incarnation,
                      m.target_incarnation, detsim::broadcast::format_values(m.values));
DETSIM_MESSAGE_FORMAT(detsim::broadcast::GossipOk, "gossip_ok inc={} values={}", m.sender_incarnation,
                      detsim::broadcast::format_values(m.values));
DETSIM_MESSAGE_FORMAT(detsim::broadcast::Hello, "hello inc={}", m.incarnation);
