// SPDX-License-Identifier: MIT
// Transform-case 39d: a frame is never resumed twice. A frame is resumed by
// the sink of the task it parked on; a task implementation that calls its
// sink a second time (synchronously, later, while the frame runs, from its
// cancel, or after the frame moved on to its next park) breaks the task
// protocol. The driver ignores that call and reports it to the callback
// error handler; every partition runs once and every object dies once.
#include <braid/braid.hpp>

#include <script.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace braid;
using namespace braid::detail;
using braid::testing::event_log;
using braid::testing::events;

namespace {

// What the callback error handler received, one message per report.
std::vector<std::string> g_reports;
void record_report(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const protocol_violation& x) {
    g_reports.push_back(x.what());
  } catch (...) {
    g_reports.push_back("not a protocol_violation");
  }
}
struct reports_recorded {
  callback_error_handler previous;
  reports_recorded() : previous(set_callback_error_handler(&record_report)) { g_reports.clear(); }
  ~reports_recorded() { set_callback_error_handler(previous); }
};

const std::string k_report =
    "braid: task protocol violation: a task that 'two' parked on completed a second time; "
    "the second completion was ignored (a task calls its sink exactly once)";

int g_made = 0;
int g_destroyed = 0;

/// A hand-written task that breaks the protocol on request. Each run keeps
/// its sink in `runs` for the test to call (any number of times); `on_start`
/// runs inside start (e.g. completes twice at once); `on_cancel` runs when
/// the run is cancelled (e.g. completes although it already has).
struct rogue {
  std::vector<sink<int>> runs;
  std::function<void(const sink<int>&)> on_start;
  std::function<void(const sink<int>&)> on_cancel;
  event_log* log = nullptr;
  std::string name;

  struct run_state final : process {
    rogue* owner;
    sink<int> out;
    run_state(rogue* o, sink<int> s) : process(1), owner(o), out(s) {}
    void cancel() noexcept override {
      (*owner->log)(owner->name + " cancel");
      if (owner->on_cancel) owner->on_cancel(out);
    }
  };
  struct impl final : task_impl<int> {
    rogue* owner;
    explicit impl(rogue* o) : owner(o) {}
    canceller start(sink<int> s) const noexcept override {
      (*owner->log)(owner->name + " start");
      owner->runs.push_back(s);
      // The canceller's reference only: the test's rogue outlives the run.
      canceller c(static_cast<process*>(new run_state(owner, s)));
      if (owner->on_start) owner->on_start(s);
      return c;
    }
  };
  task<int> get() { return task<int>(std::make_shared<const impl>(this)); }
};

/// A kept local whose construction and destruction are logged and counted.
struct tracer {
  event_log* log;
  explicit tracer(event_log& l) : log(&l) {
    ++g_made;
    (*log)("+local");
  }
  ~tracer() {
    ++g_destroyed;
    (*log)("~local");
  }
};

// BRAID_SP task<int> two(event_log& log, task<int> a, task<int> b) {
//   tracer local(log);
//   int x = park(a);
//   int y = park(b);
//   return x * 10 + y;
// }
// Every partition logs its entry, so a second resume would show.
struct two_frame final : sp_frame<int> {
  event_log* log;
  task<int> a, b;
  union { tracer local; };  // a kept local with a destructor
  bool alive_local = false;
  int x = 0;
  slot<int> s1, s2;
  std::function<void()> in_p1;  // run inside partition 1, after the take

  two_frame(event_log& l, task<int> a, task<int> b) : sp_frame(table), log(&l), a(a), b(b) { ++g_made; }
  ~two_frame() override {
    ++g_destroyed;
    (*log)("~frame");
  }

  step p0() {
    (*log)("p0");
    ::new (kept_storage(local)) tracer(*log);
    alive_local = true;
    return park(a, 1, s1);
  }
  step p1() {
    x = s1.take();
    (*log)("p1 x=" + std::to_string(x));
    if (in_p1) in_p1();
    return park(b, 2, s2);
  }
  step p2() {
    int y = s2.take();
    (*log)("p2 y=" + std::to_string(y));
    return finish_with(x * 10 + y);
  }
  static void unwind(sp_core* f, std::int32_t) noexcept { auto* self = static_cast<two_frame*>(f);
    kept_destroy(self->local, self->alive_local);
  }
  static const partition_info parts[3];
  static const frame_table table;
};
const partition_info two_frame::parts[3] = {
    {&partition_thunk<two_frame, &two_frame::p0>, "two#0", "two.cpp", 1, 1, "", -1},
    {&partition_thunk<two_frame, &two_frame::p1>, "two#1", "two.cpp", 3, 11, "local", -1},
    {&partition_thunk<two_frame, &two_frame::p2>, "two#2", "two.cpp", 4, 11, "local, x", -1},
};
const frame_table two_frame::table = {"two", parts, 3, nullptr, 0, &two_frame::unwind};

