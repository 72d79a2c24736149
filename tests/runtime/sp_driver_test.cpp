// SPDX-License-Identifier: MIT
// The sequential-process driver, run with hand-written frames in exactly the
// shape braidc emits (docs/driver.md). Each frame's comment shows the
// annotated source it stands for.
#include <braid/braid.hpp>

#include <script.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using namespace braid::detail;
using braid::testing::event_log;
using braid::testing::events;

namespace {

// A task that completes synchronously but is not an immediate value, so a
// park on it goes through start + the park handshake (no fast path).
task<int> sync_value(int v) {
  return make_task<int>([v](auto ok, auto) { ok(v); });
}

// The largest distance between the stack address of the first resumed
// partition and any later one (the frame is gone when the test reads it).
std::uintptr_t g_depth = 0;

// The real stack position (a local's address would do, but ASan moves
// locals to a fake stack of its own).
[[gnu::noinline]] std::uintptr_t stack_address() {
  return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}

// BRAID_SP task<long> total(int n, bool immediate) {
//   long sum = 0;
//   for (int i = 0; i < n; ++i) sum += park(immediate ? task<int>(i) : sync_value(i));
//   return sum;
// }
struct total_frame final : sp_frame<long> {
  int n;
  bool immediate;
  long sum;
  int i;
  slot<int> s0;
  std::uintptr_t first_sp = 0;

  total_frame(int n, bool immediate) : sp_frame(table), n(n), immediate(immediate) {}

  step p0() {
    sum = 0;
    i = 0;
    return step{1};
  }
  step p1() {
    if (!(i < n)) return finish_with(sum);
    return park(immediate ? task<int>(i) : sync_value(i), 2, s0);
  }
  step p2() {
    std::uintptr_t here = stack_address();
    if (!first_sp) first_sp = here;
    std::uintptr_t d = first_sp > here ? first_sp - here : here - first_sp;
    if (d > g_depth) g_depth = d;
    sum += s0.take();
    ++i;
    return step{1};
  }
  static void unwind(sp_core*, std::int32_t) noexcept {}
  static const partition_info parts[3];
  static const frame_table table;
};
const partition_info total_frame::parts[3] = {
    {&partition_thunk<total_frame, &total_frame::p0>, "total#0", "total.cpp", 1, 1, "", -1},
    {&partition_thunk<total_frame, &total_frame::p1>, "total#1", "total.cpp", 3, 3, "sum, i", -1},
    {&partition_thunk<total_frame, &total_frame::p2>, "total#2", "total.cpp", 3, 32, "sum, i", -1},
};
const frame_table total_frame::table = {"total", parts, 3, nullptr, 0, &total_frame::unwind};

task<long> total(int n, bool immediate) { return make_sp<total_frame, long>(n, immediate); }

struct tracer {
  event_log* log;
  std::string name;
  tracer(event_log& l, std::string n) : log(&l), name(std::move(n)) { (*log)("+" + name); }
  ~tracer() { (*log)("~" + name); }
};

// BRAID_SP task<int> guarded(event_log& log, task<int> t, task<int> after) {
//   tracer a(log, "a");
//   try {
//     tracer b(log, "b");
//     { tracer c(log, "c");
//       int v = park(t);
//       return v; }
//   } catch (const braid::cancelled&) {
//     log("handler cancelled");
//     return park(after);   // a park after cancellation: started and cancelled at once
//   } catch (...) {
//     log("handler other");
//     throw;
//   }
// }
struct guarded_frame final : sp_frame<int> {
  event_log* log;  // T& parameter: kept as a reference
  task<int> t;
  task<int> after;
  // kept locals with a destructor: storage and an alive flag each, as braidc writes them
  union { tracer a; };
  union { tracer b; };
  union { tracer c; };
  bool alive_a = false, alive_b = false, alive_c = false;
  int v;
  slot<int> s0, s1;
  std::exception_ptr exc0;

  guarded_frame(std::reference_wrapper<event_log> log, task<int> t, task<int> after)
      : sp_frame(table), log(&log.get()), t(std::move(t)), after(std::move(after)) {}
  ~guarded_frame() override {}

