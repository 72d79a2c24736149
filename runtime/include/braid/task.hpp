// SPDX-License-Identifier: MIT
#pragma once

#include <braid/cancelled.hpp>
#include <braid/detail/process.hpp>

#include <atomic>
#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace braid {

template <class T>
class task;

/// The handle returned by running a task: calling it requests cancellation
/// (Missionary's canceller thunk). Idempotent, thread-safe, callable at any
/// time, also after the process completed; calling it never throws.
/// Copies share the process; a default-constructed canceller cancels nothing.
class canceller {
 public:
  canceller() noexcept = default;
  /// Adopts one reference to `p` (may be null).
  explicit canceller(detail::process* p) noexcept : ref_(p) {}
  explicit canceller(detail::process_ref r) noexcept : ref_(std::move(r)) {}

  void operator()() const noexcept {
    if (ref_) ref_.get()->cancel();
  }
  /// True when there is a process behind this handle (false for tasks that
  /// completed while being run and keep no state).
  explicit operator bool() const noexcept { return static_cast<bool>(ref_); }

  /// Internal: gives up the reference.
  detail::process* release() noexcept { return ref_.release(); }

 private:
  detail::process_ref ref_;
};

namespace detail {

/// The two functions a sink calls: one static table per pair (sink::to).
/// The error half does not depend on T, so code that only fails a sink
/// (waiter_base) keeps a pointer to that half.
struct sink_ops_base {
  void (*on_error)(void*, std::exception_ptr) noexcept;
};
template <class T>
struct sink_ops : sink_ops_base {
  void (*on_value)(void*, stored_t<T>&&) noexcept;
};

/// Where a process delivers its outcome: a context pointer and its two
/// functions, owned by the parent (structured concurrency: the parent
/// outlives the child's completion). Exactly one of value/error is called,
/// exactly once, possibly before `start` returns, possibly on another
/// thread. Two words: the functions are a static table (`sink<T>::to<&v,
/// &e>(ctx)`), so a process that keeps its sink (every frame, every waiter)
/// pays 16 bytes for it, not 24.
template <class T>
struct sink {
  using value_type = stored_t<T>;
  using value_fn = void (*)(void*, value_type&&) noexcept;
  using error_fn = void (*)(void*, std::exception_ptr) noexcept;
  void* ctx = nullptr;
  const sink_ops<T>* ops = nullptr;

  template <value_fn V, error_fn E>
  static constexpr sink_ops<T> ops_of{{E}, V};
  /// The sink that calls V(ctx, value) or E(ctx, error).
  template <value_fn V, error_fn E>
  static sink to(void* ctx) noexcept {
    return sink{ctx, &ops_of<V, E>};
  }

  void value(value_type&& v) const noexcept { ops->on_value(ctx, std::move(v)); }
  void error(std::exception_ptr e) const noexcept { ops->on_error(ctx, std::move(e)); }
};

/// `make()`, which returns a new process state (a pointer); if it throws, the
/// failure goes to `out` (after the catch block has ended: the exception may
/// travel on to another thread) and the result is null. How a process start
/// reports that it could not even make its state.
template <class Sink, class Make>
auto make_or_fail(const Sink& out, Make&& make) noexcept -> decltype(make()) {
  std::exception_ptr failed;
  try {
    return std::forward<Make>(make)();
  } catch (...) {
    failed = std::current_exception();
  }
  out.error(std::move(failed));
  return nullptr;
}

/// make_or_fail of `new P(args...)`.
template <class P, class Sink, class... A>
P* new_or_fail(const Sink& out, A&&... a) noexcept {
  return make_or_fail(out, [&] { return new P(std::forward<A>(a)...); });
}

/// A task recipe: immutable, shared by all copies of a task.
template <class T>
class task_impl {
 public:
  virtual ~task_impl() = default;
  /// Starts one independent process. Must not throw: errors go to `s`.
  virtual canceller start(sink<T> s) const noexcept = 0;
  /// Starts a process from a recipe its caller owns alone and gives up
  /// (`self` is the only reference: a task run as an rvalue, e.g. parked on).
  /// An implementation may take `self` and reuse the recipe's storage and
  /// arguments for this one run (the sp recipe builds its frame in place,
  /// moving the arguments: one allocation per call and run); the default
  /// runs `start` and leaves `self` to the caller.
  virtual canceller start_consumed(std::shared_ptr<const task_impl>& self, sink<T> s) const noexcept {
    (void)self;
    return start(s);
  }
};

/// A recipe counted by the tasks holding it (an intrusive count, no
/// shared_ptr control block): what a BRAID_SP call returns (sp_recipe). A
/// task holding the only reference and giving it up (a park, an rvalue
/// run) hands the recipe itself to its run (start_owned): that run owns it
/// and frees it without touching the count again.
template <class T>
class owned_impl : public task_impl<T> {
 public:
  /// Starts the one run that now owns this recipe (its last task gave it
  /// up); the run frees it when it no longer needs it, also when it cannot
  /// start (the failure goes to `s`).
  virtual canceller start_owned(sink<T> s) const noexcept = 0;

