// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

#include <script.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::message;

namespace {
// A value that counts its live objects, a recipe of each kind that counts
// its own life: immediate values, shared recipes (make_task) and
// intrusively counted ones (what a BRAID_SP call returns).
struct counted {
  static inline int alive = 0;
  int v;
  explicit counted(int v) : v(v) { ++alive; }
  counted(const counted& o) : v(o.v) { ++alive; }
  counted(counted&& o) noexcept : v(o.v) { ++alive; }
  ~counted() { --alive; }
};
struct owned_recipe final : detail::owned_impl<int> {
  static inline int alive = 0;
  static inline int consumed = 0;
  int v;
  explicit owned_recipe(int v) : v(v) { ++alive; }
  ~owned_recipe() override { --alive; }
  canceller start(detail::sink<int> s) const noexcept override {
    s.value(int(v));
    return {};
  }
  canceller start_owned(detail::sink<int> s) const noexcept override {
    ++consumed;
    const int out = v;
    delete this;  // the run owns the recipe
    s.value(int(out));
    return {};
  }
};
}  // namespace

TEST_SUITE("task") {
  TEST_CASE("a value converts to a task that succeeds synchronously") {
    event_log log;
    task<int> t = 42;
    canceller c = testing::run_logged(t, log);
    CHECK(log.take() == events{"ok 42"});
    c();  // cancel after the end: a no-op
    c();
    CHECK(log.take().empty());
  }

  TEST_CASE("a task is a copyable recipe: every run is independent") {
    event_log log;
    task<std::string> t = std::string("x");
    task<std::string> u = t;
    testing::run_logged(t, log);
    testing::run_logged(u, log);
    testing::run_logged(t, log);
    CHECK(log.take() == events{"ok x", "ok x", "ok x"});
  }

  TEST_CASE("running an empty or moved-from task fails with a clear error") {
    event_log log;
    task<int> empty;
    CHECK(empty.empty());
    testing::run_logged(empty, log);
    task<int> a = 1;
    task<int> b = std::move(a);
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the behaviour under test
    testing::run_logged(a, log);
    auto ev = log.take();
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].find("ran an empty task (default-constructed or moved-from)") != std::string::npos);
    CHECK(ev[1] == ev[0]);
  }

  TEST_CASE("make_task: synchronous success") {
    event_log log;
    auto t = make_task<int>([](auto ok, auto) {
      ok(7);
      return [] {};
    });
    testing::run_logged(t, log);
    CHECK(log.take() == events{"ok 7"});
  }

  TEST_CASE("make_task: a second completion is ignored") {
    event_log log;
    auto t = make_task<int>([](auto ok, auto fail) {
      ok(1);
      ok(2);
      fail(std::make_exception_ptr(std::runtime_error("late")));
    });
    testing::run_logged(t, log);
    CHECK(log.take() == events{"ok 1"});
  }

  TEST_CASE("make_task: f throwing fails the task") {
    event_log log;
    auto t = make_task<void>([](auto, auto) -> std::function<void()> { throw std::runtime_error("boom"); });
    testing::run_logged(t, log);
    CHECK(log.take() == events{"err boom"});
  }

  TEST_CASE("make_task: cancel calls the cancel callable until completion, then never") {
    event_log log;
    std::function<void()> complete;
    auto t = make_task<void>([&](auto ok, auto fail) {
      complete = [ok] { ok(); };
      return [&log, fail] {
        log("cancel fn");
        fail(cancelled_error());
      };
    });
    canceller c = testing::run_logged(t, log);
    CHECK(log.take().empty());
    c();
    CHECK(log.take() == events{"cancel fn", "err cancelled: braid::cancelled"});
    c();
    complete();  // completion after failure: ignored
    CHECK(log.take().empty());
  }

  TEST_CASE("make_task: a cancel callable holding the failure callable is dropped at completion") {
    auto token = std::make_shared<int>(0);
    std::function<void()> complete;
    {
      auto t = make_task<void>([&](auto ok, auto fail) {
        complete = [ok] { ok(); };
        return [fail, token] { fail(cancelled_error()); };
      });
      canceller c = t.run([] {}, [](std::exception_ptr) {});
      CHECK(token.use_count() == 2);  // ours and the live cancel callable
      complete();
      CHECK(token.use_count() == 1);  // the cancel callable (and its cycle) is gone
      c();                            // after completion: nothing to call
    }
    complete = nullptr;
    CHECK(token.use_count() == 1);
  }

  TEST_CASE("make_task: completion from another thread") {
    std::thread th;
    auto t = make_task<int>([&](auto ok, auto) {
      th = std::thread([ok] { ok(99); });
      return [] {};
    });
    CHECK(run_blocking(t) == 99);
    th.join();
  }

  TEST_CASE("a throwing success callback goes to the callback error handler") {
    static std::string seen;
    auto prev = set_callback_error_handler([](std::exception_ptr e) { seen = message(e); });
    task<int> t = 1;
    t.run([](int) { throw std::runtime_error("callback boom"); }, [](std::exception_ptr) {});
    CHECK(seen == "callback boom");
    set_callback_error_handler(prev);
  }

  TEST_CASE("run_blocking returns the value or rethrows the failure") {
    CHECK(run_blocking(task<int>(5)) == 5);
    auto bad = make_task<int>([](auto, auto fail) { fail(std::make_exception_ptr(std::runtime_error("no"))); });
    CHECK_THROWS_WITH_AS(run_blocking(bad), "no", std::runtime_error);
    run_blocking(make_task<void>([](auto ok, auto) { ok(); }));
  }

  TEST_CASE("cancelled is not a std::exception") {
    bool caught_as_std = false, caught_as_cancelled = false;
    try {
      try {
        throw cancelled();
      } catch (const std::exception&) {
        caught_as_std = true;
      }
    } catch (const cancelled& c) {
      caught_as_cancelled = true;
      CHECK(std::string(c.what()) == "braid::cancelled");
    }
    CHECK_FALSE(caught_as_std);
    CHECK(caught_as_cancelled);
    CHECK(is_cancelled(cancelled_error()));
    CHECK_FALSE(is_cancelled(std::make_exception_ptr(1)));
  }

  TEST_CASE("move-only values travel through tasks") {
    task<std::unique_ptr<int>> t = std::make_unique<int>(3);
    std::unique_ptr<int> got;
    std::move(t).run([&](std::unique_ptr<int> p) { got = std::move(p); }, [](std::exception_ptr) {});
    REQUIRE(got);
    CHECK(*got == 3);
  }

  TEST_CASE("copies, moves and assignments between every kind of task hold each value and recipe exactly as long as a task does") {
    auto owned_task = [](int v) { return task<int>(detail::owned_ref<int>(new owned_recipe(v))); };
    {
      task<counted> a = counted(1);
      CHECK(counted::alive == 1);
      task<counted> b = a;
      CHECK(counted::alive == 2);
      task<counted> c = std::move(a);
      CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the behaviour under test
      CHECK(counted::alive == 2);
      c = b;  // value over value
      CHECK(counted::alive == 2);
      task<counted>& same = c;
      c = same;  // self-assignment keeps it
      CHECK(counted::alive == 2);
      c = task<counted>();  // emptied by assignment
      CHECK(c.empty());
      CHECK(counted::alive == 1);
      CHECK(run_blocking(b).v == 1);
      CHECK(run_blocking(std::move(b)).v == 1);  // moved out: b is empty
      CHECK(b.empty());
      CHECK(counted::alive == 0);
    }
    {
      task<int> v = 5;
      task<int> sh = make_task<int>([](auto ok, auto) { ok(6); });
      task<int> ow = owned_task(7);
      CHECK(owned_recipe::alive == 1);
      task<int> ow2 = ow;  // a second reference: no run can consume it now
      CHECK(owned_recipe::alive == 1);
      CHECK(run_blocking(std::move(ow2)) == 7);
      CHECK(owned_recipe::consumed == 0);
      CHECK(ow2.empty());
      v = ow;  // owned over value
      sh = v;  // owned over shared
      CHECK(owned_recipe::alive == 1);
      ow = task<int>(8);  // value over owned: two references left (v, sh)
      CHECK(owned_recipe::alive == 1);
      CHECK(run_blocking(ow) == 8);
      v = std::move(ow);
      CHECK(run_blocking(v) == 8);
      CHECK(run_blocking(sh) == 7);
      CHECK(owned_recipe::consumed == 0);
      CHECK(run_blocking(std::move(sh)) == 7);  // the last reference: consumed by its run
      CHECK(owned_recipe::consumed == 1);
      CHECK(owned_recipe::alive == 0);
      CHECK(sh.empty());
      CHECK_THROWS_WITH_AS(run_blocking(std::move(sh)),
                           "braid: ran an empty task (default-constructed or moved-from); assign it a task before "
                           "running it",
                           std::logic_error);
    }
    CHECK(owned_recipe::alive == 0);
  }

  TEST_CASE("a copy assignment whose value's copy throws leaves the task as it was") {
    struct fragile {
      bool fail = false;
      explicit fragile(bool fail) : fail(fail) {}
      fragile(const fragile& o) : fail(o.fail) {
        if (fail) throw std::runtime_error("copy failed");
      }
      fragile(fragile&& o) noexcept : fail(o.fail) {}
    };
    task<fragile> target = fragile(false);
    task<fragile> thrower = fragile(true);  // moved in: no copy yet
    CHECK_THROWS_WITH_AS(target = thrower, "copy failed", std::runtime_error);
    CHECK(target.is_ready());  // unchanged: still its own value
    CHECK_FALSE(run_blocking(std::move(target)).fail);
    CHECK(thrower.is_ready());
  }
}
