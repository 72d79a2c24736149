// SPDX-License-Identifier: MIT
// W4 stream: a flow of 0..n-1 consumed with backpressure by a process that
// maps x*2 and sums: reduce(+, 0, eduction(xf::map(x*2), seed(0..n-1))).
// reduce runs an eduction's stages itself (transducer fusion); the variant
// "as a process" hides the fold, as any other consumer sees an eduction.
// Also the same with the map written into reduce's function, which shows
// what the eduction stage costs. seed copies its range into a vector when the
// flow is built; that is done once per n, outside the timed runs (the
// generator and callback baselines produce values on demand).
// The ap variant forks one branch per value (Missionary's ?>): on a
// hand-written frame (docs/ap.md) and, in a build with braidc, on the frame
// braidc generates from bench/braidc/w4_stream.cpp.
#include "baselines/w4_stream.hpp"

#include <braid/ap.hpp>
#include <braid/braid.hpp>
#include <braid/op/eduction.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/op/xf.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <ranges>

#include "common/harness.hpp"

using namespace braid;
using namespace braid::detail;

namespace {

// BRAID_AP flow<std::int64_t> doubled(flow<int> in) {
//   int x = fork(in);
//   return std::int64_t(x) * 2;
// }
struct doubled_frame final : ap_frame<std::int64_t> {
  flow<int> in;
  slot<int> s0;

  explicit doubled_frame(flow<int> in) : ap_frame(table), in(std::move(in)) {}
  // clone: nothing is live after the fork (x is the fork's own value).
  doubled_frame(const doubled_frame& o) : ap_frame(o) {}
  ap_core* clone() const override { return new doubled_frame(*this); }

  step p0() { return fork(std::move(in), 1, s0); }
  step p1() { return finish_with(static_cast<std::int64_t>(s0.take()) * 2); }
  static void unwind(ap_core*, std::int32_t) noexcept {}
  static const ap_partition_info parts[2];
  static const ap_table table;
};
const ap_partition_info doubled_frame::parts[2] = {
    {&partition_thunk<doubled_frame, &doubled_frame::p0>, "doubled#0", "w4_stream.cpp", 1, 1, "", -1},
    {&partition_thunk<doubled_frame, &doubled_frame::p1>, "doubled#1", "w4_stream.cpp", 2, 11, "", -1},
};
const ap_table doubled_frame::table = {"doubled", parts, 2, nullptr, 0, &doubled_frame::unwind};

flow<std::int64_t> doubled(flow<int> in) { return make_ap<doubled_frame, std::int64_t>(std::move(in)); }

const flow<int>& source(long n) {
  static std::map<long, flow<int>> built;
  auto it = built.find(n);
  if (it == built.end()) it = built.emplace(n, seed(std::views::iota(0, static_cast<int>(n)))).first;
  return it->second;
}

std::int64_t eduction_map(long n) {
  flow<std::int64_t> doubled = eduction(xf::map([](int x) { return static_cast<std::int64_t>(x) * 2; }), source(n));
  return run_blocking(reduce(std::plus<>{}, std::int64_t{0}, std::move(doubled)));
}

// The same eduction consumed through a process: reduce sees a flow that
// does not fold (any consumer but reduce consumes an eduction this way).
template <class T>
flow<T> through_process(flow<T> f) {
  struct impl final : flow_impl<T> {
    explicit impl(flow<T> f) : inner(std::move(f)) {}
    flow_process<T>* spawn(flow_listener l) const noexcept override { return inner.impl()->spawn(l); }
    flow<T> inner;
  };
  return flow<T>(std::make_shared<const impl>(std::move(f)));
}

std::int64_t eduction_unfused(long n) {
  flow<std::int64_t> doubled =
      through_process(eduction(xf::map([](int x) { return static_cast<std::int64_t>(x) * 2; }), source(n)));
  return run_blocking(reduce(std::plus<>{}, std::int64_t{0}, std::move(doubled)));
}

std::int64_t fused(long n) {
  return run_blocking(reduce([](std::int64_t acc, int x) { return acc + static_cast<std::int64_t>(x) * 2; },
                             std::int64_t{0}, source(n)));
}

std::int64_t ap_fork(long n) { return run_blocking(reduce(std::plus<>{}, std::int64_t{0}, doubled(source(n)))); }

}  // namespace

#if defined(BENCH_HAVE_BRAIDC)
// bench/braidc/w4_stream.cpp, compiled by braidc.
namespace bench_braidc {
braid::flow<std::int64_t> doubled(braid::flow<int> in);
}  // namespace bench_braidc
#endif

int main(int argc, char** argv) {
  bench::options o = bench::parse(argc, argv, 10'000'000);
  bench::suite s("W4", "stream: flow of 0..n-1, mapped x*2 and summed with backpressure", o);
  s.expect(static_cast<std::int64_t>(o.n) * (o.n - 1));
  source(o.n);
  s.add("braid seed+eduction(map)+reduce", bench::side::braid, &eduction_map);
  s.add("braid seed+eduction(map) as a process+reduce", bench::side::braid, &eduction_unfused);
  s.add("braid seed+reduce (map in f)", bench::side::braid, &fused);
  s.add("braid ap fork (hand frame)+reduce", bench::side::braid, &ap_fork);
#if defined(BENCH_HAVE_BRAIDC)
  s.add("braid ap fork (braidc)+reduce", bench::side::braid, [](long n) {
    return run_blocking(reduce(std::plus<>{}, std::int64_t{0}, bench_braidc::doubled(source(n))));
  });
#endif
  s.add("callbacks", bench::side::baseline, &baselines::w4::callbacks);
  s.add("coroutine async_generator", bench::side::baseline, &baselines::w4::coroutine);
  return s.finish();
}
