// The replicated partitioned log (models/parts/plog) on a lossy,
// duplicating network: a produce/consume round trip, the idempotent
// producer against the plain one, and determinism.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/network_harness.h"
#include "tests/plog_harness.h"

namespace detsim::testing {
namespace {

NetworkOptions lossy(double loss, double duplicate) {
  NetworkOptions network;
  network.loss = loss;
  network.duplicate = duplicate;
  network.reorder = 0.05;
  return network;
}

struct RoundTrip {
  std::vector<plog::ProduceResult> sent;
  std::vector<plog::FetchedRecord> read;
  std::vector<plog::FetchedRecord> read_again;  // a second consumer
};

// Produces `batches` batches of two records with acks=all, then reads the
// partition back with two consumers.
void round_trip(PlogHarness& h, int batches, RoundTrip& out) {
  const plog::TopicPartition tp{0, 0};
  h.client("producer", [&h, &out, batches, tp](Context& ctx) {
    plog::Producer producer(ctx, h.cluster, {});
    for (int i = 0; i < batches; ++i) out.sent.push_back(producer.send(tp, records("v", 2 * i, 2)));
  });
  for (auto* sink : {&out.read, &out.read_again}) {
    h.client(sink == &out.read ? "consumer" : "consumer2", [&h, sink, batches, tp](Context& ctx) {
      plog::Consumer consumer(ctx, h.cluster, "g");
      int64_t next = 0;
      while (next < 2 * batches && ctx.now() < Time::zero() + 25_s) {
        auto fetched = consumer.fetch(tp, next, 7, 500_ms);
        if (!fetched) continue;
        for (plog::FetchedRecord& r : *fetched) {
          sink->push_back(r);
          next = r.offset + 1;
        }
      }
    });
  }
}

TEST(Plog, RoundTripOverALossyDuplicatingNetworkIsInOrderWithoutGaps) {
  PlogHarness h(one_topic(), lossy(0.05, 0.05), 7, 30_s);
  RoundTrip out;
  round_trip(h, 30, out);
  h.run();
  ASSERT_EQ(out.sent.size(), 30u);
  for (size_t i = 0; i < out.sent.size(); ++i) {
    EXPECT_EQ(out.sent[i].error, plog::ProduceError::none) << "batch " << i;
    EXPECT_EQ(out.sent[i].base_offset, static_cast<int64_t>(2 * i)) << "batch " << i;
  }
  for (const auto* read : {&out.read, &out.read_again}) {
    ASSERT_EQ(read->size(), 60u);
    for (size_t i = 0; i < read->size(); ++i) {
      EXPECT_EQ((*read)[i].offset, static_cast<int64_t>(i));
      EXPECT_EQ((*read)[i].record.value, fmt::format("v{}", i));
    }
  }
  EXPECT_FALSE(h.lost) << h.lost->detail;
  EXPECT_FALSE(h.inconsistent_reads) << h.inconsistent_reads->detail;
  EXPECT_FALSE(h.diverged) << h.diverged->detail;
  EXPECT_EQ(h.observer.acked_records(), 60u);
}

// Sends `count` one-record batches through a network that loses and
// duplicates a lot, so requests and replies are retried and replayed;
// returns how often each value is in the log.
std::map<std::string, int> copies_in_log(bool idempotent, int count) {
  PlogHarness h(one_topic(1, 3, 2), lossy(0.2, 0.3), 11, 40_s);
  const plog::TopicPartition tp{0, 0};
  int failed = 0;
  h.client("producer", [&](Context& ctx) {
    plog::ProducerOptions options;
    options.idempotent = idempotent;
    options.request_timeout = 1_s;
    options.delivery_timeout = 20_s;
    plog::Producer producer(ctx, h.cluster, options);
    for (int i = 0; i < count; ++i) failed += producer.send(tp, records("v", i, 1)).error != plog::ProduceError::none;
  });
  std::map<std::string, int> copies;
  h.before_unwind = [&] {
    for (const std::string& value : h.values(h.observer.state(tp).leader, tp)) ++copies[value];
  };
  h.run();
  EXPECT_EQ(failed, 0);
  EXPECT_FALSE(h.lost) << h.lost->detail;
  return copies;
}

TEST(Plog, IdempotentProducerDoesNotDuplicateOnRetryAndAPlainOneDoes) {
  const std::map<std::string, int> idempotent = copies_in_log(true, 40);
  EXPECT_EQ(idempotent.size(), 40u);
  for (const auto& [value, n] : idempotent) EXPECT_EQ(n, 1) << value;

  const std::map<std::string, int> plain = copies_in_log(false, 40);
  EXPECT_EQ(plain.size(), 40u);
  int duplicated = 0;
  for (const auto& [value, n] : plain) duplicated += n > 1;
  EXPECT_GT(duplicated, 0) << "the same network never made a plain producer write a record twice";
}

// send_async keeps five batches in flight; the network reorders and loses
// them, so the leader sees sequences out of order and retries twice: each
// batch still lands exactly once, in call order.
TEST(Plog, PipelinedIdempotentBatchesLandOnceAndInOrder) {
  NetworkOptions network = lossy(0.1, 0.1);
  network.reorder = 0.3;
  PlogHarness h(one_topic(), network, 23, 40_s);
  const plog::TopicPartition tp{0, 0};
  std::vector<plog::ProduceResult> results;
  h.client("producer", [&](Context& ctx) {
    plog::ProducerOptions options;
    options.delivery_timeout = 20_s;
    plog::Producer producer(ctx, h.cluster, options);
    std::vector<Future<plog::ProduceResult>> futures;
    for (int i = 0; i < 60; ++i) futures.push_back(producer.send_async(tp, records("v", 2 * i, 2)));
    for (Future<plog::ProduceResult>& f : futures) results.push_back(f.get().value());
  });
  std::vector<std::string> on_leader;
  h.before_unwind = [&] { on_leader = h.values(h.observer.state(tp).leader, tp); };
  h.run();
  ASSERT_EQ(results.size(), 60u);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].error, plog::ProduceError::none) << "batch " << i;
    EXPECT_EQ(results[i].base_offset, static_cast<int64_t>(2 * i)) << "batch " << i;
  }
  std::vector<std::string> expected;
  for (const plog::Record& r : records("v", 0, 120)) expected.push_back(r.value);
  EXPECT_EQ(on_leader, expected);
}

