// What the control plane's nodes say to each other. Every request carries
// an id that its reply echoes (models/resource_fsm/rpc.h routes replies).
#pragma once

#include <cstdint>

#include "models/parts/row_store.h"
#include "sim/api/message.h"

namespace detsim::rfsm {

// Client -> API server.
struct Request {
  uint64_t id = 0;
  int64_t kind = 0;  // Kind
  int64_t resource = 0;
  int64_t spec = 0;
};
enum class Outcome : uint8_t { ok, conflict, rejected, unavailable };
struct Response {
  uint64_t id = 0;
  Outcome outcome = Outcome::unavailable;
};

// API server -> store: read a resource, then write it (with the new job).
struct DbRead {
  uint64_t id = 0;
  int64_t resource = 0;
};
struct DbRow {
  uint64_t id = 0;
  parts::Row row;  // empty: absent
};
struct DbWrite {
  uint64_t id = 0;
  int64_t resource = 0;
  bool compare = true;  // UPDATE ... WHERE version = ? (the row must still be `expected`)
  parts::Row expected;  // empty: must be absent
  parts::Row next;
  int64_t job = 0;
  parts::Row job_row;
};
enum class WriteStatus : uint8_t { ok, conflict, error, stale };
struct DbWriteReply {
  uint64_t id = 0;
  WriteStatus status = WriteStatus::error;
};

// Worker -> store: take a job under a lease, renew it, record completion.
struct Acquire {
  uint64_t id = 0;
  int64_t worker = 0;
};
struct Grant {
  uint64_t id = 0;
  int64_t job = 0;  // 0: no job was free
  parts::Row job_row;
  int64_t token = 0;
  int64_t expires_wall_ns = 0;  // the store's wall clock + TTL (only the planted bug reads it)
};
struct Renew {
  uint64_t id = 0;
  int64_t job = 0;
  int64_t token = 0;
};
struct RenewReply {
  uint64_t id = 0;
  bool ok = false;
  int64_t expires_wall_ns = 0;
};
struct Complete {
  uint64_t id = 0;
  int64_t job = 0;
  int64_t token = 0;
  int64_t resource = 0;
  int64_t state = 0;  // the State the job ends the resource in
  int64_t spec = 0;
};

// Worker -> provider: make the resource so, under this fencing token.
struct Apply {
  uint64_t id = 0;
  int64_t resource = 0;
  int64_t token = 0;
  int64_t kind = 0;
  int64_t spec = 0;
};
enum class ApplyStatus : uint8_t { applied, fenced, refused };
struct ApplyReply {
  uint64_t id = 0;
  ApplyStatus status = ApplyStatus::refused;
};

}  // namespace detsim::rfsm

DETSIM_MESSAGE_FORMAT(detsim::rfsm::Request, "request id={} kind={} r={} spec={}", m.id, m.kind, m.resource, m.spec);
DETSIM_MESSAGE_FORMAT(detsim::rfsm::Response, "response id={} outcome={}", m.id, static_cast<int>(m.outcome));
DETSIM_MESSAGE_FORMAT(detsim::rfsm::DbRead, "db_read id={} r={}", m.id, m.resource);
DETSIM_MESSAGE_FORMAT(detsim::rfsm::DbRow, "db_row id={} cols={}", m.id, m.row.size());
DETSIM_MESSAGE_FORMAT(detsim::rfsm::DbWrite, "db_write id={} r={} compare={} job={}", m.id, m.resource, m.compare,
                      m.job);
DETSIM_MESSAGE_FORMAT(detsim::rfsm::DbWriteReply, "db_write_reply id={} status={}", m.id, static_cast<int>(m.status));
DETSIM_MESSAGE_FORMAT(detsim::rfsm::Acquire, "acquire id={} worker={}", m.id, m.worker);
DETSIM_MESSAGE_FORMAT(detsim::rfsm::Grant, "grant id={} job={} token={}", m.id, m.job, m.token);
DETSIM_MESSAGE_FORMAT(detsim::rfsm::Renew, "renew id={} job={} token={}", m.id, m.job, m.token);
DETSIM_MESSAGE_FORMAT(detsim::rfsm::RenewReply, "renew_reply id={} ok={}", m.id, m.ok);
DETSIM_MESSAGE_FORMAT(detsim::rfsm::Complete, "complete id={} job={} token={} r={} state={}", m.id, m.job, m.token,
                      m.resource, m.state);
DETSIM_MESSAGE_FORMAT(detsim::rfsm::Apply, "apply id={} r={} token={} kind={} spec={}", m.id, m.resource, m.token,
                      m.kind, m.spec);
DETSIM_MESSAGE_FORMAT(detsim::rfsm::ApplyReply, "apply_reply id={} status={}", m.id, static_cast<int>(m.status));
