// sim/metrics/csv.h: RFC 4180 quoting where needed and only there, numbers
// that read back exactly, and a table whose columns are the union of its
// rows' in first-seen order.
#include "sim/metrics/csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "tests/csv_reader.h"

namespace detsim {
namespace {

TEST(Csv, QuotesOnlyWhereNeeded) {
  EXPECT_EQ(csv_field("plain text"), "plain text");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("uniform(1ms, 10ms)"), "\"uniform(1ms, 10ms)\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
  EXPECT_EQ(csv_row({"a", "b,c", ""}), "a,\"b,c\",\n");
}

TEST(Csv, NumbersReadBackExactly) {
  EXPECT_EQ(csv_number(7), "7");
  EXPECT_EQ(csv_number(0.25), "0.25");
  EXPECT_EQ(csv_number(-3), "-3");
  EXPECT_EQ(csv_number(1e20), "1e+20");
  EXPECT_EQ(csv_number(std::nan("")), "nan");
  EXPECT_EQ(csv_number(-INFINITY), "-inf");
  double third = 1.0 / 3.0;
  EXPECT_EQ(std::strtod(csv_number(third).c_str(), nullptr), third);
}

TEST(Csv, TableColumnsAreTheUnionInFirstSeenOrder) {
  CsvTable table({"seed"});
  table.add_row({{"seed", "1"}, {"b", "x,y"}});
  table.add_row({{"a", "2"}, {"seed", "2"}, {"seed", "ignored"}});
  table.add_row({});
  EXPECT_EQ(table.columns(), (std::vector<std::string>{"seed", "b", "a"}));
  std::ostringstream out;
  table.write(out);
  EXPECT_EQ(out.str(), "seed,b,a\n1,\"x,y\",\n2,,2\n,,\n");
  testing::CsvText csv = testing::parse_csv(out.str());
  EXPECT_EQ(csv.column("b"), (std::vector<std::string>{"x,y", "", ""}));
}

TEST(Csv, EveryFieldRoundTrips) {
  std::vector<std::string> fields = {"", ",", "\"", "\"\"", "a\nb", " spaced ", "x\r\ny", "(1, 2)"};
  std::vector<std::vector<std::string>> rows = testing::parse_csv_rows(csv_row(fields));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], fields);
}

}  // namespace
}  // namespace detsim
