// SPDX-License-Identifier: MIT
#pragma once

/// The state machine shared by join, race, any and all ([spec.task.join]):
/// N children started synchronously in argument order; at most one child
/// "decides" (claimed atomically: join's first failure, race's first success,
/// any's first end); the decision cancels every child in argument order, the
/// decider included, but never before all children are started; the parent
/// completes exactly once, after the last child ended, outside any lock.
///
/// The operator-specific part (what a child stores, what the parent
/// delivers) lives in a derived template; this part is not a template.

#include <braid/detail/process.hpp>
#include <braid/task.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <type_traits>
#include <vector>

namespace braid::detail {

class gather_process : public process {
 public:
  /// Cancels every child, in argument order. Only reachable once all
  /// children are started (the canceller is handed out after that).
  void cancel() noexcept final;

 protected:
  /// `children` is the derived object's array of n child cancellers.
  gather_process(process** children, std::size_t n) noexcept
      : process(2),  // the run + the canceller returned by start
        children_(children),
        n_(n),
        pending_(n) {}
  ~gather_process() override;

  /// Keeps child i's canceller; call right after starting child i.
  void started(std::size_t i, canceller c) noexcept { children_[i] = c.release(); }
  /// Ends start-up: if a child decided meanwhile, its deferred cancellation
  /// of every child happens now. With no children, completes at once.
  void all_started() noexcept;
  /// Child i asks to decide. True for the one child that wins; the winner
  /// stores its outcome after this and before child_ended().
  bool claim(std::size_t i) noexcept;
  /// The index of the child that decided, or -1.
  std::ptrdiff_t decider() const noexcept {
    const std::int32_t s = state_.load(std::memory_order_acquire);
    return s >= 0 ? s : -1;
  }
  /// Child i has ended (its outcome stored). The last one completes the
  /// parent and drops the run's reference.
  void child_ended() noexcept;
  /// Delivers the parent's outcome; called exactly once.
  virtual void complete() noexcept = 0;

 private:
  void cancel_children() noexcept;

  // state_: starting (children being started), running, or the index of the
  // child that decided. A claim during start-up only records the index; the
  // starter's CAS starting -> running then fails and it cancels the children
  // ([spec.task.join]: cancellation waits until all are started).
  static constexpr std::int32_t starting = -2;
  static constexpr std::int32_t running = -1;

  process** children_;
  std::size_t n_;
  std::atomic<std::int32_t> state_{starting};
  std::atomic<std::size_t> pending_;
};

/// Delivers g()'s result to `out`, or its exception as a failure.
///
/// The failure is delivered after the handler has ended, never inside it:
/// the parent may pass the exception to another thread that rethrows and
/// frees it, while a handler still running here would hold the same object
/// (its release at the handler's end would race with that thread).
template <class R, class G>
void deliver_call(const sink<R>& out, G&& g) noexcept {
  std::exception_ptr failed;
  try {
    if constexpr (std::is_void_v<R>) {
      g();
      out.value(unit{});
    } else {
      out.value(stored_t<R>(g()));  // the sink is noexcept: only g's exception is caught
    }
    return;
  } catch (...) {
    failed = std::current_exception();
  }
  out.error(std::move(failed));
}

/// Children storage for the vector forms, a base class so that it is built
/// before gather_process, which keeps a pointer to the cancellers.
template <class Slot>
struct gather_slots {
  explicit gather_slots(std::size_t n) : cancellers(n, nullptr), slots(n) {}
  std::vector<process*> cancellers;
  std::vector<Slot> slots;
};

/// The same for a fixed number of children.
template <class Slots, std::size_t N>
struct gather_array {
  explicit gather_array(std::size_t = N) {}
  std::array<process*, N> cancellers{};
  Slots slots{};
};

}  // namespace braid::detail
