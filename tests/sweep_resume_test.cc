// Issue 18, sweeps that survive: every finished run is journaled at once
// (F.csv.journal); a sweep stopped part-way (here: its journal hits a file
// size limit, exit 74, with a torn last line) continues with --resume to
// the CSV an uninterrupted sweep writes, wall_s aside; a journal is only
// continued by the same sweep, and never silently restarted.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/csv_reader.h"
#include "tests/real_binary.h"
#include "tests/real_cli.h"
#include "tests/scratch_dir.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using testing::read_text;
using testing::real_cli;

// 2 points x 6 seeds of broadcast for 2 simulated seconds: quick, and
// each journal line is some hundreds of bytes.
const std::vector<std::string> kSweep = {"sweep", "broadcast", "--grid",      "nodes=3,5", "--seeds",
                                         "1..6",  "--set",     "duration=2s", "--set",     "settle=1s"};

std::string quoted(const std::vector<std::string>& args) {
  std::string text;
  for (const std::string& arg : args) text += " '" + arg + "'";
  return text;
}

// The CSV with every wall_s cell blanked: the one column two sweeps differ in.
std::string without_wall_time(const std::string& text) {
  testing::CsvText csv = testing::parse_csv(text);
  std::string result;
  for (const std::string& column : csv.header) result += column + ",";
  for (size_t row = 0; row < csv.rows.size(); ++row) {
    result += "\n";
    for (size_t column = 0; column < csv.header.size(); ++column) {
      result += (csv.header[column] == "wall_s" ? std::string("-") : csv.rows[row][column]) + ",";
    }
  }
  return result;
}

