// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>
#include <braid/op/sem.hpp>

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
using braid::testing::manual_task;
using braid::testing::run_logged;

namespace {

// Runs acquire_permit and keeps the permit in `slot` ("<prefix>permit" is logged).
canceller run_permit(const sem& s, std::optional<permit>& slot, event_log& log,
                     const std::string& prefix = "") {
  return s.acquire_permit().run(
      [&slot, &log, prefix](permit p) {
        log(prefix + "permit");
        slot.emplace(std::move(p));
      },
      [&log, prefix](std::exception_ptr e) { log(prefix + "err " + testing::message(e)); });
}

// Whether a permit of `s` is free right now: takes it synchronously, or
// leaves a pending acquire that is cancelled again at once.
bool permit_free(const sem& s) {
  bool got = false;
  canceller c = s.acquire().run([&] { got = true; }, [](std::exception_ptr) {});
  if (got) {
    s.release();
    return true;
  }
  c();
  return false;
}

}  // namespace

TEST_SUITE("sem") {
  TEST_CASE("with two permits, two acquires succeed at once and the third waits for a release") {
    event_log log;
    sem s(2);
    canceller a = run_logged(s.acquire(), log, "a ");
    canceller b = run_logged(s.acquire(), log, "b ");
    CHECK(log.take() == events{"a ok", "b ok"});
    CHECK_FALSE(a);  // synchronous: no state kept
    CHECK_FALSE(b);
    run_logged(s.acquire(), log, "c ");
    run_logged(s.acquire(), log, "d ");
    run_logged(s.acquire(), log, "e ");
    CHECK(log.take().empty());
    s.release();
    CHECK(log.take() == events{"c ok"});
    s.release();
    s.release();
    CHECK(log.take() == events{"d ok", "e ok"});
    s.release();  // nobody waits: back to the pool
    run_logged(s.acquire(), log, "f ");
    CHECK(log.take() == events{"f ok"});
  }

  TEST_CASE("the default semaphore has one permit") {
    event_log log;
    sem s;
    run_logged(s.acquire(), log, "a ");
    run_logged(s.acquire(), log, "b ");
    CHECK(log.take() == events{"a ok"});
    s.release();
    CHECK(log.take() == events{"b ok"});
  }

  TEST_CASE("a semaphore with zero permits makes every acquire wait") {
    event_log log;
    sem s(0);
    run_logged(s.acquire(), log);
    CHECK(log.take().empty());
    s.release();
    CHECK(log.take() == events{"ok"});
  }

  TEST_CASE("releasing more than acquired adds permits, as in Missionary") {
    event_log log;
    sem s(1);
    s.release();
    s.release();
    run_logged(s.acquire(), log, "a ");
    run_logged(s.acquire(), log, "b ");
    run_logged(s.acquire(), log, "c ");
    run_logged(s.acquire(), log, "d ");
    CHECK(log.take() == events{"a ok", "b ok", "c ok"});
    s.release();
    CHECK(log.take() == events{"d ok"});
  }

  TEST_CASE("a negative number of permits is rejected with a message") {
    CHECK_THROWS_WITH_AS(sem(-1), "braid::sem: the number of permits must not be negative (got -1)",
                         std::invalid_argument);
  }

  TEST_CASE("a cancelled acquire fails at once, takes no permit and is skipped") {
    event_log log;
    sem s(0);
    run_logged(s.acquire(), log, "a ");
    canceller b = run_logged(s.acquire(), log, "b ");
    run_logged(s.acquire(), log, "c ");
    b();
    CHECK(log.take() == events{"b err cancelled: braid::sem acquire cancelled"});
    b();  // twice: nothing
    CHECK(log.take().empty());
    s.release();
    s.release();
    CHECK(log.take() == events{"a ok", "c ok"});
    CHECK_FALSE(permit_free(s));
  }

  TEST_CASE("cancelling right after run, before any release, fails the acquire") {
    event_log log;
    sem s(0);
    canceller c = run_logged(s.acquire(), log);
    c();
    CHECK(log.take() == events{"err cancelled: braid::sem acquire cancelled"});
    s.release();  // not given to the cancelled acquire: it stays free
    CHECK(log.take().empty());
    CHECK(permit_free(s));
  }

  TEST_CASE("cancelling a completed acquire does nothing: the permit stays taken") {
    event_log log;
    sem s(0);
    canceller c = run_logged(s.acquire(), log);
    s.release();
    CHECK(log.take() == events{"ok"});
    c();
    CHECK(log.take().empty());
    CHECK_FALSE(permit_free(s));
  }

  TEST_CASE("using a moved-from handle throws a logic_error naming the problem") {
    sem s;
    sem t = std::move(s);
    const char* msg =
        "braid::sem: this handle was moved from and refers to nothing; assign it another handle "
        "before using it";
    CHECK_THROWS_WITH_AS(s.acquire(), msg, std::logic_error);  // NOLINT(bugprone-use-after-move)
    CHECK_THROWS_WITH_AS(s.acquire_permit(), msg, std::logic_error);
    CHECK_THROWS_WITH_AS(s.release(), msg, std::logic_error);
    CHECK(permit_free(t));
  }
}

