// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>
#include <braid/op/dfv.hpp>

#include <script.hpp>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::run_logged;

namespace {

// Counts live instances; copying throws while `fail_copies` is set.
struct tracked {
  static inline int live = 0;
  static inline bool fail_copies = false;
  static inline bool fail_moves = false;
  int v;
  explicit tracked(int v) : v(v) { ++live; }
  tracked(const tracked& o) : v(o.v) {
    if (fail_copies) throw std::runtime_error("copy failed");
    ++live;
  }
  tracked(tracked&& o) : v(o.v) {
    if (fail_moves) throw std::runtime_error("move failed");
    ++live;
  }
  tracked& operator=(const tracked&) = delete;
  ~tracked() { --live; }
};

canceller run_tracked(const task<tracked>& t, event_log& log, const std::string& prefix = "") {
  return t.run([&log, prefix](tracked x) { log(prefix + "ok " + std::to_string(x.v)); },
               [&log, prefix](std::exception_ptr e) { log(prefix + "err " + testing::message(e)); });
}

}  // namespace

TEST_SUITE("dfv") {
  TEST_CASE("a deref run after the assignment completes synchronously and keeps no state") {
    event_log log;
    dfv<int> v;
    CHECK(v.assign(1));
    canceller c = run_logged(v.deref(), log);
    CHECK(log.take() == events{"ok 1"});
    CHECK_FALSE(c);
    c();  // cancel after the end: nothing
    CHECK(log.take().empty());
  }

  TEST_CASE("a deref run before the assignment completes when the value is assigned") {
    event_log log;
    dfv<int> v;
    canceller c = run_logged(v.deref(), log);
    CHECK(log.take().empty());
    CHECK(c);
    CHECK(v.assign(5));
    CHECK(log.take() == events{"ok 5"});
    c();  // after the end: nothing
    CHECK(log.take().empty());
  }

  TEST_CASE("the first assignment wins and later ones return false") {
    event_log log;
    dfv<std::string> v;
    CHECK(v.assign("first"));
    CHECK_FALSE(v.assign("second"));
    run_logged(v.deref(), log);
    CHECK(log.take() == events{"ok first"});
  }

  TEST_CASE("pending derefs are completed in the order they were run") {
    event_log log;
    dfv<int> v;
    run_logged(v.deref(), log, "a ");
    run_logged(v.deref(), log, "b ");
    run_logged(v.deref(), log, "c ");
    CHECK(log.take().empty());
    CHECK(v.assign(3));
    CHECK(log.take() == events{"a ok 3", "b ok 3", "c ok 3"});
    CHECK_FALSE(v.assign(4));
    CHECK(log.take().empty());
  }

  TEST_CASE("copies of the handle share one variable, and a deref task can be run again") {
    event_log log;
    dfv<int> v;
    dfv<int> w = v;
    task<int> t = w.deref();
    run_logged(t, log, "a ");
    CHECK(v.assign(9));
    CHECK_FALSE(w.assign(10));
    run_logged(t, log, "b ");
    CHECK(log.take() == events{"a ok 9", "b ok 9"});
  }

  TEST_CASE("cancelling a pending deref fails it at once and removes it") {
    event_log log;
    dfv<int> v;
    run_logged(v.deref(), log, "a ");
    canceller b = run_logged(v.deref(), log, "b ");
    run_logged(v.deref(), log, "c ");
    b();
    CHECK(log.take() == events{"b err cancelled: braid::dfv deref cancelled"});
    b();  // twice: nothing
    CHECK(log.take().empty());
    CHECK(v.assign(2));
    CHECK(log.take() == events{"a ok 2", "c ok 2"});
    b();  // after the assignment: nothing
    CHECK(log.take().empty());
  }

  TEST_CASE("cancelling right after run, before any assignment, fails the deref") {
    event_log log;
    dfv<int> v;
    canceller c = run_logged(v.deref(), log);
    c();
    CHECK(log.take() == events{"err cancelled: braid::dfv deref cancelled"});
    CHECK(v.assign(1));
    CHECK(log.take().empty());
  }

  TEST_CASE("cancelling a completed deref does nothing") {
    event_log log;
    dfv<int> v;
    canceller c = run_logged(v.deref(), log);
    v.assign(8);
    CHECK(log.take() == events{"ok 8"});
    c();
    c();
    CHECK(log.take().empty());
  }

  TEST_CASE("a deref whose copy of the value throws fails with that exception") {
    event_log log;
    tracked::live = 0;
    {
      dfv<tracked> v;
      run_tracked(v.deref(), log, "a ");
      tracked::fail_copies = true;
      CHECK(v.assign(tracked(4)));
      CHECK(log.take() == events{"a err copy failed"});
      run_tracked(v.deref(), log, "b ");
      CHECK(log.take() == events{"b err copy failed"});
      tracked::fail_copies = false;
      run_tracked(v.deref(), log, "c ");
      CHECK(log.take() == events{"c ok 4"});
      CHECK(tracked::live == 1);  // the bound value
    }
    CHECK(tracked::live == 0);
  }

  TEST_CASE("an assignment whose value cannot be stored throws and leaves the variable unbound") {
    event_log log;
    tracked::live = 0;
    {
      dfv<tracked> v;
      run_tracked(v.deref(), log);
      tracked::fail_moves = true;
      CHECK_THROWS_WITH_AS(v.assign(tracked(1)), "move failed", std::runtime_error);
      tracked::fail_moves = false;
      CHECK(log.take().empty());
      CHECK(v.assign(tracked(2)));
      CHECK(log.take() == events{"ok 2"});
    }
    CHECK(tracked::live == 0);
  }

  TEST_CASE("a pending deref keeps the variable alive; cancelling it frees everything") {
    event_log log;
    tracked::live = 0;
    canceller c;
    {
      dfv<tracked> v;
      c = run_tracked(v.deref(), log);
    }
    c();
    CHECK(log.take() == events{"err cancelled: braid::dfv deref cancelled"});
    c = canceller();
    CHECK(tracked::live == 0);
  }

  TEST_CASE("a deref callback may use the variable again") {
    event_log log;
    dfv<int> v;
    v.deref().run(
        [&](int x) {
          log("first " + std::to_string(x));
          run_logged(v.deref(), log, "nested ");
          CHECK_FALSE(v.assign(x + 1));
        },
        [](std::exception_ptr) {});
    CHECK(v.assign(1));
    CHECK(log.take() == events{"first 1", "nested ok 1"});
  }

  TEST_CASE("a deref callback may destroy the last handle while other derefs are pending") {
    event_log log;
    tracked::live = 0;
    {
      std::optional<dfv<tracked>> v(std::in_place);
      v->deref().run(
          [&](tracked x) {
            log("a ok " + std::to_string(x.v));
            v.reset();  // the handle whose assign is running
          },
          [](std::exception_ptr) {});
      run_tracked(v->deref(), log, "b ");
      run_tracked(v->deref(), log, "c ");
      CHECK(v->assign(tracked(6)));
      CHECK_FALSE(v.has_value());
      CHECK(log.take() == events{"a ok 6", "b ok 6", "c ok 6"});
    }
    CHECK(tracked::live == 0);
  }

  TEST_CASE("using a moved-from handle throws a logic_error naming the problem") {
    dfv<int> v;
    dfv<int> w = std::move(v);
    const char* msg =
        "braid::dfv: this handle was moved from and refers to nothing; assign it another handle "
        "before using it";
    CHECK_THROWS_WITH_AS(v.assign(1), msg, std::logic_error);  // NOLINT(bugprone-use-after-move)
    CHECK_THROWS_WITH_AS(v.deref(), msg, std::logic_error);
    CHECK(w.assign(1));
  }

  // Real threads from here on.
  TEST_CASE("[threads] an assignment on another thread completes a blocked deref") {
    dfv<int> v;
    std::thread th([v] { v.assign(77); });
    CHECK(run_blocking(v.deref()) == 77);
    th.join();
  }

  TEST_CASE("[threads] racing assignments: exactly one wins and every deref sees its value") {
    constexpr int threads = 4;
    constexpr int derefs_per_thread = 200;
    for (int round = 0; round < 20; ++round) {
      dfv<int> v;
      std::atomic<int> winners{0}, failures{0}, winner{-1};
      std::atomic<int> seen[threads] = {};
      std::vector<std::thread> ts;
      for (int i = 0; i < threads; ++i) {
        ts.emplace_back([&, i] {
          for (int k = 0; k < derefs_per_thread; ++k) {
            v.deref().run([&](int x) { ++seen[x]; }, [&](std::exception_ptr) { ++failures; });
            if (k == derefs_per_thread / 2 && v.assign(i)) {
              ++winners;
              winner = i;
            }
          }
        });
      }
      for (auto& t : ts) t.join();
      REQUIRE(winners.load() == 1);
      CHECK(failures.load() == 0);
      for (int i = 0; i < threads; ++i)
        CHECK(seen[i].load() == (i == winner.load() ? threads * derefs_per_thread : 0));
      CHECK(run_blocking(v.deref()) == winner.load());
    }
  }
}
