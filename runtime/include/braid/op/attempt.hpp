// SPDX-License-Identifier: MIT
#pragma once

#include <braid/task.hpp>

#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace braid {

/// The outcome of a task: its value, or its failure as an exception_ptr
/// (Missionary's zero-argument thunk that returns or throws).
/// `outcome<void>` holds nothing on success.
template <class T>
class outcome {
  using stored = detail::stored_t<T>;

 public:
  /// A success; for outcome<void> (or a default-constructible T), the
  /// default value.
  outcome() requires std::is_default_constructible_v<stored> : rep_(std::in_place_index<0>) {}
  /// A success holding `v`.
  template <class U = stored>
    requires(!std::is_void_v<T> && !std::is_same_v<std::remove_cvref_t<U>, outcome> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::exception_ptr> &&
             std::is_constructible_v<stored, U &&>)
  outcome(U&& v) : rep_(std::in_place_index<0>, std::forward<U>(v)) {}
  /// A success holding a value built in place (also for T = std::exception_ptr).
  template <class... A>
  explicit outcome(std::in_place_t, A&&... a) : rep_(std::in_place_index<0>, std::forward<A>(a)...) {}
  /// A failure. Throws std::invalid_argument when `e` is null (an outcome
  /// with no value and no error would have nothing to give).
  explicit outcome(std::exception_ptr e) : rep_(std::in_place_index<1>, check(std::move(e))) {}

  bool has_value() const noexcept { return rep_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  /// The failure, or null for a success.
  std::exception_ptr error() const noexcept {
    return rep_.index() == 1 ? std::get<1>(rep_) : std::exception_ptr();
  }

  /// The value, or rethrows the failure.
  decltype(auto) get() & { return checked_get(*this); }
  decltype(auto) get() const& { return checked_get(*this); }
  decltype(auto) get() && {
    if constexpr (std::is_void_v<T>) {
      checked_get(*this);
    } else {
      return T(std::move(checked_get(*this)));
    }
  }

  friend bool operator==(const outcome& a, const outcome& b)
    requires requires(const stored& x) { x == x; }
  {
    return a.rep_ == b.rep_;
  }

 private:
  static std::exception_ptr check(std::exception_ptr e) {
    if (!e)
      throw std::invalid_argument(
          "braid::outcome: a null exception_ptr is not a failure; build a success with a value "
          "or pass the exception_ptr of a thrown exception");
    return e;
  }
  template <class Self>
  static decltype(auto) checked_get(Self& self) {
    if (self.rep_.index() == 1) std::rethrow_exception(std::get<1>(self.rep_));
    if constexpr (!std::is_void_v<T>) return (std::get<0>(self.rep_));
  }

  std::variant<stored, std::exception_ptr> rep_;
};

namespace detail {

// [spec.task.attempt] Both operators only translate the child's outcome:
// the child's canceller is the operator's canceller (cancelling attempt is
// cancelling the child), and the per-run state is the parent's sink, freed
// when the child completes. One small allocation per run, no refcount.
template <class T>
class attempt_task final : public task_impl<outcome<T>> {
  struct relay {
    sink<outcome<T>> out;
    static void on_value(void* ctx, stored_t<T>&& v) noexcept {
      std::unique_ptr<relay> self(static_cast<relay*>(ctx));
      std::exception_ptr err;
      try {
        if constexpr (std::is_void_v<T>)
          self->out.value(outcome<T>());
        else
          self->out.value(outcome<T>(std::in_place, std::move(v)));
        return;
      } catch (...) {  // a throwing move of the value: deliver that failure as the outcome
        err = std::current_exception();
      }
      self->out.value(outcome<T>(std::move(err)));
    }
    static void on_error(void* ctx, std::exception_ptr e) noexcept {
      std::unique_ptr<relay> self(static_cast<relay*>(ctx));
      self->out.value(outcome<T>(std::move(e)));
    }
  };

 public:
  explicit attempt_task(task<T> t) : t_(std::move(t)) {}
  canceller start(sink<outcome<T>> s) const noexcept override {
    relay* r = new (std::nothrow) relay{s};
    if (!r) {
      s.value(outcome<T>(std::make_exception_ptr(std::bad_alloc())));
      return {};
    }
    return t_.start(sink<T>::template to<&relay::on_value, &relay::on_error>(r));
  }

 private:
  task<T> t_;
};

template <class T>
class absolve_task final : public task_impl<T> {
  struct relay {
    sink<T> out;
    static void on_value(void* ctx, outcome<T>&& o) noexcept {
      std::unique_ptr<relay> self(static_cast<relay*>(ctx));
      if (!o.has_value()) {
        // Move the error out so that no reference stays behind on this
        // thread: the parent may free the exception on another one.
        std::exception_ptr e;
        {
          outcome<T> held(std::move(o));
          e = held.error();
        }
        self->out.error(std::move(e));
        return;
      }
      if constexpr (std::is_void_v<T>) {
        self->out.value(unit{});
      } else {
        std::exception_ptr err;
        try {
          self->out.value(std::move(o).get());
          return;
        } catch (...) {
          err = std::current_exception();
        }
        self->out.error(std::move(err));
      }
    }
    static void on_error(void* ctx, std::exception_ptr e) noexcept {
      std::unique_ptr<relay> self(static_cast<relay*>(ctx));
      self->out.error(std::move(e));
    }
  };

 public:
  explicit absolve_task(task<outcome<T>> t) : t_(std::move(t)) {}
  canceller start(sink<T> s) const noexcept override {
    relay* r = new (std::nothrow) relay{s};
    if (!r) {
      s.error(std::make_exception_ptr(std::bad_alloc()));
      return {};
    }
    return t_.start(sink<outcome<T>>::template to<&relay::on_value, &relay::on_error>(r));
  }

 private:
  task<outcome<T>> t_;
};

}  // namespace detail

/// A task that always succeeds, with the outcome of `t` (Missionary's
/// `attempt`) [spec.task.attempt].
///
/// Semantics: runs `t`; when it ends, succeeds with an outcome holding its
/// value or its failure. Use absolve() to turn the outcome back into a
/// success or a failure later ("delayed failure").
///
/// **Cancellation**: goes to `t` unchanged (the canceller is `t`'s). A
/// cancelled `t` that fails with braid::cancelled gives an outcome holding
/// that cancelled: the attempt itself still succeeds.
///
/// **Failure**: never fails. (Should moving the value throw, the outcome
/// holds that exception.)
///
/// Ordering / thread-safety: completes once, on the thread where `t`
/// completed, synchronously if `t` did.
///
/// Example:
///     outcome<int> o = run_blocking(braid::attempt(parse(text)));
///     if (!o) log_failure(o.error());
template <class T>
task<outcome<T>> attempt(task<T> t) {
  return task<outcome<T>>(std::make_shared<const detail::attempt_task<T>>(std::move(t)));
}

/// The inverse of attempt (Missionary's `absolve`): runs a task producing an
/// outcome and succeeds with its value or fails with its error.
///
/// **Cancellation**: goes to `t` unchanged. **Failure**: a failure of `t`
/// itself is passed on; an outcome holding an error fails with that error.
/// Completes once, on the thread where `t` completed.
///
/// Example:
///     task<int> again = braid::absolve(braid::attempt(parse(text)));  // same as parse(text)
template <class T>
task<T> absolve(task<outcome<T>> t) {
  return task<T>(std::make_shared<const detail::absolve_task<T>>(std::move(t)));
}

}  // namespace braid
