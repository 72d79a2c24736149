// SPDX-License-Identifier: MIT
// W2 baselines: join n children that each complete at once with i, and sum
// their values.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "coro.hpp"
#include "opaque.hpp"
#include "w1_park.hpp"

namespace baselines::w2 {

// ---- hand-written callbacks ---------------------------------------------------

/// A join state machine: one context per child (which slot its value goes
/// to), one value slot per child, an atomic countdown (children may
/// complete on any thread). The countdown starts at n + 1: the starter holds
/// one count until every child is started, so a child completing during
/// start-up cannot end the join early.
class join_all {
 public:
  using done_fn = void (*)(void*, std::vector<int>&&) noexcept;

  join_all(long n, void* ctx, done_fn done)
      : children_(static_cast<std::size_t>(n)),
        values_(static_cast<std::size_t>(n)),
        remaining_(n + 1),
        ctx_(ctx),
        done_(done) {}

  void start() {
    for (std::size_t k = 0; k < children_.size(); ++k) {
      children_[k] = {this, k};
      w1::value_async(static_cast<int>(k), {&children_[k], &on_value});
    }
    count_down();
  }

 private:
  struct child {
    join_all* join;
    std::size_t index;
  };
  static void on_value(void* ctx, int v) noexcept {
    auto* c = static_cast<child*>(ctx);
    c->join->values_[c->index] = v;
    c->join->count_down();
  }
  void count_down() noexcept {
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) done_(ctx_, std::move(values_));
  }

  std::vector<child> children_;
  std::vector<int> values_;
  std::atomic<long> remaining_;
  void* ctx_;
  done_fn done_;
};

inline std::int64_t callbacks(long n) {
  std::int64_t sum = -1;
  auto* j = new join_all(n, &sum, [](void* ctx, std::vector<int>&& vs) noexcept {
    std::int64_t s = 0;
    for (int v : vs) s += v;
    *static_cast<std::int64_t*>(ctx) = s;
  });
  j->start();
  delete j;  // all children completed synchronously
  return sum;
}

// ---- C++20 coroutines -----------------------------------------------------------

inline coro::task<std::int64_t> fan_out(long n) {
  std::vector<coro::task<int>> ts;
  ts.reserve(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) ts.push_back(w1::value(static_cast<int>(i)));
  std::vector<int> vs = co_await coro::when_all(std::move(ts));
  std::int64_t s = 0;
  for (int v : vs) s += v;
  co_return s;
}

inline std::int64_t coroutine(long n) { return coro::sync_wait(fan_out(n)); }

}  // namespace baselines::w2
