// SPDX-License-Identifier: MIT
// W4 stream: a flow of 0..n-1 consumed with backpressure by a process that
// maps x*2 and sums: reduce(+, 0, eduction(xf::map(x*2), seed(0..n-1))).
// Also the same with the map fused into reduce's function, which shows what
// the eduction stage costs. seed copies its range into a vector when the
// flow is built; that is done once per n, outside the timed runs (the
// generator and callback baselines produce values on demand).
// (A BRAID_AP version with fork is for when braidc compiles ap.)
#include <braid/braid.hpp>
#include <braid/op/eduction.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/op/xf.hpp>

#include "baselines/w4_stream.hpp"
#include "common/harness.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <ranges>

using namespace braid;

namespace {

const flow<int>& source(long n) {
  static std::map<long, flow<int>> built;
  auto it = built.find(n);
  if (it == built.end()) it = built.emplace(n, seed(std::views::iota(0, static_cast<int>(n)))).first;
  return it->second;
}

std::int64_t eduction_map(long n) {
  flow<std::int64_t> doubled =
      eduction(xf::map([](int x) { return static_cast<std::int64_t>(x) * 2; }), source(n));
  return run_blocking(reduce(std::plus<>{}, std::int64_t{0}, std::move(doubled)));
}

std::int64_t fused(long n) {
  return run_blocking(
      reduce([](std::int64_t acc, int x) { return acc + static_cast<std::int64_t>(x) * 2; }, std::int64_t{0}, source(n)));
}

}  // namespace

int main(int argc, char** argv) {
  bench::options o = bench::parse(argc, argv, 10'000'000);
  bench::suite s("W4", "stream: flow of 0..n-1, mapped x*2 and summed with backpressure", o);
  s.expect(static_cast<std::int64_t>(o.n) * (o.n - 1));
  source(o.n);
  s.add("braid seed+eduction(map)+reduce", bench::side::braid, &eduction_map);
  s.add("braid seed+reduce (map in f)", bench::side::braid, &fused);
  s.add("callbacks", bench::side::baseline, &baselines::w4::callbacks);
  s.add("coroutine async_generator", bench::side::baseline, &baselines::w4::coroutine);
  return s.finish();
}