TEST_SUITE("sem permit") {
  TEST_CASE("a permit releases when destroyed, and reset releases it early, once") {
    event_log log;
    sem s(1);
    std::optional<permit> p1, p2;
    run_permit(s, p1, log, "1 ");
    run_permit(s, p2, log, "2 ");
    CHECK(log.take() == events{"1 permit"});
    REQUIRE(p1);
    CHECK(static_cast<bool>(*p1));
    p1->reset();  // releases: the pending acquire gets it
    CHECK(log.take() == events{"2 permit"});
    CHECK_FALSE(static_cast<bool>(*p1));
    p1->reset();  // holds nothing: no second release
    p1.reset();
    CHECK_FALSE(permit_free(s));
    p2.reset();  // destroyed: released
    CHECK(permit_free(s));
  }

  TEST_CASE("moving a permit moves the ownership; assigning over a held permit releases it") {
    event_log log;
    sem s(2);
    std::optional<permit> a, b;
    run_permit(s, a, log);
    run_permit(s, b, log);
    CHECK(log.take() == events{"permit", "permit"});
    permit moved = std::move(*a);
    CHECK_FALSE(static_cast<bool>(*a));  // NOLINT(bugprone-use-after-move)
    CHECK(static_cast<bool>(moved));
    a.reset();
    CHECK_FALSE(permit_free(s));
    moved = std::move(*b);  // releases the one `moved` held
    CHECK(permit_free(s));
    b.reset();
    moved = permit();
    CHECK(permit_free(s));
    run_logged(s.acquire(), log, "x ");
    run_logged(s.acquire(), log, "y ");
    run_logged(s.acquire(), log, "z ");
    CHECK(log.take() == events{"x ok", "y ok"});
    s.release();
    CHECK(log.take() == events{"z ok"});
  }

  TEST_CASE("a permit nobody keeps goes back at once") {
    event_log log;
    sem s(1);
    s.acquire_permit().run([&](permit) { log("got and dropped"); }, [](std::exception_ptr) {});
    CHECK(log.take() == events{"got and dropped"});
    CHECK(permit_free(s));
  }

  TEST_CASE("a cancelled pending acquire_permit fails and holds nothing") {
    event_log log;
    sem s(0);
    std::optional<permit> p;
    canceller c = run_permit(s, p, log);
    c();
    CHECK(log.take() == events{"err cancelled: braid::sem acquire cancelled"});
    CHECK_FALSE(p);
  }

  TEST_CASE("acquire and acquire_permit wait in one FIFO") {
    event_log log;
    sem s(0);
    std::optional<permit> p;
    run_logged(s.acquire(), log, "a ");
    run_permit(s, p, log, "b ");
    run_logged(s.acquire(), log, "c ");
    s.release();
    s.release();
    CHECK(log.take() == events{"a ok", "b permit"});
    p.reset();  // b's permit goes to c
    CHECK(log.take() == events{"c ok"});
  }
}

namespace {

using namespace braid::detail;

// A permit as a kept local of a BRAID_SP function, in the shape braidc emits:
//
// BRAID_SP task<int> guarded(sem s, task<int> work) {
//   permit p = park(s.acquire_permit());
//   return park(work);
// }
struct guarded_frame final : sp_frame<int> {
  sem s;
  task<int> work;
  union { permit p; };  // a kept local with a destructor
  bool alive_p = false;
  slot<permit> s0;
  slot<int> s1;