  void acquire() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void drop() const noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  /// True when the caller's reference is the only one. No other can
  /// appear meanwhile (a new one is made only by copying a reference); the
  /// acquire orders the caller's reuse after a former owner's last use,
  /// which its decrement released.
  bool sole() const noexcept { return refs_.load(std::memory_order_acquire) == 1; }

 private:
  mutable std::atomic<std::uint32_t> refs_{1};
};

/// An owning pointer to one reference of an owned_impl.
template <class T>
class owned_ref {
 public:
  owned_ref() noexcept = default;
  /// Adopts the reference a new recipe starts with.
  explicit owned_ref(const owned_impl<T>* p) noexcept : p_(p) {}
  owned_ref(const owned_ref& o) noexcept : p_(o.p_) {
    if (p_) p_->acquire();
  }
  owned_ref(owned_ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  owned_ref& operator=(owned_ref o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~owned_ref() {
    if (p_) p_->drop();
  }
  const owned_impl<T>* get() const noexcept { return p_; }
  const owned_impl<T>* operator->() const noexcept { return p_; }
  const owned_impl<T>* release() noexcept { return std::exchange(p_, nullptr); }

 private:
  const owned_impl<T>* p_ = nullptr;
};

template <class T>
struct is_task : std::false_type {};
template <class T>
struct is_task<task<T>> : std::true_type {};

std::exception_ptr empty_task_error();

/// Called when a user callback given to task::run throws.
void report_callback_error(std::exception_ptr e) noexcept;

/// A task implementation broke the task protocol (e.g. called its sink a
/// second time). The runtime ignores the offending call and hands this to
/// the callback error handler; the default one prints its message as is.
class protocol_violation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Reports a protocol_violation with this message to the callback error
/// handler.
void report_protocol_violation(const char* what) noexcept;

}  // namespace detail

/// Receives an exception thrown by a completion callback given to
/// task::run (which has nowhere else to go: the callback may run on a timer
/// thread), and the task protocol violations the runtime detects and
/// ignores (a detail::protocol_violation, a std::logic_error: e.g. a task
/// that completes twice). The default handler writes one line naming the
/// exception to stderr and drops it. Returns the previous handler.
using callback_error_handler = void (*)(std::exception_ptr);
callback_error_handler set_callback_error_handler(callback_error_handler h) noexcept;

/// A task: a cold, copyable recipe for a process that ends with one value of
/// type T (or void) or one failure (a std::exception_ptr).
///
/// `run(on_success, on_failure)` starts an independent process and returns a
/// canceller. Exactly one callback is called, exactly once, possibly
/// synchronously inside run, possibly from another thread. A task converts
/// implicitly from a value: a task that succeeds at once with it.
///
/// A default-constructed or moved-from task is empty; running it fails with
/// std::logic_error saying so (it does not crash or hang). Running a task as
/// an rvalue (`std::move(t).run(...)`, a park) gives it up: it may be left
/// empty (its recipe consumed by that run, see task_impl::start_consumed).
// task<T> keeps its recipe in a union tagged by kind_; GCC cannot always
// tell that a member is only read, moved or destroyed when kind_ names it
// (on some exception paths it warns that the shared_ptr "may be used
// uninitialized"). The switches are the proof; the warning is silenced for
// this class only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
template <class T>
class task {
  using stored = detail::stored_t<T>;
  using impl_ptr = std::shared_ptr<const detail::task_impl<T>>;

