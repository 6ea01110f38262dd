// `detsim report SCENARIO --seed N [--set k=v]... [--faults FILE|none]
// --out DIR [--max-runs R] [--no-shrink]`: a failing seed's page,
// DIR/index.html (report_data.h collects, report_html.h draws). Exit: the
// seed's verdict (1 safety, 2 liveness); 64 for a passing seed, bad input
// or an unwritable DIR, with nothing written. The page appears whole or
// not at all: a new DIR is written as DIR.tmp and renamed, an existing
// DIR gets index.html through AtomicFile.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>

#include "replay/atomic_file.h"
#include "replay/commands.h"
#include "replay/outcome.h"
#include "replay/report_data.h"
#include "replay/report_html.h"
#include "replay/scenario.h"

namespace detsim {
namespace {

namespace fs = std::filesystem;

// Where the page goes, claimed before anything runs so that an unwritable
// --out is reported at once. Unless commit() ran, nothing is left behind.
class ReportDir {
 public:
  explicit ReportDir(const fs::path& dir) : dir_(dir) {
    std::error_code error;
    if (fs::exists(dir_, error) && !fs::is_directory(dir_, error))
      throw UsageError("--out " + dir_.string() + ": exists and is not a directory");
    if (fs::is_directory(dir_, error)) {
      file_.emplace(dir_ / "index.html");
      return;
    }
    temporary_ = fs::path(dir_.string() + ".tmp");
    fs::remove_all(*temporary_, error);  // a crashed run's leftover; our own name
    if (!fs::create_directory(*temporary_, error)) {
      temporary_.reset();
      throw UsageError(fmt::format("--out {}: cannot create it: {}", dir_.string(), error.message()));
    }
    file_.emplace(*temporary_ / "index.html");
  }
  ReportDir(const ReportDir&) = delete;
  ReportDir& operator=(const ReportDir&) = delete;
  ~ReportDir() {
    file_.reset();
    std::error_code ignored;
    if (temporary_) fs::remove_all(*temporary_, ignored);
  }

  std::ostream& stream() { return file_->stream(); }
  fs::path index() const { return dir_ / "index.html"; }

  void commit() {
    file_->commit();
    if (!temporary_) return;
    std::error_code error;
    fs::rename(*temporary_, dir_, error);
    if (error)
      throw OutputError(
          fmt::format("cannot rename {} to {}: {}", temporary_->string(), dir_.string(), error.message()));
    temporary_.reset();
  }

 private:
  fs::path dir_;
  std::optional<fs::path> temporary_;
  std::optional<AtomicFile> file_;
};

}  // namespace

int report_command(const ReportOptions& options, const ModelRegistry& registry, std::ostream& out) {
  const uint64_t seed = parse_seed(options.seed);
  if (options.max_runs < 1) throw UsageError(fmt::format("--max-runs {}: expected at least 1", options.max_runs));
  if (options.out_dir.empty()) throw UsageError("--out: expected a directory");
  Scenario scenario = load_scenario(options.scenario, options.sets, registry, options.faults);
  scenario.program = options.program;
  ReportDir dir(options.out_dir);
  ReportSettings settings;
  settings.shrink = !options.no_shrink;
  settings.max_runs = static_cast<size_t>(options.max_runs);
  const ReportData data = collect_report(scenario, seed, settings);
  dir.stream() << render_report_html(report_json(data));
  dir.commit();
  print_text(scenario, data.outcome, out);
  size_t marked = 0;
  for (const ReportOp& op : data.ops) marked += op.counterexample ? 1 : 0;
  out << fmt::format("report: {} ({} of {} operations shown, {} in the counterexample; {})\n", dir.index().string(),
                     data.ops.size(), data.ops_total, marked, data.schedule_title);
  return static_cast<int>(data.outcome.verdict);
}

}  // namespace detsim
