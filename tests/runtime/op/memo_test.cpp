// SPDX-License-Identifier: MIT
#include <braid/op/memo.hpp>
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

// Counts live copies of a value, to check that the memo's stored value and
// every subscriber's copy are destroyed.
struct counted {
  static inline std::atomic<int> live{0};
  int v = 0;
  explicit counted(int x) : v(x) { ++live; }
  counted(const counted& o) : v(o.v) { ++live; }
  counted(counted&& o) noexcept : v(o.v) { ++live; }
  ~counted() { --live; }
};

}  // namespace

TEST_SUITE("memo") {
  TEST_CASE("the first subscription starts one run; every subscriber gets its value, in order") {
    event_log log;
    manual_task<int> a(log, "a");
    task<int> m = memo(a.get());
    CHECK(log.take().empty());  // lazy: nothing runs before a subscription
    canceller s1 = run_logged(m, log, "s1 ");
    canceller s2 = run_logged(m, log, "s2 ");
    CHECK(log.take() == events{"a start"});
    a.succeed(5);
    CHECK(log.take() == events{"s1 ok 5", "s2 ok 5"});
    s1();  // after the end: no-ops
    s2();
    CHECK(log.take().empty());
    CHECK(a.runs() == 1);
  }

  TEST_CASE("a subscription after the end gets the stored outcome at once, without a new run") {
    event_log log;
    manual_task<int> a(log, "a");
    task<int> m = memo(a.get());
    run_logged(m, log, "s1 ");
    a.succeed(7);
    CHECK(log.take() == events{"a start", "s1 ok 7"});
    task<int> copy = m;  // copies share the memo
    run_logged(copy, log, "s2 ");
    CHECK(log.take() == events{"s2 ok 7"});
    CHECK(a.runs() == 1);
  }

  TEST_CASE("a failure is shared by every subscriber, now and later") {
    event_log log;
    manual_task<int> a(log, "a");
    task<int> m = memo(a.get());
    run_logged(m, log, "s1 ");
    run_logged(m, log, "s2 ");
    a.fail("broken");
    run_logged(m, log, "s3 ");
    CHECK(log.take() == events{"a start", "s1 err broken", "s2 err broken", "s3 err broken"});
  }

  TEST_CASE("cancelling one subscriber fails only that one, at once; the run goes on") {
    event_log log;
    manual_task<int> a(log, "a");
    task<int> m = memo(a.get());
    canceller s1 = run_logged(m, log, "s1 ");
    run_logged(m, log, "s2 ");
    log.take();
    s1();
    CHECK(log.take() == events{"s1 err cancelled: braid::memo subscription cancelled"});
    CHECK_FALSE(a.cancelled());
    a.succeed(3);
    CHECK(log.take() == events{"s2 ok 3"});
  }

  TEST_CASE("when the last subscriber cancels, the run is cancelled and the next subscription starts anew") {
    event_log log;
    manual_task<int> a(log, "a");
    task<int> m = memo(a.get());
    canceller s1 = run_logged(m, log, "s1 ");
    canceller s2 = run_logged(m, log, "s2 ");
    log.take();
    s2();
    s1();
    // The run's cancelled failure is discarded: nobody is subscribed to it.
    CHECK(log.take() == events{"s2 err cancelled: braid::memo subscription cancelled",
                               "s1 err cancelled: braid::memo subscription cancelled", "a cancel"});
    run_logged(m, log, "s3 ");
    CHECK(log.take() == events{"a start"});
    CHECK(a.runs() == 2);
    a.succeed_run(1, 9);
    CHECK(log.take() == events{"s3 ok 9"});
  }

  TEST_CASE("cancel right after the first run: the child is cancelled after the subscriber failed") {
    event_log log;
    manual_task<int> a(log, "a", false);
    task<int> m = memo(a.get());
    canceller s1 = run_logged(m, log, "s1 ");
    s1();
    CHECK(log.take() == events{"a start", "s1 err cancelled: braid::memo subscription cancelled", "a cancel"});
    run_logged(m, log, "s2 ");  // a new run while the old one has not ended
    CHECK(log.take() == events{"a start"});
    a.succeed_run(0, 1);  // the forgotten run ends: discarded
    CHECK(log.take().empty());
    a.succeed_run(1, 2);
    CHECK(log.take() == events{"s2 ok 2"});
  }

  TEST_CASE("synchronous completion: the first subscriber completes inside run, the rest from storage") {
    event_log log;
    task<int> m = memo(task<int>(4));
    canceller c = run_logged(m, log);
    run_logged(m, log);
    CHECK(log.take() == events{"ok 4", "ok 4"});
    c();
    CHECK(log.take().empty());
    run_logged(memo(task<int>()), log);
    CHECK(log.take() == events{"err braid: ran an empty task (default-constructed or moved-from); "
                               "assign it a task before running it"});
  }

  TEST_CASE("the stored value and every copy are destroyed with the memo") {
    {
      event_log log;
      manual_task<counted> a(log, "a");
      task<counted> m = memo(a.get());
      int got = 0;
      m.run([&](counted c) { got += c.v; }, [](std::exception_ptr) {});
      a.succeed(counted(2));
      m.run([&](counted c) { got += c.v; }, [](std::exception_ptr) {});
      CHECK(got == 4);
      CHECK(counted::live == 1);  // the stored one
    }
    CHECK(counted::live == 0);
  }

  // Real threads: subscribers come and go on several threads while the run
  // completes on another one. Every subscriber completes exactly once.
  TEST_CASE("stress: subscribe, cancel and completion on real threads") {
    for (int round = 0; round < 50; ++round) {
      std::mutex wm;
      std::vector<std::thread> workers;  // one per run of the memoized task
      auto slow = make_task<int>([&](auto ok, auto) {
        std::lock_guard<std::mutex> g(wm);
        workers.emplace_back([ok] { ok(42); });
      });
      task<int> m = memo(slow);
      std::atomic<int> completions{0};
      std::vector<std::thread> subs;
      for (int i = 0; i < 4; ++i) {
        subs.emplace_back([&, i] {
          canceller c = m.run([&](int v) { CHECK(v == 42); ++completions; },
                              [&](std::exception_ptr e) { CHECK(is_cancelled(e)); ++completions; });
          if (i % 2 == 0) c();
        });
      }
      for (auto& t : subs) t.join();
      std::vector<std::thread> ws;
      {
        std::lock_guard<std::mutex> g(wm);
        ws.swap(workers);
      }
      for (auto& w : ws) w.join();
      CHECK(completions == 4);
    }
  }
}
