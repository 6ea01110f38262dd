// CSV export (DESIGN.md: sim/metrics holds it). Fields are quoted as RFC
// 4180 says: a field holding a comma, a double quote, CR or LF is put in
// double quotes, with each quote inside doubled; any other field is bare.
// Rows end in "\n", not RFC 4180's CRLF, so awk, cut and grep see no
// stray "\r"; pandas, R and Python's csv module read either.
//
//   CsvTable table;
//   table.add_row({{"seed", "1"}, {"verdict", "0"}, {"lag_p99_s", "0.25"}});
//   table.add_row({{"seed", "2"}, {"verdict", "3"}});
//   table.write(out);  // seed,verdict,lag_p99_s / 1,0,0.25 / 2,3,
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace detsim {

// One field, quoted if it has to be.
std::string csv_field(std::string_view text);
// The fields quoted and joined with commas, then "\n".
std::string csv_row(const std::vector<std::string>& fields);
// The shortest text that reads back as the same double: "7", "0.25",
// "1e+20"; "nan", "inf" and "-inf" for the values that have no digits.
std::string csv_number(double value);

// A table whose columns are known only once every row is in: the leading
// columns first, then each other column in the order rows first named it.
// A row that lacks a column leaves its cell empty.
class CsvTable {
 public:
  using Cells = std::vector<std::pair<std::string, std::string>>;  // (column, text)

  // Leading columns named twice count once.
  explicit CsvTable(const std::vector<std::string>& leading_columns = {});

  // Within one row the first cell for a column wins, so a caller lists the
  // cells that must not be overwritten first.
  void add_row(const Cells& cells);

  const std::vector<std::string>& columns() const { return columns_; }
  size_t row_count() const { return rows_.size(); }
  // The header row, then every row in the order added.
  void write(std::ostream& out) const;

 private:
  std::vector<std::string> columns_;
  std::map<std::string, size_t, std::less<>> column_index_;
  // Each row as wide as the table was when it was added; write() pads.
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace detsim