 public:
  using value_type = T;

  task() noexcept {}
  explicit task(impl_ptr impl) noexcept {
    if (impl) {
      ::new (static_cast<void*>(&shared_)) impl_ptr(std::move(impl));
      kind_ = kind::shared;
    }
  }
  /// Internal: a task holding an intrusively counted recipe (a BRAID_SP call).
  explicit task(detail::owned_ref<T> impl) noexcept {
    if (const detail::owned_impl<T>* p = impl.release()) {
      owned_ = p;
      kind_ = kind::owned;
    }
  }

  /// A task that succeeds at once with `v` (copied at every run).
  template <class U>
    requires(!std::is_void_v<T> && std::is_constructible_v<T, U &&> &&
             std::is_convertible_v<U &&, T> &&
             !detail::is_task<std::remove_cvref_t<U>>::value)
  task(U&& v) {
    ::new (static_cast<void*>(&v_)) stored(std::forward<U>(v));
    kind_ = kind::value;
  }

  task(const task& o) { copy_from(o); }
  task& operator=(const task& o) {
    if (this != &o) {
      task copy(o);  // may throw (a value's copy): *this is left as it was
      reset();
      take_from(copy);
    }
    return *this;
  }
  task(task&& o) noexcept { take_from(o); }
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      reset();
      take_from(o);
    }
    return *this;
  }
  ~task() { reset(); }

  /// True for a default-constructed or moved-from task, and one whose
  /// recipe a run consumed.
  bool empty() const noexcept { return kind_ == kind::none; }
  /// True when this task is an immediate value (runs synchronously, keeps no state).
  bool is_ready() const noexcept { return kind_ == kind::value; }

  /// Starts a process. `on_success` takes a T (nothing for task<void>);
  /// `on_failure` takes a std::exception_ptr. A callback that throws has its
  /// exception passed to the callback error handler (see
  /// set_callback_error_handler); the process itself is unaffected.
  template <class S, class F>
  canceller run(S&& on_success, F&& on_failure) const& {
    return task(*this).run(std::forward<S>(on_success), std::forward<F>(on_failure));
  }
  template <class S, class F>
  canceller run(S&& on_success, F&& on_failure) && {
    using holder = callbacks<std::decay_t<S>, std::decay_t<F>>;
    auto* h = new holder{std::forward<S>(on_success), std::forward<F>(on_failure)};
    return std::move(*this).start(
        detail::sink<T>::template to<&holder::on_value, &holder::on_error>(h));
  }

  /// Internal protocol: starts a process that reports to `s`.
  canceller start(detail::sink<T> s) const& noexcept {
    switch (kind_) {
      case kind::value:
        if constexpr (std::is_copy_constructible_v<stored>) {
          std::optional<stored> v;
          std::exception_ptr e;
          try {
            v.emplace(v_);
          } catch (...) {
            e = std::current_exception();  // delivered after the catch block ends
          }
          if (e)
            s.error(std::move(e));
          else
            s.value(std::move(*v));
        } else {
          s.error(std::make_exception_ptr(std::logic_error(
              "braid: an lvalue task holding a move-only value was run; run it as "
              "an rvalue (std::move(t)) so the value can be moved out")));
        }
        return {};
      case kind::shared:
        return shared_->start(s);
      case kind::owned:
        return owned_->start(s);
      case kind::none:
        break;
    }
    s.error(detail::empty_task_error());
    return {};
  }
  canceller start(detail::sink<T> s) && noexcept {
    if (kind_ == kind::value) {
      stored v = std::move(*this).take_ready();
      s.value(std::move(v));
      return {};
    }
    if (kind_ == kind::owned && owned_->sole()) {
      // The last reference, given up: the run owns the recipe from here on.
      const detail::owned_impl<T>* impl = owned_;
      kind_ = kind::none;
      return impl->start_owned(s);
    }
    if (kind_ == kind::shared && shared_.use_count() == 1) {
      // The last reference, given up: the recipe may be consumed by this run
      // (task_impl::start_consumed). No other owner can appear (a task's
      // recipe has no weak references); the fence orders this run's reuse of
      // the recipe after a former owner's last use, which its decrement released.
      std::atomic_thread_fence(std::memory_order_acquire);
      impl_ptr own = std::move(shared_);
      shared_.~impl_ptr();
      kind_ = kind::none;
      const detail::task_impl<T>* impl = own.get();
      return impl->start_consumed(own, s);
    }
    return static_cast<const task&>(*this).start(s);
  }