/// Starts a two_frame directly (so the test can reach the frame), logging
/// its outcome; returns the frame's canceller.
canceller run_two(event_log& log, task<int> a, task<int> b, std::function<void()> in_p1 = {},
                  canceller* self = nullptr) {
  auto* f = new two_frame(log, a, b);
  f->in_p1 = std::move(in_p1);
  struct out {
    static void value(void* l, int&& v) noexcept { (*static_cast<event_log*>(l))("ok " + std::to_string(v)); }
    static void error(void* l, std::exception_ptr e) noexcept {
      (*static_cast<event_log*>(l))("failed " + braid::testing::message(e));
    }
  };
  // The frame's own canceller is needed inside the run by one test: hand
  // out a second reference before starting.
  if (self) {
    f->retain();
    *self = canceller(static_cast<process*>(f));
  }
  static constexpr sink_ops<int> ops{{&out::error}, &out::value};  // a local class: no sink::to
  return static_cast<sp_frame<int>*>(f)->start(sink<int>{&log, &ops});
}

// BRAID_SP task<int> loop(task<int> t, int n) {
//   int sum = 0;
//   for (int i = 0; i < n; ++i) sum += park(t);
//   return sum;
// }
struct loop_frame final : sp_frame<int> {
  task<int> t;
  int n, sum = 0, i = 0;
  slot<int> s1;
  loop_frame(task<int> t, int n) : sp_frame(table), t(std::move(t)), n(n) {}
  step p0() {
    if (i == n) return finish_with(sum);
    return park(t, 1, s1);
  }
  step p1() {
    sum += s1.take();
    ++i;
    return step{0};
  }
  static void unwind(sp_core*, std::int32_t) noexcept {}
  static const partition_info parts[2];
  static const frame_table table;
};
const partition_info loop_frame::parts[2] = {
    {&partition_thunk<loop_frame, &loop_frame::p0>, "loop#0", "loop.cpp", 1, 1, "", -1},
    {&partition_thunk<loop_frame, &loop_frame::p1>, "loop#1", "loop.cpp", 3, 42, "sum, i", -1},
};
const frame_table loop_frame::table = {"loop", parts, 2, nullptr, 0, &loop_frame::unwind};

canceller run_loop(event_log& log, task<int> t, int n) {
  struct out {
    static void value(void* l, int&& v) noexcept { (*static_cast<event_log*>(l))("ok " + std::to_string(v)); }
    static void error(void* l, std::exception_ptr e) noexcept {
      (*static_cast<event_log*>(l))("failed " + braid::testing::message(e));
    }
  };
  auto* f = new loop_frame(std::move(t), n);
  static constexpr sink_ops<int> ops{{&out::error}, &out::value};  // a local class: no sink::to
  return static_cast<sp_frame<int>*>(f)->start(sink<int>{&log, &ops});
}

struct counted {
  counted() { g_made = g_destroyed = 0; }
};

}  // namespace