  guarded_frame(sem s, task<int> work) : sp_frame(table), s(std::move(s)), work(std::move(work)) {}
  ~guarded_frame() override {}

  step p0() { return park(s.acquire_permit(), 1, s0); }
  step p1() {
    ::new (kept_storage(p)) permit(s0.take());
    alive_p = true;
    return park(std::move(work), 2, s1);
  }
  step p2() { return finish_with(s1.take()); }
  static void unwind(sp_core* f, std::int32_t region) noexcept {
    auto* self = static_cast<guarded_frame*>(f);
    if (region < 0) kept_destroy(self->p, self->alive_p);  // p lives in no try region
  }
  static const partition_info parts[3];
  static const frame_table table;
};
const partition_info guarded_frame::parts[3] = {
    {&partition_thunk<guarded_frame, &guarded_frame::p0>, "guarded#0", "guarded.cpp", 2, 3, "", -1},
    {&partition_thunk<guarded_frame, &guarded_frame::p1>, "guarded#1", "guarded.cpp", 2, 14, "", -1},
    {&partition_thunk<guarded_frame, &guarded_frame::p2>, "guarded#2", "guarded.cpp", 3, 10, "p", -1},
};
const frame_table guarded_frame::table = {"guarded", parts, 3, nullptr, 0, &guarded_frame::unwind};

task<int> guarded(sem s, task<int> work) { return make_sp<guarded_frame, int>(std::move(s), std::move(work)); }

}  // namespace

TEST_SUITE("sem permit") {
  TEST_CASE("a permit kept in a BRAID_SP frame is released when the frame ends, on every path") {
    event_log log;
    sem s(1);
    manual_task<int> work(log, "work");
    run_logged(guarded(s, work), log, "a ");
    run_logged(guarded(s, work), log, "b ");
    CHECK(log.take() == events{"work start"});
    work.succeed(1);  // a ends; its permit goes to b, whose work starts
    CHECK(log.take() == events{"work start", "a ok 1"});
    work.fail("boom");
    CHECK(log.take() == events{"b err boom"});
    CHECK(permit_free(s));
    canceller c = run_logged(guarded(s, work), log, "c ");
    c();
    CHECK(log.take() == events{"work start", "work cancel", "c err cancelled: manual task cancelled"});
    CHECK(permit_free(s));
  }
}

namespace {

// BRAID_SP task<long> total(sem s, int n) {
//   long sum = 0;
//   for (int i = 0; i < n; ++i) sum += park(holding(s, task<int>(i)));
//   return sum;
// }
struct total_frame final : sp_frame<long> {
  sem s;
  int n;
  long sum = 0;
  int i = 0;
  slot<int> s0;

  total_frame(sem s, int n) : sp_frame(table), s(std::move(s)), n(n) {}

  step p0() {
    if (!(i < n)) return finish_with(sum);
    return park(holding(s, task<int>(i)), 1, s0);
  }
  step p1() {
    sum += s0.take();
    ++i;
    return step{0};
  }
  static void unwind(sp_core*, std::int32_t) noexcept {}
  static const partition_info parts[2];
  static const frame_table table;
};
const partition_info total_frame::parts[2] = {
    {&partition_thunk<total_frame, &total_frame::p0>, "total#0", "total.cpp", 3, 3, "sum, i", -1},
    {&partition_thunk<total_frame, &total_frame::p1>, "total#1", "total.cpp", 3, 42, "sum, i", -1},
};
const frame_table total_frame::table = {"total", parts, 2, nullptr, 0, &total_frame::unwind};

task<long> total(sem s, int n) { return make_sp<total_frame, long>(std::move(s), n); }

}  // namespace

