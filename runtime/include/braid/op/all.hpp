// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/gather.hpp>
#include <braid/op/attempt.hpp>
#include <braid/task.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid {

namespace detail {

// [spec.task.all] Nothing decides: no claim is ever made, so no child is
// cancelled by another; each child stores its outcome in its own slot.
template <class R, class F, class... T>
class all_process final : private gather_array<std::tuple<std::optional<outcome<T>>...>, sizeof...(T)>,
                          public gather_process {
  using storage = gather_array<std::tuple<std::optional<outcome<T>>...>, sizeof...(T)>;

 public:
  all_process(sink<R> out, const F& f)
      : gather_process(storage::cancellers.data(), sizeof...(T)), out_(out), f_(f) {}

  template <std::size_t... I>
  static canceller run(const std::tuple<task<T>...>& ts, sink<R> out, const F& f,
                       std::index_sequence<I...>) noexcept {
    auto* p = new_or_fail<all_process>(out, out, f);
    if (!p) return {};
    (p->started(I, std::get<I>(ts).start(sink<child_t<I>>::template to<&on_value<I>, &on_error<I>>(p))), ...);
    p->all_started();
    return canceller(static_cast<process*>(p));
  }

 private:
  template <std::size_t I>
  using child_t = std::tuple_element_t<I, std::tuple<T...>>;

  template <std::size_t I>
  static void on_value(void* ctx, stored_t<child_t<I>>&& v) noexcept {
    auto* p = static_cast<all_process*>(ctx);
    auto& slot = std::get<I>(p->slots);
    try {
      if constexpr (std::is_void_v<child_t<I>>)
        slot.emplace();
      else
        slot.emplace(std::in_place, std::move(v));
    } catch (...) {  // a throwing move: the outcome holds that failure
      slot.emplace(std::current_exception());
    }
    p->child_ended();
  }
  template <std::size_t I>
  static void on_error(void* ctx, std::exception_ptr e) noexcept {
    auto* p = static_cast<all_process*>(ctx);
    std::get<I>(p->slots).emplace(std::move(e));
    p->child_ended();
  }

  void complete() noexcept override {
    deliver_call(out_, [this]() -> decltype(auto) {
      return std::apply([this](auto&... o) -> decltype(auto) { return std::invoke(f_, std::move(*o)...); },
                        this->slots);
    });
  }

  sink<R> out_;
  F f_;
};

template <class R, class F, class... T>
class all_task final : public task_impl<R> {
 public:
  all_task(F f, task<T>... ts) : f_(std::move(f)), ts_(std::move(ts)...) {}
  canceller start(sink<R> s) const noexcept override {
    return all_process<R, F, T...>::run(ts_, s, f_, std::index_sequence_for<T...>{});
  }

 private:
  F f_;
  std::tuple<task<T>...> ts_;
};

template <class T>
struct all_slot {
  void* owner = nullptr;
  std::optional<outcome<T>> value;
};

template <class T>
class all_vector_process final : private gather_slots<all_slot<T>>, public gather_process {
  using storage = gather_slots<all_slot<T>>;
  using result = std::vector<outcome<T>>;
  using slot = all_slot<T>;

 public:
  all_vector_process(sink<result> out, std::size_t n)
      : storage(n), gather_process(storage::cancellers.data(), n), out_(out) {
    for (auto& s : this->slots) s.owner = this;
  }

  static canceller run(const std::vector<task<T>>& ts, sink<result> out) noexcept {
    auto* p = new_or_fail<all_vector_process>(out, out, ts.size());
    if (!p) return {};
    for (std::size_t i = 0; i < ts.size(); ++i)
      p->started(i, ts[i].start(sink<T>::template to<&on_value, &on_error>(&p->slots[i])));
    p->all_started();
    return canceller(static_cast<process*>(p));
  }

 private:
  static void on_value(void* ctx, stored_t<T>&& v) noexcept {
    auto* s = static_cast<slot*>(ctx);
    try {
      if constexpr (std::is_void_v<T>)
        s->value.emplace();
      else
        s->value.emplace(std::in_place, std::move(v));
    } catch (...) {
      s->value.emplace(std::current_exception());
    }
    static_cast<all_vector_process*>(s->owner)->child_ended();
  }
  static void on_error(void* ctx, std::exception_ptr e) noexcept {
    auto* s = static_cast<slot*>(ctx);
    s->value.emplace(std::move(e));
    static_cast<all_vector_process*>(s->owner)->child_ended();
  }

  void complete() noexcept override {
    deliver_call(out_, [this] {
      result r;
      r.reserve(this->slots.size());
      for (auto& s : this->slots) r.push_back(std::move(*s.value));
      return r;
    });
  }

  sink<result> out_;
};

template <class T>
class all_vector_task final : public task_impl<std::vector<outcome<T>>> {
 public:
  explicit all_vector_task(std::vector<task<T>> ts) : ts_(std::move(ts)) {}
  canceller start(sink<std::vector<outcome<T>>> s) const noexcept override {
    return all_vector_process<T>::run(ts_, s);
  }

 private:
  std::vector<task<T>> ts_;
};

template <class F, class... T>
using all_result_t = std::decay_t<std::invoke_result_t<std::decay_t<F>&, outcome<T>&&...>>;

struct outcome_tuple_of {
  template <class... O>
  std::tuple<O...> operator()(O&&... o) const {
    return std::tuple<O...>(std::move(o)...);
  }
};

}  // namespace detail

/// Runs tasks concurrently, waits for every one, and calls `f` with their
/// outcomes (Missionary's `all`) [spec.task.all].
///
/// Semantics: the children start synchronously, in argument order. When
/// every child has ended, by success or failure, `all` calls
/// `f(outcome<T0>, outcome<T1>, ...)` (moved, in argument order) and
/// succeeds with its result. A child's failure does not cancel the others.
///
/// **Cancellation**: cancelling `all` cancels every child in argument
/// order; `all` still waits for every child and calls `f` with their
/// outcomes (typically holding braid::cancelled).
///
/// **Failure**: `all` fails only if `f` throws, with that exception.
///
/// Ordering / thread-safety: completes exactly once, after the last child
/// ended, on the thread that ended it; `f` runs there, outside any lock.
/// One allocation per run.
///
/// Example:
///     task<int> ok_count = braid::all(
///         [](outcome<int> a, outcome<int> b) { return int(a.has_value()) + int(b.has_value()); },
///         probe(host_a), probe(host_b));
template <class F, class... T>
  requires(!detail::is_task<std::remove_cvref_t<F>>::value &&
           std::is_invocable_v<std::decay_t<F>&, outcome<T>&&...>)
task<detail::all_result_t<F, T...>> all(F&& f, task<T>... ts) {
  using R = detail::all_result_t<F, T...>;
  return task<R>(
      std::make_shared<const detail::all_task<R, std::decay_t<F>, T...>>(std::forward<F>(f), std::move(ts)...));
}

/// all without a combinator: succeeds with a std::tuple of outcomes, one per
/// child, in argument order. Never fails.
template <class... T>
task<std::tuple<outcome<T>...>> all(task<T>... ts) {
  return all(detail::outcome_tuple_of{}, std::move(ts)...);
}

/// all over a vector of tasks: succeeds with their outcomes in the same
/// order (an empty vector: at once, with an empty vector). Never fails.
template <class T>
task<std::vector<outcome<T>>> all(std::vector<task<T>> ts) {
  return task<std::vector<outcome<T>>>(std::make_shared<const detail::all_vector_task<T>>(std::move(ts)));
}

}  // namespace braid
