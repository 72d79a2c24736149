// SPDX-License-Identifier: MIT
// W1 park chain: one sequential process loops n times parking on a task
// that completes at once with i, summing. Two kinds of child:
// - an immediate task (`task<int>(i)`, what `return i;` converts to): the
//   driver takes the value on the spot (no process, no atomics);
// - a child sp process (`BRAID_SP task<int> value(int i) { return i; }`):
//   a full run per park (recipe + frame, start, handshake).
// The frames are hand-written in exactly the shape braidc emits
// (docs/driver.md, tests/runtime/sp_driver_test.cpp); when braidc is built,
// the same source compiled by braidc runs too (bench/braidc/w1_park.cpp).
#include "baselines/w1_park.hpp"

#include <braid/braid.hpp>
#include <cstdint>

#include "common/harness.hpp"
#if defined(BENCH_HAVE_ASIO)
#include "baselines/asio.hpp"
#endif

using namespace braid;
using namespace braid::detail;

namespace {

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
    {&partition_thunk<value_frame, &value_frame::p0>, "value#0", "w1_park.cpp", 1, 1, "", -1},
};
const frame_table value_frame::table = {"value", parts, 1, nullptr, 0, &value_frame::unwind};

task<int> value(int i) { return make_sp<value_frame, int>(i); }

// BRAID_SP task<std::int64_t> total(long n, bool immediate) {
//   std::int64_t sum = 0;
//   for (long i = 0; i < n; ++i)
//     sum += park(immediate ? task<int>(int(i)) : value(int(i)));
//   return sum;
// }
struct total_frame final : sp_frame<std::int64_t> {
  long n;
  bool immediate;
  std::int64_t sum;
  long i;
  slot<int> s0;

  total_frame(long n, bool immediate) : sp_frame(table), n(n), immediate(immediate) {}

  step p0() {
    sum = 0;
    i = 0;
    return step{1};
  }
  step p1() {
    if (!(i < n)) return finish_with(sum);
    return park(immediate ? task<int>(static_cast<int>(i)) : value(static_cast<int>(i)), 2, s0);
  }
  step p2() {
    sum += s0.take();
    ++i;
    return step{1};
  }
  static void unwind(sp_core*, std::int32_t) noexcept {}
  static const partition_info parts[3];
  static const frame_table table;
};
const partition_info total_frame::parts[3] = {
    {&partition_thunk<total_frame, &total_frame::p0>, "total#0", "w1_park.cpp", 1, 1, "", -1},
    {&partition_thunk<total_frame, &total_frame::p1>, "total#1", "w1_park.cpp", 3, 3, "n, immediate, sum, i", -1},
    {&partition_thunk<total_frame, &total_frame::p2>, "total#2", "w1_park.cpp", 4, 12, "n, immediate, sum, i", -1},
};
const frame_table total_frame::table = {"total", parts, 3, nullptr, 0, &total_frame::unwind};

task<std::int64_t> total(long n, bool immediate) { return make_sp<total_frame, std::int64_t>(n, immediate); }

}  // namespace

#if defined(BENCH_HAVE_BRAIDC)
// bench/braidc/w1_park.cpp, compiled by braidc.
namespace bench_braidc {
braid::task<std::int64_t> total_immediate(long n);
braid::task<std::int64_t> total_child(long n);
}  // namespace bench_braidc
#endif

int main(int argc, char** argv) {
  bench::options o = bench::parse(argc, argv, 10'000'000);
  bench::suite s("W1", "park chain: one sp parks n times on a task completing at once with i, summing", o);
  s.expect(static_cast<std::int64_t>(o.n) * (o.n - 1) / 2);
  s.add("braid immediate (hand frame)", bench::side::braid, [](long n) { return run_blocking(total(n, true)); });
  s.add("braid sp child (hand frame)", bench::side::braid, [](long n) { return run_blocking(total(n, false)); });
#if defined(BENCH_HAVE_BRAIDC)
  s.add("braid immediate (braidc)", bench::side::braid,
        [](long n) { return run_blocking(bench_braidc::total_immediate(n)); });
  s.add("braid sp child (braidc)", bench::side::braid,
        [](long n) { return run_blocking(bench_braidc::total_child(n)); });
#endif
  s.add("callbacks", bench::side::baseline, &baselines::w1::callbacks);
  s.add("coroutine", bench::side::baseline, &baselines::w1::coroutine);
#if defined(BENCH_HAVE_ASIO)
  s.add("Boost.Asio awaitable", bench::side::baseline, &baselines::asio::w1);
#endif
  return s.finish();
}
