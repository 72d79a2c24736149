// SPDX-License-Identifier: MIT
#include <braid/op/sleep.hpp>
#include <braid/run_blocking.hpp>

#include <manual_env.hpp>
#include <script.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_env;
using braid::testing::run_logged;

TEST_SUITE("sleep") {
  TEST_CASE("sleep succeeds when its virtual deadline passes, not before") {
    manual_env env;
    event_log log;
    canceller c = run_logged(braid::sleep(100), log);
    CHECK(log.take().empty());
    CHECK(env.timers() == 1);
    env.advance(99);
    CHECK(log.take().empty());
    env.advance(1);
    CHECK(log.take() == events{"ok"});
    CHECK(env.timers() == 0);
    c();  // after the end: a no-op
    CHECK(log.take().empty());
  }

  TEST_CASE("sleep with a value succeeds with a copy of it at every run") {
    manual_env env;
    event_log log;
    task<std::string> t = braid::sleep(10, std::string("tick"));
    run_logged(t, log, "a ");
    env.advance(5);
    run_logged(t, log, "b ");
    env.advance(5);
    CHECK(log.take() == events{"a ok tick"});
    env.advance(10);
    CHECK(log.take() == events{"b ok tick"});
  }

  TEST_CASE("cancel before the deadline fails at once, inside the cancel call, and removes the timer") {
    manual_env env;
    event_log log;
    canceller c = run_logged(braid::sleep(50, 1), log);
    env.advance(20);
    c();
    CHECK(log.take() == events{"err cancelled: braid::sleep cancelled"});
    CHECK(env.timers() == 0);
    c();
    env.advance(100);
    CHECK(log.take().empty());
  }

  TEST_CASE("cancel right after run fails at once") {
    manual_env env;
    event_log log;
    canceller c = run_logged(braid::sleep(0), log);
    c();
    CHECK(log.take() == events{"err cancelled: braid::sleep cancelled"});
  }

  TEST_CASE("zero and negative delays complete at the next timer turn, never inside run") {
    manual_env env;
    event_log log;
    run_logged(braid::sleep(0, 1), log);
    run_logged(braid::sleep(-5, 2), log);
    CHECK(log.take().empty());
    env.advance(0);
    CHECK(log.take() == events{"ok 2", "ok 1"});  // the earlier deadline first
  }

  TEST_CASE("equal deadlines fire in the order the sleeps ran") {
    manual_env env;
    event_log log;
    run_logged(braid::sleep(10, 1), log);
    run_logged(braid::sleep(10, 2), log);
    run_logged(braid::sleep(5, 3), log);
    env.advance(10);
    CHECK(log.take() == events{"ok 3", "ok 1", "ok 2"});
  }

  TEST_CASE("chrono durations are rounded up to whole milliseconds") {
    manual_env env;
    event_log log;
    run_logged(braid::sleep(std::chrono::microseconds(1500)), log);
    run_logged(braid::sleep(std::chrono::seconds(1), 9), log);
    env.advance(1);
    CHECK(log.take().empty());
    env.advance(1);
    CHECK(log.take() == events{"ok"});
    env.advance(998);
    CHECK(log.take() == events{"ok 9"});
  }

  TEST_CASE("the environment is the one of the thread that runs the task, not where it was built") {
    event_log log;
    task<int> t = braid::sleep(30, 4);  // built with no manual_env installed
    manual_env env;
    run_logged(t, log);
    CHECK(env.timers() == 1);
    env.advance(30);
    CHECK(log.take() == events{"ok 4"});
  }

  TEST_CASE("a huge delay saturates instead of overflowing") {
    manual_env env;
    event_log log;
    env.advance(10);
    canceller c = run_logged(braid::sleep(std::numeric_limits<std::int64_t>::max()), log);
    env.advance(1000000);
    CHECK(log.take().empty());
    c();
    CHECK(log.take() == events{"err cancelled: braid::sleep cancelled"});
  }

  // Real timer thread: completion arrives from it.
  TEST_CASE("real time: sleep completes on the timer thread") {
    auto start = std::chrono::steady_clock::now();
    CHECK(run_blocking(braid::sleep(20, 5)) == 5);
    // The real environment's clock counts whole milliseconds: a deadline of
    // now + 20 taken at 0.9 ms past a tick may fire 19.1 ms later.
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(19));
  }

  // Real threads: cancel races with the timer thread firing; exactly one
  // completion happens either way.
  TEST_CASE("stress: cancel racing with the real timer") {
    for (int round = 0; round < 100; ++round) {
      std::atomic<int> done{0};
      canceller c = braid::sleep(round % 3).run([&] { ++done; }, [&](std::exception_ptr) { ++done; });
      std::thread th([c] { c(); });
      th.join();
      while (done.load() == 0) std::this_thread::yield();
      CHECK(done.load() == 1);
    }
  }
}
