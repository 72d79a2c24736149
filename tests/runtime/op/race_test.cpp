// SPDX-License-Identifier: MIT
#include <braid/op/race.hpp>
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

task<int> succeeding_now(int v) {
  return make_task<int>([v](auto ok, auto) { ok(v); });
}

// Runs a race and logs "ok <v>", or "race_error <what> [<each error>]".
canceller run_race(const task<int>& t, event_log& log) {
  return t.run([&log](int v) { log("ok " + std::to_string(v)); },
               [&log](std::exception_ptr e) {
                 try {
                   std::rethrow_exception(e);
                 } catch (const race_error& r) {
                   std::string s = std::string("race_error ") + r.what() + " [";
                   for (auto& x : r.errors()) s += message(x) + ";";
                   log(s + "]");
                 } catch (...) {
                   log("err " + message(e));
                 }
               });
}

}  // namespace

TEST_SUITE("race") {
  TEST_CASE("the first success cancels every child in order and wins once all ended") {
    event_log log;
    manual_task<int> a(log, "a", false), b(log, "b", false), c(log, "c", false);
    canceller k = run_race(race(a.get(), b.get(), c.get()), log);
    CHECK(log.take() == events{"a start", "b start", "c start"});
    b.succeed(2);
    CHECK(log.take() == events{"a cancel", "b cancel", "c cancel"});
    a.succeed(1);  // a later success is dropped
    CHECK(log.take().empty());
    c.fail("c failed");
    CHECK(log.take() == events{"ok 2"});
    k();
    CHECK(log.take().empty());
  }

  TEST_CASE("children failing with cancelled after the win do not change the result") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b");
    run_race(race(a.get(), b.get()), log);
    a.succeed(1);
    CHECK(log.take() == events{"a start", "b start", "a cancel", "b cancel", "ok 1"});
  }

  TEST_CASE("if every child fails, the race fails with every error in argument order") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b"), c(log, "c");
    run_race(race(a.get(), b.get(), c.get()), log);
    log.take();
    c.fail("third");
    a.fail("first");
    CHECK(log.take().empty());
    b.fail("second");
    CHECK(log.take() ==
          events{"race_error braid::race: all 3 tasks failed; first error: first [first;second;third;]"});
  }

  TEST_CASE("a success during start-up cancels the children only after all are started") {
    event_log log;
    manual_task<int> a(log, "a"), c(log, "c");
    run_race(race(a.get(), succeeding_now(7), c.get()), log);
    CHECK(log.take() == events{"a start", "c start", "a cancel", "c cancel", "ok 7"});
  }

  TEST_CASE("cancel right after run cancels every child; all cancelled gives race_error") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b");
    canceller k = run_race(race(a.get(), b.get()), log);
    CHECK(log.take() == events{"a start", "b start"});
    k();
    CHECK(log.take() ==
          events{"a cancel", "b cancel",
                 "race_error braid::race: all 2 tasks failed; first error: cancelled (manual task cancelled) "
                 "[cancelled: manual task cancelled;cancelled: manual task cancelled;]"});
    k();
    CHECK(log.take().empty());
  }

  TEST_CASE("cancel while running: a child that still succeeds wins") {
    event_log log;
    manual_task<int> a(log, "a", false), b(log, "b");
    canceller k = run_race(race(a.get(), b.get()), log);
    log.take();
    k();
    CHECK(log.take() == events{"a cancel", "b cancel"});
    a.succeed(5);
    CHECK(log.take() == events{"ok 5"});
  }

  TEST_CASE("synchronous completion: a race of values completes inside run with the first") {
    event_log log;
    run_race(race(task<int>(1), task<int>(2)), log);
    CHECK(log.take() == events{"ok 1"});
  }

  TEST_CASE("an empty race fails at once with a race_error holding no error") {
    event_log log;
    run_race(race(std::vector<task<int>>{}), log);
    CHECK(log.take() == events{"race_error braid::race: no task to race []"});
  }

  TEST_CASE("race over a vector; an empty child task is one failed child") {
    event_log log;
    manual_task<int> a(log, "a");
    run_race(race(std::vector<task<int>>{task<int>(), a.get()}), log);
    CHECK(log.take() == events{"a start"});
    a.fail("a failed");
    CHECK(log.take() ==
          events{"race_error braid::race: all 2 tasks failed; first error: braid: ran an empty task "
                 "(default-constructed or moved-from); assign it a task before running it [braid: ran an "
                 "empty task (default-constructed or moved-from); assign it a task before running it;a failed;]"});
  }

  TEST_CASE("race_error is a std::exception and copies cheaply") {
    race_error e({error("x"), error("y")});
    std::exception& base = e;
    CHECK(std::string(base.what()) == "braid::race: all 2 tasks failed; first error: x");
    race_error copy = e;
    CHECK(copy.errors().size() == 2);
    CHECK(message(copy.errors()[1]) == "y");
  }

  // Real threads: children end on their own threads while the race is
  // cancelled from a third; the race completes exactly once.
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
      canceller c = race(on_thread(1, round % 2 == 0), on_thread(2, round % 3 == 0))
                        .run([&](int v) { CHECK((v == 1 || v == 2)); ++completions; },
                             [&](std::exception_ptr) { ++completions; });
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
    std::thread th;
    auto later = make_task<int>([&th](auto ok, auto) { th = std::thread([ok] { ok(3); }); });
    CHECK(run_blocking(race(later, make_task<int>([](auto, auto ko) { ko(error("no")); }))) == 3);
    th.join();
  }
}
