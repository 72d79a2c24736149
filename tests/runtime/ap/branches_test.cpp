// SPDX-License-Identifier: MIT
// Branch independence and try regions across a fork (transform-cases.md
// cases 31 and 32), run by the ap driver on hand-written frames.
#include "ap_frames.hpp"

using namespace ap_test;
using braid::testing::manual_flow;
using braid::testing::spawn_logged;
using braid::testing::transfer_shown;

namespace {

std::string render(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

// BRAID_AP flow<std::string> indep(flow<int> in, std::function<task<int>(int)> f) {
//   std::vector<int> acc{0};
//   int count = 0;
//   int x = fork(2, in);
//   acc.push_back(x); ++count;
//   int y = park(f(x));
//   acc.push_back(y); ++count;
//   return render(acc) + " n=" + std::to_string(count);
// }
struct indep_frame final : ap_frame<std::string>, counted {
  flow<int> in;
  std::function<task<int>(int)> f;
  union { std::vector<int> acc; };  // kept local with a destructor
  bool alive_acc = false;
  int count;
  int x;
  slot<int> s0, s1;

  indep_frame(flow<int> in, std::function<task<int>(int)> f)
      : ap_frame(table), in(std::move(in)), f(std::move(f)) {}
  // clone: f, acc and count are live after the fork.
  indep_frame(const indep_frame& o) : ap_frame(o), counted(o), f(o.f), count(o.count) {
    if (o.alive_acc) {
      ::new (kept_storage(acc)) std::vector<int>(o.acc);
      alive_acc = true;
    }
  }
  ~indep_frame() override {}
  ap_core* clone() const override { return new indep_frame(*this); }

  step p0() {
    ::new (kept_storage(acc)) std::vector<int>{0};
    alive_acc = true;
    count = 0;
    return fork(2, std::move(in), 1, s0);
  }
  step p1() {
    x = s0.take();
    acc.push_back(x);
    ++count;
    return park(f(x), 2, s1);
  }
  step p2() {
    acc.push_back(s1.take());
    ++count;
    return finish_with(render(acc) + " n=" + std::to_string(count));
  }
  static void unwind(ap_core* c, std::int32_t) noexcept {
    auto* self = static_cast<indep_frame*>(c);
    kept_destroy(self->acc, self->alive_acc);
  }
  static const ap_partition_info parts[3];
  static const ap_table table;
};
const ap_partition_info indep_frame::parts[3] = {
    {&partition_thunk<indep_frame, &indep_frame::p0>, "indep#0", "indep.cpp", 2, 3, "", -1},
    {&partition_thunk<indep_frame, &indep_frame::p1>, "indep#1", "indep.cpp", 4, 11, "f, acc, count", -1},
    {&partition_thunk<indep_frame, &indep_frame::p2>, "indep#2", "indep.cpp", 6, 11, "acc, count", -1},
};
const ap_table indep_frame::table = {"indep", parts, 3, nullptr, 0, &indep_frame::unwind};

// BRAID_AP flow<int> guarded(event_log& log, flow<int> in, std::function<task<int>(int)> f) {
//   tracer outer(log, "outer");
//   try {
//     int x = fork_merge(in);
//     tracer t(log, "t" + std::to_string(x));
//     return park(f(x));
//   } catch (const std::runtime_error& e) {
//     log(std::string("caught ") + e.what());
//     return -1;
//   }
// }
struct guarded_frame final : ap_frame<int>, counted {
  event_log* log;
  flow<int> in;
  std::function<task<int>(int)> f;
  union { tracer outer; };
  union { tracer t; };
  bool alive_outer = false, alive_t = false;
  slot<int> s0, s1;
  std::exception_ptr exc0;

  guarded_frame(std::reference_wrapper<event_log> log, flow<int> in, std::function<task<int>(int)> f)
      : ap_frame(table), log(&log.get()), in(std::move(in)), f(std::move(f)) {}
  // clone: log, f and outer are live after the fork.
  guarded_frame(const guarded_frame& o) : ap_frame(o), counted(o), log(o.log), f(o.f) {
    if (o.alive_outer) {
      ::new (kept_storage(outer)) tracer(o.outer);
      alive_outer = true;
    }
  }
  ~guarded_frame() override {}
  ap_core* clone() const override { return new guarded_frame(*this); }

  step p0() {  // region -1
    ::new (kept_storage(outer)) tracer(*log, "outer");
    alive_outer = true;
    return step{1};
  }
  step p1() { return fork_merge(std::move(in), 2, s0); }  // region 0
  step p2() {                                             // region 0
    int x = s0.take();
    ::new (kept_storage(t)) tracer(*log, "t" + std::to_string(x));
    alive_t = true;
    return park(f(x), 3, s1);
  }
  step p3() { return finish_with(s1.take()); }  // region 0
  step p4() {                                   // region -1: handler dispatch of region 0
    exc0 = std::move(raised_);
    try {
      std::rethrow_exception(exc0);
    } catch (const std::runtime_error& e) {
      (*log)(std::string("caught ") + e.what());
      return finish_with(-1);
    }
  }
  static void unwind(ap_core* c, std::int32_t region) noexcept {
    auto* self = static_cast<guarded_frame*>(c);
    kept_destroy(self->t, self->alive_t);  // declared inside region 0
    if (region == -1) kept_destroy(self->outer, self->alive_outer);
  }
  static const ap_partition_info parts[5];
  static const region_info regions[1];
  static const ap_table table;
};
const ap_partition_info guarded_frame::parts[5] = {
    {&partition_thunk<guarded_frame, &guarded_frame::p0>, "guarded#0", "guarded.cpp", 2, 3, "", -1},
    {&partition_thunk<guarded_frame, &guarded_frame::p1>, "guarded#1", "guarded.cpp", 4, 13, "outer", 0},
    {&partition_thunk<guarded_frame, &guarded_frame::p2>, "guarded#2", "guarded.cpp", 4, 13, "outer", 0},
    {&partition_thunk<guarded_frame, &guarded_frame::p3>, "guarded#3", "guarded.cpp", 6, 12, "outer, t", 0},
    {&partition_thunk<guarded_frame, &guarded_frame::p4>, "guarded#4", "guarded.cpp", 7, 5, "outer", -1},
};
const region_info guarded_frame::regions[1] = {{4, -1}};
const ap_table guarded_frame::table = {"guarded", parts, 5, regions, 1, &guarded_frame::unwind};

flow<int> guarded(event_log& log, flow<int> in, std::function<task<int>(int)> f) {
  return make_ap<guarded_frame, int>(std::ref(log), std::move(in), std::move(f));
}

}  // namespace

TEST_SUITE("ap branches") {
  TEST_CASE("each branch changes its own copy of a container and a counter") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(make_ap<indep_frame, std::string>(in.get(), b.fn()), log, "out");
    in.emit(1);
    in.emit(2);
    CHECK(log.take() == events{"in spawn", "in transfer", "w1 start", "in transfer", "w2 start"});
    b[2].succeed(20);
    b[1].succeed(10);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "0,2,20 n=2");
    CHECK(transfer_shown(it) == "0,1,10 n=2");
    in.emit(3);  // the template's copy was never touched by its branches
    b[3].succeed(30);
    CHECK(transfer_shown(it) == "0,3,30 n=2");
    in.terminate();
    CHECK(log.take() == events{"out notify", "in transfer", "w3 start", "out notify", "out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("a fork inside a try: cleanup runs per branch, an error in one branch leaves its siblings alone") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(guarded(log, in, b.fn()), log, "out");
    CHECK(log.take() == events{"+outer", "in spawn"});
    in.emit(1);
    in.emit(2);
    // Each value: the template is cloned, then the value is taken into the clone.
    CHECK(log.take() == events{"+outer copy", "in transfer", "+t1", "w1 start", "+outer copy",
                               "in transfer", "+t2", "w2 start"});
    b[1].fail("bad");  // branch 1 leaves the try through its handler
    CHECK(log.take() == events{"~t1", "caught bad", "~outer", "out notify"});
    b[2].succeed(20);  // branch 2 is unaffected and leaves normally
    CHECK(log.take() == events{"~t2", "~outer"});
    CHECK(transfer_shown(it) == "-1");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "20");
    in.terminate();  // the template's own copy of `outer` dies with it
    CHECK(log.take() == events{"~outer", "out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("cancelling the parent cancels every branch and runs every branch's cleanup") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(guarded(log, in, b.fn()), log, "out");
    in.emit(3);
    in.emit(4);
    CHECK(log.take() == events{"+outer", "in spawn", "+outer copy", "in transfer", "+t3", "w3 start",
                               "+outer copy", "in transfer", "+t4", "w4 start"});
    it.cancel();
    // cancelled is no runtime_error: it passes the handler and fails each branch.
    CHECK(log.take() == events{"in cancel", "w4 cancel", "w3 cancel", "~t4", "~outer", "out notify",
                               "~t3", "~outer"});
    in.terminate();  // the failed branches are not transferred yet: the template waits
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "err cancelled: manual task cancelled");
    CHECK(log.take() == events{"~outer", "out terminate"});
    CHECK(live_frames == 0);
  }
}
