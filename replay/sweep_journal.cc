#include "replay/sweep_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>

#include "replay/shard.h"
#include "sim/core/assert.h"

namespace detsim {
namespace {

std::string failure_reason() { return errno != 0 ? std::string(": ") + std::strerror(errno) : ""; }

// The header's fields in the order a difference is reported, each with
// how it reads on a command line.
struct HeaderField {
  const char* key;
  const char* option;  // the repeated option for a list, or the prefix
};
constexpr HeaderField kHeaderFields[] = {
    {"version", "format version"}, {"scenario", "scenario"}, {"sets", "--set"},
    {"grids", "--grid"},           {"seeds", "--seeds"},     {"faults", "--faults"},
};

// "--grid nodes=3,5 --grid clients=1", "no --set", "--seeds 1..4".
std::string describe(const HeaderField& field, const nlohmann::json& value) {
  std::string option = field.option;
  if (value.is_null() || (value.is_array() && value.empty())) return "no " + option;
  if (value.is_array()) {
    std::string text;
    for (const nlohmann::json& item : value) {
      text += (text.empty() ? "" : " ") + option + " " +
              shell_quote(item.is_string() ? item.get<std::string>() : item.dump());
    }
    return text;
  }
  return option + " " + shell_quote(value.is_string() ? value.get<std::string>() : value.dump());
}

// A shard file's header must equal this invocation's in every field.
void check_shard_header(const std::filesystem::path& path, const nlohmann::json& found,
                        const nlohmann::json& expected) {
  const std::string prefix = "--resume: " + path.string() + " ";
  if (!is_shard_header(found)) throw UsageError(prefix + "does not start with a shard header; delete it");
  for (const auto& [key, value] : expected.items()) {
    nlohmann::json had = found.contains(key) ? found[key] : nlohmann::json();
    if (had == value) continue;
    throw UsageError(prefix + "has " + key + "=" + had.dump() + ", not " + value.dump() +
                     ": give the same options, or delete it");
  }
}

void check_header(const std::filesystem::path& path, const nlohmann::json& found, const nlohmann::json& expected) {
  const std::string prefix = "--resume: " + path.string() + " ";
  if (!found.is_object() || !found.contains("journal") || found["journal"] != expected.at("journal")) {
    throw UsageError(prefix + "does not start with a sweep journal header; delete it");
  }
  for (const HeaderField& field : kHeaderFields) {
    nlohmann::json value = found.contains(field.key) ? found[field.key] : nlohmann::json();
    if (value == expected.at(field.key)) continue;
    throw UsageError(prefix + "is for a sweep with " + describe(field, value) + ", not " +
                     describe(field, expected.at(field.key)) + ": give the same options, or delete it");
  }
}

// One entry line: the task, checked against the sweep, and its outcome.
std::pair<uint64_t, SeedOutcome> parse_entry(const std::string& line, const JournalExpectation& expected) {
  uint64_t task = 0;
  SeedOutcome outcome;
  if (expected.format == JournalFormat::shard) {
    ShardRow row = parse_shard_row(nlohmann::ordered_json::parse(line));
    task = row.task;
    outcome = std::move(row.outcome);
  } else {
    const nlohmann::json entry = nlohmann::json::parse(line);
    task = entry.at("task").get<uint64_t>();
    outcome = from_wire(entry.at("outcome"));
  }
  if (task >= expected.task_count) throw std::out_of_range("task " + std::to_string(task) + " is beyond the sweep");
  if (outcome.seed != expected.seed_of(task))
    throw std::out_of_range("task " + std::to_string(task) + " has another seed");
  return {task, std::move(outcome)};
}

// Keeps the complete lines; the file is cut back to them.
void drop_torn_tail(const std::filesystem::path& path, uint64_t complete_bytes) {
  std::error_code error;
  std::filesystem::resize_file(path, complete_bytes, error);
  if (error) throw OutputError("cannot write " + path.string() + ": " + error.message());
}

}  // namespace

std::filesystem::path journal_path_for(const std::string& out_path) { return out_path + ".journal"; }

nlohmann::json journal_header(const SweepOptions& options) {
  return {{"journal", "detsim sweep"},
          {"version", kSweepJournalVersion},
          {"scenario", options.scenario},
          {"sets", options.sets},
          {"grids", options.grids},
          {"seeds", options.seeds},
          {"faults", options.faults ? nlohmann::json(*options.faults) : nlohmann::json()}};
}

JournaledRuns read_journal(const std::filesystem::path& path, const JournalExpectation& expected) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("--resume: cannot read " + path.string() + failure_reason());
  JournaledRuns runs;
  std::string line;
  uint64_t line_number = 0;
  uint64_t complete_bytes = 0;
  while (std::getline(in, line)) {
    // A last line without its newline was cut short by a kill mid-write.
    if (in.eof()) break;
    ++line_number;
    complete_bytes += line.size() + 1;
    if (line_number == 1) {
      nlohmann::json header = nlohmann::json::parse(line, nullptr, false);
      if (expected.format == JournalFormat::shard) {
        check_shard_header(path, header, expected.header);
      } else {
        check_header(path, header, expected.header);
      }
      continue;
    }
    try {
      auto [task, outcome] = parse_entry(line, expected);
      if (!runs.emplace(task, std::move(outcome)).second)
        throw std::out_of_range("task " + std::to_string(task) + " twice");
    } catch (const std::exception& error) {
      throw UsageError(path.string() + ":" + std::to_string(line_number) + ": not an entry of this sweep (" +
                       error.what() + "); delete the journal to start over");
    }
  }
  if (line_number == 0 && expected.format == JournalFormat::shard) {
    check_shard_header(path, nlohmann::json(), expected.header);
  }
  if (line_number == 0) check_header(path, nlohmann::json(), expected.header);
  if (complete_bytes != std::filesystem::file_size(path)) drop_torn_tail(path, complete_bytes);
  return runs;
}

JournalWriter JournalWriter::create(const std::filesystem::path& path, const nlohmann::json& header) {
  // O_EXCL: two sweeps started on the same --out must not share a journal.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError("cannot create " + path.string() + failure_reason());
  JournalWriter writer(path, fd);
  writer.write_line(header);
  return writer;
}

JournalWriter JournalWriter::append_to(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) throw OutputError("cannot write " + path.string() + failure_reason());
  return JournalWriter(path, fd);
}

JournalWriter::JournalWriter(JournalWriter&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void JournalWriter::add(uint64_t task, const SeedOutcome& outcome) {
  write_line({{"task", task}, {"outcome", to_wire(outcome)}});
}

// One write per line where the kernel allows: a kill then leaves whole
// lines, or one torn last line, which read_journal drops.
void JournalWriter::add_line(const std::string& text) { write_text(text + "\n"); }

void JournalWriter::write_line(const nlohmann::json& line) {
  write_text(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void JournalWriter::write_text(std::string text) {
  DETSIM_ASSERT(fd_ >= 0);
  std::string_view rest = text;
  while (!rest.empty()) {
    errno = 0;
    const ssize_t written = ::write(fd_, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      throw OutputError("cannot write " + path_.string() + failure_reason() +
                        "; the sweep stopped (--resume continues it once that is fixed)");
    }
    rest.remove_prefix(static_cast<size_t>(written));
  }
}

}  // namespace detsim