  /// Internal: the immediate value of an is_ready() task, moved out (the
  /// task becomes empty). Used by park's fast path.
  stored take_ready() && {
    stored v = std::move(v_);
    v_.~stored();
    kind_ = kind::none;
    return v;
  }

 private:
  template <class S, class F>
  struct callbacks {
    // An empty callable (a lambda capturing nothing) takes no room.
    [[no_unique_address]] S on_success;
    [[no_unique_address]] F on_failure;
    static void on_value(void* ctx, stored&& v) noexcept {
      std::unique_ptr<callbacks> self(static_cast<callbacks*>(ctx));
      try {
        if constexpr (std::is_void_v<T>)
          self->on_success();
        else
          self->on_success(std::move(v));
      } catch (...) {
        detail::report_callback_error(std::current_exception());
      }
    }
    static void on_error(void* ctx, std::exception_ptr e) noexcept {
      std::unique_ptr<callbacks> self(static_cast<callbacks*>(ctx));
      try {
        self->on_failure(std::move(e));
      } catch (...) {
        detail::report_callback_error(std::current_exception());
      }
    }
  };

  // A tagged union rather than a std::variant: moving a task, emptying it
  // and destroying it are one switch each, inlined, on the park path.
  enum class kind : unsigned char { none, value, shared, owned };

  void reset() noexcept {
    switch (kind_) {
      case kind::value:
        v_.~stored();
        break;
      case kind::shared:
        shared_.~impl_ptr();
        break;
      case kind::owned:
        owned_->drop();
        break;
      case kind::none:
        break;
    }
    kind_ = kind::none;
  }
  // Both take_from and copy_from expect *this empty.
  void take_from(task& o) noexcept {
    switch (o.kind_) {
      case kind::value:
        ::new (static_cast<void*>(&v_)) stored(std::move(o.v_));
        o.v_.~stored();
        break;
      case kind::shared:
        ::new (static_cast<void*>(&shared_)) impl_ptr(std::move(o.shared_));
        o.shared_.~impl_ptr();
        break;
      case kind::owned:
        owned_ = o.owned_;
        break;
      case kind::none:
        break;
    }
    kind_ = o.kind_;
    o.kind_ = kind::none;
  }
  void copy_from(const task& o) {
    switch (o.kind_) {
      case kind::value:
        ::new (static_cast<void*>(&v_)) stored(o.v_);
        break;
      case kind::shared:
        ::new (static_cast<void*>(&shared_)) impl_ptr(o.shared_);
        break;
      case kind::owned:
        owned_ = o.owned_;
        owned_->acquire();
        break;
      case kind::none:
        break;
    }
    kind_ = o.kind_;
  }

