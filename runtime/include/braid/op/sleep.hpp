// SPDX-License-Identifier: MIT
#pragma once

#include <braid/cancelled.hpp>
#include <braid/env.hpp>
#include <braid/task.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {

/// `now + ms` on the environment's clock, saturating instead of overflowing
/// (a delay of INT64_MAX means "never in practice", not "in the past").
inline std::int64_t deadline_after(std::int64_t now, std::int64_t ms) noexcept {
  if (ms > 0 && now > std::numeric_limits<std::int64_t>::max() - ms) return std::numeric_limits<std::int64_t>::max();
  return now + ms;
}

/// Milliseconds in a duration, rounded up: a delay is never shortened.
template <class Rep, class Period>
std::int64_t to_ms(std::chrono::duration<Rep, Period> d) noexcept {
  return static_cast<std::int64_t>(std::chrono::ceil<std::chrono::milliseconds>(d).count());
}

// [spec.task.sleep] One allocation per run: the process is the timer node.
// The environment decides the race between firing and cancelling: fire() is
// called only for a node that was not unscheduled, and unschedule() returns
// true only for a node that will not fire. So exactly one of them completes.
template <class T>
class sleep_process final : public process, private timer_node {
  using stored = stored_t<T>;

 public:
  sleep_process(sink<T> out, environment& env, stored v)
      : process(2), out_(out), env_(&env), value_(std::move(v)) {}  // the run + the canceller

  void arm(std::int64_t ms) noexcept {
    label = "sleep";
    deadline_ms = deadline_after(env_->now_ms(), ms);
    env_->schedule(this);  // may fire at once, on another thread
  }

  void cancel() noexcept override {
    // The environment resolved at start, not the caller's: a cancel from
    // another thread must reach the scheduler that holds the node.
    if (!env_->unschedule(this)) return;  // fired, firing, or cancelled before
    out_.error(cancelled_error("braid::sleep cancelled"));
    release();
  }

 private:
  void fire() noexcept override {
    out_.value(std::move(value_));
    release();  // the run is over
  }

  sink<T> out_;
  environment* env_;
  stored value_;
};

template <class T>
class sleep_task final : public task_impl<T> {
  using stored = stored_t<T>;

 public:
  sleep_task(std::int64_t ms, stored v) : ms_(ms), value_(std::move(v)) {}
  canceller start(sink<T> s) const noexcept override {
    // Resolved now, when the task runs: a sim scheduler driving this
    // thread virtualizes the sleep wherever the task was built.
    auto* p = new_or_fail<sleep_process<T>>(s, s, current_env(), value_);
    if (!p) return {};
    canceller c(static_cast<process*>(p));
    p->arm(ms_);
    return c;
  }

 private:
  std::int64_t ms_;
  stored value_;
};

}  // namespace detail

/// A task that succeeds after `ms` milliseconds (Missionary's `sleep`)
/// [spec.task.sleep].
///
/// Semantics: when it runs, it schedules one timer on the environment of
/// the running thread (the real timer thread, or a sim scheduler's virtual
/// clock) for now + ms, and succeeds when it fires, on the timer's thread.
/// A delay of zero or less completes at the next timer turn, never inside
/// run. `sleep(ms, v)` succeeds with a copy of `v`.
///
/// **Cancellation**: if the timer has not fired, cancel removes it and the
/// sleep fails at once, synchronously inside the cancel call, with
/// braid::cancelled("braid::sleep cancelled"). If it already fired (or is
/// firing), the success stands and cancel is a no-op.
///
/// **Failure**: only through cancellation (or an allocation failure).
///
/// Ordering / thread-safety: timers with equal deadlines fire in the order
/// they were scheduled. Cancel may race with firing from any thread; exactly
/// one completion happens. One allocation per run (the process is the
/// timer node). Qualify the call as braid::sleep where POSIX ::sleep is
/// visible.
///
/// Example:
///     task<void> pause = braid::sleep(250);
///     task<std::string> late = braid::sleep(std::chrono::seconds(1), std::string("tick"));
inline task<void> sleep(std::int64_t ms) {
  return task<void>(std::make_shared<const detail::sleep_task<void>>(ms, unit{}));
}

/// sleep(ms) that succeeds with a copy of `v`.
template <class V>
task<std::decay_t<V>> sleep(std::int64_t ms, V&& v) {
  using T = std::decay_t<V>;
  static_assert(std::is_copy_constructible_v<T>,
                "braid::sleep: the value must be copyable (every run succeeds with its own copy)");
  return task<T>(std::make_shared<const detail::sleep_task<T>>(ms, T(std::forward<V>(v))));
}

/// sleep for a std::chrono duration, rounded up to whole milliseconds.
template <class Rep, class Period>
task<void> sleep(std::chrono::duration<Rep, Period> d) {
  return sleep(detail::to_ms(d));
}

/// sleep for a std::chrono duration, then succeed with a copy of `v`.
template <class Rep, class Period, class V>
task<std::decay_t<V>> sleep(std::chrono::duration<Rep, Period> d, V&& v) {
  return sleep(detail::to_ms(d), std::forward<V>(v));
}

}  // namespace braid
