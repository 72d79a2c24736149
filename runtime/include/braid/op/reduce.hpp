// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/flow_util.hpp>
#include <braid/flow.hpp>
#include <braid/task.hpp>

#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {

enum class reduce_init { given, nullary, first_value };

/// How reduce(f, input) and reductions(f, input) start without an initial
/// value: from f() when f takes no arguments, else from the first value.
template <class F>
inline constexpr reduce_init reduce_init_without =
    std::is_invocable_v<F&> ? reduce_init::nullary : reduce_init::first_value;

inline std::exception_ptr reduce_empty_error(const char* op) {
  return std::make_exception_ptr(std::logic_error(
      std::string("braid::") + op +
      ": the flow ended without a value and f cannot be called without arguments to give "
      "an initial value; pass one: " + op + "(f, init, flow)"));
}

// [spec.flow.reduce] The fold that reduce and reductions share: f and the
// accumulated value. Without an initial value the accumulator is empty until
// start_nullary() has called f() or the first value has been stepped in.
template <class R, class T, class F>
class accumulator {
 public:
  accumulator(F f, std::optional<R> init) : f_(std::move(f)), acc_(std::move(init)) {}

  /// Missionary's `(rf)`: the initial value from f() (nullary mode only).
  void start_nullary() {
    if constexpr (std::is_invocable_v<F&>) acc_.emplace(std::invoke(f_));
  }
  /// acc = f(std::move(acc), v); the first value itself when acc is empty.
  void step(T&& v) {
    if (!acc_) {
      if constexpr (std::is_constructible_v<R, T&&>) acc_.emplace(std::move(v));
    } else {
      R next = std::invoke(f_, std::move(*acc_), std::move(v));
      acc_.emplace(std::move(next));
    }
  }
  bool empty() const noexcept { return !acc_; }
  R& value() noexcept { return *acc_; }

 private:
  F f_;
  std::optional<R> acc_;
};

// [spec.flow.reduce] One process per run: the input's iterator, the
// accumulator, and a counter that serializes the reactions to the input's
// notifications and termination. The counter starts held by start() until
// the iterator is stored, so notifications made inside spawn (a seed) are
// handled after it; a re-notification inside a transfer only bumps the
// counter, which keeps a million synchronous values in constant stack. The
// loop holds the count only while it runs (it leaves it only to finish), so
// the counter is the thread-affine one: a synchronous input costs no atomic
// read-modify-write per value.
//
// When the input is a recipe that folds (an eduction, a seed:
// flow_impl::fold) and no nullary init runs between the spawn and the first
// value, the process runs it as a fold instead and is its target: the values
// come to step() directly, serialized by the fold, and end() finishes.
template <class R, class T, class F>
class reduce_process final : public process, fold_target<T> {
 public:
  static canceller start(sink<R> out, F f, std::optional<R> init, reduce_init mode,
                         const flow<T>& input) noexcept {
    reduce_process* p;
    try {
      p = new reduce_process(out, std::move(f), std::move(init), mode);
    } catch (...) {
      out.error(std::current_exception());
      return {};
    }
    canceller c(p);  // the canceller's reference; the run keeps the other
    // Not with a nullary init: unfused, an eduction over a synchronous input
    // runs its stages up to its first output inside the spawn, before init
    // is called; a fold runs them only from begin().
    fold_process* fold =
        input.empty() || mode == reduce_init::nullary ? nullptr : input.impl()->fold(*p);
    if (fold) {
      p->fold_ = process_ref(fold);
    } else {
      p->in_ = input.spawn(member_listener<reduce_process, &reduce_process::on_notify,
                                           &reduce_process::on_terminate>(p));
    }
    if (mode == reduce_init::nullary) {
      // After the spawn, as Missionary does: a throwing f() cancels the
      // input, and the task fails once the input has terminated.
      try {
        p->acc_.start_nullary();
      } catch (...) {
        p->fail(std::current_exception());
      }
    }
    if (fold)
      fold->begin();
    else if (p->events_.depart())
      p->drive();
    return c;
  }

  void cancel() noexcept override { cancel_input(); }

 private:
  reduce_process(sink<R> out, F f, std::optional<R> init, reduce_init mode)
      : process(2), out_(out), acc_(std::move(f), std::move(init)), mode_(mode) {}

  void cancel_input() noexcept {
    if (fold_)
      fold_.get()->cancel();
    else
      in_.cancel();
  }

  void on_notify() noexcept {
    if (events_.arrive()) drive();
  }
  void on_terminate() noexcept {
    done_ = true;  // published by arrive()'s release
    if (events_.arrive()) drive();
  }

  // Owner of the drain loop: one input event per turn. The protocol puts the
  // termination after the last transfer, so done_ is the last event.
  void drive() noexcept {
    do {
      if (done_) return finish();
      if (failed_) {
        discard(in_);
      } else {
        try {
          acc_.step(in_.transfer());
        } catch (...) {
          fail(std::current_exception());
        }
      }
    } while (events_.depart());
  }

