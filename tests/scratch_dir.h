// A fresh directory under the system's temporary directory, removed with
// everything in it when the object goes away.
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <string_view>

namespace detsim::testing {

class ScratchDir {
 public:
  explicit ScratchDir(std::string_view prefix) {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / (std::string(prefix) + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace detsim::testing
