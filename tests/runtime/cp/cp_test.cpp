// SPDX-License-Identifier: MIT
// The continuous-process driver run with hand-written frames in the shape
// braidc emits (docs/ap.md): fork_switch choices ranked by depth, reruns
// from the changed choice's saved clone, the cached result.
#include <braid/cp.hpp>
#include <braid/op/watch.hpp>
#include <braid/ref.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <atomic>
#include <string>
#include <thread>

using namespace braid;
using namespace braid::detail;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_flow;
using braid::testing::spawn_logged;
using braid::testing::transfer_shown;

namespace {

std::atomic<int> live_frames{0};

// BRAID_CP flow<std::string> sum(flow<int> a, flow<int> b, event_log& log) {
//   std::string tag = "t";              // kept: live across both choices
//   int x = fork_switch(a);
//   log("run a=" + std::to_string(x));
//   int y = fork_switch(b);
//   log("run b=" + std::to_string(y));
//   if (y < 0) throw std::runtime_error("negative");
//   return tag + std::to_string(x + y);
// }
struct sum_frame final : cp_frame<std::string> {
  flow<int> a, b;
  event_log* log;
  union { std::string tag; };  // a kept local with a destructor
  bool alive_tag = false;
  int x;
  slot<int> s0, s1;

  sum_frame(flow<int> a, flow<int> b, std::reference_wrapper<event_log> log)
      : cp_frame(table), a(std::move(a)), b(std::move(b)), log(&log.get()) {
    ++live_frames;
  }
  // clone: b, log, tag and x may be live after a fork point.
  sum_frame(const sum_frame& o) : cp_frame(o), b(o.b), log(o.log), x(o.x) {
    if (o.alive_tag) {
      ::new (kept_storage(tag)) std::string(o.tag);
      alive_tag = true;
    }
    ++live_frames;
  }
  ~sum_frame() override { --live_frames; }
  cp_core* clone() const override { return new sum_frame(*this); }

  step p0() {
    ::new (kept_storage(tag)) std::string("t");
    alive_tag = true;
    return fork_switch(a, 1, s0);
  }
  step p1() {
    x = s0.take();
    (*log)("run a=" + std::to_string(x));
    return fork_switch(b, 2, s1);
  }
  step p2() {
    int y = s1.take();
    (*log)("run b=" + std::to_string(y));
    if (y < 0) throw std::runtime_error("negative");
    return finish_with(tag + std::to_string(x + y));
  }
  static void unwind(cp_core* f, std::int32_t) noexcept {
    auto* self = static_cast<sum_frame*>(f);
    kept_destroy(self->tag, self->alive_tag);
  }
  static const cp_partition_info parts[3];
  static const cp_table table;
};
const cp_partition_info sum_frame::parts[3] = {
    {&partition_thunk<sum_frame, &sum_frame::p0>, "sum#0", "sum.cpp", 2, 3, "", -1},
    {&partition_thunk<sum_frame, &sum_frame::p1>, "sum#1", "sum.cpp", 3, 11, "b, log, tag", -1},
    {&partition_thunk<sum_frame, &sum_frame::p2>, "sum#2", "sum.cpp", 5, 11, "log, tag, x", -1},
};
const cp_table sum_frame::table = {"sum", parts, 3, nullptr, 0, &sum_frame::unwind};

flow<std::string> sum(flow<int> a, flow<int> b, event_log& log) {
  return make_cp<sum_frame, std::string>(std::move(a), std::move(b), std::ref(log));
}

// BRAID_CP flow<int> constant() { return 42; }
struct constant_frame final : cp_frame<int> {
  constant_frame() : cp_frame(table) {}
  constant_frame(const constant_frame& o) : cp_frame(o) {}
  cp_core* clone() const override { return new constant_frame(*this); }
  step p0() { return finish_with(42); }
  static void unwind(cp_core*, std::int32_t) noexcept {}
  static const cp_partition_info parts[1];
  static const cp_table table;
};
const cp_partition_info constant_frame::parts[1] = {
    {&partition_thunk<constant_frame, &constant_frame::p0>, "constant#0", "constant.cpp", 1, 1, "", -1}};
const cp_table constant_frame::table = {"constant", parts, 1, nullptr, 0, &constant_frame::unwind};

}  // namespace