  // fold_target: as drive() does with a transferred value, and with the
  // error the unfused input's last transfer would have thrown.
  void step(T&& v, bool) noexcept override {
    if (failed_) return;  // drained after an error, as discard() does
    try {
      acc_.step(std::move(v));
    } catch (...) {
      fail(std::current_exception());
    }
  }
  void end(std::exception_ptr e) noexcept override {
    if (e) fail(std::move(e));  // cancels the ended input, as the unfused reduce does
    finish();
  }

  // The first error wins; the input is cancelled and drained, and the task
  // fails once it has terminated ([spec.flow.reduce]).
  void fail(std::exception_ptr e) noexcept {
    if (failed_) return;
    failed_ = true;
    error_ = std::move(e);
    cancel_input();
  }

  void finish() noexcept {
    sink<R> out = out_;
    if (!failed_ && acc_.empty()) {  // the input has ended: nothing to cancel
      failed_ = true;
      error_ = reduce_empty_error("reduce");
    }
    if (failed_) {
      std::exception_ptr e = std::move(error_);
      release();  // the run's reference; the canceller may keep the object
      out.error(std::move(e));
    } else {
      std::optional<R> r;
      try {
        r.emplace(std::move(acc_.value()));
      } catch (...) {
        release();
        out.error(std::current_exception());
        return;
      }
      release();
      out.value(std::move(*r));
    }
  }

  sink<R> out_;
  accumulator<R, T, F> acc_;
  reduce_init mode_;
  flow_iterator<T> in_;
  process_ref fold_;                // instead of in_ when the input folds
  affine_drain_counter events_{1};  // held by start()
  bool done_ = false;
  bool failed_ = false;
  std::exception_ptr error_;
};

template <class R, class T, class F>
class reduce_task final : public task_impl<R> {
 public:
  reduce_task(F f, std::optional<R> init, reduce_init mode, flow<T> input)
      : f_(std::move(f)), init_(std::move(init)), mode_(mode), input_(std::move(input)) {}

  canceller start(sink<R> out) const noexcept override {
    std::optional<R> init;
    std::optional<F> f;
    try {
      init = init_;
      f.emplace(f_);
    } catch (...) {
      out.error(std::current_exception());
      return {};
    }
    return reduce_process<R, T, F>::start(out, std::move(*f), std::move(init), mode_, input_);
  }

 private:
  F f_;
  std::optional<R> init_;
  reduce_init mode_;
  flow<T> input_;
};

template <class F, class T>
struct reduce_result {
  using type = T;
};
template <class F, class T>
  requires std::is_invocable_v<F&>
struct reduce_result<F, T> {
  using type = std::decay_t<std::invoke_result_t<F&>>;
};

}  // namespace detail

/// A task reducing the values of a flow with `f`, starting from `init`
/// (Missionary's `reduce`).
///
/// Semantics: runs `input`; for each value v, acc = f(std::move(acc), v);
/// succeeds with acc when the input terminates (with `init` for an empty
/// flow). `f` must return something convertible to the type of `init`.
///
/// Without `init` (`reduce(f, input)`): if `f` can be called with no
/// arguments, the initial value is f() (Missionary's `(rf)`), and the
/// result type is f()'s. Otherwise the first value is the initial value, the
/// result type is the flow's, and an empty flow fails the task with
/// std::logic_error (Missionary would call `(rf)`, which C++ cannot do).
///
/// **Cancellation**: cancelling the task cancels the input; the task then
/// ends as the input does (usually failing with braid::cancelled).
///
/// **Failure**: if the input's transfer or `f` throws, the input is
/// cancelled, its remaining values are discarded, and the task fails with
/// that first error once the input has terminated.
///
/// Ordering / thread-safety: `f` is called one value at a time, in order,
/// on the thread that delivers the value (inside the input's notification),
/// never concurrently. Synchronous inputs run in constant stack.
///
/// Example:
/// ```
/// task<int> sum = reduce(std::plus<>{}, 0, seed({1, 2, 3}));  // 6
/// task<std::vector<int>> all = reduce(
///     [](std::vector<int> acc, int v) { acc.push_back(v); return acc; },
///     std::vector<int>{}, seed({1, 2, 3}));
/// ```
template <class F, class I, class T>
task<std::decay_t<I>> reduce(F f, I&& init, flow<T> input) {
  using R = std::decay_t<I>;
  return task<R>(std::make_shared<const detail::reduce_task<R, T, std::decay_t<F>>>(
      std::move(f), std::optional<R>(std::forward<I>(init)), detail::reduce_init::given,
      std::move(input)));
}

/// reduce(f, input): the initial value is f() if `f` takes no arguments,
/// otherwise the first value of the flow (see above).
template <class F, class T>
task<typename detail::reduce_result<std::decay_t<F>, T>::type> reduce(F f, flow<T> input) {
  using G = std::decay_t<F>;
  using R = typename detail::reduce_result<G, T>::type;
  return task<R>(std::make_shared<const detail::reduce_task<R, T, G>>(
      std::move(f), std::nullopt, detail::reduce_init_without<G>, std::move(input)));
}

}  // namespace braid
