// SPDX-License-Identifier: MIT
// W1 baselines: one sequential process loops n times, each time waiting for
// an asynchronous operation that completes at once with i, and sums.
#pragma once

#include <cstdint>

#include "coro.hpp"
#include "opaque.hpp"

namespace baselines::w1 {

// ---- hand-written callbacks ---------------------------------------------------

/// The asynchronous API: reports `i` to (ctx, fn), here synchronously.
struct int_receiver {
  void* ctx;
  void (*fn)(void*, int) noexcept;
};
BENCH_OPAQUE inline void value_async(int i, int_receiver r) noexcept { r.fn(r.ctx, i); }

/// The state machine. A completion that arrives while value_async is still
/// on the stack only sets a flag and the loop continues (a trampoline, so
/// n synchronous completions run in constant stack); a later completion
/// re-enters the loop itself. Single-threaded: the lower bound, without the
/// cross-thread handshake braid pays for.
class park_loop {
 public:
  explicit park_loop(long n) : n_(n) {}

  std::int64_t run() {
    loop();
    return sum_;
  }

 private:
  static void on_value(void* ctx, int v) noexcept {
    auto* self = static_cast<park_loop*>(ctx);
    self->sum_ += v;
    ++self->i_;
    if (self->starting_) {
      self->completed_inline_ = true;
      return;
    }
    self->loop();
  }
  void loop() {
    while (i_ < n_) {
      starting_ = true;
      completed_inline_ = false;
      value_async(static_cast<int>(i_), {this, &on_value});
      starting_ = false;
      if (!completed_inline_) return;  // on_value continues the loop later
    }
  }

  long n_;
  long i_ = 0;
  std::int64_t sum_ = 0;
  bool starting_ = false;
  bool completed_inline_ = false;
};

inline std::int64_t callbacks(long n) { return park_loop(n).run(); }

// ---- C++20 coroutines -----------------------------------------------------------

inline coro::task<int> value(int i) { co_return i; }

inline coro::task<std::int64_t> total(long n) {
  std::int64_t sum = 0;
  for (long i = 0; i < n; ++i) sum += co_await value(static_cast<int>(i));
  co_return sum;
}

inline std::int64_t coroutine(long n) { return coro::sync_wait(total(n)); }

}  // namespace baselines::w1
