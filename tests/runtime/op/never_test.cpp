// SPDX-License-Identifier: MIT
#include <braid/op/never.hpp>

#include <script.hpp>

#include <atomic>
#include <thread>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::run_logged;

TEST_SUITE("never") {
  TEST_CASE("never ends on its own; cancel fails it at once with cancelled") {
    event_log log;
    canceller c = run_logged(never<int>(), log);
    CHECK(log.take().empty());
    c();
    CHECK(log.take() == events{"err cancelled: braid::never cancelled"});
  }

  TEST_CASE("cancel after the end is a no-op") {
    event_log log;
    canceller c = run_logged(never(), log);
    c();
    c();
    canceller copy = c;
    copy();
    CHECK(log.take() == events{"err cancelled: braid::never cancelled"});
  }

  TEST_CASE("every run is independent") {
    event_log log;
    task<void> t = never();
    canceller a = run_logged(t, log, "a ");
    canceller b = run_logged(t, log, "b ");
    b();
    CHECK(log.take() == events{"b err cancelled: braid::never cancelled"});
    a();
    CHECK(log.take() == events{"a err cancelled: braid::never cancelled"});
  }

  // Real threads: concurrent cancels; exactly one failure is delivered.
  TEST_CASE("stress: concurrent cancels deliver one failure") {
    for (int round = 0; round < 200; ++round) {
      std::atomic<int> failures{0};
      canceller c = never<int>().run([](int) {}, [&](std::exception_ptr) { ++failures; });
      std::thread t1([c] { c(); }), t2([c] { c(); });
      t1.join();
      t2.join();
      CHECK(failures == 1);
    }
  }
}
