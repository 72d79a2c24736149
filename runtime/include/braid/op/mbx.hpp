// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/waiters.hpp>
#include <braid/task.hpp>

#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {
template <class T>
class mbx_state;
}

/// A mailbox: an unbounded FIFO queue whose messages are awaited as tasks
/// (Missionary's `mbx`). [spec.prim.mbx]
///
/// `mbx<T>` is a handle: copies share one mailbox, which lives as long as a
/// handle, a fetch task or a pending fetch refers to it.
///
/// - `post(v)` never waits: it hands `v` to the oldest pending fetch, or
///   queues it when no fetch is pending.
/// - `fetch()` is a task completing with the oldest queued message, which it
///   removes: at once (synchronously, inside run, allocating nothing) when a
///   message is queued, otherwise with the next message posted.
/// Each message is delivered to exactly one fetch; messages are delivered in
/// the order they were posted, and pending fetches are served in the order
/// they were run (FIFO; Missionary leaves the fetch order unspecified).
///
/// **Cancellation**: cancelling a pending fetch removes it and fails it at
/// once with braid::cancelled ("braid::mbx fetch cancelled"); no message is
/// lost (a message goes to a fetch only when it is removed from the queue).
/// Cancelling a completed fetch does nothing.
///
/// **Failure**: a fetch fails only when cancelled. `post` throws only if
/// queueing the message cannot allocate (std::bad_alloc) or T's move
/// constructor throws; then nothing was posted.
///
/// **Ordering / thread-safety**: every member may be called from any thread
/// concurrently. A post that serves a pending fetch completes it on the
/// posting thread, after releasing the mailbox's lock and before returning.
/// T's constructors and destructor never run under the lock. T may be
/// move-only. Messages still queued when the mailbox dies are destroyed
/// with it. A pending fetch keeps the mailbox alive until it completes or
/// is cancelled.
///
/// Example (an actor's inbox):
/// \code
///   braid::mbx<std::string> inbox;
///   inbox.post("hello");                      // queued
///   inbox.fetch().run([](std::string m) { handle(m); },   // "hello", at once
///                     [](std::exception_ptr) {});
/// \endcode
template <class T>
class mbx {
  static_assert(std::is_move_constructible_v<T>, "braid::mbx<T> needs a move-constructible T");
  static_assert(std::is_same_v<T, std::remove_cvref_t<T>>, "braid::mbx<T> needs an unqualified object type");

 public:
  /// A new, empty mailbox.
  mbx() : state_(std::make_shared<detail::mbx_state<T>>()) {}

  /// Delivers `v` to the oldest pending fetch, or queues it. Never waits.
  void post(T v) const { state()->post(std::move(v)); }

  /// A task completing with the oldest message, removed from the mailbox.
  task<T> fetch() const {
    const auto& s = state();
    // The recipe lives inside the state: no allocation per fetch().
    return task<T>(std::shared_ptr<const detail::task_impl<T>>(s, &s->fetch_recipe()));
  }

 private:
  const std::shared_ptr<detail::mbx_state<T>>& state() const {
    if (!state_) detail::throw_moved_from("mbx");
    return state_;
  }

  std::shared_ptr<detail::mbx_state<T>> state_;
};

namespace detail {

/// The mailbox: queued messages and pending fetches. Invariant (under the
/// lock): at most one of the two queues is non-empty.
template <class T>
class mbx_state final : public std::enable_shared_from_this<mbx_state<T>> {
  using fetch_waiter = waiter<T>;

  struct message {
    explicit message(T&& v) : value(std::move(v)) {}
    T value;
    message* next = nullptr;
  };

  class fetch_task final : public task_impl<T> {
   public:
    explicit fetch_task(mbx_state* s) noexcept : state_(s) {}
    canceller start(sink<T> s) const noexcept override { return state_->fetch(s); }

   private:
    mbx_state* state_;
  };

 public:
  mbx_state() noexcept : recipe_(this) {}
  ~mbx_state() {
    while (message* m = head_) {
      head_ = m->next;
      delete m;
    }
  }
  mbx_state(const mbx_state&) = delete;
  mbx_state& operator=(const mbx_state&) = delete;

  const task_impl<T>& fetch_recipe() const noexcept { return recipe_; }

  void post(T&& v) {
    fetch_waiter* w;
    {
      std::lock_guard<std::mutex> g(mutex_);
      w = static_cast<fetch_waiter*>(waiters_.pop_front());
    }
    if (w) {  // handed over directly: no message node
      w->succeed(std::move(v));
      return;
    }
    // The node is built unlocked (T's move constructor is user code), so
    // the decision is re-taken afterwards: a fetch may have arrived.
    auto m = std::make_unique<message>(std::move(v));
    {
      std::lock_guard<std::mutex> g(mutex_);
      w = static_cast<fetch_waiter*>(waiters_.pop_front());
      if (!w) {
        push(m.release());
        return;
      }
    }
    w->succeed(std::move(m->value));
  }

  canceller fetch(sink<T> s) noexcept {
    std::unique_ptr<message> m;
    {
      std::lock_guard<std::mutex> g(mutex_);
      m.reset(pop());
      if (!m) {
        if (auto* w = enqueue_waiter<fetch_waiter>(waiters_, s, mutex_, this->shared_from_this(),
                                                   "braid::mbx fetch cancelled"))
          return canceller(static_cast<process*>(w));
      }
    }
    if (m)
      s.value(std::move(m->value));  // the node dies unlocked, after delivery
    else
      s.error(std::make_exception_ptr(std::bad_alloc()));
    return {};
  }

 private:
  void push(message* m) noexcept {
    if (tail_)
      tail_->next = m;
    else
      head_ = m;
    tail_ = m;
  }
  message* pop() noexcept {
    message* m = head_;
    if (m) {
      head_ = m->next;
      if (!head_) tail_ = nullptr;
    }
    return m;
  }

  std::mutex mutex_;
  message* head_ = nullptr;  // guarded by mutex_; oldest first
  message* tail_ = nullptr;
  waiter_fifo waiters_;  // guarded by mutex_
  fetch_task recipe_;
};

}  // namespace detail
}  // namespace braid
