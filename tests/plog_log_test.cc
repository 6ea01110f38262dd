// The on-disk partition replica of models/parts/plog: recovery keeps the
// valid prefix of batches and cuts the file at the first damaged one; the
// epoch cache and the producers' sequences come back with the batches.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/network_harness.h"
#include "tests/plog_harness.h"

namespace detsim::testing {
namespace {

plog::Batch batch(int64_t base, int32_t epoch, int32_t sequence, const std::string& value) {
  return plog::Batch{base, epoch, 7, sequence, {plog::Record{1, value, 0}}};
}

struct Recovered {
  std::vector<std::string> values;
  int64_t end = -1;
  uint64_t file_size = 0;
  std::pair<int32_t, int64_t> epoch_one_end;
  int32_t last_sequence = -2;
  std::optional<int64_t> duplicate;
};

// Writes three batches (epochs 1, 1, 2), lets damage() spoil the file,
// then recovers it in a fresh PartitionLog.
Recovered write_damage_recover(const std::function<void(Disk&, const std::string&)>& damage) {
  NetHarness h(5_s);
  Recovered out;
  h.world->add_server("n0", [&](Context& ctx) {
    const std::string path = "p.log";
    {
      plog::PartitionLog log(ctx.disk(), path, true);
      log.recover();
      log.append(batch(0, 1, 0, "a"));
      log.append(batch(1, 1, 1, "b"));
      log.append(batch(2, 2, 2, "c"));
    }
    damage(ctx.disk(), path);
    plog::PartitionLog log(ctx.disk(), path, true);
    log.recover();
    for (const plog::Batch& b : log.batches()) out.values.push_back(b.records[0].value);
    out.end = log.end_offset();
    out.file_size = ctx.disk().size(path).value_or(0);
    out.epoch_one_end = log.end_offset_for_epoch(1);
    out.last_sequence = log.last_sequence(7);
    out.duplicate = log.duplicate_of(7, 1);
  });
  h.run();
  return out;
}

TEST(PlogLog, RecoveryKeepsEveryIntactBatchAndItsState) {
  const Recovered r = write_damage_recover([](Disk&, const std::string&) {});
  EXPECT_EQ(r.values, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r.end, 3);
  EXPECT_EQ(r.epoch_one_end, (std::pair<int32_t, int64_t>{1, 2}));
  EXPECT_EQ(r.last_sequence, 2);
  EXPECT_EQ(r.duplicate, std::optional<int64_t>{1});
}

TEST(PlogLog, RecoveryCutsATornTail) {
  uint64_t intact = 0;
  const Recovered r = write_damage_recover([&](Disk& disk, const std::string& path) {
    intact = disk.size(path).value_or(0);
    disk.append(path, std::string("\x47\x4f\x4c\x50\xff\x00\x00\x00partial", 15));
  });
  EXPECT_EQ(r.values, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r.file_size, intact) << "recovery left the torn bytes in the file";
}

TEST(PlogLog, RecoveryStopsAtTheFirstCorruptBatch) {
  const Recovered r = write_damage_recover([](Disk& disk, const std::string& path) {
    std::string bytes;
    disk.read(path, 0, disk.size(path).value_or(0), &bytes);
    // Flip the value byte of the second batch ("b"): its checksum fails.
    const size_t at = bytes.find(std::string{'\x01', '\0', '\0', '\0', 'b'});  // length 1, then the value
    ASSERT_NE(at, std::string::npos);
    disk.write(path, at + 4, "B");
  });
  EXPECT_EQ(r.values, (std::vector<std::string>{"a"}));
  EXPECT_EQ(r.end, 1);
  EXPECT_EQ(r.epoch_one_end, (std::pair<int32_t, int64_t>{1, 1}));
  EXPECT_EQ(r.last_sequence, 0);
  EXPECT_EQ(r.duplicate, std::nullopt);
}

}  // namespace
}  // namespace detsim::testing
