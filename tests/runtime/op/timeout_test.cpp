// SPDX-License-Identifier: MIT
#include <braid/op/timeout.hpp>
#include <braid/run_blocking.hpp>

#include <manual_env.hpp>
#include <script.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_env;
using braid::testing::manual_task;
using braid::testing::message;
using braid::testing::run_logged;

TEST_SUITE("timeout") {
  TEST_CASE("a task ending in time: the timeout ends as it did and removes its timer") {
    manual_env env;
    event_log log;
    manual_task<int> a(log, "a");
    canceller c = run_logged(timeout(a.get(), 100), log);
    CHECK(log.take() == events{"a start"});
    CHECK(env.timers() == 1);
    env.advance(50);
    a.succeed(3);
    CHECK(log.take() == events{"a cancel", "ok 3"});  // any: the decider is cancelled too (a no-op)
    CHECK(env.timers() == 0);
    c();
    CHECK(log.take().empty());
  }

  TEST_CASE("a task failing in time: the timeout fails with its error") {
    manual_env env;
    event_log log;
    manual_task<int> a(log, "a");
    run_logged(timeout(a.get(), 100, 0), log);
    a.fail("broken");
    CHECK(log.take() == events{"a start", "a cancel", "err broken"});
    CHECK(env.timers() == 0);
  }

  TEST_CASE("the delay elapses: the task is cancelled, and the timeout fails with timed_out after it ended") {
    manual_env env;
    event_log log;
    manual_task<int> a(log, "a", false);
    run_logged(timeout(a.get(), 100), log);
    log.take();
    env.advance(100);
    CHECK(log.take() == events{"a cancel"});
    a.succeed(1);  // too late: the timer decided
    CHECK(log.take() == events{"err braid::timeout: the task did not complete within 100 ms"});
  }

  TEST_CASE("the delay elapses with a fallback value: the timeout succeeds with it") {
    manual_env env;
    event_log log;
    manual_task<int> a(log, "a");
    run_logged(timeout(a.get(), 20, -1), log);
    env.advance(20);
    CHECK(log.take() == events{"a start", "a cancel", "ok -1"});
  }

  TEST_CASE("timed_out is a std::runtime_error naming the delay") {
    timed_out e(250);
    const std::runtime_error& base = e;
    CHECK(std::string(base.what()) == "braid::timeout: the task did not complete within 250 ms");
    CHECK(e.delay_ms() == 250);
  }

  TEST_CASE("cancel right after run: the task is cancelled first, its failure decides") {
    manual_env env;
    event_log log;
    manual_task<int> a(log, "a");
    canceller c = run_logged(timeout(a.get(), 100, 5), log);
    c();
    CHECK(log.take() == events{"a start", "a cancel", "err cancelled: manual task cancelled"});
    CHECK(env.timers() == 0);
    c();
    env.advance(200);
    CHECK(log.take().empty());
  }

  TEST_CASE("cancel while running, the task ignoring it: the removed timer decides with cancelled") {
    manual_env env;
    event_log log;
    manual_task<int> a(log, "a", false);
    canceller c = run_logged(timeout(a.get(), 100, 5), log);
    env.advance(30);
    c();
    CHECK(log.take() == events{"a start", "a cancel"});
    CHECK(env.timers() == 0);
    a.succeed(1);  // the timeout waited for the task to end
    CHECK(log.take() == events{"err cancelled: braid::timeout cancelled"});
  }

  TEST_CASE("a task ending synchronously inside run: no timer is scheduled") {
    manual_env env;
    event_log log;
    run_logged(timeout(task<int>(7), 100), log);
    CHECK(log.take() == events{"ok 7"});
    CHECK(env.timers() == 0);
    run_logged(timeout(task<int>(), 100), log);
    CHECK(log.take() == events{"err braid: ran an empty task (default-constructed or moved-from); "
                               "assign it a task before running it"});
  }

  TEST_CASE("zero delay: the task is cancelled at the next timer turn") {
    manual_env env;
    event_log log;
    manual_task<void> a(log, "a");
    run_logged(timeout(a.get(), 0, unit{}), log);
    CHECK(log.take() == events{"a start"});
    env.advance(0);
    CHECK(log.take() == events{"a cancel", "ok"});
  }

  TEST_CASE("chrono delays and a task<void> without fallback") {
    manual_env env;
    event_log log;
    manual_task<void> a(log, "a");
    run_logged(timeout(a.get(), std::chrono::milliseconds(1500)), log);
    env.advance(1499);
    CHECK(log.take() == events{"a start"});
    env.advance(1);
    CHECK(log.take() == events{"a cancel", "err braid::timeout: the task did not complete within 1500 ms"});
  }

  TEST_CASE("a move-only result travels through a timeout without a fallback") {
    manual_env env;
    event_log log;
    manual_task<std::unique_ptr<int>> a(log, "a");
    std::unique_ptr<int> got;
    timeout(a.get(), 10).run([&](std::unique_ptr<int> p) { got = std::move(p); },
                             [&](std::exception_ptr e) { log("err " + message(e)); });
    a.succeed(std::make_unique<int>(3));
    REQUIRE(got);
    CHECK(*got == 3);
    CHECK(log.take() == events{"a start", "a cancel"});
  }

  // Real timer thread and real threads: the task ends on its own thread
  // while the timer fires and a cancel arrives; one completion, always.
  TEST_CASE("stress: task end, timer and cancel racing on real threads") {
    for (int round = 0; round < 100; ++round) {
      std::thread worker;
      std::atomic<int> done{0};
      auto t = make_task<int>([&worker](auto ok, auto) { worker = std::thread([ok] { ok(1); }); });
      canceller c = timeout(t, round % 2, 2).run([&](int v) { CHECK((v == 1 || v == 2)); ++done; },
                                                 [&](std::exception_ptr) { ++done; });
      std::thread th([c] { c(); });
      th.join();
      worker.join();
      while (done.load() == 0) std::this_thread::yield();
      CHECK(done.load() == 1);
    }
    CHECK(run_blocking(timeout(braid::sleep(1000, 1), 5, 2)) == 2);
    CHECK_THROWS_AS(run_blocking(timeout(braid::sleep(1000, 1), 5)), timed_out);
  }
}
