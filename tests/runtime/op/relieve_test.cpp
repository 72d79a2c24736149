// SPDX-License-Identifier: MIT
#include <braid/op/reduce.hpp>
#include <braid/op/relieve.hpp>
#include <braid/op/seed.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <numeric>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_flow;
using braid::testing::spawn_logged;
using braid::testing::tracked;
using braid::testing::transfer_shown;

TEST_SUITE("relieve") {
  TEST_CASE("values the consumer has not taken are merged with the semigroup") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(relieve(std::plus<>{}, in.get()), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.emit(1);
    CHECK(log.take() == events{"in transfer", "out notify"});
    in.emit(2);
    in.emit(3);
    in.emit(4);
    CHECK(log.take() == events{"in transfer", "in transfer", "in transfer"});
    CHECK(transfer_shown(it) == "10");
    CHECK(log.take().empty());
    in.emit(5);
    CHECK(log.take() == events{"in transfer", "out notify"});
    CHECK(transfer_shown(it) == "5");
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("relieve(flow) keeps the latest value") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(relieve(in.get()), log, "out");
    in.emit(1);
    in.emit(2);
    in.emit(3);
    CHECK(transfer_shown(it) == "3");
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify", "in transfer", "in transfer"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("when the input ends with a value pending, the flow ends inside that transfer") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(relieve(std::plus<>{}, in.get()), log, "out");
    in.emit(1);
    in.emit(2);
    in.terminate();
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify", "in transfer"});
    CHECK(transfer_shown(it) == "3");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("an input error replaces the pending value; input cancelled, drained, then the end") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(relieve(std::plus<>{}, in.get()), log, "out");
    in.emit(1);
    in.fail("boom");
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify", "in transfer", "in cancel"});
    in.emit(9);  // discarded
    CHECK(log.take() == events{"in transfer"});
    CHECK(transfer_shown(it) == "err boom");
    CHECK(log.take().empty());
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a throwing semigroup in the input's loop fails the flow") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(relieve([](int, int) -> int { throw std::runtime_error("sg failed"); }, in.get()),
                           log, "out");
    in.emit(1);
    in.emit(2);  // held aside: the consumer merges a pair itself
    in.emit(3);  // the loop merges 2 and 3
    CHECK(log.take() ==
          events{"in spawn", "in transfer", "out notify", "in transfer", "in transfer", "in cancel"});
    in.terminate();
    CHECK(log.take().empty());
    CHECK(transfer_shown(it) == "err sg failed");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a throwing semigroup in the consumer's transfer fails that transfer") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(relieve([](int, int) -> int { throw std::runtime_error("sg failed"); }, in.get()),
                           log, "out");
    in.emit(1);
    in.emit(2);
    log.take();
    CHECK(transfer_shown(it) == "err sg failed");
    CHECK(log.take() == events{"in cancel"});
    in.emit(3);  // drained
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("cancel right after spawn; cancel while a value is pending; cancel after the end") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(relieve(in.get()), log, "out");
    it.cancel();
    CHECK(log.take() == events{"in spawn", "in cancel"});
    in.emit(1);  // a pending value is still delivered
    it.cancel();
    CHECK(log.take() == events{"in transfer", "out notify", "in cancel"});
    CHECK(transfer_shown(it) == "1");
    in.fail(braid::cancelled_error("in cancelled"));
    CHECK(log.take() == events{"in transfer", "in cancel", "out notify"});
    in.terminate();
    CHECK(transfer_shown(it) == "err cancelled: in cancelled");
    CHECK(log.take() == events{"out terminate"});
    it.cancel();
    CHECK(log.take() == events{"in cancel"});
  }

  TEST_CASE("synchronous re-notification and termination inside the input's transfer") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(relieve(std::plus<>{}, in.get()), log, "out");
    in.push(1);
    in.on_transfer([&] {
      in.push(2);
      in.on_transfer([&] {
        in.push(3);
        in.on_transfer([&] { in.terminate(); });
        in.notify();
      });
      in.notify();
    });
    in.notify();
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify", "in transfer", "in transfer"});
    CHECK(transfer_shown(it) == "6");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("an input that notifies inside spawn: everything merges before the first transfer") {
    CHECK(run_blocking(reduce([](int, int v) { return v; }, 0, relieve(std::plus<>{}, seed({1, 2, 3})))) == 6);
  }

  TEST_CASE("a million values run in constant stack") {
    std::vector<int> v(1'000'000, 1);
    auto f = relieve(std::plus<>{}, seed(v));
    int r = 0;
    braid::testing::run_on_small_stack([&] { r = run_blocking(reduce(std::plus<>{}, 0, f)); }, 256 * 1024);
    CHECK(r == 1'000'000);
  }

  TEST_CASE("threads: a fast producer, a slow consumer; the merge loses nothing (stress)") {
    event_log log;
    manual_flow<int> in(log, "in");
    std::atomic<int> notes{0};
    std::atomic<bool> ended{false};
    auto it = relieve(std::plus<>{}, in.get()).spawn([&] { notes.fetch_add(1); }, [&] { ended = true; });
    std::thread producer([&] {
      for (int i = 0; i < 20000; ++i) in.emit(1);  // never waits: relieve transfers eagerly
      in.terminate();
    });
    long sum = 0;
    while (!ended.load()) {
      if (notes.load() == 0) {
        std::this_thread::yield();
        continue;
      }
      notes.fetch_sub(1);
      sum += it.transfer();
    }
    producer.join();
    CHECK(sum == 20000);
  }

  TEST_CASE("the process and its copy of sg are destroyed after the end") {
    struct sg : tracked {
      int operator()(int a, int b) const { return a + b; }
    };
    {
      auto f = relieve(sg{}, seed({1, 2, 3}));
      const int recipe = tracked::live;
      CHECK(run_blocking(reduce(std::plus<>{}, 0, f)) == 6);
      CHECK(tracked::live == recipe);
    }
    CHECK(tracked::live == 0);
  }

  TEST_CASE("property: relieve(+) loses nothing: the sum of its values is the input's sum") {
    std::mt19937 rng(13);
    for (int round = 0; round < 200; ++round) {
      std::vector<int> v(rng() % 30);
      for (auto& x : v) x = static_cast<int>(rng() % 100);
      const int expect = std::accumulate(v.begin(), v.end(), 0);
      CHECK(run_blocking(reduce(std::plus<>{}, 0, relieve(std::plus<>{}, seed(v)))) == expect);
    }
  }
}
