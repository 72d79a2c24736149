// SPDX-License-Identifier: MIT
#include <braid/op/any.hpp>
#include <braid/run_blocking.hpp>

#include <script.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_task;
using braid::testing::message;
using braid::testing::run_logged;

namespace {

std::exception_ptr error(const char* msg) { return std::make_exception_ptr(std::runtime_error(msg)); }

task<int> failing_now(const char* msg) {
  return make_task<int>([msg](auto, auto fail) { fail(error(msg)); });
}

}  // namespace

TEST_SUITE("any") {
  TEST_CASE("the first success decides, cancels every child in order, completes after all ended") {
    event_log log;
    manual_task<int> a(log, "a", false), b(log, "b", false);
    canceller k = run_logged(any(a.get(), b.get()), log);
    CHECK(log.take() == events{"a start", "b start"});
    b.succeed(2);
    CHECK(log.take() == events{"a cancel", "b cancel"});
    a.fail("late");
    CHECK(log.take() == events{"ok 2"});
    k();
    CHECK(log.take().empty());
  }

  TEST_CASE("the first failure decides too") {
    event_log log;
    manual_task<int> a(log, "a", false), b(log, "b", false);
    run_logged(any(a.get(), b.get()), log);
    log.take();
    a.fail("first");
    CHECK(log.take() == events{"a cancel", "b cancel"});
    b.succeed(3);  // a later success is dropped
    CHECK(log.take() == events{"err first"});
  }

  TEST_CASE("an end during start-up cancels the children only after all are started") {
    event_log log;
    manual_task<int> a(log, "a"), c(log, "c");
    run_logged(any(a.get(), failing_now("early"), c.get()), log);
    CHECK(log.take() == events{"a start", "c start", "a cancel", "c cancel", "err early"});
  }

  TEST_CASE("cancel right after run: the first child to end with cancelled decides") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b");
    canceller k = run_logged(any(a.get(), b.get()), log);
    log.take();
    k();
    CHECK(log.take() == events{"a cancel", "b cancel", "err cancelled: manual task cancelled"});
    k();
    CHECK(log.take().empty());
  }

  TEST_CASE("cancel while running: children that ignore it still decide") {
    event_log log;
    manual_task<int> a(log, "a", false), b(log, "b", false);
    canceller k = run_logged(any(a.get(), b.get()), log);
    log.take();
    k();
    CHECK(log.take() == events{"a cancel", "b cancel"});
    b.succeed(4);
    CHECK(log.take().empty());  // a has not ended yet
    a.succeed(1);
    CHECK(log.take() == events{"ok 4"});
  }

  TEST_CASE("synchronous completion: the first value decides inside run") {
    event_log log;
    run_logged(any(task<int>(1), task<int>(2)), log);
    CHECK(log.take() == events{"ok 1"});
  }

  TEST_CASE("vector form, and an empty any fails at once with race_error") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b");
    run_logged(any(std::vector<task<int>>{a.get(), b.get()}), log);
    b.succeed(6);
    CHECK(log.take() == events{"a start", "b start", "a cancel", "b cancel", "ok 6"});
    run_logged(any(std::vector<task<int>>{}), log);
    CHECK(log.take() == events{"err braid::race: no task to race"});
  }

  TEST_CASE("a task<void> any") {
    event_log log;
    manual_task<void> a(log, "a"), b(log, "b");
    run_logged(any(a.get(), b.get()), log);
    a.succeed();
    CHECK(log.take() == events{"a start", "b start", "a cancel", "b cancel", "ok"});
  }

  // Real threads: the race between ends on two threads and a cancel.
  TEST_CASE("stress: completion from other threads racing with cancel") {
    std::mutex m;
    std::vector<std::thread> threads;
    auto on_thread = [&](int v, bool fail) {
      return make_task<int>([&m, &threads, v, fail](auto ok, auto ko) {
        std::lock_guard<std::mutex> g(m);
        threads.emplace_back([ok, ko, v, fail] {
          if (fail)
            ko(error("thread failure"));
          else
            ok(v);
        });
      });
    };
    for (int round = 0; round < 200; ++round) {
      std::atomic<int> completions{0};
      canceller c = any(on_thread(1, round % 2 == 0), on_thread(2, false))
                        .run([&](int) { ++completions; }, [&](std::exception_ptr) { ++completions; });
      std::thread canceller_thread([c] { c(); });
      canceller_thread.join();
      std::vector<std::thread> ts;
      {
        std::lock_guard<std::mutex> g(m);
        ts.swap(threads);
      }
      for (auto& t : ts) t.join();
      CHECK(completions == 1);
    }
  }
}
