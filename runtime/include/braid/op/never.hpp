// SPDX-License-Identifier: MIT
#pragma once

#include <braid/cancelled.hpp>
#include <braid/task.hpp>

#include <atomic>
#include <memory>

namespace braid {

namespace detail {

// [spec.task.never] One flag: the first cancel claims the only completion.
template <class T>
class never_process final : public process {
 public:
  explicit never_process(sink<T> out) noexcept : process(2), out_(out) {}  // the run + the canceller

  void cancel() noexcept override {
    // acq_rel is more than needed for a lone flag, but keeps the sink's
    // memory ordered before the completion for whoever cancels next.
    if (done_.exchange(true, std::memory_order_acq_rel)) return;
    out_.error(cancelled_error("braid::never cancelled"));
    release();  // the run is over
  }

 private:
  sink<T> out_;
  std::atomic<bool> done_{false};
};

template <class T>
class never_task final : public task_impl<T> {
 public:
  canceller start(sink<T> s) const noexcept override {
    auto* p = new (std::nothrow) never_process<T>(s);
    if (!p) {
      s.error(std::make_exception_ptr(std::bad_alloc()));
      return {};
    }
    return canceller(static_cast<process*>(p));
  }
};

}  // namespace detail

/// A task that never ends unless cancelled (Missionary's `never`)
/// [spec.task.never].
///
/// Semantics: running it does nothing; it never succeeds.
///
/// **Cancellation**: the first cancel fails it at once, synchronously inside
/// the cancel call, with braid::cancelled("braid::never cancelled"); later
/// cancels are no-ops.
///
/// **Failure**: only through cancellation.
///
/// Ordering / thread-safety: the cancel may come from any thread; the
/// failure is delivered on that thread. A run that is never cancelled is a
/// process that never ends: its state (one small allocation) lives until the
/// program exits, as any process that does not end would.
///
/// Example:
///     // keep a race open until the other branch wins
///     task<int> v = braid::race(braid::never<int>(), wait_for_event());
template <class T = void>
task<T> never() {
  static const auto impl = std::make_shared<const detail::never_task<T>>();
  return task<T>(impl);
}

}  // namespace braid
