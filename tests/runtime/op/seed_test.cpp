// SPDX-License-Identifier: MIT
#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <atomic>
#include <list>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::spawn_logged;
using braid::testing::transfer_shown;

namespace {

struct touchy {
  int v;
  static inline int throw_on = -1;
  explicit touchy(int x) : v(x) {}
  touchy(const touchy& o) : v(o.v) {
    if (v == throw_on) throw std::runtime_error("copy failed");
  }
};

}  // namespace

TEST_SUITE("seed") {
  TEST_CASE("notifies at spawn, then inside each transfer, and terminates inside the last") {
    event_log log;
    auto it = spawn_logged(seed({1, 2, 3}), log, "out");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "1");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "2");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "3");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("an empty range terminates inside spawn without notifying") {
    event_log log;
    auto it = spawn_logged(seed(std::vector<int>{}), log, "out");
    CHECK(log.take() == events{"out terminate"});
    it.cancel();  // nothing to cancel
    CHECK(log.take().empty());
  }

  TEST_CASE("cancel right after spawn: the pending transfer terminates and throws cancelled") {
    event_log log;
    auto it = spawn_logged(seed({1, 2}), log, "out");
    CHECK(log.take() == events{"out notify"});
    it.cancel();
    CHECK(log.take().empty());  // a notification is already pending: nothing more
    CHECK(transfer_shown(it) == "err cancelled: braid: seed cancelled");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("cancel while running stops at the next transfer; cancel after the end does nothing") {
    event_log log;
    auto it = spawn_logged(seed({1, 2, 3}), log, "out");
    log.take();
    CHECK(transfer_shown(it) == "1");
    CHECK(log.take() == events{"out notify"});
    it.cancel();
    it.cancel();
    CHECK(transfer_shown(it) == "err cancelled: braid: seed cancelled");
    CHECK(log.take() == events{"out terminate"});

    auto it2 = spawn_logged(seed({7}), log, "b");
    CHECK(transfer_shown(it2) == "7");
    CHECK(log.take() == events{"b notify", "b terminate"});
    it2.cancel();
    CHECK(log.take().empty());
  }

  TEST_CASE("the range is copied when the flow is built, and every spawn starts over") {
    std::vector<int> v{1, 2, 3};
    flow<int> f = seed(v);
    v.clear();
    auto sum = reduce(std::plus<>{}, 0, f);
    CHECK(run_blocking(sum) == 6);
    CHECK(run_blocking(sum) == 6);
    std::list<std::string> l{"a", "b"};
    CHECK(run_blocking(reduce(std::plus<>{}, std::string(), seed(l))) == "ab");
  }

  TEST_CASE("a value whose copy throws fails that transfer and terminates") {
    event_log log;
    std::vector<touchy> v{touchy(1), touchy(3), touchy(2), touchy(4)};
    auto f = seed(v);
    touchy::throw_on = 2;
    auto it = f.spawn([&] { log("notify"); }, [&] { log("terminate"); });
    CHECK(log.take() == events{"notify"});
    CHECK(it.transfer().v == 1);
    CHECK(log.take() == events{"notify"});
    CHECK(it.transfer().v == 3);
    CHECK(log.take() == events{"notify"});
    CHECK_THROWS_WITH(it.transfer(), "copy failed");
    CHECK(log.take() == events{"terminate"});
    touchy::throw_on = -1;
  }

  TEST_CASE("a million values run in constant stack") {
    std::vector<long> v(1'000'000);
    std::iota(v.begin(), v.end(), 0L);
    flow<long> f = seed(v);
    long r = -1;
    braid::testing::run_on_small_stack([&] { r = run_blocking(reduce(std::plus<>{}, 0L, f)); },
                                       256 * 1024);
    CHECK(r == 999'999L * 1'000'000L / 2);
  }

  TEST_CASE("law: reduce(+, seed(v)) equals accumulate(v) for random vectors") {
    std::mt19937 rng(5);
    for (int round = 0; round < 200; ++round) {
      std::vector<int> v(rng() % 40);
      for (auto& x : v) x = static_cast<int>(rng() % 1000) - 500;
      CHECK(run_blocking(reduce(std::plus<>{}, 0, seed(v))) == std::accumulate(v.begin(), v.end(), 0));
    }
  }

  TEST_CASE("threads: cancel from another thread while the consumer transfers (stress)") {
    for (int round = 0; round < 50; ++round) {
      std::vector<int> v(2000, 1);
      std::atomic<bool> ended{false};
      std::atomic<int> pending{0};
      auto it = seed(v).spawn([&] { pending.fetch_add(1); }, [&] { ended = true; });
      std::thread canceller([&] { it.cancel(); });
      int got = 0;
      while (pending.load() > 0) {  // seed notifies on this thread, inside transfer
        pending.fetch_sub(1);
        try {
          got += it.transfer();
        } catch (const braid::cancelled&) {
        }
      }
      CHECK(ended.load());
      canceller.join();
      CHECK(got <= 2000);
    }
  }
}
