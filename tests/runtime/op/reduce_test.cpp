// SPDX-License-Identifier: MIT
#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_flow;
using braid::testing::run_logged;
using braid::testing::tracked;

namespace {
struct thrower {
  int bad;
  int operator()(int r, int v) const {
    if (v == bad) throw std::runtime_error("f failed");
    return r + v;
  }
};
struct plus_with_unit {
  int operator()() const { return 100; }
  int operator()(int r, int v) const { return r + v; }
};
std::vector<int> push(std::vector<int> acc, int v) {
  acc.push_back(v);
  return acc;
}
}  // namespace

TEST_SUITE("reduce") {
  TEST_CASE("reduces each value in order and succeeds when the input terminates") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto c = run_logged(reduce(std::minus<>{}, 10, in.get()), log);
    CHECK(log.take() == events{"in spawn"});
    in.emit(1);
    CHECK(log.take() == events{"in transfer"});
    in.emit(2);
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"ok 7"});
    c();  // cancel after the end: forwarded to the (terminated) input, harmless
    CHECK(log.take() == events{"in cancel"});
  }

  TEST_CASE("without init, a nullary f gives the initial value (Missionary's (rf))") {
    event_log log;
    manual_flow<int> in(log, "in");
    run_logged(reduce(plus_with_unit{}, in.get()), log);
    in.emit(1);
    in.terminate();
    CHECK(log.take() == events{"in spawn", "in transfer", "ok 101"});
    CHECK(run_blocking(reduce(plus_with_unit{}, seed(std::vector<int>{}))) == 100);
  }

  TEST_CASE("without init and without a nullary f, the first value is the initial value") {
    CHECK(run_blocking(reduce(std::minus<>{}, seed({10, 1, 2}))) == 7);
    CHECK(run_blocking(reduce(std::minus<>{}, seed({10}))) == 10);
  }

  TEST_CASE("misuse: an empty flow without init and without a nullary f fails with logic_error") {
    event_log log;
    manual_flow<int> in(log, "in");
    run_logged(reduce(std::minus<>{}, in.get()), log);
    in.terminate();
    CHECK(log.take() ==
          events{"in spawn",
                 "err braid::reduce: the flow ended without a value and f cannot be called "
                 "without arguments to give an initial value; pass one: reduce(f, init, flow)"});
  }

  TEST_CASE("misuse: reducing an empty (default-constructed) flow fails with a clear error") {
    CHECK_THROWS_WITH(run_blocking(reduce(std::plus<>{}, 0, flow<int>())),
                      doctest::Contains("spawned an empty flow"));
  }

  TEST_CASE("a failing input is cancelled and drained; the task fails after it terminated") {
    event_log log;
    manual_flow<int> in(log, "in");
    run_logged(reduce(std::plus<>{}, 0, in.get()), log);
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer"});
    in.fail("boom");
    CHECK(log.take() == events{"in transfer", "in cancel"});
    in.emit(5);  // discarded
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"err boom"});
  }

  TEST_CASE("a throwing f cancels the input and fails the task with f's error after draining") {
    event_log log;
    manual_flow<int> in(log, "in");
    run_logged(reduce(thrower{2}, 0, in.get()), log);
    in.emit(1);
    in.emit(2);
    CHECK(log.take() == events{"in spawn", "in transfer", "in transfer", "in cancel"});
    in.fail(braid::cancelled_error("in cancelled"));
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"err f failed"});
  }

  TEST_CASE("a throwing nullary f cancels the input at once; the task fails after it terminated") {
    event_log log;
    manual_flow<int> in(log, "in");
    struct bad_unit {
      int operator()() const { throw std::runtime_error("no unit"); }
      int operator()(int r, int v) const { return r + v; }
    };
    run_logged(reduce(bad_unit{}, in.get()), log);
    CHECK(log.take() == events{"in spawn", "in cancel"});
    in.terminate();
    CHECK(log.take() == events{"err no unit"});
  }

  TEST_CASE("cancel right after start cancels the input; the task ends as the input does") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto c = run_logged(reduce(std::plus<>{}, 0, in.get()), log);
    c();
    CHECK(log.take() == events{"in spawn", "in cancel"});
    in.fail(braid::cancelled_error("in cancelled"));
    CHECK(log.take() == events{"in transfer", "in cancel"});
    in.terminate();
    CHECK(log.take() == events{"err cancelled: in cancelled"});
  }

  TEST_CASE("cancel while running: values already reduced, then the input's cancellation") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto c = run_logged(reduce(std::plus<>{}, 0, in.get()), log);
    in.emit(1);
    log.take();
    c();
    CHECK(log.take() == events{"in cancel"});
    in.terminate();  // an input may also end normally after a cancel
    CHECK(log.take() == events{"ok 1"});
  }

  TEST_CASE("synchronous re-notification inside a transfer is handled in a loop") {
    event_log log;
    manual_flow<int> in(log, "in");
    run_logged(reduce(std::plus<>{}, 0, in.get()), log);
    in.push(1);
    in.on_transfer([&] {
      in.push(2);
      in.on_transfer([&] { in.terminate(); });  // inside the second transfer
      in.notify();                              // inside the first transfer
    });
    in.notify();
    CHECK(log.take() == events{"in spawn", "in transfer", "in transfer", "ok 3"});
  }

  TEST_CASE("an input that notifies and terminates inside spawn") {
    CHECK(run_blocking(reduce(push, std::vector<int>{}, seed({1, 2, 3}))) == std::vector<int>{1, 2, 3});
  }

  TEST_CASE("threads: the input completes on another thread; the task completes there") {
    event_log log;
    manual_flow<int> in(log, "in");
    std::thread::id completed_on;
    auto t = reduce(std::plus<>{}, 0, in.get());
    t.run([&](int v) { log("ok " + std::to_string(v)); completed_on = std::this_thread::get_id(); },
          [&](std::exception_ptr) { log("err"); });
    CHECK(log.take() == events{"in spawn"});
    std::thread th([&] {
      for (int i = 1; i <= 100; ++i) in.emit(i);
      in.terminate();
    });
    const auto producer = th.get_id();
    th.join();
    auto ev = log.take();
    REQUIRE(ev.size() == 101);
    CHECK(ev.back() == "ok 5050");
    CHECK(completed_on == producer);
  }

  TEST_CASE("a million synchronous values run in constant stack") {
    std::vector<int> v(1'000'000, 1);
    auto f = seed(v);
    int r = 0;
    braid::testing::run_on_small_stack([&] { r = run_blocking(reduce(std::plus<>{}, 0, f)); }, 256 * 1024);
    CHECK(r == 1'000'000);
  }

  TEST_CASE("the process and its copy of f are destroyed once the task ended and its canceller is gone") {
    struct fn : tracked {
      int operator()(int a, int b) const { return a + b; }
    };
    {
      auto t = reduce(fn{}, 0, seed({1, 2, 3}));
      const int recipe = tracked::live;
      {
        auto c = t.run([](int) {}, [](std::exception_ptr) {});
        CHECK(tracked::live == recipe + 1);  // the process's copy, kept by the canceller
      }
      CHECK(tracked::live == recipe);
    }
    CHECK(tracked::live == 0);
  }
}
