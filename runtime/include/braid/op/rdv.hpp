// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/waiters.hpp>
#include <braid/task.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {
template <class T>
class rdv_state;
}

/// A synchronous rendez-vous: a giver and a taker wait for each other, and
/// the value passes from one to the other when both are there (Missionary's
/// `rdv`). [spec.prim.rdv]
///
/// `rdv<T>` is a handle: copies share one rendez-vous point, which lives as
/// long as a handle, a give or take task or a pending give or take refers to it.
///
/// - `give(v)` is a task that waits for a taker, hands it (a copy of) `v` and
///   succeeds. Each run of the task gives `v` once more.
/// - `take()` is a task that waits for a giver and completes with its value.
/// When the other side is already waiting, the pair meets at once: the run
/// completes synchronously (inside run, allocating nothing), the waiting
/// side first, then the one being run. Waiting givers are met in the order
/// they were run, and so are waiting takers (FIFO; Missionary leaves this
/// order unspecified).
///
/// **Cancellation**: cancelling a pending give or take removes it and fails
/// it at once with braid::cancelled ("braid::rdv give cancelled", "braid::rdv
/// take cancelled"); the next one in line meets the other side instead.
/// Cancelling a completed give or take does nothing.
///
/// **Failure**: a give or take fails only when cancelled, or when copying
/// the value throws: then both sides of that meeting fail with the
/// exception (the value could not pass). `give(v)` itself throws only what
/// storing `v` in the new task throws (its allocation, T's move).
///
/// **Ordering / thread-safety**: every member may be called from any thread
/// concurrently. A meeting completes both sides on the thread of the run
/// that made it, after releasing the rendez-vous' lock. T's constructors
/// never run under the lock. A pending give or take keeps the rendez-vous
/// alive until it completes or is cancelled.
///
/// Differences from Missionary: T must be copyable (the give task is a
/// recipe that may run several times, each run giving a copy).
///
/// Example (a producer handing values to a consumer one at a time):
/// \code
///   braid::rdv<int> r;
///   r.give(1).run([] { /* taken */ }, [](std::exception_ptr) {});  // waits
///   r.take().run([](int v) { use(v); }, [](std::exception_ptr) {});
///   // here the give succeeded, then use(1) ran
/// \endcode
template <class T>
class rdv {
  static_assert(std::is_copy_constructible_v<T>,
                "braid::rdv<T> needs a copyable T: a give task may run several times");
  static_assert(std::is_same_v<T, std::remove_cvref_t<T>>, "braid::rdv<T> needs an unqualified object type");

 public:
  /// A new rendez-vous point.
  rdv() : state_(std::make_shared<detail::rdv_state<T>>()) {}

  /// A task that waits for a taker and hands it `v`. Allocates the recipe.
  task<void> give(T v) const { return detail::rdv_state<T>::make_give(state(), std::move(v)); }

  /// A task that waits for a giver and completes with its value.
  task<T> take() const {
    const auto& s = state();
    // The recipe lives inside the state: no allocation per take().
    return task<T>(std::shared_ptr<const detail::task_impl<T>>(s, &s->take_recipe()));
  }

 private:
  const std::shared_ptr<detail::rdv_state<T>>& state() const {
    if (!state_) detail::throw_moved_from("rdv");
    return state_;
  }

  std::shared_ptr<detail::rdv_state<T>> state_;
};

namespace detail {

/// The rendez-vous point: waiting givers and waiting takers. Invariant
/// (under the lock): at most one of the two queues is non-empty.
template <class T>
class rdv_state final : public std::enable_shared_from_this<rdv_state<T>> {
  /// One give(v) recipe: the value and the point it is given at.
  class give_task final : public task_impl<void>, public std::enable_shared_from_this<give_task> {
   public:
    give_task(std::shared_ptr<rdv_state> s, T v) : state_(std::move(s)), value_(std::move(v)) {}
    canceller start(sink<void> s) const noexcept override { return state_->give(*this, s); }
    const T& value() const noexcept { return value_; }

   private:
    std::shared_ptr<rdv_state> state_;
    T value_;
  };

  class take_task final : public task_impl<T> {
   public:
    explicit take_task(rdv_state* s) noexcept : state_(s) {}
    canceller start(sink<T> s) const noexcept override { return state_->take(s); }

   private:
    rdv_state* state_;
  };

  // A waiting giver keeps its recipe, which holds the value: the taker
  // copies it from there, unlocked, when they meet.
  using giver = waiter<void, std::shared_ptr<const give_task>>;
  using taker = waiter<T>;

 public:
  rdv_state() noexcept : recipe_(this) {}
  rdv_state(const rdv_state&) = delete;
  rdv_state& operator=(const rdv_state&) = delete;

  const task_impl<T>& take_recipe() const noexcept { return recipe_; }

  static task<void> make_give(std::shared_ptr<rdv_state> self, T v) {
    return task<void>(std::make_shared<const give_task>(std::move(self), std::move(v)));
  }

  canceller give(const give_task& g, sink<void> s) noexcept {
    taker* t;
    {
      std::lock_guard<std::mutex> lk(mutex_);
      t = static_cast<taker*>(takers_.pop_front());
      if (!t) {
        if (auto* w = enqueue_waiter<giver>(givers_, s, mutex_, this->shared_from_this(),
                                            "braid::rdv give cancelled", g.shared_from_this()))
          return canceller(static_cast<process*>(w));
      }
    }
    if (!t) {
      s.error(std::make_exception_ptr(std::bad_alloc()));
      return {};
    }
    // [spec.prim.rdv] They meet: the waiting taker first, then this giver.
    std::optional<T> c;
    try {
      c.emplace(g.value());
    } catch (...) {
      std::exception_ptr e = std::current_exception();
      t->fail(e);
      s.error(std::move(e));
      return {};
    }
    t->succeed(std::move(*c));
    s.value(unit{});
    return {};
  }

  canceller take(sink<T> s) noexcept {
    giver* g;
    {
      std::lock_guard<std::mutex> lk(mutex_);
      g = static_cast<giver*>(givers_.pop_front());
      if (!g) {
        if (auto* w = enqueue_waiter<taker>(takers_, s, mutex_, this->shared_from_this(),
                                            "braid::rdv take cancelled"))
          return canceller(static_cast<process*>(w));
      }
    }
    if (!g) {
      s.error(std::make_exception_ptr(std::bad_alloc()));
      return {};
    }
    // They meet: the waiting giver first, then this taker. The copy is made
    // before either completes (completing the giver may drop its recipe).
    std::optional<T> c;
    try {
      c.emplace(g->extra()->value());
    } catch (...) {
      std::exception_ptr e = std::current_exception();
      g->fail(e);
      s.error(std::move(e));
      return {};
    }
    g->succeed(unit{});
    s.value(std::move(*c));
    return {};
  }

 private:
  std::mutex mutex_;
  waiter_fifo givers_;  // guarded by mutex_
  waiter_fifo takers_;  // guarded by mutex_
  take_task recipe_;
};

}  // namespace detail
}  // namespace braid
