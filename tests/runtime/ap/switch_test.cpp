// SPDX-License-Identifier: MIT
// fork_switch (Missionary ?<) run by the ap driver on hand-written frames: a
// new value cancels every later choice of the running branch and is taken
// once that branch has ended.
#include "ap_frames.hpp"

using namespace ap_test;
using braid::testing::manual_flow;
using braid::testing::spawn_logged;
using braid::testing::transfer_shown;

namespace {

// BRAID_AP flow<int> latest_work(flow<int> in, std::function<task<int>(int)> f) {
//   int x = fork_switch(in);
//   try { return park(f(x)); } catch (const braid::cancelled&) { return amb(); }
// }
struct latest_frame final : ap_frame<int>, counted {
  flow<int> in;
  std::function<task<int>(int)> f;
  event_log* log;
  int x;
  slot<int> s0, s1;
  std::exception_ptr exc0;

  latest_frame(flow<int> in, std::function<task<int>(int)> f, std::reference_wrapper<event_log> log)
      : ap_frame(table), in(std::move(in)), f(std::move(f)), log(&log.get()) {}
  latest_frame(const latest_frame& o) : ap_frame(o), counted(o), f(o.f), log(o.log) {}
  ap_core* clone() const override { return new latest_frame(*this); }

  step p0() { return fork_switch(std::move(in), 1, s0); }
  step p1() {  // region 0: the try body
    x = s0.take();
    return park(f(x), 2, s1);
  }
  step p2() { return finish_with(s1.take()); }  // region 0
  step p3() {  // handler dispatch of region 0
    exc0 = std::move(raised_);
    try {
      std::rethrow_exception(exc0);
    } catch (const braid::cancelled&) {
      (*log)("branch " + std::to_string(x) + " cancelled");
      return amb();
    }
  }
  static void unwind(ap_core*, std::int32_t) noexcept {}
  static const ap_partition_info parts[4];
  static const region_info regions[1];
  static const ap_table table;
};
const ap_partition_info latest_frame::parts[4] = {
    {&partition_thunk<latest_frame, &latest_frame::p0>, "latest#0", "latest.cpp", 2, 11, "", -1},
    {&partition_thunk<latest_frame, &latest_frame::p1>, "latest#1", "latest.cpp", 2, 11, "f", 0},
    {&partition_thunk<latest_frame, &latest_frame::p2>, "latest#2", "latest.cpp", 3, 16, "", 0},
    {&partition_thunk<latest_frame, &latest_frame::p3>, "latest#3", "latest.cpp", 3, 29, "x", -1},
};
const region_info latest_frame::regions[1] = {{3, -1}};
const ap_table latest_frame::table = {"latest", parts, 4, regions, 1, &latest_frame::unwind};

flow<int> latest_work(flow<int> in, std::function<task<int>(int)> f, event_log& log) {
  return make_ap<latest_frame, int>(std::move(in), std::move(f), std::ref(log));
}

// BRAID_AP flow<int> nested(flow<int> outer, std::function<flow<int>(int)> inner, bank-fn f) {
//   int x = fork_switch(outer);
//   int y = fork_merge(inner(x));
//   try { return park(f(y)); } catch (const braid::cancelled&) { return amb(); }
// }
struct nested_frame final : ap_frame<int>, counted {
  flow<int> outer;
  std::function<flow<int>(int)> inner;
  std::function<task<int>(int)> f;
  int y;
  slot<int> s0, s1, s2;

  nested_frame(flow<int> outer, std::function<flow<int>(int)> inner, std::function<task<int>(int)> f)
      : ap_frame(table), outer(std::move(outer)), inner(std::move(inner)), f(std::move(f)) {}
  nested_frame(const nested_frame& o) : ap_frame(o), counted(o), inner(o.inner), f(o.f) {}
  ap_core* clone() const override { return new nested_frame(*this); }