size_t line_count(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

class SweepResumeTest : public ::testing::Test {
 protected:
  std::vector<std::string> sweep(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = kSweep;
    args.insert(args.end(), {"--out", out_});
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // The sweep as a user's shell runs it, with files limited to 4 KiB: it
  // stops at the journal line that crosses the limit (SIGXFSZ ignored, so
  // the write fails with EFBIG).
  testing::ShellRun stopped_sweep() const {
    return testing::run_shell("trap '' XFSZ; ulimit -f 4; exec \"$DETSIM\"" + quoted(sweep()), dir_);
  }

  // What an uninterrupted sweep writes, in a folder of its own.
  std::string uninterrupted_csv() const {
    const std::string other = (dir_ / "uninterrupted.csv").string();
    std::vector<std::string> args = kSweep;
    args.insert(args.end(), {"--out", other});
    EXPECT_EQ(real_cli(args).code, 0);
    return read_text(other);
  }

  testing::ScratchDir scratch_{"detsim_resume_test_"};
  const fs::path& dir_ = scratch_.path();
  std::string out_ = (dir_ / "out.csv").string();
  std::string journal_ = out_ + ".journal";
};

TEST_F(SweepResumeTest, AFailedJournalWriteStopsTheSweepAtOnceWithExit74) {
  testing::ShellRun stopped = stopped_sweep();
  EXPECT_EQ(stopped.code, 74) << stopped.err;
  EXPECT_EQ(stopped.out, "");
  EXPECT_EQ(stopped.err, "detsim: cannot write " + journal_ +
                             ": File too large; the sweep stopped (--resume continues it once that is fixed)\n");
  EXPECT_FALSE(fs::exists(out_));
  // Stopped at the limit, not after all 12 runs: the header and a few.
  const std::string journal = read_text(journal_);
  EXPECT_EQ(journal.size(), 4096u);
  EXPECT_GE(line_count(journal), 2u);
  EXPECT_LT(line_count(journal), 12u);
}

TEST_F(SweepResumeTest, ResumedSweepWritesTheUninterruptedCsv) {
  ASSERT_EQ(stopped_sweep().code, 74);
  CliRun resumed = real_cli(sweep({"--resume"}));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(resumed.err, "");
  EXPECT_NE(resumed.out.find("sweep: 12 runs (2 points x 6 seeds): 12 pass,"), std::string::npos) << resumed.out;
  EXPECT_EQ(without_wall_time(read_text(out_)), without_wall_time(uninterrupted_csv()));
  EXPECT_FALSE(fs::exists(journal_));
}

// Killed in the middle of writing a line: that line is dropped and its run
// made again, and the runs before it are not.
TEST_F(SweepResumeTest, ATornLastLineIsDroppedAndItsRunMadeAgain) {
  ASSERT_EQ(stopped_sweep().code, 74);
  const std::string journal = read_text(journal_);
  const size_t first_entry_end = journal.find('\n', journal.find('\n') + 1);
  ASSERT_NE(first_entry_end, std::string::npos);
  // The header, one whole entry, and half of the next.
  const size_t second_entry_end = journal.find('\n', first_entry_end + 1);
  ASSERT_NE(second_entry_end, std::string::npos);
  const std::string torn = journal.substr(0, first_entry_end + 1 + (second_entry_end - first_entry_end) / 2);
  std::ofstream(journal_, std::ios::binary | std::ios::trunc) << torn;

  ASSERT_EQ(real_cli(sweep({"--resume"})).code, 0);
  const std::string csv = read_text(out_);
  EXPECT_EQ(without_wall_time(csv), without_wall_time(uninterrupted_csv()));
  // The whole entry's run was not made again: its wall_s is the journal's.
  const size_t header_end = journal.find('\n');
  const nlohmann::json entry = nlohmann::json::parse(journal.substr(header_end + 1, first_entry_end - header_end - 1));
  ASSERT_EQ(entry.at("task"), 0);
  testing::CsvText rows = testing::parse_csv(csv);
  ASSERT_FALSE(rows.rows.empty());
  EXPECT_EQ(rows.cell(0, "wall_s"), fmt::format("{:.3f}", entry.at("outcome").at("wall_s").get<double>()));
}

TEST_F(SweepResumeTest, AJournalIsOnlyContinuedByTheSameSweep) {
  ASSERT_EQ(stopped_sweep().code, 74);
  const std::string journal = read_text(journal_);
  std::vector<std::string> other = {"sweep",       "broadcast", "--grid",    "nodes=3,7", "--seeds", "1..6",    "--set",
                                    "duration=2s", "--set",     "settle=1s", "--out",     out_,      "--resume"};
  CliRun mismatch = real_cli(other);
  EXPECT_EQ(mismatch.code, 64);
  EXPECT_EQ(mismatch.out, "");
  EXPECT_EQ(mismatch.err, "detsim: --resume: " + journal_ +
                              " is for a sweep with --grid nodes=3,5, not --grid nodes=3,7: give the same options, "
                              "or delete it\n");
  CliRun other_sets = real_cli({"sweep", "broadcast", "--grid", "nodes=3,5", "--seeds", "1..6", "--set", "duration=2s",
                                "--set", "settle=1500ms", "--out", out_, "--resume"});
  EXPECT_EQ(other_sets.code, 64);
  EXPECT_NE(other_sets.err.find("with --set duration=2s --set settle=1s, not --set duration=2s --set settle=1500ms:"),
            std::string::npos)
      << other_sets.err;
  EXPECT_EQ(read_text(journal_), journal);  // untouched
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(SweepResumeTest, AnExistingJournalNeedsResumeAndResumeNeedsAJournal) {
  CliRun nothing_to_resume = real_cli(sweep({"--resume"}));
  EXPECT_EQ(nothing_to_resume.code, 64);
  EXPECT_EQ(nothing_to_resume.err, "detsim: --resume: there is no journal " + journal_ + " to continue\n");
  EXPECT_FALSE(fs::exists(out_));
  EXPECT_FALSE(fs::exists(journal_));

  ASSERT_EQ(stopped_sweep().code, 74);
  const std::string journal = read_text(journal_);
  CliRun fresh = real_cli(sweep());
  EXPECT_EQ(fresh.code, 64);
  EXPECT_EQ(fresh.err, "detsim: --out " + out_ + ": " + journal_ +
                           " exists (an interrupted sweep): pass --resume to continue it, or delete it\n");
  EXPECT_EQ(read_text(journal_), journal);
}

TEST_F(SweepResumeTest, AJournalThatIsNotOneIsBadInputNamingTheLine) {
  std::ofstream(journal_) << "not json\n";
  CliRun no_header = real_cli(sweep({"--resume"}));
  EXPECT_EQ(no_header.code, 64);
  EXPECT_EQ(no_header.err,
            "detsim: --resume: " + journal_ + " does not start with a sweep journal header; delete it\n");

  fs::remove(journal_);
  ASSERT_EQ(stopped_sweep().code, 74);
  const std::string journal = read_text(journal_);
  std::ofstream(journal_, std::ios::binary | std::ios::trunc)
      << journal.substr(0, journal.find('\n') + 1) << "{\"task\":0}\n";
  CliRun bad_entry = real_cli(sweep({"--resume"}));
  EXPECT_EQ(bad_entry.code, 64);
  EXPECT_EQ(bad_entry.err.rfind("detsim: " + journal_ + ":2: not an entry of this sweep (", 0), 0u) << bad_entry.err;
  EXPECT_EQ(line_count(bad_entry.err), 1u);
}

}  // namespace
}  // namespace detsim
