// SPDX-License-Identifier: MIT
// amb (Missionary amb), amb_merge (amb=) and amb() run by the ap driver on
// hand-written frames: a fork over the argument index, each branch
// evaluating its argument lazily.
#include "ap_frames.hpp"

using namespace ap_test;
using braid::testing::spawn_logged;
using braid::testing::transfer_shown;

namespace {

// BRAID_AP flow<int> pick(task<int> a, bool merge) {
//   return merge ? amb_merge(park(a), amb(), 7) : amb(park(a), amb(), 7);
// }
struct pick_frame final : ap_frame<int>, counted {
  task<int> a;
  bool merge;
  slot<std::size_t> si;
  slot<int> s0;

  pick_frame(task<int> a, bool merge) : ap_frame(table), a(std::move(a)), merge(merge) {}
  pick_frame(const pick_frame& o) : ap_frame(o), counted(o), a(o.a) {}
  ap_core* clone() const override { return new pick_frame(*this); }

  step p0() { return merge ? amb_merge(3, 1, si) : amb(3, 1, si); }
  step p1() {
    switch (si.take()) {
      case 0: return park(a, 2, s0);  // each argument is evaluated in its own branch
      case 1: return amb();
      default: return finish_with(7);
    }
  }
  step p2() { return finish_with(s0.take()); }
  static void unwind(ap_core*, std::int32_t) noexcept {}
  static const ap_partition_info parts[3];
  static const ap_table table;
};
const ap_partition_info pick_frame::parts[3] = {
    {&partition_thunk<pick_frame, &pick_frame::p0>, "pick#0", "pick.cpp", 2, 10, "", -1},
    {&partition_thunk<pick_frame, &pick_frame::p1>, "pick#1", "pick.cpp", 2, 10, "a", -1},
    {&partition_thunk<pick_frame, &pick_frame::p2>, "pick#2", "pick.cpp", 2, 14, "", -1},
};
const ap_table pick_frame::table = {"pick", parts, 3, nullptr, 0, &pick_frame::unwind};

flow<int> pick(task<int> a, bool merge) { return make_ap<pick_frame, int>(std::move(a), merge); }

// BRAID_AP flow<int> nothing(std::size_t n) { return amb(); }   (n == 0: amb over no argument)
struct nothing_frame final : ap_frame<int>, counted {
  std::size_t n;
  slot<std::size_t> si;
  explicit nothing_frame(std::size_t n) : ap_frame(table), n(n) {}
  nothing_frame(const nothing_frame& o) : ap_frame(o), counted(o) {}
  ap_core* clone() const override { return new nothing_frame(*this); }
  step p0() { return n == 0 ? amb(0, 1, si) : amb(); }
  step p1() { return finish_with(static_cast<int>(si.take())); }
  static void unwind(ap_core*, std::int32_t) noexcept {}
  static const ap_partition_info parts[2];
  static const ap_table table;
};
const ap_partition_info nothing_frame::parts[2] = {
    {&partition_thunk<nothing_frame, &nothing_frame::p0>, "nothing#0", "nothing.cpp", 1, 1, "", -1},
    {&partition_thunk<nothing_frame, &nothing_frame::p1>, "nothing#1", "nothing.cpp", 1, 1, "", -1},
};
const ap_table nothing_frame::table = {"nothing", parts, 2, nullptr, 0, &nothing_frame::unwind};

}  // namespace

TEST_SUITE("ap amb") {
  TEST_CASE("amb: one branch per argument, in order; the next one starts when the previous branch ended") {
    event_log log;
    manual_task<int> a(log, "a");
    auto it = spawn_logged(pick(a, false), log, "out");
    CHECK(log.take() == events{"a start"});
    CHECK(live_frames == 2);  // the template and branch 0
    a.succeed(5);
    CHECK(log.take() == events{"out notify"});
    // Branch 0 ends with the transfer; branch 1 ends without a value
    // (amb()); branch 2 emits 7, announced inside the transfer.
    CHECK(transfer_shown(it) == "5");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "7");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("amb_merge: every argument's branch runs at once") {
    event_log log;
    manual_task<int> a(log, "a");
    auto it = spawn_logged(pick(a, true), log, "out");
    CHECK(log.take() == events{"a start", "out notify"});
    CHECK(transfer_shown(it) == "7");
    CHECK(log.take() == events{});
    a.succeed(5);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "5");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("amb() ends the process without a value, inside spawn") {
    event_log log;
    auto it = spawn_logged(make_ap<nothing_frame, int>(std::size_t{1}), log, "out");
    CHECK(log.take() == events{"out terminate"});
    auto it0 = spawn_logged(make_ap<nothing_frame, int>(std::size_t{0}), log, "out");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("amb over a task that completes synchronously emits every value in order") {
    event_log log;
    auto it = spawn_logged(pick(sync_value(3), false), log, "out");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "3");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "7");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("an error in an amb branch is thrown by its transfer and later branches are discarded") {
    event_log log;
    manual_task<int> a(log, "a");
    auto it = spawn_logged(pick(a, false), log, "out");
    CHECK(log.take() == events{"a start"});
    a.fail("a failed");
    CHECK(log.take() == events{"out notify"});
    // The error's transfer ends branch 0; branches 1 and 2 still run, and
    // 7 is discarded.
    CHECK(transfer_shown(it) == "err a failed");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("cancel while an amb branch is parked cancels the park; later branches are born cancelled") {
    event_log log;
    manual_task<int> a(log, "a");
    auto it = spawn_logged(pick(a, false), log, "out");
    CHECK(log.take() == events{"a start"});
    it.cancel();
    CHECK(log.take() == events{"a cancel", "out notify"});
    CHECK(transfer_shown(it) == "err cancelled: manual task cancelled");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("cancel after an amb_merge emitted keeps the queued value") {
    event_log log;
    manual_task<int> a(log, "a");
    auto it = spawn_logged(pick(a, true), log, "out");
    CHECK(log.take() == events{"a start", "out notify"});
    it.cancel();
    CHECK(log.take() == events{"a cancel"});  // the cancelled park's error waits behind 7
    CHECK(transfer_shown(it) == "7");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err cancelled: manual task cancelled");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }
}
