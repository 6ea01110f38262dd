#include "sim/metrics/csv.h"

#include <array>
#include <charconv>
#include <cmath>

#include "sim/core/assert.h"

namespace detsim {

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string row;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) row += ',';
    row += csv_field(fields[i]);
  }
  return row + "\n";
}

std::string csv_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::array<char, 32> buffer;
  auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  // Invariant: 32 characters hold any double's shortest form (at most 24).
  DETSIM_ASSERT(result.ec == std::errc());
  return std::string(buffer.data(), result.ptr);
}

CsvTable::CsvTable(const std::vector<std::string>& leading_columns) {
  for (const std::string& column : leading_columns) {
    if (column_index_.emplace(column, columns_.size()).second) columns_.push_back(column);
  }
  // Invariant: the index and the header agree.
  DETSIM_ASSERT(column_index_.size() == columns_.size());
}

void CsvTable::add_row(const Cells& cells) {
  std::vector<std::string> row(columns_.size());
  std::vector<bool> filled(columns_.size(), false);
  for (const auto& [column, text] : cells) {
    auto [where, is_new] = column_index_.emplace(column, columns_.size());
    if (is_new) {
      columns_.push_back(column);
      row.emplace_back();
      filled.push_back(false);
    }
    size_t index = where->second;
    if (filled[index]) continue;
    row[index] = text;
    filled[index] = true;
  }
  // Invariant: the row spans every column known so far.
  DETSIM_ASSERT(row.size() == columns_.size());
  rows_.push_back(std::move(row));
}

void CsvTable::write(std::ostream& out) const {
  out << csv_row(columns_);
  for (std::vector<std::string> row : rows_) {
    row.resize(columns_.size());
    out << csv_row(row);
  }
}

}  // namespace detsim
