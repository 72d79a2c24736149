// SPDX-License-Identifier: MIT
// W3 baselines: n times in a row, race a wait that only ends when cancelled
// against an operation that completes at once with i; the winner's value is
// summed, and each race ends only after the loser has observed its
// cancellation.
#pragma once

#include <atomic>
#include <cstdint>
#include <stop_token>

#include "coro.hpp"
#include "opaque.hpp"
#include "w1_park.hpp"

namespace baselines::w3 {

// ---- hand-written callbacks ---------------------------------------------------

/// An operation that never completes unless cancelled; cancel() completes it
/// with "cancelled" (on_error), synchronously.
struct never_op {
  void* ctx = nullptr;
  void (*on_cancelled)(void*) noexcept = nullptr;
  std::atomic<bool> done{false};
  BENCH_OPAQUE void start(void* c, void (*f)(void*) noexcept) noexcept {
    ctx = c;
    on_cancelled = f;
    done.store(false, std::memory_order_relaxed);
  }
  BENCH_OPAQUE void cancel() noexcept {
    if (!done.exchange(true, std::memory_order_acq_rel)) on_cancelled(ctx);
  }
};

/// One race: the first value wins and cancels the other child; the race
/// ends after both children ended (countdown from 3: two children and the
/// starter). Thread-safe decisions (atomics), as children may complete on
/// any thread.
class race_cb {
 public:
  using done_fn = void (*)(void*, int) noexcept;

  void start(int i, void* ctx, done_fn done) noexcept {
    ctx_ = ctx;
    done_ = done;
    remaining_.store(3, std::memory_order_relaxed);
    decided_.store(false, std::memory_order_relaxed);
    never_.start(this, &on_never_cancelled);
    w1::value_async(i, {this, &on_value});
    count_down();
  }
  long cancellations = 0;

 private:
  static void on_value(void* c, int v) noexcept {
    auto* self = static_cast<race_cb*>(c);
    if (!self->decided_.exchange(true, std::memory_order_acq_rel)) {
      self->value_ = v;
      self->never_.cancel();
    }
    self->count_down();
  }
  static void on_never_cancelled(void* c) noexcept {
    auto* self = static_cast<race_cb*>(c);
    ++self->cancellations;
    self->count_down();
  }
  void count_down() noexcept {
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) done_(ctx_, value_);
  }

  never_op never_;
  std::atomic<int> remaining_{0};
  std::atomic<bool> decided_{false};
  int value_ = 0;
  void* ctx_ = nullptr;
  done_fn done_ = nullptr;
};

/// The loop of races, trampolined like W1's loop.
class race_loop {
 public:
  explicit race_loop(long n) : n_(n) {}
  std::int64_t run() {
    loop();
    return sum_;
  }
  long cancellations() const { return race_.cancellations; }

 private:
  static void on_done(void* c, int v) noexcept {
    auto* self = static_cast<race_loop*>(c);
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
      race_.start(static_cast<int>(i_), this, &on_done);
      starting_ = false;
      if (!completed_inline_) return;
    }
  }

  race_cb race_;
  long n_;
  long i_ = 0;
  std::int64_t sum_ = 0;
  bool starting_ = false;
  bool completed_inline_ = false;
};

// ---- C++20 coroutines -----------------------------------------------------------

inline coro::task<std::int64_t> races(long n) {
  std::int64_t sum = 0;
  for (long i = 0; i < n; ++i)
    sum += co_await coro::race<int>([](std::stop_token t) { return coro::never<int>(std::move(t)); },
                                    [i](std::stop_token) { return w1::value(static_cast<int>(i)); });
  co_return sum;
}

}  // namespace baselines::w3
