// TCP-like connections between nodes: FIFO, no loss, no duplicates, limited
// by the link's bandwidth (which datagrams on the link share: both queue
// for size / bandwidth). A partition of either direction between the ends,
// a crash of either end, or close() breaks the connection; both ends then
// see NetStatus::broken.
//
//   // server fiber                          // client fiber
//   auto conn = ctx.net().accept(80);        auto conn = ctx.net().connect(server, 80, 1_s);
//   Message m;                               if (!conn) return;  // timeout or refused
//   while (conn->receive(&m) == NetStatus::ok) conn->send(Ping{1});
//     conn->send(reply(m));                 ...
#pragma once

#include <cstdint>
#include <memory>

#include "sim/api/message.h"
#include "sim/api/node_id.h"
#include "sim/core/time.h"

namespace detsim {

enum class NetStatus {
  ok,
  timeout,  // nothing within the timeout (receive), or no answer (connect)
  broken,   // the connection broke or was closed, by either end
  refused,  // connect: the peer is up but nobody ever accepted on that port
};
const char* to_string(NetStatus status);

struct ConnectionState;

// A cheap handle to one end of a connection; copies refer to the same end.
// It belongs to the node incarnation that opened or accepted it: after that
// node restarts, the old handle is broken.
class Connection {
 public:
  NodeId self() const;
  NodeId peer() const;
  // Unique per connection in a run (both ends share it).
  uint64_t id() const;
  // False once the connection broke or either end closed it. Messages that
  // already arrived can still be read after that.
  bool is_open() const;
  // Never blocks: the message queues behind earlier ones on the link.
  // Returns broken (and sends nothing) if the connection is not open.
  NetStatus send(Message message);
  // The next message, in the order the peer sent them. Messages that
  // arrived before a break are still returned; then broken, as a socket
  // returns its buffered bytes before the error.
  NetStatus receive(Message* out, Duration timeout = Duration::max());
  // A graceful close (TCP FIN): messages this end already sent still arrive,
  // then the peer sees broken. This end sees broken at once; what the peer
  // sends meanwhile is dropped.
  void close();

 private:
  friend class Connections;
  Connection(std::shared_ptr<ConnectionState> state, int side) : state_(std::move(state)), side_(side) {}
  std::shared_ptr<ConnectionState> state_;
  int side_ = 0;  // 0: the end that connected, 1: the end that accepted
};

}  // namespace detsim
