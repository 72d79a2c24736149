// SPDX-License-Identifier: MIT
// The sp driver's fast paths (docs/driver.md, "Park", "A run that ends during
// its start", "A failed child no handler can see"): a child that completes
// during its start is taken without publishing a park and hands out no
// canceller; a child's failure that no try region of the frame can see fails
// the run directly, unwinding the kept locals, without a throw. Hand-written
// frames in the shape braidc emits; the comments show the annotated source.
#include <braid/braid.hpp>

#include <script.hpp>

#include <dlfcn.h>
#include <unwind.h>

#include <exception>
#include <stdexcept>
#include <string>

// Throws are counted by interposing the unwinder's entry point, which every
// throw and rethrow_exception goes through. The sanitizer runtimes have
// their own hooks around it: there the throw counts are not checked.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SP_FAST_NO_THROW_COUNT 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SP_FAST_NO_THROW_COUNT 1
#endif

namespace {
long g_throws = 0;
}

#if !defined(SP_FAST_NO_THROW_COUNT)
extern "C" _Unwind_Reason_Code _Unwind_RaiseException(struct _Unwind_Exception* e) {
  using raise_fn = _Unwind_Reason_Code (*)(struct _Unwind_Exception*);
  static const raise_fn next = reinterpret_cast<raise_fn>(dlsym(RTLD_NEXT, "_Unwind_RaiseException"));
  ++g_throws;
  return next(e);
}
constexpr bool counts_throws = true;
#else
constexpr bool counts_throws = false;
#endif

using namespace braid;
using namespace braid::detail;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_task;

namespace {

/// A kept local whose construction and destruction are logged.
struct tracer {
  event_log* log;
  explicit tracer(event_log& l) : log(&l) { (*log)("+local"); }
  ~tracer() { (*log)("~local"); }
};

// BRAID_SP task<int> guarded(event_log& log, task<int> child) {
//   tracer local(log);
//   int v = park(child);
//   log("after park");
//   return v + 1;
// }
struct guarded_frame final : sp_frame<int> {
  event_log* log;
  task<int> child;
  union {
    tracer local;
  };
  bool alive_local = false;
  slot<int> s0;

  guarded_frame(std::reference_wrapper<event_log> l, task<int> c) : sp_frame(table), log(&l.get()), child(std::move(c)) {}
  ~guarded_frame() override { (*log)("~frame"); }

  step p0() {
    ::new (kept_storage(local)) tracer(*log);
    alive_local = true;
    return park(std::move(child), 1, s0);
  }
  step p1() {
    int v = s0.take();
    (*log)("after park");
    return finish_with(v + 1);
  }
  static void unwind(sp_core* f, std::int32_t) noexcept {
    auto* self = static_cast<guarded_frame*>(f);
    kept_destroy(self->local, self->alive_local);
  }
  static const partition_info parts[2];
  static const frame_table table;
};
const partition_info guarded_frame::parts[2] = {
    {&partition_thunk<guarded_frame, &guarded_frame::p0>, "guarded#0", "guarded.cpp", 1, 1, "", -1},
    {&partition_thunk<guarded_frame, &guarded_frame::p1>, "guarded#1", "guarded.cpp", 3, 11, "local", -1},
};
const frame_table guarded_frame::table = {"guarded", parts, 2, nullptr, 0, &guarded_frame::unwind};

task<int> guarded(event_log& log, task<int> child) {
  return make_sp<guarded_frame, int>(std::ref(log), std::move(child));
}

// BRAID_SP task<int> value(int i) { return i; }
struct value_frame final : sp_frame<int> {
  int i;
  explicit value_frame(int i) : sp_frame(table), i(i) {}
  step p0() { return finish_with(i); }
  static void unwind(sp_core*, std::int32_t) noexcept {}
  static const partition_info parts[1];
  static const frame_table table;
};
const partition_info value_frame::parts[1] = {
    {&partition_thunk<value_frame, &value_frame::p0>, "value#0", "value.cpp", 1, 1, "", -1},
};
const frame_table value_frame::table = {"value", parts, 1, nullptr, 0, &value_frame::unwind};

task<int> value(int i) { return make_sp<value_frame, int>(i); }

/// Runs t, logging its run_outcome; returns the canceller and keeps the error.
struct run_outcome {
  event_log* log;
  std::exception_ptr error;
};
canceller run_logged(task<int> t, run_outcome& o) {
  return std::move(t).run([&o](int v) { (*o.log)("ok " + std::to_string(v)); },
                          [&o](std::exception_ptr e) {
                            // braid::testing::message would rethrow: the test reads it later.
                            (*o.log)("failed");
                            o.error = std::move(e);
                          });
}

}  // namespace

