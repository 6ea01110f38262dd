// Reading back what sim/metrics/csv.h writes, for tests: RFC 4180 fields
// (quoted ones may hold commas, doubled quotes and line breaks), rows
// ending in "\n". Strict enough to catch a writer that quotes wrongly.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace detsim::testing {

struct CsvText {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // The cell of `row` under `column`; a missing column fails the test.
  std::string cell(size_t row, const std::string& column) const {
    auto where = std::find(header.begin(), header.end(), column);
    if (where == header.end()) {
      ADD_FAILURE() << "no column " << column;
      return "";
    }
    return rows.at(row).at(static_cast<size_t>(where - header.begin()));
  }
  std::vector<std::string> column(const std::string& name) const {
    std::vector<std::string> cells;
    for (size_t row = 0; row < rows.size(); ++row) cells.push_back(cell(row, name));
    return cells;
  }
};

inline std::vector<std::vector<std::string>> parse_csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted && c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
      field += '"';
      ++i;
    } else if (c == '"') {
      // A quote opens a field only at its start, and closes it only at its end.
      EXPECT_TRUE(quoted || field.empty()) << "stray quote at byte " << i;
      quoted = !quoted;
    } else if (!quoted && (c == ',' || c == '\n')) {
      row.push_back(field);
      field.clear();
      if (c == '\n') {
        rows.push_back(std::move(row));
        row.clear();
      }
    } else {
      field += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quoted field";
  EXPECT_TRUE(row.empty() && field.empty()) << "the last row does not end in a newline";
  return rows;
}

// Every row must be as wide as the header.
inline CsvText parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows = parse_csv_rows(text);
  CsvText csv;
  if (rows.empty()) {
    ADD_FAILURE() << "no header row";
    return csv;
  }
  csv.header = rows.front();
  csv.rows.assign(rows.begin() + 1, rows.end());
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    EXPECT_EQ(csv.rows[i].size(), csv.header.size()) << "row " << i + 1;
  }
  return csv;
}

}  // namespace detsim::testing
