// SPDX-License-Identifier: MIT
// W5 suspended memory: n sp processes, each parked on a dfv that is never
// assigned. Reports the heap bytes per suspended process (counting
// allocator: everything a parked process holds, nothing shared), then
// cancels every process and checks that each observed its cancellation
// (the checksum sums their indices), that every frame was destroyed (a
// destructor count) and that the heap is back where it started.
#include "baselines/w5_suspend.hpp"

#include <braid/braid.hpp>
#include <braid/op/dfv.hpp>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/counting_alloc.hpp"
#include "common/harness.hpp"
#if defined(BENCH_HAVE_ASIO)
#include "baselines/asio.hpp"
#endif

using namespace braid;
using namespace braid::detail;
using baselines::w5::counted;
using baselines::w5::counts;

namespace {

long g_frames_destroyed = 0;

// BRAID_SP task<int> waiter(dfv<int> d, counts& c) {
//   counted guard(c);
//   return park(d.deref());
// }
struct waiter_frame final : sp_frame<int> {
  dfv<int> d;
  counts* c;  // T& parameter: kept as a reference
  union { counted guard; };  // a kept local with a destructor, as braidc keeps it
  bool alive_guard = false;
  slot<int> s0;

  waiter_frame(dfv<int> d, std::reference_wrapper<counts> c) : sp_frame(table), d(std::move(d)), c(&c.get()) {}
  ~waiter_frame() override { ++g_frames_destroyed; }

  step p0() {
    ::new (kept_storage(guard)) counted(*c);
    alive_guard = true;
    return park(d.deref(), 1, s0);
  }
  step p1() { return finish_with(s0.take()); }
  static void unwind(sp_core* f, std::int32_t) noexcept {
    auto* self = static_cast<waiter_frame*>(f);
    kept_destroy(self->guard, self->alive_guard);
  }
  static const partition_info parts[2];
  static const frame_table table;
};
const partition_info waiter_frame::parts[2] = {
    {&partition_thunk<waiter_frame, &waiter_frame::p0>, "waiter#0", "w5_suspend.cpp", 1, 1, "", -1},
    {&partition_thunk<waiter_frame, &waiter_frame::p1>, "waiter#1", "w5_suspend.cpp", 3, 10, "guard", -1},
};
const frame_table waiter_frame::table = {"waiter", parts, 2, nullptr, 0, &waiter_frame::unwind};

task<int> hand_waiter(dfv<int> d, counts& c) { return make_sp<waiter_frame, int>(std::move(d), std::ref(c)); }

// Samples the heap when every process is parked.
struct probe {
  std::int64_t at_start = 0;
  std::int64_t before = 0;
  std::int64_t during = 0;
  void before_fn() { before = bench::alloc::live_bytes.load(std::memory_order_relaxed); }
  void during_fn() { during = bench::alloc::live_bytes.load(std::memory_order_relaxed); }
};
struct probe_ref {
  probe* p;
  void before() const { p->before_fn(); }
  void during() const { p->during_fn(); }
};

}  // namespace

#if defined(BENCH_HAVE_BRAIDC)
// bench/braidc/w5_suspend.cpp, compiled by braidc.
namespace bench_braidc {
braid::task<int> waiter(braid::dfv<int> d, baselines::w5::counts& c);
}
#endif

namespace {

using make_waiter = task<int> (*)(dfv<int>, counts&);

std::int64_t braid_side(make_waiter make, long n, counts& c, probe_ref pr) {
  dfv<int> d;
  task<int> t = make(d, c);  // one recipe, run n times
  std::vector<canceller> cs;
  cs.reserve(static_cast<std::size_t>(n));
  pr.before();
  // Every failure is counted as an observed cancellation; that each one is
  // braid::cancelled is checked on the last (they are all made the same
  // way). Testing each with is_cancelled would cost every process a second
  // throw, which the coroutine baseline (one catch by type) does not pay.
  std::exception_ptr last;
  for (long i = 0; i < n; ++i)
    cs.push_back(t.run([](int) {},
                       [&c, &last, i](std::exception_ptr e) {
                         c.cancelled_sum += i;
                         last = std::move(e);
                       }));
  pr.during();
  for (auto& x : cs) x();
  bench::check(is_cancelled(last), "the processes did not fail with braid::cancelled");
  return c.cancelled_sum;
}

// Runs one side and checks the teardown.
template <class F>
bench::suite::body measured(F side, bool count_frames) {
  return [side, count_frames](long n, bench::metrics& m) {
    probe p;
    p.at_start = bench::alloc::live_bytes.load(std::memory_order_relaxed);
    counts c;
    g_frames_destroyed = 0;
    std::int64_t r = side(n, c, probe_ref{&p});
    // Read before anything here allocates (the metrics do).
    const std::int64_t left = bench::alloc::live_bytes.load(std::memory_order_relaxed) - p.at_start;
    if (bench::alloc::enabled) m.set("B/suspended", static_cast<double>(p.during - p.before) / static_cast<double>(n));
    bench::check(c.destroyed == n, "destroyed %ld of %ld process states", c.destroyed, n);
    if (count_frames) bench::check(g_frames_destroyed == n, "destroyed %ld of %ld frames", g_frames_destroyed, n);
    bench::check(!bench::alloc::enabled || left == 0, "%lld heap bytes still allocated after every process ended",
                 static_cast<long long>(left));
    return r;
  };
}

}  // namespace

int main(int argc, char** argv) {
  // A memory benchmark: every process's block must be the counting
  // allocator's, allocated and freed (detail/frame_cache.hpp).
  braid::detail::frame_cache_disable();
  bench::options o = bench::parse(argc, argv, 1'000'000);
  bench::suite s(
      "W5", "suspended memory: n sp parked on a never-assigned dfv, then all cancelled (ns/op: spawn + cancel)", o);
  s.expect(static_cast<std::int64_t>(o.n) * (o.n - 1) / 2);
  s.add("braid sp on dfv (hand frame)", bench::side::braid,
        measured([](long n, counts& c, probe_ref pr) { return braid_side(&hand_waiter, n, c, pr); }, true));
#if defined(BENCH_HAVE_BRAIDC)
  // braidc's frame cannot count itself: the kept local's destructor count and
  // the heap coming back to its start are checked.
  s.add("braid sp on dfv (braidc)", bench::side::braid,
        measured([](long n, counts& c, probe_ref pr) { return braid_side(&bench_braidc::waiter, n, c, pr); }, false));
#endif
  s.add("callbacks", bench::side::baseline, measured(&baselines::w5::callbacks<probe_ref>, false));
  s.add("coroutine", bench::side::baseline, measured(&baselines::w5::coroutine<probe_ref>, false));
#if defined(BENCH_HAVE_ASIO)
  s.add("Boost.Asio awaitable", bench::side::baseline,
        measured(&baselines::asio::w5<counts, baselines::w5::counted, probe_ref>, false));
#endif
  return s.finish();
}
