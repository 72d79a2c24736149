// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/gather.hpp>
#include <braid/task.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid {

/// The failure of a race whose every task failed: one error carrying every
/// child's error, in argument order. An empty race fails with one holding
/// no error.
class race_error : public std::exception {
 public:
  explicit race_error(std::vector<std::exception_ptr> errors);
  /// "braid::race: all N tasks failed; first error: <what of the first>",
  /// or "braid::race: no task to race" when there was none.
  const char* what() const noexcept override { return what_->c_str(); }
  /// Every child's error, in argument order.
  const std::vector<std::exception_ptr>& errors() const noexcept { return *errors_; }

 private:
  // Shared so that copying the exception (std::exception_ptr, catch by value)
  // cannot throw.
  std::shared_ptr<const std::vector<std::exception_ptr>> errors_;
  std::shared_ptr<const std::string> what_;
};

namespace detail {

enum class first_mode : bool {
  success,  // race: the first success decides
  end,      // any: the first end, success or failure, decides
};

struct first_slot {
  void* owner = nullptr;
  std::exception_ptr error;  // race: this child's failure, kept for race_error
};

/// race and any ([spec.task.race]): children of one type T; the child that
/// decides stores its outcome; the parent delivers it after all ended.
/// Storage is gather_array (variadic form) or gather_slots (vector form).
template <class T, class Storage, first_mode Mode>
class first_process final : private Storage, public gather_process {
  using stored = stored_t<T>;

 public:
  first_process(sink<T> out, std::size_t n)
      : Storage(n), gather_process(Storage::cancellers.data(), n), out_(out) {
    for (auto& s : this->slots) s.owner = this;
  }

  template <class Range>
  static canceller run(const Range& ts, sink<T> out) noexcept {
    auto* p = new_or_fail<first_process>(out, out, ts.size());
    if (!p) return {};
    for (std::size_t i = 0; i < ts.size(); ++i)
      p->started(i, ts[i].start(sink<T>::template to<&on_value, &on_error>(&p->slots[i])));
    p->all_started();
    return canceller(static_cast<process*>(p));
  }

 private:
  static first_process* owner(first_slot* s) noexcept { return static_cast<first_process*>(s->owner); }
  std::size_t index(first_slot* s) const noexcept { return static_cast<std::size_t>(s - this->slots.data()); }

  static void on_value(void* ctx, stored&& v) noexcept {
    auto* s = static_cast<first_slot*>(ctx);
    auto* p = owner(s);
    if (p->claim(p->index(s))) {
      // Only the winner writes value_; the parent reads it after the last
      // child_ended (acq_rel), so no other synchronization is needed.
      try {
        p->value_.emplace(std::move(v));
      } catch (...) {
        p->error_ = std::current_exception();
      }
    }
    p->child_ended();
  }
  static void on_error(void* ctx, std::exception_ptr e) noexcept {
    auto* s = static_cast<first_slot*>(ctx);
    auto* p = owner(s);
    if constexpr (Mode == first_mode::end) {
      if (p->claim(p->index(s))) p->error_ = std::move(e);
    } else {
      s->error = std::move(e);
    }
    p->child_ended();
  }

  void complete() noexcept override {
    if (decider() >= 0) {
      if (value_)
        out_.value(std::move(*value_));
      else
        out_.error(std::move(error_));
      return;
    }
    // No child decided: every child failed (race), or there was none.
    std::exception_ptr err;
    try {
      std::vector<std::exception_ptr> errors;
      errors.reserve(this->slots.size());
      for (auto& s : this->slots) errors.push_back(std::move(s.error));
      err = std::make_exception_ptr(race_error(std::move(errors)));
    } catch (...) {
      err = std::current_exception();
    }
    out_.error(std::move(err));
  }

  std::optional<stored> value_;
  std::exception_ptr error_;
  sink<T> out_;
};

template <class T, first_mode Mode, std::size_t N>
class first_task final : public task_impl<T> {
 public:
  explicit first_task(std::array<task<T>, N> ts) : ts_(std::move(ts)) {}
  canceller start(sink<T> s) const noexcept override {
    return first_process<T, gather_array<std::array<first_slot, N>, N>, Mode>::run(ts_, s);
  }

 private:
  std::array<task<T>, N> ts_;
};

template <class T, first_mode Mode>
class first_vector_task final : public task_impl<T> {
 public:
  explicit first_vector_task(std::vector<task<T>> ts) : ts_(std::move(ts)) {}
  canceller start(sink<T> s) const noexcept override {
    return first_process<T, gather_slots<first_slot>, Mode>::run(ts_, s);
  }

 private:
  std::vector<task<T>> ts_;
};

template <first_mode Mode, class T, class... U>
task<T> make_first(task<T> t, task<U>... ts) {
  return task<T>(std::make_shared<const first_task<T, Mode, 1 + sizeof...(U)>>(
      std::array<task<T>, 1 + sizeof...(U)>{std::move(t), std::move(ts)...}));
}

}  // namespace detail

/// Runs tasks concurrently; the first to succeed wins (Missionary's `race`)
/// [spec.task.race].
///
/// Semantics: the children (all task<T>) start synchronously, in argument
/// order. The first success (decided atomically) cancels every child, the
/// winner included, in argument order (deferred until all are started when
/// it happens during start-up); the race waits for every child to end and
/// succeeds with the winner's value.
///
/// **Failure**: if every child fails, the race fails with one
/// braid::race_error whose errors() holds every child's error in argument
/// order. An empty race fails at once with a race_error holding none.
///
/// **Cancellation**: cancelling the race cancels every child in argument
/// order; it then ends like any race: with a success if a child still
/// succeeds, else with race_error (holding the children's cancelled errors).
///
/// Ordering / thread-safety: completes exactly once, after the last child
/// ended, on the thread that ended it, outside any lock. One allocation per
/// run (vector form: plus two vectors).
///
/// Example:
///     task<reply> fastest = braid::race(ask(mirror_a), ask(mirror_b), ask(mirror_c));
template <class T, class... U>
  requires(std::same_as<T, U> && ...)
task<T> race(task<T> t, task<U>... ts) {
  return detail::make_first<detail::first_mode::success>(std::move(t), std::move(ts)...);
}

/// race over a vector of tasks; see race(ts...). An empty vector fails at
/// once with a race_error holding no error.
template <class T>
task<T> race(std::vector<task<T>> ts) {
  return task<T>(
      std::make_shared<const detail::first_vector_task<T, detail::first_mode::success>>(std::move(ts)));
}

}  // namespace braid