TEST_SUITE("sp driver: a task that completes twice (case 39d)") {
  TEST_CASE("twice inside start: the second value is ignored and reported") {
    reports_recorded r;
    counted c;
    event_log log;
    rogue a{{}, [](const sink<int>& s) {
              s.value(1);
              s.value(7);
            }, {}, &log, "a"};
    rogue b{{}, {}, {}, &log, "b"};
    {
      canceller k = run_two(log, a.get(), b.get());
      CHECK(log.take() == events{"p0", "+local", "a start", "p1 x=1", "b start"});
      CHECK(g_reports == std::vector<std::string>{k_report});
      b.runs.at(0).value(2);
      CHECK(log.take() == events{"p2 y=2", "~local", "ok 12"});
    }
    CHECK(log.take() == events{"~frame"});
    CHECK(g_reports.size() == 1);
    CHECK(g_made == 2);
    CHECK(g_destroyed == 2);
  }

  TEST_CASE("again while the frame waits on its next park: ignored, the frame is not resumed") {
    reports_recorded r;
    counted c;
    event_log log;
    rogue a{{}, {}, {}, &log, "a"};
    rogue b{{}, {}, {}, &log, "b"};
    {
      canceller k = run_two(log, a.get(), b.get());
      CHECK(log.take() == events{"p0", "+local", "a start"});
      a.runs.at(0).value(1);
      CHECK(log.take() == events{"p1 x=1", "b start"});
      a.runs.at(0).value(5);  // a value again
      a.runs.at(0).error(std::make_exception_ptr(std::runtime_error("late")));  // an error too
      CHECK(log.take() == events{});
      CHECK(g_reports == std::vector<std::string>{k_report, k_report});
      b.runs.at(0).value(2);
      CHECK(log.take() == events{"p2 y=2", "~local", "ok 12"});
    }
    CHECK(log.take() == events{"~frame"});
    CHECK(g_made == 2);
    CHECK(g_destroyed == 2);
  }

  TEST_CASE("again while the frame runs the partition it resumed: ignored") {
    reports_recorded r;
    counted c;
    event_log log;
    rogue a{{}, {}, {}, &log, "a"};
    rogue b{{}, {}, {}, &log, "b"};
    {
      canceller k = run_two(log, a.get(), b.get(), [&] {
        a.runs.at(0).value(9);
        log("still in p1");
      });
      a.runs.at(0).value(1);
      CHECK(log.take() == events{"p0", "+local", "a start", "p1 x=1", "still in p1", "b start"});
      CHECK(g_reports == std::vector<std::string>{k_report});
      b.runs.at(0).value(3);
      CHECK(log.take() == events{"p2 y=3", "~local", "ok 13"});
    }
    CHECK(log.take() == events{"~frame"});
    CHECK(g_made == 2);
    CHECK(g_destroyed == 2);
  }

  TEST_CASE("a task that completed during its start is not cancelled afterwards") {
    reports_recorded r;
    counted c;
    event_log log;
    // a completes inside its start: the frame drops a's canceller at once
    // (a has ended; cancelling it could only break the protocol), so a
    // cancel while the frame runs the resumed partition reaches nothing but
    // the next park, which starts b and cancels it at once.
    rogue a{{}, [](const sink<int>& s) { s.value(1); },
            [](const sink<int>& s) { s.error(cancelled_error("rogue cancelled")); }, &log, "a"};
    rogue b{{}, {}, [](const sink<int>& s) { s.error(cancelled_error("b cancelled")); }, &log, "b"};
    canceller self;
    {
      canceller k = run_two(log, a.get(), b.get(), [&] { self(); }, &self);
      CHECK(log.take() == events{"p0", "+local", "a start", "p1 x=1", "b start", "b cancel", "~local",
                                 "failed cancelled: b cancelled"});
      CHECK(g_reports.empty());
      self = canceller();
    }
    CHECK(log.take() == events{"~frame"});
    CHECK(g_made == 2);
    CHECK(g_destroyed == 2);
  }

  TEST_CASE("a task that completes and then fails when cancelled: the failure is ignored") {
    reports_recorded r;
    counted c;
    event_log log;
    // a completes after its start returned (the frame holds its canceller),
    // then, cancelled while the frame still holds it (inside the partition
    // it resumed), fails as well.
    rogue a{{}, {}, [](const sink<int>& s) { s.error(cancelled_error("rogue cancelled")); }, &log, "a"};
    rogue b{{}, {}, [](const sink<int>& s) { s.error(cancelled_error("b cancelled")); }, &log, "b"};
    canceller self;
    {
      canceller k = run_two(log, a.get(), b.get(), [&] { self(); }, &self);
      a.runs.at(0).value(1);
      // The cancel reaches a (the frame's current child); its failure is a
      // second completion. The next park starts b and cancels it at once
      // (Missionary's rule): b fails with cancelled, which ends the frame.
      CHECK(log.take() == events{"p0", "+local", "a start", "p1 x=1", "a cancel", "b start", "b cancel",
                                 "~local", "failed cancelled: b cancelled"});
      CHECK(g_reports == std::vector<std::string>{k_report});
      self = canceller();
    }
    CHECK(log.take() == events{"~frame"});
    CHECK(g_made == 2);
    CHECK(g_destroyed == 2);
  }

  TEST_CASE("a correct task is never reported, over many parks (the park generation wraps)") {
    reports_recorded r;
    event_log log;
    // Runs 0, 2, 4, ... complete inside start; the others when the test
    // completes them; 40 parks in one frame.
    rogue a{{}, {}, {}, &log, "a"};
    a.on_start = [&a](const sink<int>& s) {
      if (a.runs.size() % 2 == 1) s.value(static_cast<int>(a.runs.size()));
    };
    canceller k = run_loop(log, a.get(), 40);
    for (std::size_t n = 2; n <= 40; n += 2) {
      REQUIRE(a.runs.size() == n);
      a.runs.back().value(static_cast<int>(n));
    }
    auto seen = log.take();
    CHECK(seen.back() == "ok 820");  // 1 + 2 + ... + 40
    CHECK(g_reports.empty());
  }
}
