// The journal of a running sweep, F.csv.journal next to --out F.csv: what
// lets a killed sweep continue (--resume) instead of starting over.
//
// JSON lines. The first identifies the sweep, so a journal is never
// continued by a different one:
//   {"journal":"detsim sweep","version":1,"scenario":"broadcast",
//    "sets":["duration=2s"],"grids":["nodes=3,5"],"seeds":"1..4","faults":null}
// then one line per finished run, appended and flushed as it finishes:
//   {"task":5,"outcome":{...to_wire(outcome)...}}
// JSON, not CSV rows: the CSV's columns depend on every row's metrics, so
// the CSV is made from the whole journal at the end. A line cut short by
// a kill mid-write has no newline; it is dropped, and that run made again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "replay/commands.h"
#include "replay/outcome.h"

namespace detsim {

constexpr int kSweepJournalVersion = 1;

// F.csv -> F.csv.journal
std::filesystem::path journal_path_for(const std::string& out_path);

// The first line: this invocation's scenario, --set, --grid, --seeds and
// --faults exactly as given, and the format version.
nlohmann::json journal_header(const SweepOptions& options);

// What the journal already holds, by task index.
using JournaledRuns = std::map<uint64_t, SeedOutcome>;

// How entry lines read: the sweep journal's {"task","outcome"}, or a
// shard file's rows (shard.h), which `sweep --shard` journals in place.
enum class JournalFormat { sweep, shard };

// What a journal must agree with: the header, the number of tasks, and
// each task's seed.
struct JournalExpectation {
  nlohmann::json header;
  uint64_t task_count = 0;
  std::function<uint64_t(uint64_t task)> seed_of;
  JournalFormat format = JournalFormat::sweep;
};

// Every complete entry of the journal at `path`. Throws UsageError with
// one line naming the first difference if the header is not `expected`'s,
// or naming the line of an entry that cannot be one. A torn last line is
// dropped and cut off the file, so appending starts on a fresh line.
JournaledRuns read_journal(const std::filesystem::path& path, const JournalExpectation& expected);

// Appends entries, each written whole and flushed before add() returns.
// Every failure is an OutputError naming the file (exit 74): a sweep whose
// journal cannot be written stops at once instead of running on for
// results it cannot keep.
class JournalWriter {
 public:
  // A new journal, which must not exist yet; writes the header line.
  static JournalWriter create(const std::filesystem::path& path, const nlohmann::json& header);
  // An existing journal, already checked by read_journal.
  static JournalWriter append_to(const std::filesystem::path& path);

  JournalWriter(JournalWriter&& other) noexcept;
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;
  JournalWriter& operator=(JournalWriter&&) = delete;
  ~JournalWriter();

  void add(uint64_t task, const SeedOutcome& outcome);
  // One line of text (a shard row), written and flushed the same way.
  void add_line(const std::string& text);

 private:
  JournalWriter(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  void write_line(const nlohmann::json& line);
  void write_text(std::string text);

  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace detsim
