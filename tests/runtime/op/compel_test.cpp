// SPDX-License-Identifier: MIT
#include <braid/op/compel.hpp>
#include <braid/run_blocking.hpp>

#include <script.hpp>

#include <thread>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_task;
using braid::testing::run_logged;

TEST_SUITE("compel") {
  TEST_CASE("compel succeeds or fails as its child does") {
    event_log log;
    manual_task<int> a(log, "a");
    run_logged(compel(a.get()), log);
    a.succeed(3);
    CHECK(log.take() == events{"a start", "ok 3"});
    run_logged(compel(a.get()), log);
    a.fail("broken");
    CHECK(log.take() == events{"a start", "err broken"});
  }

  TEST_CASE("cancelling compel does not cancel the child; its outcome stands") {
    event_log log;
    manual_task<int> a(log, "a");
    canceller c = run_logged(compel(a.get()), log);
    CHECK(log.take() == events{"a start"});
    c();  // right after run, and again while running
    c();
    CHECK(log.take().empty());
    CHECK_FALSE(a.cancelled());
    a.succeed(4);
    CHECK(log.take() == events{"ok 4"});
    c();  // after the end
    CHECK(log.take().empty());
  }

  TEST_CASE("synchronous completion passes through inside run") {
    event_log log;
    run_logged(compel(task<int>(2)), log);
    CHECK(log.take() == events{"ok 2"});
    run_logged(compel(task<int>()), log);
    CHECK(log.take() == events{"err braid: ran an empty task (default-constructed or moved-from); "
                               "assign it a task before running it"});
  }

  TEST_CASE("completion from another thread") {
    std::thread th;
    auto t = make_task<int>([&th](auto ok, auto) { th = std::thread([ok] { ok(8); }); });
    CHECK(run_blocking(compel(t)) == 8);
    th.join();
  }
}
