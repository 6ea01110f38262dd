// Buggify sites are named by their path inside the source tree, so a seed
// switches on the same sites in every checkout, wherever it was cloned
// (CMake hands the compiler absolute paths, and source_location keeps them).
#include <gtest/gtest.h>

#include "sim/api/context.h"

namespace detsim {
namespace {

TEST(BuggifySite, IsNamedByItsPathInTheTree) {
  EXPECT_EQ(source_tree_path("/work/main/models/edge_replication/backfill.cc"), "models/edge_replication/backfill.cc");
  EXPECT_EQ(source_tree_path("/tmp/ci-1234/detsim/models/edge_replication/backfill.cc"),
            "models/edge_replication/backfill.cc");
  EXPECT_EQ(source_tree_path("models/raft_kv/node.cc"), "models/raft_kv/node.cc");
}

TEST(BuggifySite, TheLastTopFolderWinsWhenTheCheckoutPathHasOneToo) {
  EXPECT_EQ(source_tree_path("/home/sim/clone/models/a/b.cc"), "models/a/b.cc");
  EXPECT_EQ(source_tree_path("/srv/models/detsim/sim/world/context.cc"), "sim/world/context.cc");
  EXPECT_EQ(source_tree_path("/x/tests/y/tests/z_test.cc"), "tests/z_test.cc");
}

TEST(BuggifySite, APathOutsideTheTreeIsKeptWhole) {
  EXPECT_EQ(source_tree_path("/usr/include/foo.h"), "/usr/include/foo.h");
  EXPECT_EQ(source_tree_path("main.cc"), "main.cc");
}

}  // namespace
}  // namespace detsim
