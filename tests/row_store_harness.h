// The row store's tests' settings: disks that tear and reorder unsynced
// writes at a crash, and store options by size.
#pragma once

#include <string>
#include <utility>

#include "models/parts/row_store.h"
#include "tests/fault_harness.h"

namespace detsim::testing {

// Disk faults at a crash: unsynced writes torn at sector granularity and
// unsynced operations persisted out of order.
inline WorldOptions torn_disks() {
  WorldOptions options;
  options.disk.tear = 0.5;
  options.disk.reorder = 0.5;
  return options;
}

inline parts::RowStoreOptions store_options(std::string dir, uint64_t segment_bytes, uint64_t checkpoint_bytes) {
  parts::RowStoreOptions options;
  options.dir = std::move(dir);
  options.segment_bytes = segment_bytes;
  options.checkpoint_bytes = checkpoint_bytes;
  return options;
}

}  // namespace detsim::testing
