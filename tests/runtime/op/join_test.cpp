// SPDX-License-Identifier: MIT
#include <braid/op/join.hpp>
#include <braid/run_blocking.hpp>

#include <script.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
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

int add(int a, int b) { return a + b; }

// Counts live copies, to check that a run's copy of the combinator dies with it.
struct counted_add {
  static inline std::atomic<int> live{0};
  counted_add() { ++live; }
  counted_add(const counted_add&) { ++live; }
  ~counted_add() { --live; }
  int operator()(int a, int b) const { return a + b; }
};

}  // namespace

TEST_SUITE("join") {
  TEST_CASE("children start in argument order and the join succeeds with f of their values") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b");
    canceller c = run_logged(join(add, a.get(), b.get()), log);
    CHECK(log.take() == events{"a start", "b start"});
    b.succeed(2);
    CHECK(log.take().empty());
    a.succeed(40);
    CHECK(log.take() == events{"ok 42"});
    c();  // cancel after the end: a no-op, no child is cancelled
    CHECK(log.take().empty());
  }

  TEST_CASE("join without f succeeds with a tuple; a task<void> child contributes unit") {
    event_log log;
    manual_task<int> a(log, "a");
    manual_task<void> b(log, "b");
    std::tuple<int, unit> got{};
    join(a.get(), b.get()).run([&](std::tuple<int, unit> t) { got = t; log("ok"); },
                               [&](std::exception_ptr e) { log("err " + message(e)); });
    CHECK(log.take() == events{"a start", "b start"});
    b.succeed();
    a.succeed(7);
    CHECK(log.take() == events{"ok"});
    CHECK(std::get<0>(got) == 7);
  }

  TEST_CASE("the first failure cancels every child, the failed one included, in argument order") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b"), c(log, "c");
    run_logged(join([](int x, int y, int z) { return x + y + z; }, a.get(), b.get(), c.get()), log);
    CHECK(log.take() == events{"a start", "b start", "c start"});
    b.fail("boom");
    // a and c fail with cancelled at once (manual tasks do); the join ends
    // after the last of them with the first error.
    CHECK(log.take() == events{"a cancel", "b cancel", "c cancel", "err boom"});
  }

  TEST_CASE("the join waits for every child after a failure; later errors are dropped") {
    event_log log;
    manual_task<int> a(log, "a", false), b(log, "b", false);
    run_logged(join(add, a.get(), b.get()), log);
    CHECK(log.take() == events{"a start", "b start"});
    a.fail("first");
    CHECK(log.take() == events{"a cancel", "b cancel"});
    b.fail("second");
    CHECK(log.take() == events{"err first"});
  }

  TEST_CASE("a failure during start-up cancels the children only after all are started") {
    event_log log;
    manual_task<int> b(log, "b"), c(log, "c");
    run_logged(join([](int x, int y, int z) { return x + y + z; }, failing_now("early"), b.get(), c.get()), log);
    CHECK(log.take() == events{"b start", "c start", "b cancel", "c cancel", "err early"});
  }

  TEST_CASE("cancel right after run cancels every child in order; the error is the first child's") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b");
    canceller c = run_logged(join(add, a.get(), b.get()), log);
    CHECK(log.take() == events{"a start", "b start"});
    c();
    CHECK(log.take() == events{"a cancel", "b cancel", "err cancelled: manual task cancelled"});
    c();
    CHECK(log.take().empty());
  }

  TEST_CASE("cancel while running: children that ignore it still decide the outcome") {
    event_log log;
    manual_task<int> a(log, "a", false), b(log, "b", false);
    canceller c = run_logged(join(add, a.get(), b.get()), log);
    log.take();
    a.succeed(1);
    CHECK(log.take().empty());
    c();
    CHECK(log.take() == events{"a cancel", "b cancel"});
    b.succeed(2);  // the cancelled child still succeeded: so does the join
    CHECK(log.take() == events{"ok 3"});
  }

  TEST_CASE("children completing synchronously complete the join inside run") {
    event_log log;
    canceller c = run_logged(join(add, task<int>(1), task<int>(2)), log);
    CHECK(log.take() == events{"ok 3"});
    c();
    CHECK(log.take().empty());
  }

  TEST_CASE("join of no task calls f at once") {
    event_log log;
    run_logged(join([] { return 5; }), log);
    CHECK(log.take() == events{"ok 5"});
    run_logged(join([]() -> int { throw std::runtime_error("f threw"); }), log);
    CHECK(log.take() == events{"err f threw"});
  }

  TEST_CASE("f throwing fails the join with that exception") {
    event_log log;
    manual_task<int> a(log, "a");
    run_logged(join([](int) -> int { throw std::runtime_error("bad combinator"); }, a.get()), log);
    CHECK(log.take() == events{"a start"});
    a.succeed(1);
    CHECK(log.take() == events{"err bad combinator"});
  }

  TEST_CASE("f returning void makes a task<void>") {
    event_log log;
    int seen = 0;
    manual_task<int> a(log, "a");
    task<void> t = join([&](int v) { seen = v; }, a.get());
    run_logged(t, log);
    a.succeed(9);
    CHECK(log.take() == events{"a start", "ok"});
    CHECK(seen == 9);
  }

  TEST_CASE("an empty child task fails the join with the empty-task error") {
    event_log log;
    manual_task<int> b(log, "b");
    run_logged(join(add, task<int>(), b.get()), log);
    CHECK(log.take() == events{"b start", "b cancel",
                               "err braid: ran an empty task (default-constructed or moved-from); "
                               "assign it a task before running it"});
  }

  TEST_CASE("each run owns a copy of f, destroyed when the run is over") {
    event_log log;
    {
      manual_task<int> a(log, "a"), b(log, "b");
      task<int> t = join(counted_add{}, a.get(), b.get());
      CHECK(counted_add::live == 1);
      {
        canceller c = run_logged(t, log);
        CHECK(counted_add::live == 2);
        a.succeed(1);
        b.succeed(2);
        CHECK(counted_add::live == 2);  // the canceller still holds the process
      }
      CHECK(counted_add::live == 1);
      CHECK(log.take() == events{"a start", "b start", "ok 3"});
    }
    CHECK(counted_add::live == 0);
  }

  TEST_CASE("join_all succeeds with the values in order; empty succeeds at once") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b"), c(log, "c");
    std::vector<int> got;
    auto on_ok = [&](std::vector<int> v) {
      got = std::move(v);
      log("ok");
    };
    auto on_err = [&](std::exception_ptr e) { log("err " + message(e)); };
    join_all(std::vector<task<int>>{a.get(), b.get(), c.get()}).run(on_ok, on_err);
    CHECK(log.take() == events{"a start", "b start", "c start"});
    c.succeed(3);
    a.succeed(1);
    b.succeed(2);
    CHECK(log.take() == events{"ok"});
    CHECK(got == std::vector<int>{1, 2, 3});
    join_all(std::vector<task<int>>{}).run(on_ok, on_err);
    CHECK(log.take() == events{"ok"});
    CHECK(got.empty());
  }

  TEST_CASE("join_all: the first failure cancels all and is reported after all ended") {
    event_log log;
    manual_task<int> a(log, "a", false), b(log, "b", false), c(log, "c", false);
    canceller k = join_all(std::vector<task<int>>{a.get(), b.get(), c.get()})
                      .run([&](std::vector<int>) { log("ok"); },
                           [&](std::exception_ptr e) { log("err " + message(e)); });
    CHECK(log.take() == events{"a start", "b start", "c start"});
    c.fail("c failed");
    CHECK(log.take() == events{"a cancel", "b cancel", "c cancel"});
    a.fail("a failed");
    b.succeed(2);
    CHECK(log.take() == events{"err c failed"});
    k();
    CHECK(log.take().empty());
  }

  TEST_CASE("join_all: a failure during start-up defers the cancellation until all started") {
    event_log log;
    manual_task<int> a(log, "a"), c(log, "c");
    join_all(std::vector<task<int>>{a.get(), failing_now("early"), c.get()})
        .run([&](std::vector<int>) { log("ok"); }, [&](std::exception_ptr e) { log("err " + message(e)); });
    CHECK(log.take() == events{"a start", "c start", "a cancel", "c cancel", "err early"});
  }

  TEST_CASE("many synchronous children complete in a loop, in constant stack") {
    std::vector<task<int>> many(100000, task<int>(1));
    std::size_t got = 0;
    testing::run_on_small_stack(
        [&] { join_all(many).run([&](std::vector<int> v) { got = v.size(); }, [](std::exception_ptr) {}); },
        256 * 1024);
    CHECK(got == 100000);
  }

  // Real threads: children complete on their own threads while the join is
  // cancelled from a third. Whatever the interleaving, the join completes
  // exactly once, after every child ended; TSan and ASan check the rest.
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
      std::atomic<bool> done{false};
      canceller c = join(add, on_thread(1, round % 3 == 0), on_thread(2, false))
                        .run(
                            [&](int v) {
                              CHECK(v == 3);
                              ++completions;
                              done = true;
                            },
                            [&](std::exception_ptr e) {
                              CHECK(message(e) == "thread failure");
                              ++completions;
                              done = true;
                            });
      std::thread canceller_thread([c] { c(); });
      canceller_thread.join();
      std::vector<std::thread> ts;
      {
        std::lock_guard<std::mutex> g(m);
        ts.swap(threads);
      }
      for (auto& t : ts) t.join();
      CHECK(done.load());
      CHECK(completions == 1);
    }
  }

  TEST_CASE("run_blocking over a join whose children complete on other threads") {
    std::vector<std::thread> ts;
    auto later = [&](int v) {
      return make_task<int>([&ts, v](auto ok, auto) { ts.emplace_back([ok, v] { ok(v); }); });
    };
    CHECK(run_blocking(join(add, later(20), later(22))) == 42);
    for (auto& t : ts) t.join();
  }
}