  union {
    stored v_;        // kind::value
    impl_ptr shared_;  // kind::shared, never null
    const detail::owned_impl<T>* owned_;  // kind::owned: one counted reference, never null
  };
  kind kind_ = kind::none;
};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace detail {

/// A task whose process is a user callable f(success, failure) -> cancel.
template <class T, class F>
class callback_task final : public task_impl<T> {
  using stored = stored_t<T>;

  struct proc final : process {
    explicit proc(sink<T> s) : process(2), out(s) {}  // the run + the canceller
    sink<T> out;
    std::atomic<bool> completed{false};
    std::mutex m;                     // guards cancel_fn only
    std::function<void()> cancel_fn;  // dropped at completion (see finish)

    void cancel() noexcept override {
      if (completed.load(std::memory_order_acquire)) return;
      std::function<void()> f;
      {
        std::lock_guard<std::mutex> g(m);
        if (!cancel_fn) return;
        try {
          f = cancel_fn;  // call it outside the lock: it may complete the task
        } catch (...) {
          report_callback_error(std::current_exception());
          return;
        }
      }
      try {
        f();
      } catch (...) {
        report_callback_error(std::current_exception());
      }
    }
    // Only the first completion counts; later ones are ignored (documented).
    bool claim() noexcept { return !completed.exchange(true, std::memory_order_acq_rel); }
    // The cancel callable often holds the failure callable, which holds this
    // process: dropping it at completion breaks that reference cycle.
    void drop_cancel_fn() noexcept {
      std::function<void()> old;
      {
        std::lock_guard<std::mutex> g(m);
        old.swap(cancel_fn);
      }
    }
  };

  // The success/failure callables handed to f: copyable, each holding a
  // reference so they stay valid however long f's callback API keeps them.
  struct success_fn {
    process_ref ref;
    template <class... A>
    void operator()(A&&... a) const {
      auto* p = static_cast<proc*>(ref.get());
      if (!p->claim()) return;
      if constexpr (std::is_void_v<T>) {
        static_assert(sizeof...(A) == 0, "success of a task<void> takes no argument");
        p->out.value(unit{});
      } else {
        p->out.value(stored(std::forward<A>(a)...));
      }
      p->drop_cancel_fn();
      p->release();  // the run is over
    }
  };
  struct failure_fn {
    process_ref ref;
    void operator()(std::exception_ptr e) const {
      auto* p = static_cast<proc*>(ref.get());
      if (!p->claim()) return;
      p->out.error(std::move(e));
      p->drop_cancel_fn();
      p->release();
    }
  };

 public:
  explicit callback_task(F f) : f_(std::move(f)) {}

  canceller start(sink<T> s) const noexcept override {
    proc* p = new_or_fail<proc>(s, s);
    if (!p) return {};
    std::exception_ptr e;
    canceller c(p);  // adopts the canceller's reference
    p->retain();
    process_ref keep(p);
    try {
      using R = std::invoke_result_t<const F&, success_fn, failure_fn>;
      if constexpr (std::is_void_v<R>) {
        f_(success_fn{keep}, failure_fn{keep});
      } else {
        std::function<void()> fn = f_(success_fn{keep}, failure_fn{keep});
        if (!p->completed.load(std::memory_order_acquire)) {
          std::lock_guard<std::mutex> g(p->m);
          p->cancel_fn = std::move(fn);
        }
        // Completed during f (or concurrently, right now): drop it, or the
        // cycle through the failure callable would keep the process alive.
        if (p->completed.load(std::memory_order_acquire)) p->drop_cancel_fn();
      }
    } catch (...) {
      e = std::current_exception();
    }
    // Outside the catch block: the failure may travel to another thread.
    if (e) failure_fn{keep}(std::move(e));
    return c;
  }

 private:
  F f_;
};

}  // namespace detail

/// A task from a callable `f(success, failure)` that starts some work and
/// returns a cancel callable (or nothing). `success(v)` (`success()` for
/// void) and `failure(std::exception_ptr)` are copyable and may be called from
/// any thread; only the first call of either counts, later ones are ignored.
/// If f throws before completing, the task fails with that exception. The
/// cancel callable is called on cancellation unless the task already ended;
/// it should make the work complete soon (usually with braid::cancelled).
template <class T, class F>
task<T> make_task(F f) {
  return task<T>(std::make_shared<const detail::callback_task<T, std::decay_t<F>>>(std::move(f)));
}

}  // namespace braid
