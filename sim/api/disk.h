// THE SEAM, storage half: a node's disk as model code sees it. Files are
// named by path and hold bytes. Every call blocks the calling fiber for
// simulated time (a queue, a service time and a latency); when the node
// crashes, a blocked call throws FiberKilled and its operation never
// happened.
//
// Durability follows LevelDB's and ALICE's model of a POSIX file system:
//
// - Reads see the page cache: the latest writes, synced or not.
// - write, append and truncate are volatile until fsync of that same file.
//   A crash loses them, or (when the scenario asks for it) persists some of
//   them out of order, or tears a write at sector granularity.
// - open(create), rename and remove are metadata operations and durable at
//   once. This is a simplification: it models a journaling file system
//   mounted with dirsync, so models need no directory fsync. Unsynced writes
//   follow their file across a rename.
// - Durable bytes can be corrupted underneath the model (latent sector
//   errors, misdirected writes). Checksums are the model's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace detsim {

enum class IoStatus {
  ok,
  not_found,  // the path does not exist (or, for open, exists not and create is false)
  exists,     // reserved: open(create) of an existing file opens it, as O_CREAT without O_EXCL
  no_space,   // the operation would grow the disk past its capacity, or the disk is full
};

inline const char* to_string(IoStatus status) {
  switch (status) {
    case IoStatus::ok: return "ok";
    case IoStatus::not_found: return "not_found";
    case IoStatus::exists: return "exists";
    case IoStatus::no_space: return "no_space";
  }
  return "?";
}

class Disk {
 public:
  virtual ~Disk() = default;

  // Opens path, creating an empty file if create is set. Durable at once.
  virtual IoStatus open(std::string_view path, bool create) = 0;
  // Writes data at offset; a gap past the end of the file reads as zeros.
  virtual IoStatus write(std::string_view path, uint64_t offset, std::string_view data) = 0;
  // Writes data at the end of the file as the page cache sees it when the
  // operation completes.
  virtual IoStatus append(std::string_view path, std::string_view data) = 0;
  // Reads up to length bytes at offset into *out; short at the end of the
  // file, empty past it.
  virtual IoStatus read(std::string_view path, uint64_t offset, size_t length, std::string* out) = 0;
  // Makes every earlier write, append and truncate of this file durable.
  virtual IoStatus fsync(std::string_view path) = 0;
  // Cuts the file to size bytes, or extends it with zeros.
  virtual IoStatus truncate(std::string_view path, uint64_t size) = 0;
  // Moves from to to, replacing to if it exists. Durable at once.
  virtual IoStatus rename(std::string_view from, std::string_view to) = 0;
  // Deletes path. Durable at once.
  virtual IoStatus remove(std::string_view path) = 0;
  // The file's size as the page cache sees it, or nullopt if it is missing.
  virtual std::optional<uint64_t> size(std::string_view path) = 0;
  // Paths that start with prefix, sorted.
  virtual std::vector<std::string> list(std::string_view prefix = {}) = 0;

  // Inspection for a model's oracle (the observer that checks a promise
  // when it is made: "a vote is durable before it is granted"). Never
  // blocks, changes nothing, not even the fingerprint. How many leading
  // bytes of path the model has made durable: those before the first write
  // or truncate it has not fsynced since. It answers for what the model
  // did, not for disk faults: a misdirected or corrupted write the model
  // synced still counts. nullopt if the file is missing.
  virtual std::optional<uint64_t> durable_prefix(std::string_view path) const = 0;
  // The durable bytes of path at [offset, offset + length), short at their
  // end: what a crash now would leave there. nullopt if the file is missing.
  virtual std::optional<std::string> durable_read(std::string_view path, uint64_t offset, size_t length) const = 0;
};

}  // namespace detsim
