// SPDX-License-Identifier: MIT
#pragma once

/// Small pieces shared by flow operators ([spec.flow]): a base for
/// processes that report to one consumer, the spawn of such a process, a
/// listener that forwards to member functions, and the event counter that
/// serializes a process's reactions without a lock and without recursion.

#include <braid/flow.hpp>

#include <atomic>
#include <cstdint>

namespace braid::detail {

/// Counts events not yet handled; whoever brings the count from 0 to 1 owns
/// the drain loop and handles events until the count falls back to 0.
///
/// Every event source calls arrive() after publishing what the event means
/// (a flag, a slot); if it returns true, the caller handles events, calling
/// depart() after each one, until depart() returns false. An event raised
/// while the loop runs (a synchronous re-notification inside a transfer, a
/// notification from another thread) only bumps the count, so the loop picks
/// it up on its next turn: the stack stays flat however many events arrive
/// synchronously, and two threads never run the loop at once.
///
/// Both operations are acq_rel read-modify-writes on one variable, so the
/// handler of an event sees everything its source wrote before arrive(), and
/// the next owner of the loop sees everything the previous owner wrote.
class drain_counter {
 public:
  /// `initial` > 0 starts with the loop held (e.g. by spawn, until the
  /// process has stored its inputs' iterators); release it with depart().
  explicit drain_counter(std::uint32_t initial = 0) noexcept : n_(initial) {}

  /// One more event; true if the caller must now run the loop.
  bool arrive() noexcept { return n_.fetch_add(1, std::memory_order_acq_rel) == 0; }
  /// One event handled; true if another one is waiting (keep looping).
  bool depart() noexcept { return n_.fetch_sub(1, std::memory_order_acq_rel) != 1; }

 private:
  std::atomic<std::uint32_t> n_;
};

/// A drain_counter for a loop that holds the count only while it runs on a
/// thread's stack (it never leaves the loop keeping the count, except to end
/// the process for good): an event that arrives on the thread running the
/// loop (a synchronous re-notification inside a transfer) is counted in a
/// plain field that only that thread reads, so a synchronous input costs no
/// atomic read-modify-write per value. Events from other threads take the
/// atomic path as in drain_counter. The thread that constructs the counter
/// with `initial` > 0 holds it and must be the one that departs first.
class affine_drain_counter {
 public:
  explicit affine_drain_counter(std::uint32_t initial = 0) noexcept
      : n_(initial), owner_(initial != 0 ? self() : nullptr) {}

  bool arrive() noexcept {
    if (owner_.load(std::memory_order_relaxed) == self()) {
      ++local_;  // the loop below us on this stack sees it at its next depart
      return false;
    }
    if (n_.fetch_add(1, std::memory_order_acq_rel) != 0) return false;
    owner_.store(self(), std::memory_order_relaxed);
    return true;
  }
  bool depart() noexcept {
    if (local_ != 0) {
      --local_;
      return true;
    }
    // A thread reads back only its own last store or a later one, so no
    // other thread can mistake itself for the owner after this store.
    owner_.store(nullptr, std::memory_order_relaxed);
    if (n_.fetch_sub(1, std::memory_order_acq_rel) == 1) return false;
    owner_.store(self(), std::memory_order_relaxed);
    return true;
  }
  /// For the loop's owner: is an event waiting besides the one it handles?
  /// (Another thread may add one right after; depart() still sees it.)
  bool pending() const noexcept {
    return local_ != 0 || n_.load(std::memory_order_acquire) > 1;
  }

 private:
  static const void* self() noexcept { return &token_; }
  static constinit inline thread_local char token_ = 0;

  std::atomic<std::uint32_t> n_;
  std::atomic<const void*> owner_;
  std::uint32_t local_ = 0;  // owner only; handed over with n_'s acq_rel
};

/// Base of a process that reports to one consumer: keeps its listener and
/// implements the "release, then call the terminator" rule. Starts with two
/// references: the run's and the iterator's.
template <class T>
class flow_node : public flow_process<T> {
 public:
  using value_type = T;

 protected:
  explicit flow_node(flow_listener out) noexcept : flow_process<T>(2), out_(out) {}

  void notify_out() const noexcept { out_.notify(); }
  /// Ends the run: releases its reference (the object may be gone after
  /// that), then calls the consumer's terminator ([spec.flow]: the
  /// terminator comes after every resource is released).
  void terminate_out() noexcept {
    flow_listener l = out_;
    this->release();
    l.terminate();
  }

  flow_listener out_;
};

/// An operator's spawn: makes `new P(l, a...)` and starts it with
/// `p->start(source)` (the input flow, or whatever P starts from). If making
/// the process throws (allocation, a copy of a user function), the consumer
/// gets a run failing with that error instead: a spawn never throws.
template <class P, class S, class... A>
flow_process<typename P::value_type>* spawn_started(flow_listener l, const S& source,
                                                    const A&... a) noexcept {
  P* p;
  try {
    p = new P(l, a...);
  } catch (...) {
    return failing_flow<typename P::value_type>(std::current_exception())->spawn(l);
  }
  p->start(source);
  return p;
}

/// A listener calling `(p->*N)()` on notification and `(p->*D)()` on
/// termination.
template <class P, void (P::*N)() noexcept, void (P::*D)() noexcept>
flow_listener member_listener(P* p) noexcept {
  return flow_listener{
      p, [](void* c) noexcept { (static_cast<P*>(c)->*N)(); },
      [](void* c) noexcept { (static_cast<P*>(c)->*D)(); }};
}

/// Transfers from `it` and drops the value or the error: how a process that
/// no longer wants its input's values (after an error, after early
/// termination) drains them until the input terminates.
template <class T>
void discard(const flow_iterator<T>& it) noexcept {
  try {
    (void)it.transfer();
  } catch (...) {
  }
}

}  // namespace braid::detail
