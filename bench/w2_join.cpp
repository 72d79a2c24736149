// SPDX-License-Identifier: MIT
// W2 fan-out: join_all of n children that complete at once with i, summed;
// and the peak heap bytes per child over the whole run (building the
// children, joining, collecting the values), from the counting allocator.
// Children are immediate tasks (`task<int>(i)`) or child sp processes, as
// in W1.
#include "baselines/w2_join.hpp"

#include <braid/braid.hpp>
#include <braid/op/join.hpp>
#include <cstdint>
#include <vector>

#include "common/counting_alloc.hpp"
#include "common/harness.hpp"

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
    {&partition_thunk<value_frame, &value_frame::p0>, "value#0", "w2_join.cpp", 1, 1, "", -1},
};
const frame_table value_frame::table = {"value", parts, 1, nullptr, 0, &value_frame::unwind};

task<int> value(int i) { return make_sp<value_frame, int>(i); }

std::int64_t fan_out(long n, bool immediate) {
  std::vector<task<int>> ts;
  ts.reserve(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) ts.push_back(immediate ? task<int>(static_cast<int>(i)) : value(static_cast<int>(i)));
  std::vector<int> vs = run_blocking(join_all(std::move(ts)));
  std::int64_t s = 0;
  for (int v : vs) s += v;
  return s;
}

// Runs f(n) and reports the peak heap bytes and the allocations per child.
template <class F>
bench::suite::body measured(F f) {
  return [f](long n, bench::metrics& m) {
    const std::int64_t base = bench::alloc::reset_peak();
    const std::int64_t allocs = bench::alloc::allocations.load(std::memory_order_relaxed);
    std::int64_t r = f(n);
    if (!bench::alloc::enabled) return r;
    m.set("peak_B/child", static_cast<double>(bench::alloc::peak_bytes.load() - base) / static_cast<double>(n));
    m.set("allocs/child", static_cast<double>(bench::alloc::allocations.load(std::memory_order_relaxed) - allocs) /
                              static_cast<double>(n));
    return r;
  };
}

}  // namespace

int main(int argc, char** argv) {
  bench::options o = bench::parse(argc, argv, 1'000'000);
  bench::suite s("W2", "fan-out: join of n children completing at once with i, summed; peak heap per child", o);
  s.expect(static_cast<std::int64_t>(o.n) * (o.n - 1) / 2);
  s.add("braid join_all, immediate", bench::side::braid, measured([](long n) { return fan_out(n, true); }));
  s.add("braid join_all, sp child (hand)", bench::side::braid, measured([](long n) { return fan_out(n, false); }));
  s.add("callbacks", bench::side::baseline, measured(&baselines::w2::callbacks));
  s.add("coroutine when_all", bench::side::baseline, measured(&baselines::w2::coroutine));
  return s.finish();
}
