// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/process.hpp>

#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid {

namespace detail {

/// Something told about every change of a ref (a running watch). The ref
/// keeps watchers in an intrusive list guarded by its mutex; `changed` runs
/// under that mutex and only flips the watcher's own state, it never calls out.
class ref_watcher {
 public:
  /// Called under the ref's mutex. Returns true when the watcher must now be
  /// told outside the lock; it has then retained `process()` for the caller.
  virtual bool changed_locked() noexcept = 0;
  /// Called outside every lock after changed_locked returned true.
  virtual void notify_unlocked() noexcept = 0;
  /// The process keeping this watcher alive.
  virtual process* owner() noexcept = 0;

 protected:
  ~ref_watcher() = default;

 private:
  template <class T>
  friend class ref_state;
  ref_watcher* prev_ = nullptr;
  ref_watcher* next_ = nullptr;
};

/// The shared state behind every copy of a braid::ref<T>.
///
/// The value is held as a shared_ptr<const T> so that readers copy a pointer
/// under the mutex and the T itself outside it (a T's copy constructor is
/// user code), and so that swap can run the user's function outside the
/// lock and detect a concurrent change by pointer identity (a
/// compare-and-set, as Clojure's swap! does).
template <class T>
class ref_state {
 public:
  explicit ref_state(T v) : value_(std::make_shared<const T>(std::move(v))) {}
  ref_state(const ref_state&) = delete;
  ref_state& operator=(const ref_state&) = delete;

  std::shared_ptr<const T> load() const {
    std::lock_guard<std::mutex> g(m_);
    return value_;
  }

  /// Installs `v` unconditionally; notifies the watchers.
  void store(std::shared_ptr<const T> v) {
    std::vector<ref_watcher*> tell;
    {
      std::lock_guard<std::mutex> g(m_);
      value_ = std::move(v);
      collect_locked(tell);
    }
    notify(tell);
  }

  /// Installs `v` if the current value is still `expected`; notifies the
  /// watchers when it did.
  bool compare_and_store(const std::shared_ptr<const T>& expected, std::shared_ptr<const T> v) {
    std::vector<ref_watcher*> tell;
    {
      std::lock_guard<std::mutex> g(m_);
      if (value_ != expected) return false;
      value_ = std::move(v);
      collect_locked(tell);
    }
    notify(tell);
    return true;
  }

  /// Runs `f()` under the mutex (it must not call out), then registers `w`.
  template <class F>
  void add_watch(ref_watcher* w, F&& f) {
    std::lock_guard<std::mutex> g(m_);
    w->next_ = head_;
    w->prev_ = nullptr;
    if (head_) head_->prev_ = w;
    head_ = w;
    f();
  }
  /// Runs `f()` under the mutex (it must not call out); returns its result.
  template <class F>
  auto locked(F&& f) {
    std::lock_guard<std::mutex> g(m_);
    return f(value_);
  }
  /// Unregisters `w` (which must be registered) and runs `f()` under the mutex.
  template <class F>
  auto remove_watch(ref_watcher* w, F&& f) {
    std::lock_guard<std::mutex> g(m_);
    if (w->prev_) w->prev_->next_ = w->next_;
    else head_ = w->next_;
    if (w->next_) w->next_->prev_ = w->prev_;
    w->prev_ = w->next_ = nullptr;
    return f(value_);
  }

 private:
  void collect_locked(std::vector<ref_watcher*>& tell) {
    for (ref_watcher* w = head_; w; w = w->next_)
      if (w->changed_locked()) tell.push_back(w);
  }
  // Watchers are told outside the lock, each kept alive by the reference
  // changed_locked took. One allocation per change that wakes a watcher.
  static void notify(const std::vector<ref_watcher*>& tell) noexcept {
    for (ref_watcher* w : tell) {
      process* p = w->owner();
      w->notify_unlocked();
      p->release();
    }
  }

  mutable std::mutex m_;
  std::shared_ptr<const T> value_;
  ref_watcher* head_ = nullptr;
};

}  // namespace detail

/// An observable atom (Clojure's atom, Missionary's `watch` target).
///
/// Holds one value of type T; `get` reads it, `reset` replaces it, `swap`
/// updates it atomically from the current value. Every change (also one
/// that stores an equal value) is announced to the running `watch` flows of
/// this ref. A ref is a handle: copies share the same atom, and running
/// watches keep it alive.
///
/// **Thread-safety**: every member is thread-safe. `swap(f)` calls `f`
/// outside any lock and retries (calling `f` again) when another thread
/// changed the value meanwhile, so `f` must be free of side effects.
///
/// **Failure**: an exception thrown by `f` or by T's copy/move leaves the
/// value unchanged and propagates to the caller.
///
/// ```
/// braid::ref<int> x(1);
/// x.reset(2);
/// int y = x.swap([](int v) { return v + 1; });  // y == 3, x.get() == 3
/// ```
template <class T>
class ref {
  static_assert(!std::is_reference_v<T> && !std::is_const_v<T>, "braid::ref<T> holds a plain value type");

 public:
  using value_type = T;

  explicit ref(T init) : s_(std::make_shared<detail::ref_state<T>>(std::move(init))) {}
  template <class... A>
    requires std::is_constructible_v<T, A&&...>
  explicit ref(std::in_place_t, A&&... a) : ref(T(std::forward<A>(a)...)) {}

  /// A copy of the current value.
  T get() const { return *s_->load(); }

  /// Replaces the value; tells every watch.
  void reset(T v) const { s_->store(std::make_shared<const T>(std::move(v))); }

  /// Replaces the value with `f(current)` atomically (retrying if the value
  /// changed while `f` ran); tells every watch. Returns the new value.
  template <class F>
    requires std::is_convertible_v<std::invoke_result_t<F&, const T&>, T>
  T swap(F f) const {
    for (;;) {
      std::shared_ptr<const T> cur = s_->load();
      auto next = std::make_shared<const T>(f(*cur));
      if (s_->compare_and_store(cur, next)) return *next;
    }
  }

  /// Internal: the shared state (used by braid::watch).
  const std::shared_ptr<detail::ref_state<T>>& state() const noexcept { return s_; }

 private:
  std::shared_ptr<detail::ref_state<T>> s_;
};

}  // namespace braid