TEST_SUITE("holding") {
  TEST_CASE("holding acquires, runs the body, releases, then succeeds with the body's value") {
    event_log log;
    sem s(1);
    manual_task<int> body(log, "body");
    canceller h = run_logged(holding(s, body.get()), log, "h ");
    CHECK(log.take() == events{"body start"});
    run_logged(s.acquire(), log, "next ");  // waits for holding's permit
    CHECK(log.take().empty());
    body.succeed(5);
    CHECK(log.take() == events{"next ok", "h ok 5"});  // released before the outcome
    h();                                               // after the end: nothing
    CHECK(log.take().empty());
  }

  TEST_CASE("holding releases when the body fails, then fails with the body's error") {
    event_log log;
    sem s(1);
    manual_task<int> body(log, "body");
    run_logged(holding(s, body.get()), log, "h ");
    run_logged(s.acquire(), log, "next ");
    CHECK(log.take() == events{"body start"});
    body.fail("boom");
    CHECK(log.take() == events{"next ok", "h err boom"});
  }

  TEST_CASE("cancelling holding during the body cancels the body and releases") {
    event_log log;
    sem s(1);
    manual_task<void> body(log, "body");
    canceller h = run_logged(holding(s, body.get()), log, "h ");
    run_logged(s.acquire(), log, "next ");
    CHECK(log.take() == events{"body start"});
    h();
    CHECK(log.take() == events{"body cancel", "next ok", "h err cancelled: manual task cancelled"});
    h();  // twice: nothing
    CHECK(log.take().empty());
  }

  TEST_CASE("holding ends with the body's outcome even when the body ignores cancellation") {
    event_log log;
    sem s(1);
    manual_task<int> body(log, "body", /*fail_on_cancel=*/false);
    canceller h = run_logged(holding(s, body.get()), log, "h ");
    CHECK(log.take() == events{"body start"});
    h();
    CHECK(log.take() == events{"body cancel"});
    CHECK_FALSE(permit_free(s));  // still held while the body runs
    body.succeed(3);
    CHECK(log.take() == events{"h ok 3"});
    CHECK(permit_free(s));
  }

  TEST_CASE("cancelling holding during the acquire fails it; the body never runs, nothing is released") {
    event_log log;
    sem s(1);
    std::optional<permit> taken;
    run_permit(s, taken, log);
    CHECK(log.take() == events{"permit"});
    manual_task<int> body(log, "body");
    canceller h = run_logged(holding(s, body.get()), log, "h ");
    CHECK(log.take().empty());
    h();
    CHECK(log.take() == events{"h err cancelled: braid::sem acquire cancelled"});
    CHECK(body.runs() == 0);
    taken.reset();  // the only permit comes back: exactly one is free
    run_logged(s.acquire(), log, "x ");
    run_logged(s.acquire(), log, "y ");
    CHECK(log.take() == events{"x ok"});
    s.release();
    CHECK(log.take() == events{"y ok"});
  }

  TEST_CASE("holding waits for a permit, and runs the body on the releasing thread's call") {
    event_log log;
    sem s(0);
    manual_task<int> body(log, "body");
    run_logged(holding(s, body.get()), log, "h ");
    CHECK(log.take().empty());
    s.release();
    CHECK(log.take() == events{"body start"});
    body.succeed(2);
    CHECK(log.take() == events{"h ok 2"});
    CHECK(permit_free(s));
  }

  TEST_CASE("holding with a synchronous body completes inside run and releases") {
    event_log log;
    sem s(1);
    canceller h = run_logged(holding(s, task<int>(4)), log);
    CHECK(log.take() == events{"ok 4"});
    h();
    CHECK(permit_free(s));
    auto sync = make_task<void>([](auto ok, auto) { ok(); });
    run_logged(holding(s, sync), log);
    CHECK(log.take() == events{"ok"});
    CHECK(permit_free(s));
  }

  TEST_CASE("holding is a recipe: every run acquires anew") {
    event_log log;
    sem s(1);
    manual_task<int> body(log, "body");
    task<int> h = holding(s, body.get());
    run_logged(h, log, "a ");
    run_logged(h, log, "b ");
    CHECK(log.take() == events{"body start"});
    body.succeed(1);
    CHECK(log.take() == events{"body start", "a ok 1"});
    body.succeed(2);
    CHECK(log.take() == events{"b ok 2"});
  }

  TEST_CASE("nested holding on two semaphores releases both, inner first") {
    event_log log;
    sem outer(1), inner(1);
    manual_task<int> body(log, "body");
    run_logged(holding(outer, holding(inner, body.get())), log, "h ");
    run_logged(outer.acquire(), log, "outer ");
    run_logged(inner.acquire(), log, "inner ");
    CHECK(log.take() == events{"body start"});
    body.succeed(9);
    CHECK(log.take() == events{"inner ok", "outer ok", "h ok 9"});
  }

  TEST_CASE("holding an empty body fails with the empty-task error after releasing") {
    event_log log;
    sem s(1);
    run_logged(holding(s, task<int>()), log);
    auto ev = log.take();
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].rfind("err braid: ran an empty task (default-constructed or moved-from)", 0) == 0);
    CHECK(permit_free(s));
  }

  TEST_CASE("holding on a moved-from semaphore fails with the moved-from error") {
    event_log log;
    sem s;
    sem t = std::move(s);
    run_logged(holding(s, task<int>(1)), log);  // NOLINT(bugprone-use-after-move)
    CHECK(log.take() == events{
                            "err braid::sem: this handle was moved from and refers to nothing; assign it "
                            "another handle before using it"});
  }

  TEST_CASE("a BRAID_SP loop over synchronous holdings runs in constant stack") {
    // Each holding completes inside its start, so the loop's parks continue
    // in the driver's loop; recursion would overflow the small stack.
    sem s(1);
    long sum = -1;
    testing::run_on_small_stack(
        [&] { total(s, 20000).run([&](long v) { sum = v; }, [](std::exception_ptr) {}); }, 256 * 1024);
    CHECK(sum == 20000L * 19999L / 2);
    CHECK(permit_free(s));
  }
}

