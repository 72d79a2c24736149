// SPDX-License-Identifier: MIT
#pragma once

/// The waiting side of the synchronization primitives (dfv, mbx, rdv, sem):
/// an intrusive FIFO of pending waiters and the waiter process itself.
///
/// Protocol shared by every primitive ([spec.prim]):
/// - The primitive's state has one mutex guarding its data and its FIFOs.
/// - A request that can be served at once completes synchronously inside
///   start and allocates nothing (its canceller is empty).
/// - Otherwise one waiter is allocated and linked at the back of a FIFO.
///   The waiter is the process behind the canceller: two references, one for
///   the run, one for the canceller.
/// - Whoever unlinks a waiter under the mutex owns its completion: a serving
///   operation (post, release, ...) or cancel. The owner completes it after
///   unlocking, then drops the run's reference. So a completion and a cancel
///   racing on one waiter are decided by the mutex, and exactly one wins.

#include <braid/cancelled.hpp>
#include <braid/detail/process.hpp>
#include <braid/task.hpp>

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace braid::detail {

/// The links of a waiter in a waiter_fifo; `prev_` is null while not linked.
struct waiter_hook {
  waiter_hook* prev_ = nullptr;
  waiter_hook* next_ = nullptr;
};

/// An intrusive FIFO of waiters: a circular doubly-linked list around a
/// sentinel, so push, pop and removal of any waiter are O(1) and allocate
/// nothing. Not thread-safe: the owner's mutex guards it. Neither copyable
/// nor movable (the sentinel points to itself).
class waiter_fifo {
 public:
  waiter_fifo() noexcept { head_.prev_ = head_.next_ = &head_; }
  waiter_fifo(const waiter_fifo&) = delete;
  waiter_fifo& operator=(const waiter_fifo&) = delete;

  bool empty() const noexcept { return head_.next_ == &head_; }

  void push_back(waiter_hook* w) noexcept {
    w->prev_ = head_.prev_;
    w->next_ = &head_;
    head_.prev_->next_ = w;
    head_.prev_ = w;
  }

  /// Unlinks and returns the oldest waiter, or null when empty.
  waiter_hook* pop_front() noexcept {
    if (empty()) return nullptr;
    waiter_hook* w = head_.next_;
    unlink(w);
    return w;
  }

  /// Unlinks `w` if it is linked in some FIFO; false when it was not (it was
  /// already popped, removed or taken). Needs no FIFO: the links say it all.
  /// A linked waiter is recognized by its non-null `prev_`.
  static bool unlink(waiter_hook* w) noexcept {
    if (!w->prev_) return false;
    w->prev_->next_ = w->next_;
    w->next_->prev_ = w->prev_;
    w->prev_ = w->next_ = nullptr;
    return true;
  }

  /// Moves every waiter, in order, to a detached chain linked by `next_`
  /// (the last one's is null) and leaves this FIFO empty. Every `prev_` is
  /// cleared, so the taken waiters count as unlinked: a concurrent cancel
  /// leaves them alone. The caller walks the chain after unlocking and must
  /// read `next_` before completing a waiter (completion may destroy it).
  waiter_hook* take_all() noexcept {
    if (empty()) return nullptr;
    waiter_hook* first = head_.next_;
    head_.prev_->next_ = nullptr;
    head_.prev_ = head_.next_ = &head_;
    for (waiter_hook* w = first; w; w = w->next_) w->prev_ = nullptr;
    return first;
  }

 private:
  waiter_hook head_;
};

/// A pending request on a primitive: the process behind its canceller.
/// Created with two references (the run and the canceller). Holds the
/// primitive's state alive (`port_`, which points at its mutex) so that
/// cancel can lock that mutex whenever it is called, also after the waiter
/// completed.
class waiter_base : public process, public waiter_hook {
 public:
  /// [spec.prim.cancel] If still queued, unlinks itself and fails at once
  /// with braid::cancelled; otherwise (served already, or being served) a
  /// no-op. Idempotent, thread-safe.
  void cancel() noexcept final {
    bool mine;
    {
      std::lock_guard<std::mutex> g(*port_);
      mine = waiter_fifo::unlink(this);
    }
    if (mine) fail(cancelled_error(why_));
  }

  /// Completes with an error and drops the run's reference. Only the owner
  /// (see the protocol above) calls it, outside the primitive's lock.
  void fail(std::exception_ptr e) noexcept {
    ops_->on_error(ctx_, std::move(e));
    release();
  }

 protected:
  /// `m` is the primitive's mutex, inside the state `port` keeps alive.
  waiter_base(void* ctx, const sink_ops_base* ops, std::mutex& m, std::shared_ptr<const void> port,
              const char* why) noexcept
      : process(2), ctx_(ctx), ops_(ops), port_(std::move(port), &m), why_(why) {}

  void* ctx_;
  const sink_ops_base* ops_;  // the whole sink_ops<T> of the waiter's T

 private:
  std::shared_ptr<std::mutex> port_;  // owns the state, points at its mutex
  const char* why_;  // a string literal: the cancelled message
};

/// A waiter completing with a T. `Extra` is per-waiter data a primitive
/// needs when serving it (rdv's giver keeps its value there).
template <class T, class Extra = unit>
class waiter final : public waiter_base {
 public:
  waiter(sink<T> s, std::mutex& m, std::shared_ptr<const void> port, const char* why, Extra extra = {})
      : waiter_base(s.ctx, s.ops, m, std::move(port), why), extra_(std::move(extra)) {}

  /// Completes with `v` and drops the run's reference (owner only, unlocked).
  void succeed(stored_t<T>&& v) noexcept {
    static_cast<const sink_ops<T>*>(ops_)->on_value(ctx_, std::move(v));
    release();
  }

  /// Completes with a copy of `v`, or fails with the exception the copy
  /// threw; drops the run's reference (owner only, unlocked).
  void succeed_copy(const stored_t<T>& v) noexcept {
    std::optional<stored_t<T>> c;
    try {
      c.emplace(v);
    } catch (...) {
      fail(std::current_exception());
      return;
    }
    succeed(std::move(*c));
  }

  const Extra& extra() const noexcept { return extra_; }

 private:
  [[no_unique_address]] Extra extra_;
};

/// Completes `s` with a copy of `v`, or with the exception the copy threw.
template <class T>
void deliver_copy(const sink<T>& s, const stored_t<T>& v) noexcept {
  std::optional<stored_t<T>> c;
  try {
    c.emplace(v);
  } catch (...) {
    s.error(std::current_exception());
    return;
  }
  s.value(std::move(*c));
}

/// Allocates a waiter `W(a...)` and links it at the back of `q`. Called under
/// the primitive's lock, which keeps "nothing to take, so wait" one atomic
/// decision; it runs no user code (W's constructor copies pointers only).
/// On allocation failure returns null and leaves `q` unchanged.
template <class W, class... A>
W* enqueue_waiter(waiter_fifo& q, A&&... a) noexcept {
  W* w;
  try {
    w = new W(std::forward<A>(a)...);
  } catch (...) {
    return nullptr;
  }
  q.push_back(w);
  return w;
}

/// Throws the error every primitive raises when used through a moved-from handle.
[[noreturn]] inline void throw_moved_from(const char* what) {
  throw std::logic_error(std::string("braid::") + what +
                         ": this handle was moved from and refers to nothing; assign it "
                         "another handle before using it");
}

}  // namespace braid::detail
