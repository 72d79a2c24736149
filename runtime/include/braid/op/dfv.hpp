// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/waiters.hpp>
#include <braid/task.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {
template <class T>
class dfv_state;
}

/// A dataflow variable: a single-assignment cell whose value is awaited as a
/// task (Missionary's `dfv`). [spec.prim.dfv]
///
/// `dfv<T>` is a handle: copies share one variable, which lives as long as a
/// handle, a deref task or a pending deref refers to it.
///
/// - `assign(v)` binds the variable to `v` if it is not bound yet and returns
///   true; once bound, later calls change nothing and return false (first
///   assignment wins). It never blocks.
/// - `deref()` is a task completing with a copy of the bound value: at once
///   (synchronously, inside run, allocating nothing) when the variable is
///   bound, otherwise when `assign` binds it.
///
/// **Cancellation**: cancelling a pending deref removes it and fails it at
/// once with braid::cancelled ("braid::dfv deref cancelled"); cancelling a
/// completed one does nothing.
///
/// **Failure**: a deref fails only when cancelled, or with the exception
/// thrown by copying the value. If constructing the stored value throws,
/// `assign` rethrows it and the variable stays unbound.
///
/// **Ordering / thread-safety**: every member may be called from any thread
/// concurrently. The assigning call completes the pending derefs, in the
/// order they were run (FIFO; Missionary leaves this order unspecified),
/// on its own thread, after releasing the variable's lock and before it
/// returns. T's constructors never run under the lock. A pending deref keeps
/// the variable alive until it completes or is cancelled.
///
/// Differences from Missionary: `assign` returns whether this call bound the
/// variable (Missionary returns the bound value); T must be copyable, since
/// every deref receives its own copy.
///
/// Example:
/// \code
///   braid::dfv<int> answer;
///   answer.deref().run([](int v) { use(v); }, [](std::exception_ptr) {});
///   answer.assign(42);   // runs use(42) here, returns true
///   answer.assign(7);    // returns false; the value stays 42
/// \endcode
template <class T>
class dfv {
  static_assert(std::is_copy_constructible_v<T>,
                "braid::dfv<T> needs a copyable T: every deref receives its own copy");
  static_assert(std::is_same_v<T, std::remove_cvref_t<T>>, "braid::dfv<T> needs an unqualified object type");

 public:
  /// A new, unbound variable.
  dfv() : state_(std::make_shared<detail::dfv_state<T>>()) {}

  /// Binds the variable to `v` unless it is bound; true if this call bound it.
  /// Completes the pending derefs before returning.
  bool assign(T v) const { return state()->assign(std::move(v)); }

  /// A task completing with (a copy of) the bound value.
  task<T> deref() const {
    const auto& s = state();
    // The recipe lives inside the state: no allocation per deref().
    return task<T>(std::shared_ptr<const detail::task_impl<T>>(s, &s->deref_recipe()));
  }

 private:
  const std::shared_ptr<detail::dfv_state<T>>& state() const {
    if (!state_) detail::throw_moved_from("dfv");
    return state_;
  }

  std::shared_ptr<detail::dfv_state<T>> state_;
};

namespace detail {

/// The variable: the bound value (published once) and the pending derefs.
template <class T>
class dfv_state final : public std::enable_shared_from_this<dfv_state<T>> {
  using deref_waiter = waiter<T>;

  class deref_task final : public task_impl<T> {
   public:
    explicit deref_task(dfv_state* s) noexcept : state_(s) {}
    canceller start(sink<T> s) const noexcept override { return state_->deref(s); }

   private:
    dfv_state* state_;
  };

 public:
  dfv_state() noexcept : recipe_(this) {}
  ~dfv_state() { delete value_.load(std::memory_order_relaxed); }
  dfv_state(const dfv_state&) = delete;
  dfv_state& operator=(const dfv_state&) = delete;

  const task_impl<T>& deref_recipe() const noexcept { return recipe_; }

  bool assign(T v) {
    // Cheap early exit once bound; the decisive check is under the lock.
    if (value_.load(std::memory_order_acquire)) return false;
    // Built outside the lock: T's constructor is user code. If it throws,
    // nothing changed.
    auto bound = std::make_unique<const T>(std::move(v));
    waiter_hook* chain;
    {
      std::lock_guard<std::mutex> g(mutex_);
      if (value_.load(std::memory_order_relaxed)) return false;  // lost the race: `bound` dies unlocked
      // release: a deref that sees the pointer without the lock sees the value.
      value_.store(bound.release(), std::memory_order_release);
      chain = waiters_.take_all();
    }
    // [spec.prim.dfv] FIFO wake-up, outside the lock. The value is immutable
    // from now on, so reading it unlocked is safe. A completion may drop
    // every handle to the variable, yet `x` stays valid while it is read:
    // each waiter still on the chain keeps the state alive.
    const T& x = *value_.load(std::memory_order_relaxed);
    while (chain) {
      auto* w = static_cast<deref_waiter*>(chain);
      chain = chain->next_;  // before completing: completion may free w
      w->succeed_copy(x);
    }
    return true;
  }

  canceller deref(sink<T> s) noexcept {
    // Once bound, no lock and no allocation.
    const T* v = value_.load(std::memory_order_acquire);
    if (!v) {
      std::lock_guard<std::mutex> g(mutex_);
      v = value_.load(std::memory_order_relaxed);
      if (!v) {
        if (auto* w = enqueue_waiter<deref_waiter>(waiters_, s, mutex_, this->shared_from_this(),
                                                   "braid::dfv deref cancelled"))
          return canceller(static_cast<process*>(w));
      }
    }
    // Bound (served unlocked), or the waiter could not be allocated.
    if (v)
      deliver_copy<T>(s, *v);
    else
      s.error(std::make_exception_ptr(std::bad_alloc()));
    return {};
  }

 private:
  std::mutex mutex_;
  waiter_fifo waiters_;  // guarded by mutex_; empty once bound
  // Null until bound; set once, under mutex_, never changed again. Owned.
  std::atomic<const T*> value_{nullptr};
  deref_task recipe_;
};

}  // namespace detail
}  // namespace braid
