// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/waiters.hpp>
#include <braid/sp.hpp>
#include <braid/task.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {
class sem_state;
}

/// One permit of a braid::sem, held for as long as this object holds it:
/// its destructor (or reset()) releases it. Move-only; a default-constructed
/// or moved-from permit holds nothing. Obtained from `sem::acquire_permit()`,
/// which makes it usable as a scoped lock in BRAID_SP code:
/// \code
///   BRAID_SP task<void> eat(braid::sem fork) {
///     braid::permit p = park(fork.acquire_permit());
///     park(braid::sleep(600));
///   }   // p released here, also on failure and cancellation
/// \endcode
class permit {
 public:
  permit() noexcept = default;
  permit(permit&&) noexcept = default;
  permit& operator=(permit&& o) noexcept {
    if (this != &o) {
      reset();
      state_ = std::move(o.state_);
    }
    return *this;
  }
  ~permit() { reset(); }

  /// Releases the permit now, if held; then holds nothing. Idempotent.
  void reset() noexcept;
  /// True while a permit is held.
  explicit operator bool() const noexcept { return static_cast<bool>(state_); }

 private:
  friend class detail::sem_state;
  explicit permit(std::shared_ptr<detail::sem_state> s) noexcept : state_(std::move(s)) {}

  std::shared_ptr<detail::sem_state> state_;
};

/// A counting semaphore whose permits are awaited as tasks (Missionary's
/// `sem`). [spec.prim.sem]
///
/// `sem` is a handle: copies share one semaphore, which lives as long as a
/// handle, a permit, an acquire task or a pending acquire refers to it.
///
/// - `sem(n)` starts with n permits (default 1: a mutex); n may be 0.
/// - `acquire()` is a task that takes one permit: at once (synchronously,
///   inside run, allocating nothing) when one is available, otherwise when
///   one is released.
/// - `release()` never waits: it gives one permit to the oldest pending
///   acquire, or makes it available.
/// - `acquire_permit()` is acquire() whose value is a braid::permit that
///   releases on destruction.
/// - `holding(s, body)` (below) is the structured form: acquire, run body,
///   release on every path.
/// Pending acquires are served in the order they were run (FIFO; Missionary
/// leaves this order unspecified).
///
/// **Cancellation**: cancelling a pending acquire removes it and fails it at
/// once with braid::cancelled ("braid::sem acquire cancelled"); it took no
/// permit. Cancelling a completed acquire does nothing (the permit stays taken).
///
/// **Failure**: an acquire fails only when cancelled.
///
/// **Misuse**: as in Missionary, release() is not checked against acquire():
/// releasing more often than acquiring adds permits beyond the initial count.
/// A negative initial count throws std::invalid_argument.
///
/// **Ordering / thread-safety**: every member may be called from any thread
/// concurrently. A release that serves a pending acquire completes it on the
/// releasing thread, after releasing the semaphore's lock and before
/// returning. A pending acquire keeps the semaphore alive until it completes
/// or is cancelled.
///
/// Example (at most two downloads at once):
/// \code
///   braid::sem slots(2);
///   task<page> get(url u) { return braid::holding(slots, download(u)); }
/// \endcode
class sem {
 public:
  /// A semaphore with `permits` permits available.
  explicit sem(std::int64_t permits = 1);

  /// A task taking one permit; it waits while none is available.
  task<void> acquire() const;
  /// Like acquire(), completing with a permit that releases on destruction.
  task<permit> acquire_permit() const;
  /// Gives one permit back: to the oldest pending acquire, or to the pool.
  void release() const;

 private:
  const std::shared_ptr<detail::sem_state>& state() const {
    if (!state_) detail::throw_moved_from("sem");
    return state_;
  }

  std::shared_ptr<detail::sem_state> state_;
};

namespace detail {

/// The semaphore: available permits and pending acquires. Invariant (under
/// the lock): permits_ > 0 only when no acquire is pending. The bodies are
/// in src/sem.cpp.
class sem_state final : public std::enable_shared_from_this<sem_state> {
 public:
  explicit sem_state(std::int64_t permits) noexcept
      : permits_(permits), acquire_recipe_(this), permit_recipe_(this) {}
  sem_state(const sem_state&) = delete;
  sem_state& operator=(const sem_state&) = delete;

  const task_impl<void>& acquire_recipe() const noexcept { return acquire_recipe_; }
  const task_impl<permit>& permit_recipe() const noexcept { return permit_recipe_; }

  void release() noexcept;

 private:
  class acquire_task final : public task_impl<void> {
   public:
    explicit acquire_task(sem_state* s) noexcept : state_(s) {}
    canceller start(sink<void> s) const noexcept override {
      return state_->acquire(s.ctx, s.ops, false);
    }

