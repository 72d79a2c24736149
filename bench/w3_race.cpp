// SPDX-License-Identifier: MIT
// W3 race and cancel: one sp runs n races in a row, each of never() (which
// only ends when cancelled) against a task completing at once with i, and
// sums the winners. A race ends only after every child ended, so each
// completed race means the loser's cancellation was delivered and its end
// observed; the baselines count those cancellations and check them.
#include "baselines/w3_race.hpp"

#include <braid/braid.hpp>
#include <braid/op/never.hpp>
#include <braid/op/race.hpp>
#include <cstdint>

#include "common/harness.hpp"

using namespace braid;
using namespace braid::detail;

namespace {

// BRAID_SP task<std::int64_t> races(long n) {
//   std::int64_t sum = 0;
//   for (long i = 0; i < n; ++i) sum += park(race(never<int>(), task<int>(int(i))));
//   return sum;
// }
struct races_frame final : sp_frame<std::int64_t> {
  long n;
  std::int64_t sum;
  long i;
  slot<int> s0;

  explicit races_frame(long n) : sp_frame(table), n(n) {}

  step p0() {
    sum = 0;
    i = 0;
    return step{1};
  }
  step p1() {
    if (!(i < n)) return finish_with(sum);
    return park(race(never<int>(), task<int>(static_cast<int>(i))), 2, s0);
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
const partition_info races_frame::parts[3] = {
    {&partition_thunk<races_frame, &races_frame::p0>, "races#0", "w3_race.cpp", 1, 1, "", -1},
    {&partition_thunk<races_frame, &races_frame::p1>, "races#1", "w3_race.cpp", 3, 3, "n, sum, i", -1},
    {&partition_thunk<races_frame, &races_frame::p2>, "races#2", "w3_race.cpp", 3, 36, "n, sum, i", -1},
};
const frame_table races_frame::table = {"races", parts, 3, nullptr, 0, &races_frame::unwind};

task<std::int64_t> races(long n) { return make_sp<races_frame, std::int64_t>(n); }

std::int64_t callbacks(long n) {
  baselines::w3::race_loop l(n);
  std::int64_t s = l.run();
  bench::check(l.cancellations() == n, "%ld cancellations observed, expected %ld", l.cancellations(), n);
  return s;
}

}  // namespace

#if defined(BENCH_HAVE_BRAIDC)
// bench/braidc/w3_race.cpp, compiled by braidc.
namespace bench_braidc {
braid::task<std::int64_t> races(long n);
}
#endif

int main(int argc, char** argv) {
  bench::options o = bench::parse(argc, argv, 1'000'000);
  bench::suite s("W3", "race and cancel: n races of never() against a task completing at once with i", o);
  s.expect(static_cast<std::int64_t>(o.n) * (o.n - 1) / 2);
  s.add("braid race(never, i) (hand frame)", bench::side::braid, [](long n) { return run_blocking(races(n)); });
#if defined(BENCH_HAVE_BRAIDC)
  s.add("braid race(never, i) (braidc)", bench::side::braid,
        [](long n) { return run_blocking(bench_braidc::races(n)); });
#endif
  s.add("callbacks", bench::side::baseline, &callbacks);
  s.add("coroutine (stop_token)", bench::side::baseline,
        [](long n) { return coro::sync_wait(baselines::w3::races(n)); });
  return s.finish();
}
