// SPDX-License-Identifier: MIT
#include <braid/op/attempt.hpp>
#include <braid/run_blocking.hpp>

#include <script.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_task;
using braid::testing::message;
using braid::testing::run_logged;

namespace {

std::exception_ptr error(const char* msg) { return std::make_exception_ptr(std::runtime_error(msg)); }

// Logs an outcome<int> as "value <v>" or "error <message>".
template <class T>
void log_outcome(event_log& log, const outcome<T>& o) {
  if (o.has_value()) {
    if constexpr (std::is_void_v<T>)
      log("value");
    else
      log("value " + braid::testing::show(o.get()));
  } else {
    log("error " + message(o.error()));
  }
}

template <class T>
canceller run_attempt(const task<T>& t, event_log& log) {
  return attempt(t).run([&log](outcome<T> o) { log_outcome(log, o); },
                        [&log](std::exception_ptr e) { log("attempt failed " + message(e)); });
}

}  // namespace

TEST_SUITE("attempt") {
  TEST_CASE("outcome holds a value or an error; get returns the value or rethrows") {
    outcome<int> ok = 3;
    CHECK(ok.has_value());
    CHECK(static_cast<bool>(ok));
    CHECK(ok.get() == 3);
    CHECK(ok.error() == nullptr);
    outcome<int> ko(error("nope"));
    CHECK_FALSE(ko.has_value());
    CHECK(message(ko.error()) == "nope");
    CHECK_THROWS_WITH_AS(ko.get(), "nope", std::runtime_error);
    outcome<void> v;
    CHECK(v.has_value());
    v.get();
    outcome<std::unique_ptr<int>> moved(std::in_place, std::make_unique<int>(5));
    std::unique_ptr<int> p = std::move(moved).get();
    CHECK(*p == 5);
    CHECK(outcome<int>(1) == outcome<int>(1));
    CHECK_FALSE(outcome<int>(1) == outcome<int>(2));
  }

  TEST_CASE("an outcome built from a null exception_ptr is refused with a clear error") {
    CHECK_THROWS_WITH_AS(outcome<int>{std::exception_ptr()},
                         "braid::outcome: a null exception_ptr is not a failure; build a success with a "
                         "value or pass the exception_ptr of a thrown exception",
                         std::invalid_argument);
  }

  TEST_CASE("attempt succeeds with the child's value") {
    event_log log;
    manual_task<int> a(log, "a");
    run_attempt(a.get(), log);
    CHECK(log.take() == events{"a start"});
    a.succeed(4);
    CHECK(log.take() == events{"value 4"});
  }

  TEST_CASE("attempt succeeds with the child's failure") {
    event_log log;
    manual_task<int> a(log, "a");
    run_attempt(a.get(), log);
    a.fail("broken");
    CHECK(log.take() == events{"a start", "error broken"});
  }

  TEST_CASE("cancelling attempt cancels the child; the outcome holds cancelled") {
    event_log log;
    manual_task<int> a(log, "a");
    canceller c = run_attempt(a.get(), log);
    CHECK(log.take() == events{"a start"});
    c();
    CHECK(log.take() == events{"a cancel", "error cancelled: manual task cancelled"});
    c();  // after the end: the child's canceller, a no-op there
    CHECK(log.take() == events{});
  }

  TEST_CASE("cancel before the child ends, when the child ignores it, does not change the outcome") {
    event_log log;
    manual_task<int> a(log, "a", false);
    canceller c = run_attempt(a.get(), log);
    c();
    CHECK(log.take() == events{"a start", "a cancel"});
    a.succeed(8);
    CHECK(log.take() == events{"value 8"});
  }

  TEST_CASE("synchronous completion: attempt completes inside run") {
    event_log log;
    run_attempt(task<int>(6), log);
    CHECK(log.take() == events{"value 6"});
    run_attempt(task<int>(), log);  // misuse of the child: an empty task
    CHECK(log.take() == events{"error braid: ran an empty task (default-constructed or moved-from); "
                               "assign it a task before running it"});
  }

  TEST_CASE("attempt of a task<void>") {
    event_log log;
    manual_task<void> a(log, "a");
    run_attempt(a.get(), log);
    a.succeed();
    CHECK(log.take() == events{"a start", "value"});
  }

  TEST_CASE("absolve turns an outcome back into a success or a failure") {
    event_log log;
    run_logged(absolve(task<outcome<int>>(outcome<int>(2))), log);
    CHECK(log.take() == events{"ok 2"});
    run_logged(absolve(task<outcome<int>>(outcome<int>(error("held")))), log);
    CHECK(log.take() == events{"err held"});
    manual_task<int> a(log, "a");
    run_logged(absolve(attempt(a.get())), log);
    a.fail("round trip");
    CHECK(log.take() == events{"a start", "err round trip"});
    manual_task<outcome<void>> b(log, "b");
    run_logged(absolve(b.get()), log);
    b.fail("b itself failed");
    CHECK(log.take() == events{"b start", "err b itself failed"});
  }

  TEST_CASE("cancelling absolve cancels the child") {
    event_log log;
    manual_task<int> a(log, "a");
    canceller c = run_logged(absolve(attempt(a.get())), log);
    c();
    CHECK(log.take() == events{"a start", "a cancel", "err cancelled: manual task cancelled"});
  }

  TEST_CASE("completion from another thread") {
    std::thread th;
    auto t = make_task<int>([&th](auto ok, auto) { th = std::thread([ok] { ok(11); }); });
    outcome<int> o = run_blocking(attempt(t));
    th.join();
    CHECK(o.get() == 11);
    std::thread th2;
    auto bad = make_task<int>([&th2](auto, auto ko) { th2 = std::thread([ko] { ko(error("far")); }); });
    CHECK_THROWS_WITH(run_blocking(absolve(attempt(bad))), "far");
    th2.join();
  }
}