  step p0() {  // region -1
    ::new (kept_storage(a)) tracer(*log, "a");
    alive_a = true;
    return step{1};
  }
  step p1() {  // region 0 (the try body)
    ::new (kept_storage(b)) tracer(*log, "b");
    alive_b = true;
    ::new (kept_storage(c)) tracer(*log, "c");
    alive_c = true;
    return park(std::move(t), 2, s0);
  }
  step p2() {  // region 0
    v = s0.take();
    return finish_with(v);
  }
  step p3() {  // region -1: handler dispatch of region 0
    exc0 = std::move(raised_);
    try {
      std::rethrow_exception(exc0);
    } catch (const braid::cancelled&) {
      (*log)("handler cancelled");
      return park(std::move(after), 4, s1);
    } catch (...) {
      (*log)("handler other");
      throw;
    }
  }
  step p4() {  // region -1: after the park in the handler
    return finish_with(s1.take());
  }
  static void unwind(sp_core* f, std::int32_t region) noexcept {
    auto* self = static_cast<guarded_frame*>(f);
    // reverse declaration order; c and b are declared inside region 0
    kept_destroy(self->c, self->alive_c);
    kept_destroy(self->b, self->alive_b);
    if (region == -1) kept_destroy(self->a, self->alive_a);
  }
  static const partition_info parts[5];
  static const region_info regions[1];
  static const frame_table table;
};
const partition_info guarded_frame::parts[5] = {
    {&partition_thunk<guarded_frame, &guarded_frame::p0>, "guarded#0", "g.cpp", 1, 1, "", -1},
    {&partition_thunk<guarded_frame, &guarded_frame::p1>, "guarded#1", "g.cpp", 3, 3, "a", 0},
    {&partition_thunk<guarded_frame, &guarded_frame::p2>, "guarded#2", "g.cpp", 6, 15, "a, b, c", 0},
    {&partition_thunk<guarded_frame, &guarded_frame::p3>, "guarded#3", "g.cpp", 9, 5, "a", -1},
    {&partition_thunk<guarded_frame, &guarded_frame::p4>, "guarded#4", "g.cpp", 11, 12, "a", -1},
};
const region_info guarded_frame::regions[1] = {{3, -1}};
const frame_table guarded_frame::table = {"guarded", parts, 5, regions, 1, &guarded_frame::unwind};

task<int> guarded(event_log& log, task<int> t, task<int> after) {
  return make_sp<guarded_frame, int>(std::ref(log), std::move(t), std::move(after));
}

}  // namespace

TEST_SUITE("sp driver") {
  TEST_CASE("10,000,000 parks on immediate values run in constant stack") {
    CHECK(run_blocking(total(10'000'000, true)) == 49'999'995'000'000L);
  }

  TEST_CASE("10,000,000 parks on synchronously completing tasks run in constant stack") {
    long got = 0;
    g_depth = 0;
    // On a thread with a 256 KiB stack: any per-park recursion would
    // overflow it long before 10^7 parks.
    testing::run_on_small_stack([&] { got = run_blocking(total(10'000'000, false)); }, 256 * 1024);
    CHECK(got == 49'999'995'000'000L);
    CHECK(g_depth < 1024);
  }

  TEST_CASE("a synchronous frame completes inside run") {
    event_log log;
    testing::run_logged(total(4, false), log);
    CHECK(log.take() == events{"ok 6"});
  }

  TEST_CASE("success: locals are destroyed in reverse order after the result is made") {
    event_log log;
    testing::manual_task<int> child(log, "child");
    testing::manual_task<int> after(log, "after");
    testing::run_logged(guarded(log, child, after), log);
    CHECK(log.take() == events{"+a", "+b", "+c", "child start"});
    child.succeed(5);
    CHECK(log.take() == events{"~c", "~b", "~a", "ok 5"});
  }

  TEST_CASE("cancel while parked: handlers run, locals die in reverse order, a later park is cancelled at once") {
    event_log log;
    testing::manual_task<int> child(log, "child");
    testing::manual_task<int> after(log, "after");
    canceller c = testing::run_logged(guarded(log, child, after), log);
    CHECK(log.take() == events{"+a", "+b", "+c", "child start"});
    c();
    CHECK(log.take() == events{"child cancel", "~c", "~b", "handler cancelled", "after start",
                               "after cancel", "~a", "err cancelled: manual task cancelled"});
    c();  // idempotent, also after the end
    CHECK(log.take().empty());
  }

  TEST_CASE("an error from the child reaches the catch-all, whose throw; rethrows the same object") {
    event_log log;
    testing::manual_task<int> child(log, "child");
    testing::manual_task<int> after(log, "after");
    std::exception_ptr seen;
    guarded(log, child, after).run([](int) {}, [&](std::exception_ptr e) { seen = e; });
    log.take();
    auto original = std::make_exception_ptr(std::runtime_error("child failed"));
    child.fail(original);
    CHECK(log.take() == events{"~c", "~b", "handler other", "~a"});
    REQUIRE(seen);
    const std::exception* a = nullptr;
    const std::exception* b = nullptr;
    try {
      std::rethrow_exception(seen);
    } catch (const std::exception& x) {
      a = &x;
    }
    try {
      std::rethrow_exception(original);
    } catch (const std::exception& x) {
      b = &x;
    }
    CHECK(a == b);
  }

  TEST_CASE("cancel before the child completes, child completes from another thread") {
    event_log log;
    testing::manual_task<int> child(log, "child", /*fail_on_cancel=*/false);
    testing::manual_task<int> after(log, "after");
    canceller c = testing::run_logged(guarded(log, child, after), log);
    log.take();
    c();  // the child ignores cancellation...
    CHECK(log.take() == events{"child cancel"});
    std::thread th([&] { child.succeed(8); });  // ...and succeeds later, elsewhere
    th.join();
    CHECK(log.take() == events{"~c", "~b", "~a", "ok 8"});
  }

  TEST_CASE("cancelling a finished frame is a no-op") {
    event_log log;
    canceller c = testing::run_logged(total(3, true), log);
    CHECK(log.take() == events{"ok 3"});
    c();
    CHECK(log.take().empty());
  }
}
