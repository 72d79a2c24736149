// SPDX-License-Identifier: MIT
// The sp recipe (detail::sp_recipe): a run that consumes the recipe's last
// reference builds its frame inside the recipe's allocation and moves the
// arguments (one allocation per call and run); every other run copies the
// arguments into a frame of its own. Hand-written frames in the shape
// braidc emits (docs/driver.md); the comments show the annotated source.
#include <braid/braid.hpp>

#include <script.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// Counts the allocations this test makes while `counting` is set (the
// thread that sets it is the only one allocating then). ThreadSanitizer's
// runtime defines operator new itself: there the counts are not checked.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SP_RECIPE_NO_COUNTING 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define SP_RECIPE_NO_COUNTING 1
#endif
#if defined(SP_RECIPE_NO_COUNTING)
constexpr bool counts_allocations = false;
#else
constexpr bool counts_allocations = true;
#endif

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
std::atomic<long> frees{0};
std::atomic<std::size_t> last_request{0};  // the size of the last counted allocation
[[maybe_unused]] void counted_free(void* p) noexcept {
  if (p && counting.load(std::memory_order_relaxed)) frees.fetch_add(1, std::memory_order_relaxed);
  std::free(p);
}
[[maybe_unused]] void* counted_alloc(std::size_t n) {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    last_request.store(n, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
}  // namespace
#if !defined(SP_RECIPE_NO_COUNTING)
void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
#endif

using namespace braid;
using namespace braid::detail;
using braid::testing::event_log;
using braid::testing::events;

namespace {

#if defined(BRAID_FRAME_CACHE_OFF)
constexpr bool frame_cache_on = false;
#else
constexpr bool frame_cache_on = true;
#endif

/// Heap allocations made by f, the frame cache of this thread on.
template <class F>
long cached_allocations_of(F&& f) {
  const long before = allocations.load();
  counting.store(true);
  f();
  counting.store(false);
  return allocations.load() - before;
}

/// Allocations made by f: the frame cache is off on this thread, so every
/// recipe is one operator new (the cache has tests of its own, below).
template <class F>
long allocations_of(F&& f) {
  frame_cache_disable();
  const long before = allocations.load();
  counting.store(true);
  f();
  counting.store(false);
  return allocations.load() - before;
}

// An argument that counts its copies, moves and live objects.
struct probe_counts {
  int copies = 0;
  int moves = 0;
  int alive = 0;
  bool fail_moves = false;  // every move throws
};
probe_counts g_probe;
struct probe {
  int v;
  explicit probe(int v) : v(v) { ++g_probe.alive; }
  probe(const probe& o) : v(o.v) {
    ++g_probe.copies;
    ++g_probe.alive;
  }
  probe(probe&& o) : v(o.v) {
    if (g_probe.fail_moves) throw std::runtime_error("probe move failed");
    ++g_probe.moves;
    ++g_probe.alive;
  }
  ~probe() { --g_probe.alive; }
};

// BRAID_SP task<int> echo(event_log* log, probe p, task<int> child) {
//   if (log) (*log)("frame " + std::to_string(p.v));  // (logging allocates)
//   int v = park(child);
//   return p.v + v;
// }
struct echo_frame final : sp_frame<int> {
  event_log* log;
  probe p;
  task<int> child;
  slot<int> s0;

  echo_frame(event_log* log, probe p, task<int> child)
      : sp_frame(table), log(log), p(std::move(p)), child(std::move(child)) {}

  step p0() {
    if (log) (*log)("frame " + std::to_string(p.v));
    return park(child, 1, s0);
  }
  step p1() { return finish_with(p.v + s0.take()); }
  static void unwind(sp_core*, std::int32_t) noexcept {}
  static const partition_info parts[2];
  static const frame_table table;
};
const partition_info echo_frame::parts[2] = {
    {&partition_thunk<echo_frame, &echo_frame::p0>, "echo#0", "echo.cpp", 1, 1, "", -1},
    {&partition_thunk<echo_frame, &echo_frame::p1>, "echo#1", "echo.cpp", 3, 11, "", -1},
};
const frame_table echo_frame::table = {"echo", parts, 2, nullptr, 0, &echo_frame::unwind};

task<int> echo(event_log* log, probe p, task<int> child) {
  return make_sp<echo_frame, int>(log, std::move(p), std::move(child));
}

// BRAID_SP task<int> own(std::unique_ptr<int> p) { return *p; }
struct own_frame final : sp_frame<int> {
  std::unique_ptr<int> p;
  explicit own_frame(std::unique_ptr<int> p) : sp_frame(table), p(std::move(p)) {}
  step p0() { return finish_with(*p); }
  static void unwind(sp_core*, std::int32_t) noexcept {}
  static const partition_info parts[1];
  static const frame_table table;
};
const partition_info own_frame::parts[1] = {
    {&partition_thunk<own_frame, &own_frame::p0>, "own#0", "own.cpp", 1, 1, "", -1},
};
const frame_table own_frame::table = {"own", parts, 1, nullptr, 0, &own_frame::unwind};

task<int> own(std::unique_ptr<int> p) { return make_sp<own_frame, int>(std::move(p)); }

// The same frame shape with the table passed to the constructor, as braidc
// emits it (make_sp_with_table).
// BRAID_SP task<int> twice(probe p) { return 2 * p.v; }
struct twice_frame final : sp_frame<int> {
  probe p;
  twice_frame(const frame_table& t, probe p) : sp_frame(t), p(std::move(p)) {}
  step p0() { return finish_with(2 * p.v); }
  static void unwind(sp_core*, std::int32_t) noexcept {}
};
task<int> twice(probe p) {
  static const partition_info parts[] = {
      {&partition_thunk<twice_frame, &twice_frame::p0>, "twice#0", "twice.cpp", 1, 1, "", -1},
  };
  static const frame_table table = {"twice", parts, 1, nullptr, 0, &twice_frame::unwind};
  return make_sp_with_table<twice_frame, int>(table, std::move(p));
}

std::string message_of(const std::exception_ptr& e) { return braid::testing::message(e); }

// BRAID_SP task<int> aligned(int v) { alignas(64) int local = v; return local; }
// (a frame of an over-aligned type: its recipe bypasses the cache's classes)
const void* g_aligned_frame = nullptr;
struct aligned_frame final : sp_frame<int> {
  alignas(64) int local;
  explicit aligned_frame(int v) : sp_frame(table), local(v) {}
  step p0() {
    g_aligned_frame = &local;
    return finish_with(local);
  }
  static void unwind(sp_core*, std::int32_t) noexcept {}
  static const partition_info parts[1];
  static const frame_table table;
};
const partition_info aligned_frame::parts[1] = {
    {&partition_thunk<aligned_frame, &aligned_frame::p0>, "aligned#0", "aligned.cpp", 1, 1, "", -1},
};
const frame_table aligned_frame::table = {"aligned", parts, 1, nullptr, 0, &aligned_frame::unwind};
task<int> aligned(int v) { return make_sp<aligned_frame, int>(v); }

}  // namespace

TEST_SUITE("sp recipe") {
  TEST_CASE("a task run once as its only owner: one allocation, the argument moved, never copied") {
    g_probe = {};
    int got = 0;
    const long n = allocations_of([&] { got = run_blocking(echo(nullptr, probe(40), task<int>(2))); });
    CHECK(got == 42);
    if (counts_allocations) CHECK(n == 1);  // the recipe, with the frame inside it
    CHECK(g_probe.copies == 0);
    CHECK(g_probe.alive == 0);
  }

  TEST_CASE("the table-passing recipe (braidc's) builds its frame in place too") {
    g_probe = {};
    int got = 0;
    const long n = allocations_of([&] { got = run_blocking(twice(probe(21))); });
    CHECK(got == 42);
    if (counts_allocations) CHECK(n == 1);
    CHECK(g_probe.copies == 0);
    CHECK(g_probe.alive == 0);
  }

  TEST_CASE("a task run twice: two independent frames, each with a copy of the arguments") {
    g_probe = {};
    {
      task<int> t = echo(nullptr, probe(1), task<int>(10));
      CHECK(g_probe.copies == 0);
      int got = 0;
      long n = allocations_of([&] { got = run_blocking(t); });
      CHECK(got == 11);
      if (counts_allocations) CHECK(n == 1);  // a frame of its own: t still holds the recipe
      CHECK(g_probe.copies == 1);
      CHECK(g_probe.alive == 1);  // the recipe's argument; the frame's copy is gone
      n = allocations_of([&] { got = run_blocking(t); });
      CHECK(got == 11);
      if (counts_allocations) CHECK(n == 1);
      CHECK(g_probe.copies == 2);
      // The last run consumes the recipe: no allocation, no copy.
      n = allocations_of([&] { got = run_blocking(std::move(t)); });
      CHECK(got == 11);
      if (counts_allocations) CHECK(n == 0);
      CHECK(g_probe.copies == 2);
      CHECK(t.empty());
      CHECK(g_probe.alive == 0);
      // Consumed is empty in every way: running it again, as an lvalue or an
      // rvalue, and its copies.
      const char* const empty_message =
          "braid: ran an empty task (default-constructed or moved-from); assign it a task before running it";
      CHECK_THROWS_WITH_AS(run_blocking(t), empty_message, std::logic_error);
      task<int> copy = t;
      CHECK(copy.empty());
      CHECK_THROWS_WITH_AS(run_blocking(std::move(copy)), empty_message, std::logic_error);
      CHECK_THROWS_WITH_AS(run_blocking(std::move(t)), empty_message, std::logic_error);
      t = own(std::make_unique<int>(8));  // and it can be assigned a task again
      CHECK(!t.empty());
      CHECK(run_blocking(std::move(t)) == 8);
      CHECK(t.empty());
    }
    CHECK(g_probe.alive == 0);
  }

  TEST_CASE("a shared recipe run as an rvalue is not consumed: the other owner can run it again") {
    g_probe = {};
    event_log log;
    task<int> t = echo(&log, probe(3), task<int>(4));
    task<int> u = t;
    CHECK(run_blocking(std::move(u)) == 7);
    CHECK(g_probe.copies == 1);
    CHECK(run_blocking(t) == 7);
    CHECK(g_probe.copies == 2);
    CHECK(log.take() == events{"frame 3", "frame 3"});
  }

  TEST_CASE("two runs at once of one recipe have independent frames") {
    g_probe = {};
    event_log log;
    testing::manual_task<int> child(log, "child");
    task<int> t = echo(&log, probe(100), child);
    canceller a = testing::run_logged(t, log, "a: ");
    canceller b = std::move(t).run([&](int v) { log("b: ok " + std::to_string(v)); },
                                   [&](std::exception_ptr e) { log("b: err " + message_of(e)); });
    CHECK(log.take() == events{"frame 100", "child start", "frame 100", "child start"});
    CHECK(g_probe.copies == 1);  // a's frame copied; b consumed the recipe (t gave it up, a's frame holds none)
    child.succeed_run(1, 2);
    CHECK(log.take() == events{"b: ok 102"});
    child.succeed_run(0, 1);
    CHECK(log.take() == events{"a: ok 101"});
    a = canceller();
    b = canceller();  // the cancellers kept the frames
    CHECK(g_probe.alive == 0);
  }

  TEST_CASE("a move-only argument: the only owner's run moves it into the frame in place") {
    int got = 0;
    const long n = allocations_of([&] { got = run_blocking(own(std::make_unique<int>(7))); });
    CHECK(got == 7);
    if (counts_allocations) CHECK(n == 2);  // the unique_ptr's int, and the recipe with the frame
  }

  TEST_CASE("a move-only argument runs once, shared or consumed: a second run fails with logic_error") {
    task<int> t = own(std::make_unique<int>(5));
    CHECK(run_blocking(t) == 5);  // shared (run copies t): the argument moves into the first frame
    CHECK_THROWS_WITH_AS(run_blocking(t),
                         "braid: a task holding a move-only argument was run a second time; it can run once",
                         std::logic_error);
    // Now the only owner, consuming: still a second run.
    CHECK_THROWS_WITH_AS(run_blocking(std::move(t)),
                         "braid: a task holding a move-only argument was run a second time; it can run once",
                         std::logic_error);
  }

  TEST_CASE("an argument that fails to move into the in-place frame fails the run; nothing leaks") {
    g_probe = {};
    std::exception_ptr seen;
    {
      task<int> t = twice(probe(1));
      g_probe.fail_moves = true;  // the move into the in-place frame throws
      std::move(t).run([](int) { FAIL("no frame, no value"); }, [&](std::exception_ptr e) { seen = e; });
      CHECK(t.empty());
    }
    g_probe.fail_moves = false;
    REQUIRE(seen);
    CHECK(message_of(seen) == "probe move failed");
    CHECK(g_probe.alive == 0);
  }

  TEST_CASE("cancel while an in-place frame is parked: the child is cancelled, the frame and recipe go") {
    g_probe = {};
    event_log log;
    testing::manual_task<int> child(log, "child");
    canceller c;
    {
      task<int> t = echo(&log, probe(9), child);
      c = std::move(t).run([&](int v) { log("ok " + std::to_string(v)); },
                           [&](std::exception_ptr e) { log("err " + message_of(e)); });
    }
    CHECK(log.take() == events{"frame 9", "child start"});
    CHECK(g_probe.alive == 2);  // the frame's probe, and the recipe's (moved from) around it
    c();
    CHECK(log.take() == events{"child cancel", "err cancelled: manual task cancelled"});
    CHECK(g_probe.alive == 2);  // the canceller keeps the frame (and the recipe around it)
    c();                        // idempotent, the frame still valid
    CHECK(log.take().empty());
    c = canceller();
    CHECK(g_probe.alive == 0);
    CHECK(g_probe.copies == 0);
  }

  TEST_CASE("cancel before the in-place frame parks: its park is cancelled at once") {
    g_probe = {};
    event_log log;
    testing::manual_task<int> gate(log, "gate", /*fail_on_cancel=*/false);
    testing::manual_task<int> child(log, "child");
    // outer parks on gate, then on echo(child): the cancel arrives while
    // outer waits on gate (which ignores it), before echo's frame runs.
    struct outer_frame final : sp_frame<int> {
      event_log* log;
      task<int> gate, inner;
      slot<int> s0, s1;
      outer_frame(const frame_table& t, event_log* log, task<int> g, task<int> i)
          : sp_frame(t), log(log), gate(std::move(g)), inner(std::move(i)) {}
      step p0() { return park(std::move(gate), 1, s0); }
      step p1() {
        (void)s0.take();
        return park(std::move(inner), 2, s1);
      }
      step p2() { return finish_with(s1.take()); }
      static void unwind(sp_core*, std::int32_t) noexcept {}
    };
    static const partition_info parts[] = {
        {&partition_thunk<outer_frame, &outer_frame::p0>, "outer#0", "outer.cpp", 1, 1, "", -1},
        {&partition_thunk<outer_frame, &outer_frame::p1>, "outer#1", "outer.cpp", 2, 1, "", -1},
        {&partition_thunk<outer_frame, &outer_frame::p2>, "outer#2", "outer.cpp", 3, 1, "", -1},
    };
    static const frame_table table = {"outer", parts, 3, nullptr, 0, &outer_frame::unwind};
    canceller c = make_sp_with_table<outer_frame, int>(table, &log, task<int>(gate), echo(&log, probe(5), child))
                      .run([&](int v) { log("ok " + std::to_string(v)); },
                           [&](std::exception_ptr e) { log("err " + message_of(e)); });
    CHECK(log.take() == events{"gate start"});
    c();
    CHECK(log.take() == events{"gate cancel"});
    gate.succeed(0);
    CHECK(log.take() == events{"frame 5", "child start", "child cancel", "err cancelled: manual task cancelled"});
    c = canceller();
    CHECK(g_probe.alive == 0);
    CHECK(g_probe.copies == 0);  // both recipes consumed: echo's moved into outer's, and on into its frame
  }

  TEST_CASE("an in-place frame completed from another thread, cancelled from this one") {
    g_probe = {};
    event_log log;
    testing::manual_task<int> child(log, "child", /*fail_on_cancel=*/false);
    std::atomic<int> got{0};
    canceller c = echo(&log, probe(30), child).run([&](int v) { got = v; }, [](std::exception_ptr) {});
    log.take();
    std::thread th([&] { child.succeed(12); });
    c();
    th.join();
    c = canceller();
    CHECK(got == 42);
    CHECK(g_probe.alive == 0);
  }
  TEST_CASE("join_all run as its only owner gives up its children: each sp child's frame is built in place") {
    g_probe = {};
    auto children = [] {
      std::vector<task<int>> ts;
      for (int i = 1; i <= 4; ++i) ts.push_back(twice(probe(i)));
      return ts;
    };
    task<std::vector<int>> shared = join_all(children());
    task<std::vector<int>> owned = join_all(children());
    CHECK(g_probe.copies == 0);
    std::vector<int> a, b;
    const long na = allocations_of([&] { a = run_blocking(shared); });
    CHECK(g_probe.copies == 4);  // each child's frame copied its argument
    const long nb = allocations_of([&] { b = run_blocking(std::move(owned)); });
    CHECK(g_probe.copies == 4);  // moved, not copied
    CHECK(a == std::vector<int>{2, 4, 6, 8});
    CHECK(b == a);
    if (counts_allocations) CHECK(na - nb == 4);  // no frame allocations
    shared = {};
    CHECK(g_probe.alive == 0);
  }

  TEST_CASE("the frame cache: a call parked on at once reuses the block the last one freed") {
    frame_cache_enable();
    frame_cache_trim();
    int got = 0;
    got = run_blocking(echo(nullptr, probe(1), task<int>(2)));  // warms the cache: one block
    CHECK(got == 3);
    const long n = cached_allocations_of([&] {
      for (int i = 0; i < 100; ++i) got += run_blocking(echo(nullptr, probe(i), task<int>(1)));
    });
    CHECK(got == 3 + 5050);
    if (counts_allocations && frame_cache_on) CHECK(n == 0);  // every recipe from the cache
    if (counts_allocations && !frame_cache_on) CHECK(n == 100);
    CHECK(g_probe.alive == 0);
    frame_cache_disable();
  }

  TEST_CASE("the frame cache: classes of 8 bytes, at most frame_cache_depth blocks each, trim and disable") {
    if (!frame_cache_on) return;  // off under the sanitizers: nothing to observe
    frame_cache_enable();
    frame_cache_trim();
    frame_cache_state& c = frame_cache_tls;
    std::vector<void*> blocks;
    static_assert(frame_cache_class_of(33) == 4 && frame_cache_class_of(40) == 4 && frame_cache_class_of(41) == 5);
    static_assert(frame_cache_class_bytes(4) == 40);
    for (int i = 0; i < 20; ++i) blocks.push_back(frame_cache_allocate(40));  // class 4: 33-40 bytes
    for (void* b : blocks) frame_cache_free(b, 40);
    CHECK(c.count[4] == frame_cache_depth);  // the other four went to the heap
    // LIFO: the last block freed is the next one of its class, whatever its
    // exact size within the class.
    void* again = frame_cache_allocate(36);
    CHECK(again == blocks[frame_cache_depth - 1]);
    CHECK(c.count[4] == frame_cache_depth - 1);
    frame_cache_free(again, 36);
    // The next class up does not take them.
    void* wider = frame_cache_allocate(48);
    CHECK(c.count[4] == frame_cache_depth);
    CHECK(c.count[5] == 0);
    frame_cache_free(wider, 48);
    CHECK(c.count[5] == 1);
    CHECK(frame_cache_allocate(41) == wider);
    // Blocks above frame_cache_max_bytes are the heap's.
    void* big = frame_cache_allocate(frame_cache_max_bytes + 1);
    frame_cache_free(big, frame_cache_max_bytes + 1);
    for (std::size_t i = 0; i < frame_cache_classes; ++i)
      if (i != 4) CHECK(c.count[i] == 0);
    frame_cache_free(wider, 48);
    frame_cache_disable();  // trims
    CHECK(c.count[4] == 0);
    CHECK(c.head[4] == nullptr);
    CHECK(c.count[5] == 0);
    void* after = frame_cache_allocate(40);
    frame_cache_free(after, 40);
    CHECK(c.count[4] == 0);  // disabled: freed to the heap
  }

  TEST_CASE("the frame cache: a block that misses it asks the heap for no more than its class's 8 bytes") {
    if (!frame_cache_on || !counts_allocations) return;
    frame_cache_enable();
    frame_cache_trim();
    // A 16-byte class would have asked for 160: the heap's rounding (glibc
    // hands out 8 + 16k usable bytes) would then have cost 16 more bytes per
    // block, which the memory benchmark (W5) saw.
    void* a = nullptr;
    CHECK(cached_allocations_of([&] { a = frame_cache_allocate(152); }) == 1);
    CHECK(last_request.load() == 152);
    void* b = nullptr;
    CHECK(cached_allocations_of([&] { b = frame_cache_allocate(146); }) == 1);
    CHECK(last_request.load() == 152);  // any block of the class must fit a later 152
    frame_cache_free(a, 152);
    frame_cache_free(b, 146);
    frame_cache_disable();
  }

  TEST_CASE("the frame cache: a block freed on another thread is cached there and freed at its exit") {
    if (!frame_cache_on || !counts_allocations) return;
    auto thread_frees = [](void* block) {
      const long before = frees.load();
      counting.store(true);
      std::thread t([block] {
        if (block) {
          frame_cache_free(block, 64);
          CHECK(frame_cache_tls.count[frame_cache_class_of(64)] == 1);  // this thread's cache, not the allocating one's
        }
      });
      t.join();
      counting.store(false);
      return frees.load() - before;
    };
    const long plain = thread_frees(nullptr);  // what a thread costs by itself
    void* block = frame_cache_allocate(64);
    CHECK(thread_frees(block) == plain + 1);  // the thread's exit freed the cached block
  }

  TEST_CASE("an over-aligned frame's recipe is aligned (the aligned heap functions, not the cache)") {
    frame_cache_enable();
    for (int i = 0; i < 3; ++i) {
      CHECK(run_blocking(aligned(i)) == i);
      CHECK(reinterpret_cast<std::uintptr_t>(g_aligned_frame) % 64 == 0);
    }
    frame_cache_disable();
  }
}
