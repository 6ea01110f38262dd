#include "replay/atomic_file.h"

#include <cerrno>
#include <cstring>

#include "replay/commands.h"
#include "sim/core/assert.h"

namespace detsim {

AtomicFile::AtomicFile(std::filesystem::path path)
    : path_(std::move(path)), temporary_path_(path_.string() + ".tmp") {
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
  stream_.close();
  if (stream_.fail()) throw UsageError("cannot write " + temporary_path_.string());
  std::error_code error;
  std::filesystem::rename(temporary_path_, path_, error);
  if (error) {
    throw UsageError("cannot rename " + temporary_path_.string() + " to " + path_.string() + ": " +
                     error.message());
  }
  committed_ = true;
}

}  // namespace detsim
