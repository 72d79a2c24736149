// SPDX-License-Identifier: MIT
#pragma once

/// The flow protocol ([spec.flow]): Missionary's flows in C++.
///
/// A flow<T> is a cold, copyable recipe. Spawning it with (notifier,
/// terminator) starts a process and returns its iterator, which has
/// cancel() and transfer():
/// - the notifier says "one value is ready"; the consumer then calls
///   transfer() (exactly once per notification), which returns the value or
///   throws;
/// - the producer never notifies again before that transfer, and never after
///   terminating;
/// - the terminator is called exactly once, after every resource of the
///   process is released; it may be called from inside a transfer (the last
///   value) or from inside spawn (an empty flow);
/// - a throwing transfer ends the flow: no notification follows, the
///   terminator does;
/// - cancel() is idempotent, thread-safe, allowed at any time. A cancelled
///   source notifies (if no transfer is pending); its next transfer calls the
///   terminator and throws braid::cancelled.
/// Discrete flows push each value; continuous flows are lazy: a notification
/// says "changed", the value is computed by transfer (glitch-freedom).

#include <braid/task.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace braid {

template <class T>
class flow;

namespace detail {

/// Where a flow process signals; owned by the consumer, which outlives the
/// process's termination (structured concurrency).
struct flow_listener {
  void* ctx = nullptr;
  void (*on_notify)(void*) noexcept = nullptr;
  void (*on_terminate)(void*) noexcept = nullptr;

  void notify() const noexcept { on_notify(ctx); }
  void terminate() const noexcept { on_terminate(ctx); }
};

/// A running flow: the iterator's target. One reference belongs to the run
/// (released after the terminator was called), one to each iterator handle.
template <class T>
class flow_process : public process {
 public:
  /// Takes the value announced by the last notification; may throw.
  virtual T transfer() = 0;

 protected:
  using process::process;
};

/// A consumer that folds every value of a flow as it comes (reduce): what a
/// recipe that only transforms another flow's values (eduction) can feed
/// directly, without a process of its own in between (transducer fusion, as
/// Clojure's `transduce` is `reduce` over `eduction` without the sequence).
template <class T>
class fold_target {
 public:
  /// One value, in the order the unfused flow would have delivered it;
  /// calls are serialized and never follow end(). Must not throw: the target
  /// keeps its own failure and cancels the fold (fold_process::cancel).
  /// `more`: unfused, the flow's next event (a notification or the
  /// termination) would already be pending when this value's transfer
  /// returned (a seed: always). A target that is itself a stage of a fold
  /// (an eduction over a folding input) needs it to keep the unfused order
  /// of its own outputs; reduce ignores it.
  virtual void step(T&& v, bool more) noexcept = 0;
  /// The fold is over: the input terminated and every value was stepped.
  /// `error` is what the unfused flow's last transfer would have thrown (the
  /// input's or a stage's error), null if none. Called once, after the fold
  /// released its run's reference, so the target may end and free itself.
  virtual void end(std::exception_ptr error) noexcept = 0;

 protected:
  ~fold_target() = default;
};

/// A running fold (see flow_impl::fold): cancel() cancels its input. It
/// starts held, so that the target can store it before any value arrives;
/// begin() lets it run (values and the end may come inside begin()).
class fold_process : public process {
 public:
  virtual void begin() noexcept = 0;

 protected:
  using process::process;
};

/// A flow recipe: immutable, shared by all copies of a flow.
template <class T>
class flow_impl {
 public:
  virtual ~flow_impl() = default;
  /// Spawns one process reporting to `l`; returns it with one reference for
  /// the caller (null only if it terminated during spawn and keeps nothing).
  /// Must not throw: a failure to start is a notification whose transfer throws.
  virtual flow_process<T>* spawn(flow_listener l) const noexcept = 0;
  /// Transducer fusion: a recipe that transforms another flow's values may
  /// run as a fold into `t` instead of as a process that `t` would consume,
  /// observably the same (values, their order against the user functions'
  /// calls, errors, cancellation, early termination), minus the process
  /// boundary. Returns the fold with one reference for the caller, held
  /// until its begin(); null when this recipe does not fold (the default),
  /// or could not allocate one: then spawn it.
  virtual fold_process* fold(fold_target<T>& t) const noexcept {
    (void)t;
    return nullptr;
  }
};

template <class T>
struct is_flow : std::false_type {};
template <class T>
struct is_flow<flow<T>> : std::true_type {};

template <class T>
std::shared_ptr<const flow_impl<T>> single_value_flow(T v);
std::exception_ptr empty_flow_error();
template <class T>
std::shared_ptr<const flow_impl<T>> failing_flow(std::exception_ptr e);

}  // namespace detail

/// The consumer's handle on a running flow.
template <class T>
class flow_iterator {
 public:
  flow_iterator() noexcept = default;
  /// Adopts one reference.
  explicit flow_iterator(detail::flow_process<T>* p) noexcept : ref_(p) {}

  /// Requests cancellation: idempotent, thread-safe, any time.
  void cancel() const noexcept {
    if (ref_) ref_.get()->cancel();
  }
  /// Takes the announced value or throws. Call exactly once per notification.
  T transfer() const { return static_cast<detail::flow_process<T>*>(ref_.get())->transfer(); }
  explicit operator bool() const noexcept { return static_cast<bool>(ref_); }
  detail::flow_process<T>* get() const noexcept {
    return static_cast<detail::flow_process<T>*>(ref_.get());
  }

