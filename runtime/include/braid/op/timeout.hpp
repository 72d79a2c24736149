// SPDX-License-Identifier: MIT
#pragma once

#include <braid/cancelled.hpp>
#include <braid/env.hpp>
#include <braid/op/sleep.hpp>
#include <braid/task.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace braid {

/// The failure of timeout(t, ms) (without a fallback value) when `t` did not
/// complete in time: "braid::timeout: the task did not complete within N ms".
class timed_out : public std::runtime_error {
 public:
  explicit timed_out(std::int64_t ms);
  /// The delay that elapsed, in milliseconds.
  std::int64_t delay_ms() const noexcept { return ms_; }

 private:
  std::int64_t ms_;
};

namespace detail {

// [spec.task.timeout] any(t, sleep(ms, v)) in one process: the child, and a
// timer that plays the sleep. Two "children" (the task = 0, the timer = 1),
// the first to end decides, the decision cancels both in that order (the
// task, then the timer), deferred until both are started, and the parent
// completes once both have ended. As with sleep, the environment decides
// between firing and unscheduling, so the timer ends exactly once.
template <class T>
class timeout_process final : public process, private timer_node {
  using stored = stored_t<T>;

 public:
  timeout_process(sink<T> out, environment& env, std::int64_t ms, const std::optional<stored>& fallback)
      : process(2), out_(out), env_(&env), ms_(ms) {  // the run + the canceller
    // Each run copies the fallback; a move-only T can only be used without one.
    if constexpr (std::is_copy_constructible_v<stored>)
      if (fallback) fallback_.emplace(*fallback);
  }

  static canceller run(const task<T>& t, sink<T> out, std::int64_t ms, const std::optional<stored>& fallback) noexcept {
    auto* p = new_or_fail<timeout_process>(out, out, current_env(), ms, fallback);
    if (!p) return {};
    canceller c(static_cast<process*>(p));
    p->child_ = t.start(sink<T>::template to<&on_value, &on_error>(p)).release();
    if (p->state_.load(std::memory_order_acquire) == starting) {
      p->label = "timeout";
      p->deadline_ms = deadline_after(p->env_->now_ms(), ms);
      p->env_->schedule(p);  // may fire at once, on another thread
    } else {
      // The task ended during its start: it decided. any() would start the
      // sleep and cancel it at once; not scheduling it is the same, minus a
      // timer round trip.
      p->timer_ended();
    }
    std::int32_t expected = starting;
    if (!p->state_.compare_exchange_strong(expected, running, std::memory_order_acq_rel,
                                           std::memory_order_acquire))
      p->cancel_both();  // decided during start-up: the deferred cancellation
    return c;
  }

  void cancel() noexcept override {
    if (pending_.load(std::memory_order_acquire) == 0) return;  // over: nothing to cancel
    cancel_both();
  }

 private:
  static constexpr std::int32_t starting = -2, running = -1, by_task = 0, by_timer = 1;

  void cancel_both() noexcept {
    if (child_) child_->cancel();
    if (env_->unschedule(this)) {
      // The timer plays a cancelled sleep: it ends now, with a failure that
      // decides if the task has not ended yet.
      if (claim(by_timer)) timer_fired_ = false;
      timer_ended();
    }
  }

  bool claim(std::int32_t who) noexcept {
    std::int32_t s = state_.load(std::memory_order_acquire);
    for (;;) {
      if (s >= 0) return false;
      if (state_.compare_exchange_weak(s, who, std::memory_order_acq_rel, std::memory_order_acquire)) {
        if (s == running) cancel_both();
        return true;
      }
    }
  }

  void fire() noexcept override {
    if (claim(by_timer)) timer_fired_ = true;
    timer_ended();
  }

  static void on_value(void* ctx, stored&& v) noexcept {
    auto* p = static_cast<timeout_process*>(ctx);
    if (p->claim(by_task)) {
      try {
        p->value_.emplace(std::move(v));
      } catch (...) {
        p->error_ = std::current_exception();
      }
    }
    p->ended();
  }
  static void on_error(void* ctx, std::exception_ptr e) noexcept {
    auto* p = static_cast<timeout_process*>(ctx);
    if (p->claim(by_task)) p->error_ = std::move(e);
    p->ended();
  }

  void timer_ended() noexcept { ended(); }

  void ended() noexcept {
    // acq_rel: the decider's stored outcome is visible to the last ender.
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      complete();
      release();  // the run is over
    }
  }

  void complete() noexcept {
    if (state_.load(std::memory_order_acquire) == by_task) {
      if (value_)
        out_.value(std::move(*value_));
      else
        out_.error(std::move(error_));
    } else if (!timer_fired_) {
      out_.error(cancelled_error("braid::timeout cancelled"));
    } else if (fallback_) {
      deliver_fallback();
    } else {
      std::exception_ptr e;
      try {
        e = std::make_exception_ptr(timed_out(ms_));
      } catch (...) {
        e = std::current_exception();
      }
      out_.error(std::move(e));
    }
  }

