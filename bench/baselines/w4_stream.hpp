// SPDX-License-Identifier: MIT
// W4 baselines: a stream of 0..n-1 consumed with backpressure (the producer
// makes the next value only when the consumer asks) by a process that maps
// x*2 and sums.
#pragma once

#include <cstdint>

#include "coro.hpp"
#include "opaque.hpp"

namespace baselines::w4 {

// ---- hand-written callbacks ---------------------------------------------------

/// A pull-based source: request() delivers the next value to on_value, or
/// calls on_end after the last one; here synchronously. The consumer asks
/// for one value at a time: that is the backpressure.
class range_source {
 public:
  struct receiver {
    void* ctx;
    void (*on_value)(void*, int) noexcept;
    void (*on_end)(void*) noexcept;
  };
  range_source(long n, receiver r) : n_(n), r_(r) {}
  BENCH_OPAQUE void request() noexcept {
    if (next_ < n_)
      r_.on_value(r_.ctx, static_cast<int>(next_++));
    else
      r_.on_end(r_.ctx);
  }

 private:
  long n_;
  long next_ = 0;
  receiver r_;
};

/// The consumer: asks, maps, sums; trampolined like W1's loop.
class map_sum {
 public:
  explicit map_sum(long n) : src_(n, {this, &on_value, &on_end}) {}
  std::int64_t run() {
    loop();
    return sum_;
  }

 private:
  static void on_value(void* c, int v) noexcept {
    auto* self = static_cast<map_sum*>(c);
    self->sum_ += static_cast<std::int64_t>(v) * 2;
    if (self->requesting_) {
      self->delivered_inline_ = true;
      return;
    }
    self->loop();
  }
  static void on_end(void* c) noexcept {
    auto* self = static_cast<map_sum*>(c);
    self->ended_ = true;
    self->delivered_inline_ = true;
  }
  void loop() {
    while (!ended_) {
      requesting_ = true;
      delivered_inline_ = false;
      src_.request();
      requesting_ = false;
      if (!delivered_inline_) return;  // on_value continues later
    }
  }

  range_source src_;
  std::int64_t sum_ = 0;
  bool requesting_ = false;
  bool delivered_inline_ = false;
  bool ended_ = false;
};

inline std::int64_t callbacks(long n) { return map_sum(n).run(); }

// ---- C++20 coroutines -----------------------------------------------------------

inline coro::async_generator<int> range(long n) {
  for (long i = 0; i < n; ++i) co_yield static_cast<int>(i);
}

inline coro::task<std::int64_t> map_sum_co(long n) {
  auto g = range(n);
  std::int64_t sum = 0;
  while (int* v = co_await g.next()) sum += static_cast<std::int64_t>(*v) * 2;
  co_return sum;
}

inline std::int64_t coroutine(long n) { return coro::sync_wait(map_sum_co(n)); }

}  // namespace baselines::w4