 private:
  detail::process_ref ref_;
};

/// A flow: a cold, copyable recipe for a process that produces values of
/// type T over time. Converts implicitly from a T (a flow of that one value).
/// A default-constructed or moved-from flow is empty; spawning it gives a
/// process that notifies once and whose transfer throws std::logic_error
/// saying so.
template <class T>
class flow {
  using impl_ptr = std::shared_ptr<const detail::flow_impl<T>>;

 public:
  using value_type = T;

  flow() noexcept = default;
  explicit flow(impl_ptr impl) noexcept : impl_(std::move(impl)) {}
  template <class U>
    requires(std::is_constructible_v<T, U &&> && std::is_convertible_v<U &&, T> &&
             !detail::is_flow<std::remove_cvref_t<U>>::value)
  flow(U&& v) : impl_(detail::single_value_flow<T>(T(std::forward<U>(v)))) {}

  flow(const flow&) = default;
  flow& operator=(const flow&) = default;
  flow(flow&& o) noexcept : impl_(std::move(o.impl_)) {}
  flow& operator=(flow&& o) noexcept {
    impl_ = std::move(o.impl_);
    return *this;
  }

  bool empty() const noexcept { return !impl_; }

  /// Spawns a process. `notifier()` and `terminator()` may be called from any
  /// thread, possibly inside spawn; neither may throw (an exception escaping
  /// them goes to the callback error handler). Returns the iterator.
  template <class N, class D>
  flow_iterator<T> spawn(N notifier, D terminator) const {
    // The terminator may run inside the notifier (an eager consumer whose
    // transfer inside the notification is the last), or on another thread
    // while the notifier is still returning: the holder is counted, one
    // reference for the run and one for each notifier call in progress.
    struct holder {
      N n;
      D d;
      std::atomic<int> refs{1};
      void unref() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
      }
      static void on_notify(void* c) noexcept {
        auto* h = static_cast<holder*>(c);
        h->refs.fetch_add(1, std::memory_order_relaxed);
        try {
          h->n();
        } catch (...) {
          detail::report_callback_error(std::current_exception());
        }
        h->unref();
      }
      static void on_terminate(void* c) noexcept {
        auto* h = static_cast<holder*>(c);
        try {
          h->d();
        } catch (...) {
          detail::report_callback_error(std::current_exception());
        }
        h->unref();
      }
    };
    auto* h = new holder{std::move(notifier), std::move(terminator)};  // refs = 1: the run
    return spawn(detail::flow_listener{h, &holder::on_notify, &holder::on_terminate});
  }

  /// Internal protocol.
  flow_iterator<T> spawn(detail::flow_listener l) const noexcept {
    if (!impl_) return flow_iterator<T>(detail::failing_flow<T>(detail::empty_flow_error())->spawn(l));
    return flow_iterator<T>(impl_->spawn(l));
  }

  const impl_ptr& impl() const noexcept { return impl_; }

 private:
  impl_ptr impl_;
};

namespace detail {

/// A process that notifies once at spawn; its transfer yields the value (or
/// throws the error, or braid::cancelled after cancel) and terminates.
template <class T>
class one_shot_flow final : public flow_impl<T> {
 public:
  one_shot_flow(std::optional<T> v, std::exception_ptr e) : v_(std::move(v)), e_(std::move(e)) {}

  flow_process<T>* spawn(flow_listener l) const noexcept override {
    proc* p;
    try {
      p = new proc(l, v_, e_);
    } catch (...) {
      p = new proc(l, std::nullopt, std::current_exception());
    }
    l.notify();
    return p;
  }

 private:
  struct proc final : flow_process<T> {
    proc(flow_listener l, std::optional<T> v, std::exception_ptr e)
        : flow_process<T>(2), l_(l), v_(std::move(v)), e_(std::move(e)) {}
    void cancel() noexcept override { cancelled_.store(true, std::memory_order_release); }
    T transfer() override {
      struct done_guard {
        proc* p;
        ~done_guard() {
          flow_listener l = p->l_;
          p->release();  // the run's resources go before the terminator is called
          l.terminate();
        }
      } guard{this};
      if (cancelled_.load(std::memory_order_acquire)) throw braid::cancelled("braid: flow cancelled");
      if (e_) std::rethrow_exception(e_);
      return T(std::move(*v_));
    }
    flow_listener l_;
    std::optional<T> v_;
    std::exception_ptr e_;
    std::atomic<bool> cancelled_{false};
  };

  std::optional<T> v_;
  std::exception_ptr e_;
};

template <class T>
std::shared_ptr<const flow_impl<T>> single_value_flow(T v) {
  return std::make_shared<const one_shot_flow<T>>(std::optional<T>(std::move(v)), nullptr);
}
template <class T>
std::shared_ptr<const flow_impl<T>> failing_flow(std::exception_ptr e) {
  return std::make_shared<const one_shot_flow<T>>(std::nullopt, std::move(e));
}

}  // namespace detail
}  // namespace braid