// A node's own messages and the plog clients' replies share one receive
// loop: the Endpoint routes replies to the waiting calls and queues the
// rest for the node's code.
TEST(Plog, ANodesOwnMessagesReachItThroughItsEndpointWhileItProduces) {
  PlogHarness h(one_topic(), {}, 31, 10_s);
  const plog::TopicPartition tp{0, 0};
  std::vector<int> pings;
  std::vector<plog::ProduceError> sent;
  NodeId worker;
  h.client("pinger", [&](Context& ctx) {
    for (int i = 0; i < 20; ++i) {
      ctx.net().send(worker, Packet{i});
      ctx.sleep_for(50_ms);
    }
  });
  worker = h.world->add_client("worker", [&](Context& ctx) {
    plog::Endpoint& endpoint = h.cluster.endpoint(ctx);
    plog::Producer producer(ctx, h.cluster, {});
    ctx.spawn("listener", [&] {
      while (true) {
        if (std::optional<Envelope> in = endpoint.receive()) pings.push_back(in->message.get_if<Packet>()->seq);
      }
    });
    for (int i = 0; i < 20; ++i) sent.push_back(producer.send(tp, records("v", i, 1)).error);
  });
  h.run();
  EXPECT_EQ(sent, std::vector<plog::ProduceError>(20, plog::ProduceError::none));
  std::vector<int> expected(20);
  for (int i = 0; i < 20; ++i) expected[static_cast<size_t>(i)] = i;
  EXPECT_EQ(pings, expected);
}

// A node that is a client of two clusters (a mirror) reads one and writes
// the other through one shared Endpoint: every record is copied, in order.
// With an Endpoint per cluster, each dispatcher would take replies meant
// for the other's calls, and the copy would stall.
TEST(Plog, ANodeOfTwoClustersSharesOneEndpointAndCopiesBetweenThem) {
  PlogHarness h(one_topic(), {}, 5, 15_s);
  plog::Observer second_observer;
  plog::Cluster second(one_topic(), &second_observer);
  second.share_endpoints(h.cluster);
  second.add_servers(*h.world, "b-");
  const plog::TopicPartition tp{0, 0};
  std::vector<plog::ProduceError> produced;
  h.client("producer", [&](Context& ctx) {
    plog::Producer producer(ctx, h.cluster, {});
    for (int i = 0; i < 10; ++i) produced.push_back(producer.send(tp, records("v", i, 1)).error);
  });
  std::vector<std::string> copied;
  h.client("mirror", [&](Context& ctx) {
    EXPECT_EQ(&h.cluster.endpoint(ctx), &second.endpoint(ctx));
    plog::Consumer consumer(ctx, h.cluster, "mirror");
    plog::Producer producer(ctx, second, {});
    int64_t next = 0;
    while (next < 10) {
      auto fetched = consumer.fetch(tp, next, 10, 500_ms);
      if (!fetched || fetched->empty()) continue;
      std::vector<plog::Record> batch;
      for (const plog::FetchedRecord& r : *fetched) batch.push_back(r.record);
      if (producer.send(tp, batch).error == plog::ProduceError::none) next = fetched->back().offset + 1;
    }
    auto back = plog::Consumer(ctx, second, "check").fetch(tp, 0, 100, 1_s);
    for (const plog::FetchedRecord& r : back.value_or(std::vector<plog::FetchedRecord>{})) {
      copied.push_back(r.record.value);
    }
  });
  h.run();
  EXPECT_EQ(produced, std::vector<plog::ProduceError>(10, plog::ProduceError::none));
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(records("v", i, 1).front().value);
  EXPECT_EQ(copied, expected);
}

