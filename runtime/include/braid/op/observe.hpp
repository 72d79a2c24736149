// SPDX-License-Identifier: MIT
#pragma once

#include <braid/cancelled.hpp>
#include <braid/detail/flow_util.hpp>
#include <braid/flow.hpp>

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {

// Which observe processes the current thread is delivering into (inside
// subscribe, or inside a notification made by emit). An emit that would
// wait for one of them would wait for itself: a deadlock we can see.
struct observe_frame {
  const void* proc;
  const observe_frame* prev;
};
inline thread_local const observe_frame* observe_frames = nullptr;

struct observe_frame_guard {
  observe_frame f;
  explicit observe_frame_guard(const void* p) noexcept : f{p, observe_frames} { observe_frames = &f; }
  ~observe_frame_guard() { observe_frames = f.prev; }
  observe_frame_guard(const observe_frame_guard&) = delete;
  observe_frame_guard& operator=(const observe_frame_guard&) = delete;
  static bool inside(const void* p) noexcept {
    for (auto* f = observe_frames; f; f = f->prev)
      if (f->proc == p) return true;
    return false;
  }
};

// [spec.flow.observe] A mutex and a condition variable: emit genuinely
// blocks (Missionary's callback blocks), so a lock-free protocol would not
// buy anything here. Callbacks (notifier, terminator, unsubscribe) are called
// after the lock is released.
template <class T>
class observe_process final : public flow_node<T> {
 public:
  explicit observe_process(flow_listener l) noexcept : flow_node<T>(l) {}

  void emit(T&& x) {
    {
      std::unique_lock<std::mutex> lk(m_);
      for (;;) {
        if (!alive_) return;  // cancelled (or failed): emit has no effect
        if (!value_) break;
        if (observe_frame_guard::inside(this))
          throw std::logic_error(
              "braid::observe: emit was called while the previous value is still pending, on "
              "the thread that is delivering it (inside subscribe, or inside the consumer's "
              "notification); waiting would deadlock. Emit from another thread, or let the "
              "consumer transfer first (e.g. put buffer or relieve after observe)");
        cv_.wait(lk);
      }
      value_.emplace(std::move(x));
    }
    observe_frame_guard g(this);
    this->notify_out();
  }

  template <class S>
  void start(const S& subscribe);

  void cancel() noexcept override {
    {
      std::lock_guard<std::mutex> g(m_);
      if (!alive_) return;
      alive_ = false;
      if (!subscribed_) return;  // start() finishes the cancel when subscribe returns
    }
    finish_cancel();
  }

  T transfer() override {
    std::exception_ptr e;
    std::optional<T> v;
    {
      std::lock_guard<std::mutex> g(m_);
      if (dead_) {
        e = error_;
      } else {
        v = std::move(value_);
        value_.reset();
        cv_.notify_all();  // a blocked emit may proceed
      }
    }
    if (e) {
      this->terminate_out();
      std::rethrow_exception(std::move(e));
    }
    return std::move(*v);
  }

  void subscribed(std::function<void()> unsub) noexcept {
    {
      std::lock_guard<std::mutex> g(m_);
      unsub_ = std::move(unsub);
      subscribed_ = true;
      if (alive_) return;
    }
    finish_cancel();  // cancelled during subscribe
  }

  void subscribe_failed(std::exception_ptr e) noexcept { die(std::move(e)); }

 private:
  // Unsubscribes (outside the lock), then ends: a pending value is dropped
  // (its notification's transfer throws), else the consumer is notified so
  // that its transfer throws. Blocked emitters wake up and return.
  void finish_cancel() noexcept {
    std::function<void()> u;
    {
      std::lock_guard<std::mutex> g(m_);
      u = std::move(unsub_);
    }
    std::exception_ptr e;
    try {
      if (u) u();
    } catch (...) {
      e = std::current_exception();
    }
    die(e ? std::move(e) : cancelled_error("braid: observe cancelled"));
  }

  void die(std::exception_ptr e) noexcept {
    bool notify;
    {
      std::lock_guard<std::mutex> g(m_);
      alive_ = false;
      dead_ = true;
      error_ = std::move(e);
      notify = !value_;
      value_.reset();
      cv_.notify_all();
    }
    if (notify) this->notify_out();
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::optional<T> value_;  // emitted, notified, not transferred yet
  std::function<void()> unsub_;
  std::exception_ptr error_;
  bool alive_ = true;        // emits are accepted
  bool subscribed_ = false;  // subscribe returned
  bool dead_ = false;        // the next transfer terminates and throws error_
};

}  // namespace detail

/// The callable observe passes to subscribe: emit(v) delivers v (see observe).
/// Copyable; keeps the process's memory alive while it exists.
template <class T>
class observe_emitter {
 public:
  explicit observe_emitter(detail::observe_process<T>* p) noexcept : ref_(p) {}
  /// Blocks while the previous value has not been transferred; no effect
  /// after the flow was cancelled. Throws std::logic_error instead of
  /// deadlocking when called, while a value is pending, on the thread that
  /// is delivering it (inside subscribe, or inside the consumer's notifier).
  void operator()(T v) const { static_cast<detail::observe_process<T>*>(ref_.get())->emit(std::move(v)); }

 private:
  detail::process_ref ref_;
};

namespace detail {

template <class T>
template <class S>
void observe_process<T>::start(const S& subscribe) {
  this->retain();  // the emitter's reference
  observe_emitter<T> emit(this);
  try {
    std::function<void()> unsub;
    {
      observe_frame_guard g(this);  // an emit inside subscribe cannot be transferred yet
      unsub = std::function<void()>(subscribe(std::move(emit)));
    }
    subscribed(std::move(unsub));
  } catch (...) {
    subscribe_failed(std::current_exception());
  }
}

template <class T, class S>
class observe_flow final : public flow_impl<T> {
 public:
  explicit observe_flow(S s) : subscribe_(std::move(s)) {}

  flow_process<T>* spawn(flow_listener l) const noexcept override {
    return spawn_started<observe_process<T>>(l, subscribe_);
  }

 private:
  S subscribe_;
};

}  // namespace detail

/// A flow of the values an external producer emits (Missionary's `observe`).
///
/// Semantics: at spawn, calls `subscribe(emit)`, which must return an
/// unsubscribe callable. Each `emit(v)` makes v ready: the consumer is
/// notified (on the emitting thread) and its transfer returns v. While a
/// value is pending, emit blocks the calling thread until it is transferred
/// (backpressure on the producer); put `buffer` or `relieve` after observe
/// to let the producer run ahead. The flow never ends on its own.
///
/// **Deadlock hazard**: emit waits for the consumer, so emitting twice on the
/// consumer's own thread without a transfer in between waits forever. Where
/// braid can see it — a second emit inside subscribe, or inside the
/// consumer's notification of the previous value, before it was transferred
/// — emit throws std::logic_error instead (as Missionary does on hosts that
/// cannot block); other cases (e.g. a thread that is itself going to
/// transfer, emitting while a value is pending) block.
///
/// **Cancellation**: calls unsubscribe (outside any lock), drops a pending
/// value, wakes blocked emitters (their emit returns without effect, as do
/// later ones), and the next transfer calls the terminator and throws
/// braid::cancelled — or unsubscribe's exception if it threw.
///
/// **Failure**: if subscribe throws, the flow notifies and its transfer
/// terminates and throws that exception.
///
/// Ordering / thread-safety: emit may be called from any thread; values are
/// delivered in the order emits acquire the process.
///
/// Example:
/// ```
/// flow<int> ticks = observe<int>([&](auto emit) {
///   int id = clock.on_tick([emit](int t) { emit(t); });
///   return [&clock, id] { clock.remove(id); };
/// });
/// ```
template <class T, class S>
flow<T> observe(S&& subscribe) {
  using G = std::decay_t<S>;
  static_assert(std::is_invocable_v<const G&, observe_emitter<T>>,
                "braid::observe: subscribe must be callable with the emit callable (observe_emitter<T>)");
  static_assert(std::is_convertible_v<std::invoke_result_t<const G&, observe_emitter<T>>, std::function<void()>>,
                "braid::observe: subscribe must return an unsubscribe callable (taking no argument)");
  return flow<T>(std::make_shared<const detail::observe_flow<T, G>>(std::forward<S>(subscribe)));
}

}  // namespace braid
