// An output file that appears whole or not at all: written to "F.tmp" and
// renamed over F on commit(). A run that fails or throws before commit()
// leaves no half-written F behind (STYLE.md rule 6). A write that fails
// is an OutputError (exit 74), never a silently short file.
#pragma once

#include <filesystem>
#include <fstream>
#include <ostream>

namespace detsim {

class AtomicFile {
 public:
  // Opens F.tmp; throws UsageError naming F if it cannot.
  explicit AtomicFile(std::filesystem::path path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  // Removes F.tmp unless committed.
  ~AtomicFile();

  std::ostream& stream() { return stream_; }
  const std::filesystem::path& path() const { return path_; }
  // Flushes, checks for write errors, fsyncs, renames F.tmp to F. Throws
  // OutputError if any of that fails (F.tmp is removed, F left as it was).
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temporary_path_;
  std::ofstream stream_;
  bool committed_ = false;
};

}  // namespace detsim