// Real threads from here on.
TEST_SUITE("sem threads") {
  TEST_CASE("[threads] a release on another thread completes a blocked acquire") {
    sem s(0);
    std::thread th([s] { s.release(); });
    run_blocking(s.acquire());
    th.join();
    CHECK_FALSE(permit_free(s));
  }

  TEST_CASE("[threads] a body completed on another thread: holding releases there") {
    sem s(1);
    std::thread th;
    auto body = make_task<int>([&](auto ok, auto) { th = std::thread([ok] { ok(6); }); });
    CHECK(run_blocking(holding(s, body)) == 6);
    th.join();
    CHECK(permit_free(s));
  }

  TEST_CASE("[threads][stress] with two permits never three bodies run at once, and every permit comes back") {
    constexpr int threads = 4;
    constexpr int rounds = 1000;
    sem s(2);
    std::atomic<int> inside{0}, max_inside{0}, bodies{0}, holdings_failed{0}, holdings{0};
    auto body = make_task<int>([&](auto ok, auto) {
      int now = ++inside;
      int m = max_inside.load();
      while (now > m && !max_inside.compare_exchange_weak(m, now)) {
      }
      std::this_thread::yield();
      --inside;
      ++bodies;
      ok(1);
    });
    std::vector<std::thread> ts;
    for (int i = 0; i < threads; ++i)
      ts.emplace_back([&, i] {
        for (int k = 0; k < rounds; ++k) {
          if ((k + i) % 3 == 0) {
            // A permit taken and dropped through the RAII form.
            std::optional<permit> p;
            std::atomic<bool> got{false};
            canceller c = s.acquire_permit().run(
                [&](permit q) {
                  p.emplace(std::move(q));
                  got = true;
                },
                [&](std::exception_ptr) { got = true; });
            if (k % 2) c();  // cancel: either it failed, or it had its permit already
            while (!got.load()) std::this_thread::yield();
          } else if ((k + i) % 3 == 1) {
            // A holding cancelled at once: it races with the grant of its
            // acquire from another thread; either way the permit comes back.
            ++holdings;
            std::atomic<bool> done{false};
            canceller c = holding(s, body).run([&](int) { done = true; },
                                               [&](std::exception_ptr) {
                                                 ++holdings_failed;
                                                 done = true;
                                               });
            c();
            while (!done.load()) std::this_thread::yield();
          } else {
            ++holdings;
            run_blocking(holding(s, body));
          }
        }
      });
    for (auto& t : ts) t.join();
    CHECK(max_inside.load() <= 2);
    // The bodies are synchronous: a holding either ran its body to the end
    // or was cancelled during its acquire.
    CHECK(bodies.load() + holdings_failed.load() == holdings.load());
    CHECK(bodies.load() > 0);
    // Both permits are back and no third one appeared.
    event_log log;
    run_logged(s.acquire(), log, "a ");
    run_logged(s.acquire(), log, "b ");
    canceller c = run_logged(s.acquire(), log, "c ");
    CHECK(log.take() == events{"a ok", "b ok"});
    c();
    CHECK(log.take() == events{"c err cancelled: braid::sem acquire cancelled"});
  }
}
