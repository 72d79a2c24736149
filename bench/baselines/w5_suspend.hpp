// SPDX-License-Identifier: MIT
// W5 baselines: n processes each waiting on a never-assigned single-
// assignment variable; then each is cancelled, observes its cancellation,
// and is destroyed.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "coro.hpp"

namespace baselines::w5 {

/// What every side counts: the sum of the indices of the processes that
/// observed their cancellation (the checksum) and the number of process
/// states destroyed (must be n).
struct counts {
  std::int64_t cancelled_sum = 0;
  long destroyed = 0;
};

/// A local whose destructor counts: proves each process state was torn down.
struct counted {
  counts* c;
  explicit counted(counts& c) : c(&c) {}
  counted(const counted&) = delete;
  ~counted() { ++c->destroyed; }
};

// ---- hand-written callbacks ---------------------------------------------------

/// A thread-safe single-assignment variable with an intrusive FIFO of
/// waiters; a waiter can be removed (cancelled) while pending.
class dfv_cb {
 public:
  struct waiter {
    waiter* prev = nullptr;
    waiter* next = nullptr;
    bool linked = false;
    virtual void on_value(int v) noexcept = 0;
    virtual void on_cancelled() noexcept = 0;

   protected:
    ~waiter() = default;
  };

  /// Waits for the value: false when it is bound already (on_value was called).
  bool wait(waiter* w) {
    int v;
    {
      std::lock_guard<std::mutex> g(m_);
      if (!value_) {
        w->prev = tail_;
        (tail_ ? tail_->next : head_) = w;
        tail_ = w;
        w->linked = true;
        return true;
      }
      v = *value_;
    }
    w->on_value(v);
    return false;
  }
  /// Removes a pending waiter, which then observes its cancellation.
  void cancel(waiter* w) {
    {
      std::lock_guard<std::mutex> g(m_);
      if (!w->linked) return;
      (w->prev ? w->prev->next : head_) = w->next;
      (w->next ? w->next->prev : tail_) = w->prev;
      w->linked = false;
    }
    w->on_cancelled();
  }
  void assign(int v) {
    waiter* list;
    {
      std::lock_guard<std::mutex> g(m_);
      if (value_) return;
      value_ = v;
      list = std::exchange(head_, nullptr);
      tail_ = nullptr;
      for (waiter* w = list; w; w = w->next) w->linked = false;
    }
    while (list) {
      waiter* w = list;
      list = w->next;
      w->on_value(v);
    }
  }

 private:
  std::mutex m_;
  std::optional<int> value_;
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
};

/// One process: a heap state machine that frees itself when it ends.
class proc final : public dfv_cb::waiter {
 public:
  proc(counts& c, long i) : guard_(c), i_(i) {}
  void on_value(int) noexcept override { delete this; }
  void on_cancelled() noexcept override {
    guard_.c->cancelled_sum += i_;
    delete this;
  }

 private:
  counted guard_;
  long i_;
};

/// Spawns n processes on `d`, calls `suspended()` while all are parked, then
/// cancels each one. Returns the checksum.
template <class F>
std::int64_t callbacks(long n, counts& c, F suspended) {
  dfv_cb d;
  std::vector<proc*> ps;
  ps.reserve(static_cast<std::size_t>(n));
  suspended.before();
  for (long i = 0; i < n; ++i) {
    auto* p = new proc(c, i);
    d.wait(p);
    ps.push_back(p);
  }
  suspended.during();
  for (proc* p : ps) d.cancel(p);
  return c.cancelled_sum;
}

// ---- C++20 coroutines -----------------------------------------------------------

/// One process: a detached coroutine (one frame), cancelled through its own
/// stop source, as a C++20 user would do.
inline coro::detached waiter(coro::single_assign<int>& d, std::stop_token tok, counts& c, long i) {
  counted guard(c);
  try {
    (void)co_await d.deref(std::move(tok));
  } catch (const coro::cancelled&) {
    c.cancelled_sum += i;
  }
}

template <class F>
std::int64_t coroutine(long n, counts& c, F suspended) {
  coro::single_assign<int> d;
  std::vector<std::stop_source> stops;
  stops.reserve(static_cast<std::size_t>(n));
  suspended.before();
  for (long i = 0; i < n; ++i) {
    stops.emplace_back();
    waiter(d, stops.back().get_token(), c, i);
  }
  suspended.during();
  for (auto& s : stops) s.request_stop();
  return c.cancelled_sum;
}

}  // namespace baselines::w5
