// SPDX-License-Identifier: MIT
#include <braid/op/reduce.hpp>
#include <braid/op/reductions.hpp>
#include <braid/op/seed.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <stdexcept>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::collect;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_flow;
using braid::testing::spawn_logged;
using braid::testing::tracked;
using braid::testing::transfer_shown;

namespace {
struct plus_from_100 {
  int operator()() const { return 100; }
  int operator()(int a, int b) const { return a + b; }
};
}  // namespace

TEST_SUITE("reductions") {
  TEST_CASE("emits init at spawn, then each accumulated value, lazily inside the transfer") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(reductions(std::plus<>{}, 10, in.get()), log, "out");
    CHECK(log.take() == events{"in spawn", "out notify"});
    in.emit(1);  // the consumer still holds the init notification
    CHECK(log.take().empty());
    CHECK(transfer_shown(it) == "10");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "11");
    CHECK(log.take() == events{"in transfer"});
    in.emit(2);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "13");
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("without init: f() if f is nullary, else the first value") {
    CHECK(collect(reductions(plus_from_100{}, seed({1, 2}))) == std::vector<int>{100, 101, 103});
    CHECK(collect(reductions(std::minus<>{}, seed({10, 1, 2}))) == std::vector<int>{10, 9, 7});
    CHECK(collect(reductions(std::plus<>{}, 0, seed(std::vector<int>{}))) == std::vector<int>{0});
  }

  TEST_CASE("misuse: an empty input without init and without a nullary f fails with logic_error") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(reductions(std::minus<>{}, in.get()), log, "out");
    in.terminate();
    CHECK(log.take() == events{"in spawn", "out notify"});
    CHECK(transfer_shown(it) ==
          "err braid::reductions: the flow ended without a value and f cannot be called without "
          "arguments to give an initial value; pass one: reductions(f, init, flow)");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a failing input: the transfer throws, the input is cancelled and drained") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(reductions(std::plus<>{}, 0, in.get()), log, "out");
    CHECK(transfer_shown(it) == "0");
    in.fail("boom");
    CHECK(log.take() == events{"in spawn", "out notify", "out notify"});
    CHECK(transfer_shown(it) == "err boom");
    CHECK(log.take() == events{"in transfer", "in cancel"});
    in.emit(3);
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a throwing f fails that transfer and ends the flow after the input") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(reductions([](int, int) -> int { throw std::runtime_error("f failed"); }, 0, in.get()),
                           log, "out");
    CHECK(transfer_shown(it) == "0");
    in.emit(1);
    log.take();
    in.terminate_in_transfer();
    CHECK(transfer_shown(it) == "err f failed");
    CHECK(log.take() == events{"in transfer", "in cancel", "out terminate"});
  }

  TEST_CASE("cancel right after spawn, while running, after the end") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(reductions(std::plus<>{}, 0, in.get()), log, "out");
    it.cancel();
    CHECK(log.take() == events{"in spawn", "out notify", "in cancel"});
    CHECK(transfer_shown(it) == "0");
    in.fail(braid::cancelled_error("in cancelled"));
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err cancelled: in cancelled");
    CHECK(log.take() == events{"in transfer", "in cancel"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
    it.cancel();
    CHECK(log.take() == events{"in cancel"});
  }

  TEST_CASE("synchronous re-notification and termination inside the input's transfer") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(reductions(std::plus<>{}, 0, in.get()), log, "out");
    CHECK(transfer_shown(it) == "0");
    in.emit_in_transfer(2);
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "out notify", "out notify"});
    CHECK(transfer_shown(it) == "1");
    CHECK(log.take() == events{"in transfer", "out notify"});
    in.terminate_in_transfer();
    CHECK(transfer_shown(it) == "3");
    CHECK(log.take() == events{"in transfer", "out terminate"});
  }

  TEST_CASE("a million values run in constant stack") {
    std::vector<int> v(1'000'000, 1);
    auto f = reductions(std::plus<>{}, 0, seed(v));
    long r = 0;
    braid::testing::run_on_small_stack(
        [&] { r = run_blocking(reduce([](long acc, int x) { return acc + x; }, 0L, f)); }, 256 * 1024);
    CHECK(r == 1'000'000L * 1'000'001L / 2);
  }

  TEST_CASE("threads: the input produces on another thread (stress)") {
    event_log log;
    manual_flow<int> in(log, "in");
    std::atomic<long> last{-1};
    reduce([](long, int x) { return long(x); }, 0L, reductions(std::plus<>{}, 0, in.get()))
        .run([&](long v) { last = v; }, [&](std::exception_ptr) { last = -2; });
    std::thread th([&] {
      for (int i = 1; i <= 3000; ++i) {
        while (in.pending()) std::this_thread::yield();
        in.emit(i);
      }
      while (in.pending()) std::this_thread::yield();
      in.terminate();
    });
    th.join();
    CHECK(last.load() == 3000L * 3001 / 2);
  }

  TEST_CASE("the process and its copy of f are destroyed after the end") {
    struct fn : tracked {
      int operator()(int a, int b) const { return a + b; }
    };
    {
      auto f = reductions(fn{}, 0, seed({1, 2}));
      const int recipe = tracked::live;
      CHECK(collect(f) == std::vector<int>{0, 1, 3});
      CHECK(tracked::live == recipe);
    }
    CHECK(tracked::live == 0);
  }
}