  step p0() { return fork_switch(std::move(outer), 1, s0); }
  step p1() { return fork_merge(inner(s0.take()), 2, s1); }
  step p2() {  // region 0
    y = s1.take();
    return park(f(y), 3, s2);
  }
  step p3() { return finish_with(s2.take()); }  // region 0
  step p4() {                                   // handler dispatch of region 0
    try {
      std::rethrow_exception(std::move(raised_));
    } catch (const braid::cancelled&) {
      return amb();
    }
  }
  static void unwind(ap_core*, std::int32_t) noexcept {}
  static const ap_partition_info parts[5];
  static const region_info regions[1];
  static const ap_table table;
};
const ap_partition_info nested_frame::parts[5] = {
    {&partition_thunk<nested_frame, &nested_frame::p0>, "nested#0", "nested.cpp", 2, 11, "", -1},
    {&partition_thunk<nested_frame, &nested_frame::p1>, "nested#1", "nested.cpp", 3, 11, "inner, f", -1},
    {&partition_thunk<nested_frame, &nested_frame::p2>, "nested#2", "nested.cpp", 3, 11, "f", 0},
    {&partition_thunk<nested_frame, &nested_frame::p3>, "nested#3", "nested.cpp", 4, 16, "", 0},
    {&partition_thunk<nested_frame, &nested_frame::p4>, "nested#4", "nested.cpp", 4, 29, "", -1},
};
const region_info nested_frame::regions[1] = {{4, -1}};
const ap_table nested_frame::table = {"nested", parts, 5, regions, 1, &nested_frame::unwind};

}  // namespace

TEST_SUITE("ap switch") {
  TEST_CASE("fork_switch: a new value cancels the running branch and is taken when it has ended") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(latest_work(in, b.fn(), log), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.emit(1);
    CHECK(log.take() == events{"in transfer", "w1 start"});
    in.emit(2);
    CHECK(log.take() == events{"w1 cancel", "branch 1 cancelled", "in transfer", "w2 start"});
    b[2].succeed(20);
    CHECK(log.take() == events{"out notify"});
    // The branch waiting for its transfer is marked cancelled, but its
    // value stays queued; the new value is taken when it ends.
    in.emit(3);
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "20");
    CHECK(log.take() == events{"in transfer", "w3 start"});
    in.terminate();
    CHECK(log.take() == events{});
    b[3].succeed(30);
    CHECK(transfer_shown(it) == "30");
    CHECK(log.take() == events{"out notify", "out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("fork_switch: a switched-away branch without a handler fails with cancelled") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::swtch, b.fn()), log, "out");
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "w1 start"});
    in.emit(2);
    CHECK(log.take() == events{"w1 cancel", "out notify"});
    // The error's transfer cancels the tree; value 2 is still taken (the
    // branch ended) and its branch is born cancelled; its error is dropped.
    CHECK(transfer_shown(it) == "err cancelled: manual task cancelled");
    CHECK(log.take() == events{"in cancel", "in transfer", "w2 start", "w2 cancel"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("fork_switch cancels every later choice: a nested fork's input and all its branches") {
    event_log log;
    manual_flow<int> outer(log, "outer");
    manual_flow<int> inner(log, "inner");
    bank b(log);
    auto it = spawn_logged(make_ap<nested_frame, int>(outer.get(), std::function<flow<int>(int)>(
                                                                       [&](int) { return inner.get(); }),
                                                      b.fn()),
                           log, "out");
    outer.emit(1);
    CHECK(log.take() == events{"outer spawn", "outer transfer", "inner spawn"});
    inner.emit_run(0, 10);
    inner.emit_run(0, 11);
    CHECK(log.take() == events{"inner transfer", "w10 start", "inner transfer", "w11 start"});
    outer.emit(2);
    CHECK(log.take() == events{"inner cancel", "w11 cancel", "w10 cancel"});
    // Value 2 waits until the whole old continuation has ended: its input too.
    inner.terminate(0);
    CHECK(log.take() == events{"outer transfer", "inner spawn"});
    inner.emit_run(1, 20);
    CHECK(log.take() == events{"inner transfer", "w20 start"});
    b[20].succeed(200);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "200");
    outer.terminate();
    inner.terminate(1);
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("cancelling a switching process cancels its input and the running branch") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(latest_work(in, b.fn(), log), log, "out");
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "w1 start"});
    it.cancel();
    CHECK(log.take() == events{"in cancel", "w1 cancel", "branch 1 cancelled"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }
}
