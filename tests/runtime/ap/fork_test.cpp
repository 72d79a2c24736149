// SPDX-License-Identifier: MIT
// fork (Missionary ?>) with parallelism 1 and n, and fork_merge (?=), run by
// the ap driver on hand-written frames (ap_frames.hpp).
#include "ap_frames.hpp"

#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/run_blocking.hpp>

#include <numeric>
#include <thread>

using namespace ap_test;
using braid::testing::manual_flow;
using braid::testing::spawn_logged;
using braid::testing::transfer_shown;

namespace {

// BRAID_AP flow<int> zero(flow<int> in) { return fork(0, in); }
struct zero_frame final : ap_frame<int>, counted {
  flow<int> in;
  slot<int> s0;
  explicit zero_frame(flow<int> in) : ap_frame(table), in(std::move(in)) {}
  zero_frame(const zero_frame& o) : ap_frame(o), counted(o) {}
  ap_core* clone() const override { return new zero_frame(*this); }
  step p0() { return fork(0, std::move(in), 1, s0); }
  step p1() { return finish_with(s0.take()); }
  static void unwind(ap_core*, std::int32_t) noexcept {}
  static const ap_partition_info parts[2];
  static const ap_table table;
};
const ap_partition_info zero_frame::parts[2] = {
    {&partition_thunk<zero_frame, &zero_frame::p0>, "zero#0", "zero.cpp", 1, 1, "", -1},
    {&partition_thunk<zero_frame, &zero_frame::p1>, "zero#1", "zero.cpp", 1, 1, "", -1}};
const ap_table zero_frame::table = {"zero", parts, 2, nullptr, 0, &zero_frame::unwind};

bool g_fail_copies = false;

/// A kept local whose copy throws while g_fail_copies is set.
struct fragile {
  fragile() = default;
  fragile(const fragile&) {
    if (g_fail_copies) throw std::runtime_error("copy failed");
  }
};

// BRAID_AP flow<int> brittle(flow<int> in) {
//   fragile k;           // live across the fork: every clone copies it
//   int x = fork(in);
//   use(k);
//   return x;
// }
struct brittle_frame final : ap_frame<int>, counted {
  flow<int> in;
  fragile k;
  slot<int> s0;
  explicit brittle_frame(flow<int> in) : ap_frame(table), in(std::move(in)) {}
  brittle_frame(const brittle_frame& o) : ap_frame(o), counted(o), k(o.k) {}
  ap_core* clone() const override { return new brittle_frame(*this); }
  step p0() { return fork(std::move(in), 1, s0); }
  step p1() { return finish_with(s0.take()); }
  static void unwind(ap_core*, std::int32_t) noexcept {}
  static const ap_partition_info parts[2];
  static const ap_table table;
};
const ap_partition_info brittle_frame::parts[2] = {
    {&partition_thunk<brittle_frame, &brittle_frame::p0>, "brittle#0", "brittle.cpp", 3, 11, "k", -1},
    {&partition_thunk<brittle_frame, &brittle_frame::p1>, "brittle#1", "brittle.cpp", 3, 11, "k", -1}};
const ap_table brittle_frame::table = {"brittle", parts, 2, nullptr, 0, &brittle_frame::unwind};

}  // namespace

