#include "sim/core/ring_queue.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <memory>
#include <string>

namespace detsim {
namespace {

TEST(RingQueue, KeepsFifoOrderAcrossWrapAndGrowth) {
  RingQueue<std::string> queue;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round % 7 + 1; ++i) queue.push_back(std::to_string(next_in++));
    for (int i = 0; i < round % 5 && !queue.empty(); ++i) {
      EXPECT_EQ(queue.front(), std::to_string(next_out++));
      queue.pop_front();
    }
  }
  EXPECT_EQ(queue.size(), static_cast<size_t>(next_in - next_out));
}

TEST(RingQueue, DestroysWhatItStillHolds) {
  auto tracked = std::make_shared<int>(1);
  {
    RingQueue<std::shared_ptr<int>> queue;
    for (int i = 0; i < 10; ++i) queue.push_back(tracked);
    EXPECT_EQ(tracked.use_count(), 11);
  }
  EXPECT_EQ(tracked.use_count(), 1);
}

RC_GTEST_PROP(RingQueue, BehavesLikeAReferenceQueue, (const std::vector<int>& operations)) {
  RingQueue<int> queue;
  std::vector<int> reference;
  size_t reference_head = 0;
  for (int op : operations) {
    if (op % 3 != 0 || reference_head == reference.size()) {
      queue.push_back(op);
      reference.push_back(op);
    } else {
      RC_ASSERT(queue.front() == reference[reference_head]);
      queue.pop_front();
      ++reference_head;
    }
    RC_ASSERT(queue.size() == reference.size() - reference_head);
  }
}

}  // namespace
}  // namespace detsim
