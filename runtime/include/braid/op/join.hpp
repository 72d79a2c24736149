// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/gather.hpp>
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

// [spec.task.join] One allocation per run: the children's cancellers, one
// value slot per child, the first error, a copy of the combinator and the
// parent's sink, all in this object.
template <class R, class F, class... T>
class join_process final : private gather_array<std::tuple<std::optional<stored_t<T>>...>, sizeof...(T)>,
                           public gather_process {
  using storage = gather_array<std::tuple<std::optional<stored_t<T>>...>, sizeof...(T)>;

 public:
  join_process(sink<R> out, const F& f)
      : gather_process(storage::cancellers.data(), sizeof...(T)), out_(out), f_(f) {}

  template <std::size_t... I>
  static canceller run(const std::tuple<task<T>...>& ts, sink<R> out, const F& f,
                       std::index_sequence<I...>) noexcept {
    auto* p = new_or_fail<join_process>(out, out, f);
    if (!p) return {};
    // A fold over the comma operator is sequenced left to right: children
    // start in argument order.
    (p->started(I, std::get<I>(ts).start(sink<child_t<I>>::template to<&on_value<I>, &on_error<I>>(p))), ...);
    p->all_started();
    return canceller(static_cast<process*>(p));
  }

 private:
  template <std::size_t I>
  using child_t = std::tuple_element_t<I, std::tuple<T...>>;

  template <std::size_t I>
  static void on_value(void* ctx, stored_t<child_t<I>>&& v) noexcept {
    auto* p = static_cast<join_process*>(ctx);
    try {
      std::get<I>(p->slots).emplace(std::move(v));
    } catch (...) {  // a throwing move constructor: this child counts as failed
      if (p->claim(I)) p->error_ = std::current_exception();
    }
    p->child_ended();
  }
  template <std::size_t I>
  static void on_error(void* ctx, std::exception_ptr e) noexcept {
    auto* p = static_cast<join_process*>(ctx);
    if (p->claim(I)) p->error_ = std::move(e);  // the first failure wins; later ones are dropped
    p->child_ended();
  }

  void complete() noexcept override {
    if (decider() >= 0) {
      out_.error(std::move(error_));
      return;
    }
    deliver_call(out_, [this]() -> decltype(auto) {
      return std::apply([this](auto&... v) -> decltype(auto) { return std::invoke(f_, std::move(*v)...); },
                        this->slots);
    });
  }

  std::exception_ptr error_;
  sink<R> out_;
  F f_;
};

template <class R, class F, class... T>
class join_task final : public task_impl<R> {
 public:
  join_task(F f, task<T>... ts) : f_(std::move(f)), ts_(std::move(ts)...) {}
  canceller start(sink<R> s) const noexcept override {
    return join_process<R, F, T...>::run(ts_, s, f_, std::index_sequence_for<T...>{});
  }

 private:
  F f_;
  std::tuple<task<T>...> ts_;
};

template <class T>
struct join_all_slot {
  void* owner = nullptr;
  std::optional<stored_t<T>> value;
};

// join_all: the same machine over a vector of children of one type.
template <class T>
class join_all_process final : private gather_slots<join_all_slot<T>>, public gather_process {
  using storage = gather_slots<join_all_slot<T>>;
  using stored = stored_t<T>;
  using result = std::vector<stored>;
  using slot = join_all_slot<T>;

 public:
  join_all_process(sink<result> out, std::size_t n)
      : storage(n), gather_process(storage::cancellers.data(), n), out_(out) {
    for (auto& s : this->slots) s.owner = this;
  }

  /// `consume`: the recipe holding `ts` is being consumed (its last run,
  /// see task_impl::start_consumed), so the children are given up too: each
  /// runs as an rvalue and may consume its own recipe.
  static canceller run(const std::vector<task<T>>& ts, sink<result> out, bool consume = false) noexcept {
    auto* p = new_or_fail<join_all_process>(out, out, ts.size());
    if (!p) return {};
    for (std::size_t i = 0; i < ts.size(); ++i) {
      const sink<T> s = sink<T>::template to<&on_value, &on_error>(&p->slots[i]);
      p->started(i, consume ? std::move(const_cast<task<T>&>(ts[i])).start(s) : ts[i].start(s));
    }
    p->all_started();
    return canceller(static_cast<process*>(p));
  }

 private:
  static join_all_process* owner(slot* s) noexcept { return static_cast<join_all_process*>(s->owner); }
  std::size_t index(slot* s) const noexcept { return static_cast<std::size_t>(s - this->slots.data()); }