TEST_SUITE("ap fork") {
  TEST_CASE("fork: one branch per value, in order; the next value is pulled only when the branch ended") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    {
      auto it = spawn_logged(work(in, how::one, b.fn()), log, "out");
      CHECK(log.take() == events{"in spawn"});
      in.emit(1);
      CHECK(log.take() == events{"in transfer", "w1 start"});
      in.emit(2);  // one branch runs: backpressure, no transfer
      CHECK(log.take() == events{});
      b[1].succeed(10);
      CHECK(log.take() == events{"out notify"});
      CHECK(live_frames == 2);  // the template and the branch waiting for its transfer
      // The branch ends with its transfer; the next value is pulled inside it.
      CHECK(transfer_shown(it) == "10");
      CHECK(log.take() == events{"in transfer", "w2 start"});
      in.terminate();
      CHECK(log.take() == events{});
      b[2].succeed(20);
      CHECK(log.take() == events{"out notify"});
      CHECK(transfer_shown(it) == "20");
      CHECK(log.take() == events{"out terminate"});
    }
    CHECK(live_frames == 0);
  }

  TEST_CASE("fork: an input that terminates at once ends the process without a value") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::one, b.fn()), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("fork(n): up to n branches run at once and values are emitted as branches finish") {
    // transform-cases.md case 35: interleaved completion.
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::par2, b.fn()), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.emit(1);
    CHECK(log.take() == events{"in transfer", "w1 start"});
    in.emit(2);
    CHECK(log.take() == events{"in transfer", "w2 start"});
    in.emit(3);  // two branches run: the third value waits
    CHECK(log.take() == events{});
    b[2].succeed(20);
    CHECK(log.take() == events{"out notify"});
    b[1].succeed(10);  // queued behind 20: no second notification before the transfer
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "20");  // branch 2 ends: value 3 is pulled; 10 is announced
    CHECK(log.take() == events{"out notify", "in transfer", "w3 start"});
    CHECK(transfer_shown(it) == "10");
    CHECK(log.take() == events{});
    in.terminate();
    b[3].succeed(30);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "30");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("fork_merge: every value gets a branch at once") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::merge, b.fn()), log, "out");
    CHECK(log.take() == events{"in spawn"});
    for (int i = 1; i <= 4; ++i) in.emit(i);
    CHECK(log.take() == events{"in transfer", "w1 start", "in transfer", "w2 start", "in transfer",
                               "w3 start", "in transfer", "w4 start"});
    in.terminate();
    b[3].succeed(30);
    b[4].succeed(40);
    b[1].succeed(10);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "30");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "40");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "10");
    CHECK(log.take() == events{});
    b[2].succeed(20);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "20");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("fork over a source that re-notifies inside its transfer runs each branch in turn") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(work(in, how::one, [](int x) { return sync_value(x * 10); }), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.emit_in_transfer(2);
    in.emit(1);
    CHECK(log.take() == events{"in transfer", "out notify"});
    in.terminate_in_transfer();
    CHECK(transfer_shown(it) == "10");
    CHECK(log.take() == events{"in transfer", "out notify"});
    CHECK(transfer_shown(it) == "20");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("an error from the input is thrown in a new branch at the fork point") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::one, b.fn()), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.terminate_in_transfer();
    in.fail("boom");
    CHECK(log.take() == events{"in transfer", "out notify"});
    CHECK(transfer_shown(it) == "err boom");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("a branch error cancels the tree, discards queued values and is thrown by its transfer") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::merge, b.fn()), log, "out");
    in.emit(1);
    in.emit(2);
    in.emit(3);
    CHECK(log.take() == events{"in spawn", "in transfer", "w1 start", "in transfer", "w2 start",
                               "in transfer", "w3 start"});
    b[1].fail("w1 failed");
    CHECK(log.take() == events{"out notify"});
    b[2].succeed(20);  // queued behind the error
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "err w1 failed");
    CHECK(log.take() == events{"in cancel", "w3 cancel"});
    // w3's park throws cancelled: the branch fails, but after an error
    // everything produced is discarded.
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("cancel right after spawn cancels the input; its cancelled transfer fails the branch") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::one, b.fn()), log, "out");
    CHECK(log.take() == events{"in spawn"});
    it.cancel();
    CHECK(log.take() == events{"in cancel"});
    it.cancel();  // idempotent
    CHECK(log.take() == events{});
    in.fail(braid::cancelled_error("flow cancelled"));
    CHECK(log.take() == events{"in transfer", "out notify"});
    in.terminate();
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "err cancelled: flow cancelled");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("cancel while branches run reaches every branch's park and the input") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::par2, b.fn()), log, "out");
    in.emit(1);
    in.emit(2);
    CHECK(log.take() == events{"in spawn", "in transfer", "w1 start", "in transfer", "w2 start"});
    it.cancel();
    // The input first, then the branches (newest first); each cancelled park
    // fails its branch: the first error is announced.
    CHECK(log.take() == events{"in cancel", "w2 cancel", "w1 cancel", "out notify"});
    CHECK(transfer_shown(it) == "err cancelled: manual task cancelled");
    CHECK(log.take() == events{});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("a value emitted before cancellation is still delivered; cancel after the end does nothing") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::one, b.fn()), log, "out");
    in.emit(1);
    b[1].succeed(10);
    CHECK(log.take() == events{"in spawn", "in transfer", "w1 start", "out notify"});
    it.cancel();
    CHECK(log.take() == events{"in cancel"});
    in.terminate();
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "10");
    CHECK(log.take() == events{"out terminate"});
    it.cancel();
    CHECK(log.take() == events{});
    CHECK(live_frames == 0);
  }

  TEST_CASE("a park reached after cancellation is started and cancelled at once") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::one, b.fn()), log, "out");
    it.cancel();
    CHECK(log.take() == events{"in spawn", "in cancel"});
    in.emit(1);  // the cancelled source still yields a value: its branch is born cancelled
    CHECK(log.take() == events{"in transfer", "w1 start", "w1 cancel", "out notify"});
    in.terminate();
    CHECK(transfer_shown(it) == "err cancelled: manual task cancelled");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("an exception from user code in a branch fails that branch") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(work(in, how::merge,
                                [](int x) -> task<int> {
                                  if (x == 2) throw std::runtime_error("no task for 2");
                                  return task<int>(x * 10);
                                }),
                           log, "out");
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify"});
    in.emit(2);
    CHECK(log.take() == events{"in transfer"});
    CHECK(transfer_shown(it) == "10");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err no task for 2");
    CHECK(log.take() == events{"in cancel"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("a clone that throws fails the forking branch once its input has ended") {
    event_log log;
    manual_flow<int> in(log, "in");
    g_fail_copies = false;
    auto it = spawn_logged(make_ap<brittle_frame, int>(in.get()), log, "out");
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify"});
    CHECK(transfer_shown(it) == "1");
    g_fail_copies = true;
    in.emit(2);  // the value is taken and dropped; the input is cancelled
    CHECK(log.take() == events{"in transfer", "in cancel"});
    g_fail_copies = false;
    in.terminate();
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err copy failed");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("fork(0, f) is a misuse: the branch fails with a message naming it") {
    event_log log;
    auto it = spawn_logged(make_ap<zero_frame, int>(flow<int>(5)), log, "out");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) ==
          "err braid: fork(n, f) with parallelism 0 can never run a branch; use n >= 1 (or "
          "fork_merge for unbounded parallelism)");
    CHECK(log.take() == events{"out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("a transfer without a notification is a misuse with a clear error") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(work(in, how::one, b.fn()), log, "out");
    CHECK(transfer_shown(it) ==
          "err braid: transfer on an ap flow without a pending notification; transfer once per "
          "notification");
    it.cancel();
    in.terminate();
    CHECK(log.take() == events{"in spawn", "in cancel", "out terminate"});
  }

  TEST_CASE("branches completed from another thread") {
    // Real threads: completion races with the consumer; joined before the end.
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    std::atomic<int> notified{0};
    auto it = work(in, how::merge, b.fn()).spawn([&] { ++notified; }, [&] { log("out terminate"); });
    for (int i = 1; i <= 3; ++i) in.emit(i);
    in.terminate();
    std::thread t1([&] { b[1].succeed(10); });
    std::thread t2([&] { b[2].succeed(20); });
    std::thread t3([&] { b[3].succeed(30); });
    t1.join();
    t2.join();
    t3.join();
    int sum = 0;
    for (int i = 0; i < 3; ++i) {
      REQUIRE(notified.load() == i + 1);
      sum += it.transfer();
    }
    CHECK(sum == 60);
    CHECK(log.take() == events{"in spawn", "in transfer", "w1 start", "in transfer", "w2 start",
                               "in transfer", "w3 start", "out terminate"});
    CHECK(live_frames == 0);
  }

  TEST_CASE("fork over a seed of 1,000,000 values runs in constant stack") {
    std::vector<int> v(1'000'000);
    std::iota(v.begin(), v.end(), 0);
    long long got = 0;
    braid::testing::run_on_small_stack(
        [&] {
          got = run_blocking(reduce([](long long a, int x) { return a + x; }, 0LL, echo(seed(v), false)));
        },
        256 * 1024);
    CHECK(got == 499'999'500'000LL);
    CHECK(live_frames == 0);
  }

  TEST_CASE("fork_merge of 100,000 branches, each parking once, runs in constant stack") {
    std::vector<int> v(100'000);
    std::iota(v.begin(), v.end(), 0);
    long long got = 0;
    braid::testing::run_on_small_stack(
        [&] {
          got = run_blocking(reduce([](long long a, int x) { return a + x; }, 0LL, echo(seed(v), true)));
        },
        256 * 1024);
    CHECK(got == 4'999'950'000LL);
    CHECK(live_frames == 0);
  }
}