// After an idempotent batch fails for good, the batches queued behind it
// in its partition fail without being sent (preceding_batch_failed,
// docs/parts.md "Producer"), so the log holds a prefix of what was sent.
// b0 leads and is cut off from 1 s to 1.3 s: p3..p7, in flight to it then,
// get no answer within their one attempt and time out at 1.61 s. p8..p17,
// sent at 1.3 s, wait behind them (five in flight at most); b0 is back by
// then, so sent with a fresh producer id they would land after the gap.
TEST(Plog, BatchesQueuedBehindAFailedOneFailUnsentAndTheLogHoldsAPrefix) {
  PlogHarness h(one_topic(), {}, 37, 10_s);
  const plog::TopicPartition tp{0, 0};
  std::vector<std::string> sent;
  std::vector<plog::ProduceError> results;
  std::vector<std::string> acked;
  h.client("producer", [&](Context& ctx) {
    plog::ProducerOptions options;
    options.delivery_timeout = 600_ms;
    options.request_timeout = 600_ms;
    plog::Producer producer(ctx, h.cluster, options);
    std::vector<Future<plog::ProduceResult>> futures;
    auto send_until = [&](Time at, int end) {
      ctx.sleep_until(at);
      for (int i = static_cast<int>(sent.size()); i < end; ++i) {
        sent.push_back(fmt::format("p{}", i));
        futures.push_back(producer.send_async(tp, records("p", i, 1)));
      }
    };
    send_until(Time::zero() + 900_ms, 3);
    send_until(Time::zero() + 1010_ms, 8);
    send_until(Time::zero() + 1300_ms, 18);
    for (size_t i = 0; i < futures.size(); ++i) {
      results.push_back(futures[i].get().value().error);
      if (results.back() == plog::ProduceError::none) acked.push_back(sent[i]);
    }
    ctx.sleep_until(Time::zero() + 3_s);
    results.push_back(producer.send(tp, records("after", 0, 1)).error);
  });
  h.at(1_s, [&] { h.isolate(h.broker(0)); });
  h.at(1300_ms, [&] { h.world->heal_network(); });
  std::vector<std::string> on_leader;
  h.before_unwind = [&] { on_leader = h.values(h.observer.state(tp).leader, tp); };
  h.run();
  std::vector<std::string> expected(3, "none");
  expected.insert(expected.end(), 5, "timeout");
  expected.insert(expected.end(), 10, "preceding_batch_failed");
  expected.push_back("none");  // a fresh producer id after the failure
  std::vector<std::string> got;
  for (plog::ProduceError error : results) got.emplace_back(plog::to_string(error));
  EXPECT_EQ(got, expected);
  // The acknowledged batches are a prefix of the sent ones, in call order,
  // and the log holds exactly them, then the later batch.
  ASSERT_LE(acked.size(), sent.size());
  EXPECT_EQ(acked, std::vector<std::string>(sent.begin(), sent.begin() + static_cast<int64_t>(acked.size())));
  std::vector<std::string> in_log = acked;
  in_log.push_back("after0");
  EXPECT_EQ(on_leader, in_log);
}

uint64_t fingerprint(uint64_t seed) {
  PlogHarness h(one_topic(2), lossy(0.05, 0.05), seed, 10_s);
  RoundTrip out;
  round_trip(h, 10, out);
  h.run();
  return h.engine->fingerprint();
}

TEST(Plog, TheSameSeedGivesTheSameFingerprint) {
  EXPECT_EQ(fingerprint(3), fingerprint(3));
  EXPECT_NE(fingerprint(3), fingerprint(4));
}

}  // namespace
}  // namespace detsim::testing