TEST_SUITE("sp driver fast paths") {
  TEST_CASE("a child that fails later, outside any try region, fails the run without a throw") {
    event_log log;
    manual_task<int> m(log, "m");
    run_outcome o{&log, nullptr};
    canceller c = run_logged(guarded(log, m.get()), o);
    CHECK(c);
    CHECK(log.take() == events{"+local", "m start"});
    const std::exception_ptr boom = std::make_exception_ptr(std::runtime_error("boom"));
    const long throws = g_throws;
    m.fail(boom);
    if (counts_throws) CHECK(g_throws == throws);
    // The kept local goes before the run_outcome is delivered; the partition
    // after the park never runs.
    CHECK(log.take() == events{"~local", "failed"});
    CHECK(o.error == boom);  // the child's exception itself, not a copy
    CHECK(braid::testing::message(o.error) == "boom");
    c = canceller();
    CHECK(log.take() == events{"~frame"});
  }

  TEST_CASE("a child that fails during its start, outside any try region, fails the run without a throw") {
    event_log log;
    run_outcome o{&log, nullptr};
    const std::exception_ptr boom = std::make_exception_ptr(std::runtime_error("at once"));
    task<int> failing = make_task<int>([boom](auto, auto failure) { failure(boom); });
    const long throws = g_throws;
    canceller c = run_logged(guarded(log, failing), o);
    if (counts_throws) CHECK(g_throws == throws);
    CHECK(log.take() == events{"+local", "~local", "failed", "~frame"});
    CHECK(o.error == boom);
    CHECK(braid::testing::message(o.error) == "at once");
    CHECK(!c);  // the run ended during its start: nothing to cancel
  }

  TEST_CASE("cancelling a parked run without a try region unwinds it with braid::cancelled, no rethrow") {
    event_log log;
    manual_task<int> m(log, "m");
    run_outcome o{&log, nullptr};
    canceller c = run_logged(guarded(log, m.get()), o);
    log.take();
    const long throws = g_throws;
    c();
    if (counts_throws) CHECK(g_throws == throws);
    CHECK(log.take() == events{"m cancel", "~local", "failed"});
    CHECK(braid::testing::message(o.error) == "cancelled: manual task cancelled");
    c();  // idempotent after the end
    c = canceller();
    CHECK(log.take() == events{"~frame"});
  }

  TEST_CASE("a child that succeeds resumes the partition after the park, as before") {
    event_log log;
    manual_task<int> m(log, "m");
    run_outcome o{&log, nullptr};
    canceller c = run_logged(guarded(log, m.get()), o);
    m.succeed(41);
    CHECK(log.take() == events{"+local", "m start", "after park", "~local", "ok 42"});
    c = canceller();
    CHECK(log.take() == events{"~frame"});
  }

  TEST_CASE("a child sp that completes during its start: the parent goes on at once, no canceller handed out") {
    event_log log;
    run_outcome o{&log, nullptr};
    // The child is parked on as an rvalue: its recipe is consumed, its run
    // ends inside its start.
    canceller c = run_logged(guarded(log, value(6)), o);
    CHECK(log.take() == events{"+local", "after park", "~local", "ok 7", "~frame"});
    CHECK(!c);
    // Run directly: the same.
    canceller d = run_logged(value(3), o);
    CHECK(!d);
    CHECK(log.take() == events{"ok 3"});
    // A run that suspends hands out a canceller that cancels it.
    manual_task<int> m(log, "m");
    canceller e = run_logged(guarded(log, m.get()), o);
    CHECK(e);
    e();
    CHECK(log.take() == events{"+local", "m start", "m cancel", "~local", "failed"});
    CHECK(braid::testing::message(o.error) == "cancelled: manual task cancelled");
    e = canceller();
    CHECK(log.take() == events{"~frame"});
  }

  TEST_CASE("a task copied before a run keeps its recipe: each run gets fresh arguments") {
    event_log log;
    run_outcome o{&log, nullptr};
    task<int> t = value(5);
    task<int> copy = t;  // two references: neither run consumes the recipe
    canceller a = run_logged(t, o);
    canceller b = run_logged(std::move(t), o);
    canceller c = run_logged(std::move(copy), o);  // the last reference: consumed
    CHECK(log.take() == events{"ok 5", "ok 5", "ok 5"});
    CHECK(t.empty());
    CHECK(copy.empty());
  }
}