TEST_SUITE("cp driver") {
  TEST_CASE("notifies at spawn and runs the body at the first transfer") {
    event_log log;
    ref<int> ra(1), rb(2);
    {
      auto it = spawn_logged(sum(watch(ra), watch(rb), log), log, "out");
      CHECK(log.take() == events{"out notify"});
      CHECK(transfer_shown(it) == "t3");
      CHECK(log.take() == events{"run a=1", "run b=2"});
      it.cancel();
      CHECK(transfer_shown(it) == "err cancelled: braid: watch cancelled");
    }
  }

  TEST_CASE("a change of the deeper input reruns only from the deeper choice") {
    event_log log;
    ref<int> ra(1), rb(2);
    auto it = spawn_logged(sum(watch(ra), watch(rb), log), log, "out");
    CHECK(transfer_shown(it) == "t3");
    CHECK(log.take() == events{"out notify", "run a=1", "run b=2"});
    rb.reset(5);
    CHECK(log.take() == events{"out notify"});
    rb.reset(6);  // one notification until the transfer
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "t7");
    CHECK(log.take() == events{"run b=6"});
    ra.reset(10);  // the shallower choice: both rerun
    CHECK(transfer_shown(it) == "t16");
    CHECK(log.take() == events{"out notify", "run a=10", "run b=6"});
    it.cancel();
    CHECK(transfer_shown(it).rfind("err cancelled", 0) == 0);
  }

  TEST_CASE("an input that changes to an equal value returns the cached result without rerunning") {
    event_log log;
    ref<int> ra(1), rb(2);
    auto it = spawn_logged(sum(watch(ra), watch(rb), log), log, "out");
    CHECK(transfer_shown(it) == "t3");
    log.take();
    ra.reset(1);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "t3");
    CHECK(log.take() == events{});
    it.cancel();
    CHECK(transfer_shown(it).rfind("err cancelled", 0) == 0);
  }

  TEST_CASE("both inputs changed: the lowest rank is drained first and the deeper one reruns once") {
    event_log log;
    ref<int> ra(1), rb(2);
    auto it = spawn_logged(sum(watch(ra), watch(rb), log), log, "out");
    CHECK(transfer_shown(it) == "t3");
    log.take();
    rb.reset(20);
    ra.reset(10);
    CHECK(log.take() == events{"out notify"});
    // a reruns the body from its choice: b's old choice is cancelled and b
    // is watched anew (its new value is read at once).
    CHECK(transfer_shown(it) == "t30");
    CHECK(log.take() == events{"run a=10", "run b=20"});
    it.cancel();
    CHECK(transfer_shown(it).rfind("err cancelled", 0) == 0);
  }

  TEST_CASE("an input not ready when reached fails the body with a clear error after cancelling it") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<int> b(log, "b");
    {
      auto it = spawn_logged(sum(a.get(), b.get(), log), log, "out");
      CHECK(log.take() == events{"out notify"});
      // A manual source does not notify at spawn: the body finds no value.
      CHECK(transfer_shown(it) == "err braid: undefined continuous flow: the input of fork_switch in a cp "
                                  "body had no value when it was reached; give it an initial value (a "
                                  "watch, a latest, a signal)");
      CHECK(log.take() == events{"a spawn", "a cancel"});
      a.terminate();
      CHECK(log.take() == events{"out terminate"});
    }
    CHECK(live_frames == 0);
  }

  TEST_CASE("a body error cancels every input and is thrown by the transfer") {
    event_log log;
    ref<int> ra(1), rb(2);
    auto it = spawn_logged(sum(watch(ra), watch(rb), log), log, "out");
    CHECK(transfer_shown(it) == "t3");
    log.take();
    rb.reset(-1);
    CHECK(transfer_shown(it) == "err negative");
    // Both watches were cancelled; they notify, their values are dropped
    // and they terminate.
    CHECK(log.take() == events{"out notify", "run b=-1", "out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("a body without choices yields its value once and terminates in the first transfer") {
    event_log log;
    auto it = spawn_logged(make_cp<constant_frame, int>(), log, "out");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "42");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("cancel before the first transfer: the inputs are cancelled as the body reaches them") {
    event_log log;
    ref<int> ra(1), rb(2);
    auto it = spawn_logged(sum(watch(ra), watch(rb), log), log, "out");
    it.cancel();
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err cancelled: braid: watch cancelled");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("input changes from another thread while the consumer transfers") {
    // Real threads: a writer races with transfers; joined before the end.
    event_log log;
    ref<int> ra(0), rb(0);
    std::atomic<int> pending{0};
    std::atomic<bool> ended{false};
    auto it = sum(watch(ra), watch(rb), log).spawn([&] { ++pending; }, [&] { ended = true; });
    std::thread writer([&] {
      for (int i = 1; i <= 2000; ++i) (i % 2 ? ra : rb).reset(i);
    });
    std::string last;
    while (pending.load() > 0 && last != "t3999") {
      --pending;
      last = it.transfer();
    }
    writer.join();
    while (pending.load() > 0) {
      --pending;
      last = it.transfer();
    }
    CHECK(last == "t3999");  // a = 1999, b = 2000
    it.cancel();
    while (!ended) {
      if (pending.load() > 0) {
        --pending;
        try {
          (void)it.transfer();
        } catch (...) {
        }
      }
    }
    CHECK(live_frames == 0);
  }
}