  void deliver_fallback() noexcept {
    std::exception_ptr e;
    try {
      out_.value(stored(std::move(*fallback_)));
      return;
    } catch (...) {  // only the move of the fallback can throw here
      e = std::current_exception();
    }
    out_.error(std::move(e));
  }

  sink<T> out_;
  environment* env_;
  process* child_ = nullptr;
  std::int64_t ms_;
  std::optional<stored> fallback_;
  std::atomic<std::int32_t> state_{starting};
  std::atomic<std::int32_t> pending_{2};  // the task and the timer
  bool timer_fired_ = false;  // written by the decider before its end, read after the last
  std::optional<stored> value_;
  std::exception_ptr error_;

 public:
  ~timeout_process() override {
    if (child_) child_->release();
  }
};

template <class T>
class timeout_task final : public task_impl<T> {
  using stored = stored_t<T>;

 public:
  timeout_task(task<T> t, std::int64_t ms, std::optional<stored> fallback)
      : t_(std::move(t)), ms_(ms), fallback_(std::move(fallback)) {}
  canceller start(sink<T> s) const noexcept override { return timeout_process<T>::run(t_, s, ms_, fallback_); }

 private:
  task<T> t_;
  std::int64_t ms_;
  std::optional<stored> fallback_;
};

}  // namespace detail

/// Runs `t` with a deadline (Missionary's `timeout`) [spec.task.timeout]:
/// the same as any(t, sleep(ms, v)).
///
/// Semantics: starts `t`, then a timer of `ms` milliseconds on the running
/// thread's environment (resolved when the task runs, as sleep does). If `t`
/// ends first, the timer is removed and the timeout ends as `t` did. If the
/// timer fires first, `t` is cancelled and, once `t` has ended, the timeout
/// succeeds with `v` (timeout(t, ms, v)) or fails with braid::timed_out
/// (timeout(t, ms)). The first to end decides, atomically.
///
/// **Cancellation**: cancels `t` and removes the timer. If `t` does not end
/// synchronously on its cancel, the removed timer decides and the timeout
/// fails with braid::cancelled("braid::timeout cancelled") once `t` has
/// ended; if `t` ends inside its cancel, its outcome decides.
///
/// **Failure**: `t`'s failure if `t` ended first; timed_out (message:
/// "braid::timeout: the task did not complete within N ms") if the delay
/// elapsed and no `v` was given.
///
/// Ordering / thread-safety: the timeout completes exactly once, after `t`
/// has ended (never while `t` still runs), on the thread that ended the last
/// of `t` and the timer. One allocation per run (the process is the timer).
///
/// Example:
///     task<page> p = braid::timeout(fetch(url), 2000);               // fails with timed_out
///     task<int> n = braid::timeout(count_remote(), 500, -1);         // -1 when too slow
template <class T>
task<T> timeout(task<T> t, std::int64_t ms) {
  return task<T>(std::make_shared<const detail::timeout_task<T>>(std::move(t), ms, std::nullopt));
}

/// timeout(t, ms) that succeeds with `v` when the delay elapses first.
template <class T, class V>
  requires(!std::is_void_v<T> && std::is_constructible_v<T, V &&>)
task<T> timeout(task<T> t, std::int64_t ms, V&& v) {
  static_assert(std::is_copy_constructible_v<T>,
                "braid::timeout: the fallback value must be copyable (every run succeeds with its own copy)");
  return task<T>(std::make_shared<const detail::timeout_task<T>>(std::move(t), ms,
                                                                 std::optional<T>(std::in_place, std::forward<V>(v))));
}

/// timeout(t, ms) for a task<void> that succeeds (instead of failing) when
/// the delay elapses first; pass braid::unit{} as the value.
inline task<void> timeout(task<void> t, std::int64_t ms, unit) {
  return task<void>(std::make_shared<const detail::timeout_task<void>>(std::move(t), ms, unit{}));
}

/// timeout with a std::chrono delay, rounded up to whole milliseconds.
template <class T, class Rep, class Period>
task<T> timeout(task<T> t, std::chrono::duration<Rep, Period> d) {
  return timeout(std::move(t), detail::to_ms(d));
}

/// timeout with a std::chrono delay and a fallback value.
template <class T, class Rep, class Period, class V>
task<T> timeout(task<T> t, std::chrono::duration<Rep, Period> d, V&& v) {
  return timeout(std::move(t), detail::to_ms(d), std::forward<V>(v));
}

}  // namespace braid
