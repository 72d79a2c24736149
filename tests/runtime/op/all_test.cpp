// SPDX-License-Identifier: MIT
#include <braid/op/all.hpp>
#include <braid/run_blocking.hpp>

#include <script.hpp>

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

std::string show(const outcome<int>& o) { return o ? std::to_string(o.get()) : "!" + message(o.error()); }

// A combinator that shows both outcomes: "1,!boom".
std::string both(outcome<int> a, outcome<int> b) { return show(a) + "," + show(b); }

}  // namespace

TEST_SUITE("all") {
  TEST_CASE("waits for every child and calls f with their outcomes; a failure cancels nobody") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b");
    canceller k = run_logged(all(both, a.get(), b.get()), log);
    CHECK(log.take() == events{"a start", "b start"});
    b.fail("boom");
    CHECK(log.take().empty());
    a.succeed(1);
    CHECK(log.take() == events{"ok 1,!boom"});
    k();
    CHECK(log.take().empty());
  }

  TEST_CASE("all without f succeeds with a tuple of outcomes, void children included") {
    event_log log;
    manual_task<int> a(log, "a");
    manual_task<void> b(log, "b");
    std::tuple<outcome<int>, outcome<void>> got{outcome<int>(0), outcome<void>()};
    all(a.get(), b.get()).run(
        [&](std::tuple<outcome<int>, outcome<void>> t) {
          got = std::move(t);
          log("ok");
        },
        [&](std::exception_ptr e) { log("err " + message(e)); });
    a.fail("a failed");
    b.succeed();
    CHECK(log.take() == events{"a start", "b start", "ok"});
    CHECK(message(std::get<0>(got).error()) == "a failed");
    CHECK(std::get<1>(got).has_value());
  }

  TEST_CASE("cancel right after run cancels every child; f sees their cancelled outcomes") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b");
    canceller k = run_logged(all(both, a.get(), b.get()), log);
    log.take();
    k();
    CHECK(log.take() == events{"a cancel", "b cancel",
                               "ok !cancelled: manual task cancelled,!cancelled: manual task cancelled"});
  }

  TEST_CASE("cancel while running: a child that ignores it still gives its value") {
    event_log log;
    manual_task<int> a(log, "a", false), b(log, "b");
    canceller k = run_logged(all(both, a.get(), b.get()), log);
    log.take();
    k();
    CHECK(log.take() == events{"a cancel", "b cancel"});
    a.succeed(3);
    CHECK(log.take() == events{"ok 3,!cancelled: manual task cancelled"});
  }

  TEST_CASE("synchronous completion inside run; an empty child task gives its error outcome") {
    event_log log;
    run_logged(all(both, task<int>(1), task<int>()), log);
    CHECK(log.take() == events{"ok 1,!braid: ran an empty task (default-constructed or moved-from); "
                               "assign it a task before running it"});
  }

  TEST_CASE("f throwing fails all") {
    event_log log;
    run_logged(all([](outcome<int>) -> int { throw std::runtime_error("f threw"); }, task<int>(1)), log);
    CHECK(log.take() == events{"err f threw"});
  }

  TEST_CASE("all over a vector keeps the order; empty succeeds at once") {
    event_log log;
    manual_task<int> a(log, "a"), b(log, "b");
    std::vector<outcome<int>> got;
    auto on_ok = [&](std::vector<outcome<int>> v) {
      got = std::move(v);
      log("ok");
    };
    auto on_err = [&](std::exception_ptr e) { log("err " + message(e)); };
    all(std::vector<task<int>>{a.get(), b.get()}).run(on_ok, on_err);
    b.succeed(2);
    a.fail("a failed");
    CHECK(log.take() == events{"a start", "b start", "ok"});
    REQUIRE(got.size() == 2);
    CHECK(show(got[0]) == "!a failed");
    CHECK(show(got[1]) == "2");
    all(std::vector<task<int>>{}).run(on_ok, on_err);
    CHECK(log.take() == events{"ok"});
    CHECK(got.empty());
  }

  TEST_CASE("completion from other threads") {
    std::vector<std::thread> ts;
    auto later = [&](int v) {
      return make_task<int>([&ts, v](auto ok, auto ko) {
        ts.emplace_back([ok, ko, v] {
          if (v < 0)
            ko(error("negative"));
          else
            ok(v);
        });
      });
    };
    CHECK(run_blocking(all(both, later(5), later(-1))) == "5,!negative");
    for (auto& t : ts) t.join();
  }
}
