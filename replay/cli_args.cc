// Syntax of the small command-line values: seeds, seed ranges, time
// windows, and shell quoting for the reproduce line.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>
#include <thread>

#include "replay/commands.h"
#include "sim/core/duration_dist.h"

namespace detsim {
namespace {

// Splits "A..B" at the first "..", or nullopt without one.
std::optional<std::pair<std::string_view, std::string_view>> split_range(std::string_view text) {
  size_t dots = text.find("..");
  if (dots == std::string_view::npos) return std::nullopt;
  return std::make_pair(text.substr(0, dots), text.substr(dots + 2));
}

}  // namespace

std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t value = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

int jobs_max() {
  // hardware_concurrency() may say 0 (unknown): then the floor holds.
  const auto cpus = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(4 * cpus, 64, 1024);
}

void check_jobs(int jobs) {
  const std::string prefix = "--jobs " + std::to_string(jobs) + ": ";
  if (jobs < 1) throw UsageError(prefix + "expected at least 1");
  if (jobs > jobs_max()) throw UsageError(prefix + "expected at most " + std::to_string(jobs_max()));
}

uint64_t parse_seed(std::string_view text) {
  std::optional<uint64_t> seed = parse_u64(text);
  if (!seed) throw UsageError("--seed " + std::string(text) + ": expected a non-negative integer");
  return *seed;
}

SeedRange parse_seed_range(std::string_view text) {
  std::string prefix = "--seeds " + std::string(text) + ": ";
  // A bare "154" is the one-seed range 154..154: pasting a failing seed
  // from a summary into --seeds should just work.
  if (!split_range(text)) {
    if (std::optional<uint64_t> seed = parse_u64(text)) return {*seed, *seed};
  }
  auto parts = split_range(text);
  std::optional<uint64_t> first = parts ? parse_u64(parts->first) : std::nullopt;
  std::optional<uint64_t> last = parts ? parse_u64(parts->second) : std::nullopt;
  if (!first || !last) throw UsageError(prefix + "expected A..B with integers A <= B, like 1..20, or one seed N");
  if (*first > *last) throw UsageError(prefix + "the first seed is greater than the last");
  // count() must not wrap: 0..UINT64_MAX has 2^64 seeds.
  if (*first == 0 && *last == UINT64_MAX) throw UsageError(prefix + "too many seeds");
  return {*first, *last};
}

TimeWindow parse_window(std::string_view text) {
  std::string prefix = "--window " + std::string(text) + ": ";
  auto parts = split_range(text);
  std::optional<Duration> from = parts ? parse_duration(parts->first) : std::nullopt;
  std::optional<Duration> to = parts ? parse_duration(parts->second) : std::nullopt;
  if (!from || !to) throw UsageError(prefix + "expected T1..T2 with durations, like 1s..2.5s");
  if (*from > *to) throw UsageError(prefix + "the start is after the end");
  return {Time::zero() + *from, Time::zero() + *to};
}

std::vector<BranchPoint> parse_branch_path(std::string_view text) {
  const std::string message = "--branch " + std::string(text) +
                              ": expected EVENT:SALT,... with event indexes ascending and salts above 0, "
                              "like 81234:3,190002:1";
  std::vector<BranchPoint> path;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view step = text.substr(0, comma);
    const size_t colon = step.find(':');
    std::optional<uint64_t> event = parse_u64(step.substr(0, colon));
    std::optional<uint64_t> salt = colon == std::string_view::npos ? std::nullopt : parse_u64(step.substr(colon + 1));
    if (!event || !salt || *salt == 0) throw UsageError(message);
    if (!path.empty() && *event <= path.back().event_index) throw UsageError(message);
    path.push_back({*event, *salt});
    // A trailing comma ("1:2,") leaves an empty step: rejected above next time.
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) throw UsageError(message);
  }
  return path;
}

std::string branch_path_text(const std::vector<BranchPoint>& path) {
  std::string text;
  for (const BranchPoint& step : path) {
    if (!text.empty()) text += ',';
    text += std::to_string(step.event_index) + ":" + std::to_string(step.salt);
  }
  return text;
}

std::string shell_quote(std::string_view argument) {
  auto is_safe = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-./=:,+@%").find(c) != std::string_view::npos;
  };
  bool safe = !argument.empty();
  for (char c : argument) safe = safe && is_safe(c);
  if (safe) return std::string(argument);
  std::string quoted = "'";
  for (char c : argument) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

namespace {

// The first `detsim` on PATH, as the shell would find it; nullopt if none.
std::optional<std::filesystem::path> detsim_on_path(std::string_view path_env) {
  while (true) {
    const size_t colon = path_env.find(':');
    const std::string_view dir = path_env.substr(0, colon);
    std::error_code ignored;
    std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / "detsim";
    if (std::filesystem::is_regular_file(candidate, ignored)) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    path_env.remove_prefix(colon + 1);
  }
}

}  // namespace

std::string program_name(std::string_view argv0, const std::optional<std::string>& path_env) {
  if (argv0.empty()) return "detsim";
  // No slash: the shell found it on PATH under this very name.
  if (argv0.find('/') == std::string_view::npos) return std::string(argv0);
  if (path_env) {
    std::optional<std::filesystem::path> found = detsim_on_path(*path_env);
    std::error_code error;
    if (found && std::filesystem::equivalent(*found, std::filesystem::path(argv0), error) && !error) return "detsim";
  }
  return std::string(argv0);
}

}  // namespace detsim