  static void on_value(void* ctx, stored&& v) noexcept {
    auto* s = static_cast<slot*>(ctx);
    auto* p = owner(s);
    try {
      s->value.emplace(std::move(v));
    } catch (...) {
      if (p->claim(p->index(s))) p->error_ = std::current_exception();
    }
    p->child_ended();
  }
  static void on_error(void* ctx, std::exception_ptr e) noexcept {
    auto* s = static_cast<slot*>(ctx);
    auto* p = owner(s);
    if (p->claim(p->index(s))) p->error_ = std::move(e);
    p->child_ended();
  }

  void complete() noexcept override {
    if (decider() >= 0) {
      out_.error(std::move(error_));
      return;
    }
    deliver_call(out_, [this] {
      result r;
      r.reserve(this->slots.size());
      for (auto& s : this->slots) r.push_back(std::move(*s.value));
      return r;
    });
  }

  std::exception_ptr error_;
  sink<result> out_;
};

template <class T>
class join_all_task final : public task_impl<std::vector<stored_t<T>>> {
 public:
  explicit join_all_task(std::vector<task<T>> ts) : ts_(std::move(ts)) {}
  canceller start(sink<std::vector<stored_t<T>>> s) const noexcept override {
    return join_all_process<T>::run(ts_, s);
  }
  canceller start_consumed(std::shared_ptr<const task_impl<std::vector<stored_t<T>>>>&,
                           sink<std::vector<stored_t<T>>> s) const noexcept override {
    // The caller owns the recipe alone and keeps it until this returns;
    // nobody reads ts_ after.
    return join_all_process<T>::run(ts_, s, true);
  }

 private:
  // mutable: start_consumed moves the children out (see join_all_process::run).
  mutable std::vector<task<T>> ts_;
};

/// The result type of join(f, ts...): f's result, decayed (a reference
/// result is copied; void stays void).
template <class F, class... T>
using join_result_t = std::decay_t<std::invoke_result_t<std::decay_t<F>&, stored_t<T>&&...>>;

struct tuple_of {
  template <class... V>
  std::tuple<V...> operator()(V&&... v) const {
    return std::tuple<V...>(std::move(v)...);
  }
};

}  // namespace detail

/// Runs tasks concurrently and combines their values with `f` (Missionary's
/// `join`) [spec.task.join].
///
/// Semantics: the children start synchronously, in argument order, when the
/// join runs. When every child has succeeded, the join succeeds with
/// `f(v0, v1, ...)` (the values moved, in argument order; a task<void> child
/// contributes a braid::unit). With no children, f() is called at once.
///
/// **Cancellation**: cancelling the join cancels every child, in argument
/// order; the join still waits for every child to end and then fails with the
/// first child error (usually braid::cancelled).
///
/// **Failure**: the first child failure (decided atomically, even when
/// children complete on different threads) cancels every child, the failed
/// one included, in argument order; the join waits for all children to end
/// and fails with that first error; later errors are dropped. A child that
/// fails during start-up has its cancellation of the others deferred until
/// every child is started. If `f` throws, the join fails with that exception.
///
/// Ordering / thread-safety: the join completes exactly once, on the thread
/// that ended the last child, after every child ended; `f` runs there too.
/// One allocation per run (children, value slots and a copy of `f` together).
///
/// Example:
///     task<int> sum = braid::join([](int a, int b) { return a + b; }, fetch_a(), fetch_b());
template <class F, class... T>
  requires(!detail::is_task<std::remove_cvref_t<F>>::value &&
           std::is_invocable_v<std::decay_t<F>&, detail::stored_t<T>&&...>)
task<detail::join_result_t<F, T...>> join(F&& f, task<T>... ts) {
  using R = detail::join_result_t<F, T...>;
  return task<R>(std::make_shared<const detail::join_task<R, std::decay_t<F>, T...>>(std::forward<F>(f),
                                                                                   std::move(ts)...));
}

/// join without a combinator: succeeds with a std::tuple of the children's
/// values (braid::unit for a task<void>). See join(f, ts...).
template <class... T>
task<std::tuple<detail::stored_t<T>...>> join(task<T>... ts) {
  return join(detail::tuple_of{}, std::move(ts)...);
}

/// join over a vector of tasks of one type: succeeds with the vector of their
/// values in the same order (braid::unit for task<void>). An empty vector
/// succeeds at once with an empty vector. Same semantics as join(f, ts...).
template <class T>
task<std::vector<detail::stored_t<T>>> join_all(std::vector<task<T>> ts) {
  return task<std::vector<detail::stored_t<T>>>(
      std::make_shared<const detail::join_all_task<T>>(std::move(ts)));
}

}  // namespace braid
