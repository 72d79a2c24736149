// SPDX-License-Identifier: MIT
// Baselines on a widely used coroutine library, as Debian packages it:
// Boost.Asio's awaitable<T> (libboost1.81-dev; header-only). Built only
// when bench/CMakeLists.txt finds <boost/asio.hpp> (BENCH_HAVE_ASIO).
//
// Asio runs every coroutine on an executor: the body below is what an Asio
// user writes, run to its end by io_context::run() on the calling thread.
// Asio keeps freed coroutine frames in a small per-thread cache and reuses
// them (its recycling allocator), so a frame that dies before the next one
// is made costs no malloc/free.
#pragma once

// Asio allocates its frames with aligned_alloc by default, which the
// counting allocator (common/counting_alloc.hpp, operator new) does not see:
// these make it use operator new, so W5's bytes per suspended process and
// its heap check count Asio's memory too. Must come before any Boost header.
#define BOOST_ASIO_DISABLE_STD_ALIGNED_ALLOC 1
#define BOOST_ASIO_DISABLE_BOOST_ALIGN 1

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <vector>

namespace baselines::asio {

namespace net = boost::asio;

// ---- W1: a coroutine awaits n child coroutines, each completing at once with i.

inline net::awaitable<int> value(int i) { co_return i; }

inline net::awaitable<std::int64_t> total(long n) {
  std::int64_t sum = 0;
  for (long i = 0; i < n; ++i) sum += co_await value(static_cast<int>(i));
  co_return sum;
}

inline std::int64_t w1(long n) {
  net::io_context io(1);
  std::int64_t out = 0;
  std::exception_ptr failed;
  net::co_spawn(io, total(n), [&](std::exception_ptr e, std::int64_t v) {
    failed = e;
    out = v;
  });
  io.run();
  if (failed) std::rethrow_exception(failed);
  return out;
}

// ---- W5: n coroutines each waiting on its own timer that never expires
// (Asio has no single-assignment variable; a timer wait is its plainest
// pending operation, and one timer shared by n waits is cancelled per
// operation by a linear scan of its waits), then each cancelled through its
// own cancellation signal (Asio's per-operation cancellation: the awaited
// wait fails with operation_aborted).

template <class Counts, class Counted>
net::awaitable<void> w5_waiter(Counts& c, long i) {
  Counted guard(c);
  net::steady_timer never(co_await net::this_coro::executor, net::steady_timer::time_point::max());
  try {
    co_await never.async_wait(net::use_awaitable);
  } catch (const boost::system::system_error&) {
    c.cancelled_sum += i;
  }
}

template <class Counts, class Counted, class Probe>
std::int64_t w5(long n, Counts& c, Probe suspended) {
  net::io_context io(1);
  std::vector<net::cancellation_signal> signals(static_cast<std::size_t>(n));
  suspended.before();
  for (long i = 0; i < n; ++i)
    net::co_spawn(io, w5_waiter<Counts, Counted>(c, i),
                  net::bind_cancellation_slot(signals[static_cast<std::size_t>(i)].slot(), net::detached));
  io.poll();  // every coroutine runs up to its wait
  suspended.during();
  for (auto& s : signals) s.emit(net::cancellation_type::terminal);
  io.poll();  // every coroutine observes its cancellation and ends
  return c.cancelled_sum;
}

}  // namespace baselines::asio
