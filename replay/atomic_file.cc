#include "replay/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "replay/commands.h"
#include "sim/core/assert.h"

namespace detsim {
namespace {

// ": No space left on device", or "" when the C library left no reason.
std::string reason_from_errno() { return errno != 0 ? std::string(": ") + std::strerror(errno) : ""; }

// The data must be on disk before the rename makes it the file: after a
// power loss a renamed but unsynced file can come back empty.
void sync_to_disk(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw OutputError("cannot write " + path.string() + reason_from_errno());
  int synced = ::fsync(fd);
  std::string reason = reason_from_errno();
  ::close(fd);
  if (synced != 0) throw OutputError("cannot write " + path.string() + reason);
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)), temporary_path_(path_.string() + ".tmp") {
  stream_.open(temporary_path_, std::ios::binary | std::ios::trunc);
  if (!stream_) {
    // Named by the path the user gave; the .tmp is an implementation detail.
    throw UsageError("cannot write " + path_.string() + ": " + std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  stream_.close();
  std::error_code ignored;
  std::filesystem::remove(temporary_path_, ignored);
}

void AtomicFile::commit() {
  DETSIM_ASSERT(!committed_);
  errno = 0;
  stream_.flush();
  std::string reason = reason_from_errno();
  stream_.close();
  // Named by the path the user gave, as in the constructor.
  if (stream_.fail()) throw OutputError("cannot write " + path_.string() + reason);
  sync_to_disk(temporary_path_);
  std::error_code error;
  std::filesystem::rename(temporary_path_, path_, error);
  if (error) {
    throw OutputError("cannot rename " + temporary_path_.string() + " to " + path_.string() + ": " + error.message());
  }
  committed_ = true;
}

}  // namespace detsim