   private:
    sem_state* state_;
  };
  class permit_task final : public task_impl<permit> {
   public:
    explicit permit_task(sem_state* s) noexcept : state_(s) {}
    canceller start(sink<permit> s) const noexcept override {
      return state_->acquire(s.ctx, s.ops, true);
    }

   private:
    sem_state* state_;
  };
  class sem_waiter;

  // `ops` is a sink_ops<void> (acquire()) or, with `with_permit`, a
  // sink_ops<permit> (acquire_permit()). Both flavours wait in one FIFO.
  canceller acquire(void* ctx, const sink_ops_base* ops, bool with_permit) noexcept;
  void grant(void* ctx, const sink_ops_base* ops, bool with_permit) noexcept;

  std::mutex mutex_;
  std::int64_t permits_;  // guarded by mutex_
  waiter_fifo waiters_;   // guarded by mutex_
  acquire_task acquire_recipe_;
  permit_task permit_recipe_;
};

// BRAID_SP task<T> holding(sem s, task<T> body) {
//   park(s.acquire());          // cancelled here: nothing to release
//   outcome o = park(body);     // value or error, kept
//   s.release();
//   return o;                   // the value, or the error rethrown
// }
// Missionary's `holding` is this sp block (a macro), so this frame runs on
// the sp driver: cancellation reaching it during the acquire fails that
// acquire; reaching it after the acquire completed starts the body and
// cancels it at once ([spec.task.sp] park after cancellation).
template <class T>
class holding_frame final : public sp_frame<T> {
 public:
  holding_frame(sem s, task<T> body) : sp_frame<T>(table), sem_(std::move(s)), body_(std::move(body)) {}

 private:
  step acquire() { return this->park(sem_.acquire(), 1, acquired_); }
  step run_body() {
    acquired_.take();  // rethrows the acquire's failure: the frame fails, holding nothing
    held_ = true;
    return this->park(std::move(body_), 2, outcome_);
  }
  step finish() {
    if constexpr (std::is_void_v<T>) {
      outcome_.take();
      return this->finish_with();
    } else {
      return this->finish_with(outcome_.take());
    }
  }
  // The permit is the frame's one kept "local": the driver unwinds it on
  // every path, after the result is made and before the outcome is delivered
  // ([spec.prim.holding]); a failed body ends the frame without running
  // finish (the sp driver's direct failure at a park, docs/driver.md).
  static void unwind(sp_core* f, std::int32_t) noexcept {
    auto* self = static_cast<holding_frame*>(f);
    if (self->held_) {
      self->held_ = false;
      self->sem_.release();
    }
  }

  sem sem_;
  task<T> body_;
  slot<void> acquired_;
  slot<T> outcome_;
  bool held_ = false;

  static const partition_info parts[3];

 public:
  static const frame_table table;
};

template <class T>
const partition_info holding_frame<T>::parts[3] = {
    {&partition_thunk<holding_frame, &holding_frame::acquire>, "holding#0", "braid/op/sem.hpp", 0, 0, "", -1},
    {&partition_thunk<holding_frame, &holding_frame::run_body>, "holding#1", "braid/op/sem.hpp", 0, 0, "", -1},
    {&partition_thunk<holding_frame, &holding_frame::finish>, "holding#2", "braid/op/sem.hpp", 0, 0, "", -1},
};
template <class T>
const frame_table holding_frame<T>::table = {"braid::holding", parts, 3, nullptr, 0, &holding_frame::unwind};

}  // namespace detail

/// Runs `body` holding one permit of `s` (Missionary's `holding`).
/// [spec.prim.holding]
///
/// Acquires a permit, runs `body`, releases the permit, then ends with the
/// body's outcome. The permit is released on every path once acquired:
/// success, failure, cancellation during the body. The release happens
/// before the outcome is delivered.
///
/// **Cancellation**: during the acquire, the acquire fails with
/// braid::cancelled and so does holding (nothing was acquired, nothing is
/// released, the body never runs); during the body, the body is cancelled,
/// and holding ends with the body's outcome after releasing. A cancel that
/// arrives after the permit was granted but before the body started starts
/// the body and cancels it at once (sp's rule).
///
/// **Failure**: the body's error, after releasing. An empty body task fails
/// with the std::logic_error every empty task fails with (after releasing).
///
/// **Ordering / thread-safety**: `s` is copied into the task; the task is a
/// recipe and every run acquires anew. The body runs on the thread that
/// granted the permit (the one running holding, or the one that released).
///
/// Example:
/// \code
///   braid::sem mutex;
///   task<int> t = braid::holding(mutex, read_counter());
/// \endcode
template <class T>
task<T> holding(const sem& s, task<T> body) {
  return detail::make_sp<detail::holding_frame<T>, T>(s, std::move(body));
}

}  // namespace braid
