// SPDX-License-Identifier: MIT
// Hand-written ap frames in the shape braidc emits (docs/ap.md), shared by
// the ap driver tests. Each frame's comment shows the annotated source it
// stands for.
#pragma once

#include <braid/ap.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ap_test {

using namespace braid;
using namespace braid::detail;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_task;

/// Frames alive right now (every frame class below counts itself).
inline std::atomic<int> live_frames{0};

struct counted {
  counted() noexcept { ++live_frames; }
  counted(const counted&) noexcept { ++live_frames; }
  ~counted() { --live_frames; }
};

/// A task that completes synchronously inside start but is not an immediate
/// value: a park on it goes through the driver's event path.
inline task<int> sync_value(int v) {
  return make_task<int>([v](auto ok, auto) { ok(v); });
}

using bank = braid::testing::task_bank;

/// How work_frame forks: fork(in), fork(n, in), fork_merge(in), fork_switch(in).
enum class how { one, par2, par3, merge, swtch };

// BRAID_AP flow<int> work(flow<int> in, how h, std::function<task<int>(int)> f) {
//   int x = fork(in);          // or fork(2, in), fork(3, in), fork_merge(in), fork_switch(in)
//   int y = park(f(x));
//   return y;
// }
struct work_frame final : ap_frame<int>, counted {
  flow<int> in;
  how h;
  std::function<task<int>(int)> f;
  int x;
  slot<int> s0, s1;

  work_frame(flow<int> in, how h, std::function<task<int>(int)> f)
      : ap_frame(table), in(std::move(in)), h(h), f(std::move(f)) {}
  // clone: only f is live after the fork (x is assigned after it).
  work_frame(const work_frame& o) : ap_frame(o), counted(o), h(o.h), f(o.f) {}
  ap_core* clone() const override { return new work_frame(*this); }

  step p0() {
    switch (h) {
      case how::one: return fork(std::move(in), 1, s0);
      case how::par2: return fork(2, std::move(in), 1, s0);
      case how::par3: return fork(3, std::move(in), 1, s0);
      case how::merge: return fork_merge(std::move(in), 1, s0);
      case how::swtch: return fork_switch(std::move(in), 1, s0);
    }
    return step{1};
  }
  step p1() {
    x = s0.take();
    return park(f(x), 2, s1);
  }
  step p2() { return finish_with(s1.take()); }
  static void unwind(ap_core*, std::int32_t) noexcept {}
  static const ap_partition_info parts[3];
  static const ap_table table;
};
inline const ap_partition_info work_frame::parts[3] = {
    {&partition_thunk<work_frame, &work_frame::p0>, "work#0", "work.cpp", 2, 11, "", -1},
    {&partition_thunk<work_frame, &work_frame::p1>, "work#1", "work.cpp", 2, 11, "f", -1},
    {&partition_thunk<work_frame, &work_frame::p2>, "work#2", "work.cpp", 3, 11, "f, x", -1},
};
inline const ap_table work_frame::table = {"work", parts, 3, nullptr, 0, &work_frame::unwind};

inline flow<int> work(flow<int> in, how h, std::function<task<int>(int)> f) {
  return make_ap<work_frame, int>(std::move(in), h, std::move(f));
}

// BRAID_AP flow<int> echo(flow<int> in, bool merge) {
//   int x = merge ? fork_merge(in) : fork(in);
//   return merge ? park(sync_value(x)) : x;
// }
struct echo_frame final : ap_frame<int>, counted {
  flow<int> in;
  bool merge;
  slot<int> s0, s1;

  echo_frame(flow<int> in, bool merge) : ap_frame(table), in(std::move(in)), merge(merge) {}
  echo_frame(const echo_frame& o) : ap_frame(o), counted(o), merge(o.merge) {}
  ap_core* clone() const override { return new echo_frame(*this); }

  step p0() { return merge ? fork_merge(std::move(in), 1, s0) : fork(std::move(in), 1, s0); }
  step p1() {
    int x = s0.take();
    if (merge) return park(sync_value(x), 2, s1);
    return finish_with(x);
  }
  step p2() { return finish_with(s1.take()); }
  static void unwind(ap_core*, std::int32_t) noexcept {}
  static const ap_partition_info parts[3];
  static const ap_table table;
};
inline const ap_partition_info echo_frame::parts[3] = {
    {&partition_thunk<echo_frame, &echo_frame::p0>, "echo#0", "echo.cpp", 2, 11, "", -1},
    {&partition_thunk<echo_frame, &echo_frame::p1>, "echo#1", "echo.cpp", 2, 11, "merge", -1},
    {&partition_thunk<echo_frame, &echo_frame::p2>, "echo#2", "echo.cpp", 3, 10, "", -1},
};
inline const ap_table echo_frame::table = {"echo", parts, 3, nullptr, 0, &echo_frame::unwind};

inline flow<int> echo(flow<int> in, bool merge) { return make_ap<echo_frame, int>(std::move(in), merge); }

/// Logs "+name" when made, "+name copy" when copied (a clone), "~name" when destroyed.
struct tracer {
  event_log* log;
  std::string name;
  tracer(event_log& l, std::string n) : log(&l), name(std::move(n)) { (*log)("+" + name); }
  tracer(const tracer& o) : log(o.log), name(o.name) { (*log)("+" + name + " copy"); }
  ~tracer() { (*log)("~" + name); }
};

}  // namespace ap_test
