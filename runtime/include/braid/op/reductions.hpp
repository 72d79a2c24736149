// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/flow_util.hpp>
#include <braid/flow.hpp>
#include <braid/op/reduce.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {

// [spec.flow.reductions] Lazy, like Missionary's: the input is transferred
// and f applied inside the consumer's transfer. One drain_counter count is
// held whenever the consumer holds a notification (or by spawn); an input
// event arriving meanwhile only bumps the count, and the consumer's transfer
// gives its count back and, if an event waits, reacts to it in a loop.
template <class R, class T, class F>
class reductions_process final : public flow_node<R> {
 public:
  reductions_process(flow_listener l, F f, std::optional<R> init, reduce_init mode)
      : flow_node<R>(l), acc_(std::move(f), std::move(init)), mode_(mode) {}

  void start(const flow<T>& input) noexcept {
    in_ = input.spawn(member_listener<reductions_process, &reductions_process::on_notify,
                                      &reductions_process::on_terminate>(this));
    if (mode_ == reduce_init::first_value) {
      if (events_.depart()) react();
    } else {
      this->notify_out();  // the initial value; its transfer gives the count back
    }
  }

  void cancel() noexcept override { in_.cancel(); }

  R transfer() override {
    if (empty_) {
      this->terminate_out();
      std::rethrow_exception(reduce_empty_error("reductions"));
    }
    std::optional<R> out;
    std::exception_ptr e;
    try {
      if (!started_) {
        started_ = true;
        if (mode_ == reduce_init::nullary) acc_.start_nullary();
        if (mode_ == reduce_init::first_value) acc_.step(in_.transfer());
      } else {
        acc_.step(in_.transfer());
      }
      out.emplace(acc_.value());  // the consumer gets a copy; we keep accumulating
    } catch (...) {
      e = std::current_exception();
      dead_ = true;
      in_.cancel();
    }
    if (events_.depart()) react();
    if (e) std::rethrow_exception(std::move(e));
    return std::move(*out);
  }

 private:
  void on_notify() noexcept {
    if (events_.arrive()) react();
  }
  void on_terminate() noexcept {
    done_ = true;  // published by arrive()
    if (events_.arrive()) react();
  }

  // Owner of the counter, one input event per turn.
  void react() noexcept {
    for (;;) {
      if (done_) {
        if (!dead_ && acc_.empty()) {  // first-value mode, empty input: fail once
          empty_ = true;
          return this->notify_out();
        }
        return this->terminate_out();
      }
      if (!dead_) return this->notify_out();  // keep the count until transferred
      discard(in_);                             // after an error
      if (!events_.depart()) return;
    }
  }

  accumulator<R, T, F> acc_;
  reduce_init mode_;
  flow_iterator<T> in_;
  drain_counter events_{1};
  bool started_ = false;
  bool dead_ = false;
  bool done_ = false;
  bool empty_ = false;
};

template <class R, class T, class F>
class reductions_flow final : public flow_impl<R> {
  using proc = reductions_process<R, T, F>;

 public:
  reductions_flow(F f, std::optional<R> init, reduce_init mode, flow<T> input)
      : f_(std::move(f)), init_(std::move(init)), mode_(mode), input_(std::move(input)) {}

  flow_process<R>* spawn(flow_listener l) const noexcept override {
    return spawn_started<proc>(l, input_, f_, init_, mode_);
  }

 private:
  F f_;
  std::optional<R> init_;
  reduce_init mode_;
  flow<T> input_;
};

}  // namespace detail

/// A flow of the successive accumulated values of reducing `input` with `f`
/// (Missionary's `reductions`): init, f(init, v1), f(f(init, v1), v2), ...
///
/// Semantics: notifies at spawn for the initial value. Each following
/// transfer transfers the input and returns the new accumulated value (a
/// copy: the flow keeps its own). Terminates when the input has terminated
/// and the last value was taken. Without `init`: the initial value is f()
/// if `f` takes no arguments, otherwise the first value of the input
/// (nothing is emitted before it; an empty input makes the one transfer
/// throw std::logic_error).
///
/// **Cancellation**: cancels the input; the flow ends as the input does.
///
/// **Failure**: if the input's transfer or f throws, that transfer throws;
/// the input is cancelled and drained and the flow terminates once it has.
///
/// Ordering / thread-safety: lazy: the input is transferred and f called
/// inside the consumer's transfer, one value at a time. Constant stack.
///
/// Example:
/// ```
/// flow<int> sums = reductions(std::plus<>{}, 0, seed({1, 2, 3}));  // 0 1 3 6
/// ```
template <class F, class I, class T>
flow<std::decay_t<I>> reductions(F f, I&& init, flow<T> input) {
  using R = std::decay_t<I>;
  return flow<R>(std::make_shared<const detail::reductions_flow<R, T, std::decay_t<F>>>(
      std::move(f), std::optional<R>(std::forward<I>(init)), detail::reduce_init::given,
      std::move(input)));
}

/// reductions(f, input): starts from f() if `f` takes no arguments,
/// otherwise from the input's first value.
template <class F, class T>
flow<typename detail::reduce_result<std::decay_t<F>, T>::type> reductions(F f, flow<T> input) {
  using G = std::decay_t<F>;
  using R = typename detail::reduce_result<G, T>::type;
  return flow<R>(std::make_shared<const detail::reductions_flow<R, T, G>>(
      std::move(f), std::nullopt, detail::reduce_init_without<G>, std::move(input)));
}

}  // namespace braid
