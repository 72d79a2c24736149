// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/flow_util.hpp>
#include <braid/flow.hpp>
#include <braid/op/xf.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid {

namespace detail {

template <class In, class... X>
struct xf_output {
  using type = In;
};
template <class In, class X, class... R>
struct xf_output<In, X, R...> {
  using type = typename xf_output<typename X::template output<In>, R...>::type;
};

// The end of a stage chain: appends to the process's output buffer.
template <class Out>
struct xf_sink {
  std::vector<Out>* out;
  explicit xf_sink(std::vector<Out>* o) noexcept : out(o) {}
  bool push(Out&& x) {
    out->push_back(std::move(x));
    return true;
  }
  void flush() noexcept {}
};

template <class In, class Out, class... X>
struct xf_chain {
  using type = xf_sink<Out>;
};
template <class In, class Out, class X, class... R>
struct xf_chain<In, Out, X, R...> {
  using type = typename X::template stage<
      In, typename xf_chain<typename X::template output<In>, Out, R...>::type>;
};

// [spec.flow.eduction] One process: the input's iterator, the stage chain,
// and the buffer of values one input value produced (reused: no allocation
// per value once it has grown).
//
// One drain_counter serializes everything that touches the chain and the
// buffer. Each input event (notification, termination) is one count; the
// owner of the loop handles it and, if it produced output, keeps the count
// while the consumer drains the buffer: the consumer's last transfer gives
// it back (depart) and, if more input events came meanwhile, continues the
// loop itself. So a notification from the input while output is pending only
// bumps the count, a synchronous input never recurses, and the chain is
// never run by two threads at once.
template <class T, class Out, class Chain>
class eduction_process final : public flow_node<Out> {
 public:
  template <class Xs>
  eduction_process(flow_listener l, const Xs& xs)
      : flow_node<Out>(l),
        chain_(std::apply([this](const auto&... x) { return Chain(x..., &buf_); }, xs)) {}

  void start(const flow<T>& input) noexcept {
    in_ = input.spawn(member_listener<eduction_process, &eduction_process::on_notify,
                                      &eduction_process::on_terminate>(this));
    if (events_.depart()) drive();  // the spawn's hold
  }

  void cancel() noexcept override { in_.cancel(); }

  Out transfer() override {
    if (pos_ < buf_.size()) {
      Out v = std::move(buf_[pos_++]);
      taken();
      return v;
    }
    // Only called after a notification: the output is the error.
    std::exception_ptr e = std::move(error_);
    error_ = nullptr;
    taken();
    std::rethrow_exception(std::move(e));
  }

 private:
  bool has_output() const noexcept { return pos_ < buf_.size() || error_; }

  // After each transfer: more output → notify again; else the input event
  // that produced the output is done. Nothing of *this is used after the
  // callback (the consumer may re-enter, or release us after termination).
  void taken() noexcept {
    if (has_output()) return this->notify_out();
    if (flushing_) return this->terminate_out();
    if (events_.depart()) drive();
  }

  void on_notify() noexcept {
    if (events_.arrive()) drive();
  }
  void on_terminate() noexcept {
    done_ = true;  // published by arrive()
    if (events_.arrive()) drive();
  }

  void stop() noexcept {
    alive_ = false;
    in_.cancel();
  }

  void drive() noexcept {
    do {
      buf_.clear();
      pos_ = 0;
      if (done_) {
        // The input's termination is its last event: flush the chain
        // (partition's last chunk) and end once that output is drained.
        if (alive_) {
          alive_ = false;
          try {
            chain_.flush();
          } catch (...) {
            error_ = std::current_exception();
          }
        }
        if (has_output()) {
          flushing_ = true;
          return this->notify_out();
        }
        return this->terminate_out();
      }
      if (!alive_) {
        discard(in_);  // after early termination or an error
      } else {
        try {
          if (!chain_.push(in_.transfer())) {  // early termination (take...)
            stop();
            chain_.flush();
          }
        } catch (...) {
          // The error follows the values this step produced; the input is
          // cancelled and drained, and the flow ends when it has terminated.
          if (alive_) stop();
          error_ = std::current_exception();
        }
        if (has_output()) return this->notify_out();  // keeps the event's count
      }
    } while (events_.depart());
  }

  std::vector<Out> buf_;
  Chain chain_;
  std::size_t pos_ = 0;
  std::exception_ptr error_;
  flow_iterator<T> in_;
  drain_counter events_{1};  // held by spawn until in_ is stored
  bool alive_ = true;        // the chain still wants input
  bool done_ = false;        // the input terminated
  bool flushing_ = false;    // the pending output is the last
};

template <class T, class... X>
class eduction_flow final
    : public flow_impl<typename xf_output<T, X...>::type> {
  using Out = typename xf_output<T, X...>::type;
  using Chain = typename xf_chain<T, Out, X...>::type;
  using proc = eduction_process<T, Out, Chain>;

 public:
  eduction_flow(flow<T> input, std::tuple<X...> xs) : input_(std::move(input)), xs_(std::move(xs)) {}

  flow_process<Out>* spawn(flow_listener l) const noexcept override {
    return spawn_started<proc>(l, input_, xs_);
  }

 private:
  flow<T> input_;
  std::tuple<X...> xs_;
};

template <class Args, std::size_t... I>
auto eduction_from(Args args, std::index_sequence<I...>) {
  constexpr std::size_t n = sizeof...(I);
  using input_t = std::remove_cvref_t<std::tuple_element_t<n, Args>>;
  static_assert(is_flow<input_t>::value, "braid::eduction: the last argument must be the input flow");
  static_assert(
      (std::is_base_of_v<xf::transducer, std::remove_cvref_t<std::tuple_element_t<I, Args>>> && ...),
      "braid::eduction: every argument before the flow must be a transducer from braid::xf");
  using T = typename input_t::value_type;
  if constexpr (n == 0) {
    return input_t(std::get<0>(args));
  } else {
    using impl = eduction_flow<T, std::remove_cvref_t<std::tuple_element_t<I, Args>>...>;
    using Out = typename xf_output<T, std::remove_cvref_t<std::tuple_element_t<I, Args>>...>::type;
    return flow<Out>(std::make_shared<const impl>(
        input_t(std::get<n>(args)),
        std::tuple<std::remove_cvref_t<std::tuple_element_t<I, Args>>...>(std::get<I>(args)...)));
  }
}

}  // namespace detail

/// A flow transforming the values of `input` with transducers (Missionary's
/// `eduction`): `eduction(xf::filter(odd), xf::map(sq), input)`.
///
/// Semantics: transducers compose left to right, as Clojure's `comp` of
/// transducers does: the first sees the input's values first. Each input
/// value is pushed through the chain, which may yield any number of output
/// values; the input is transferred again only after the consumer has taken
/// all of them (backpressure is kept). Available transducers: xf::map,
/// filter, take, drop, take_while, partition, cat, mapcat, dedupe (see
/// <braid/op/xf.hpp>). With no transducer, eduction(input) is `input`.
///
/// **Early termination**: a transducer that wants no more input (take,
/// take_while) flushes the chain, cancels the input, discards its remaining
/// values, and the flow terminates once the input has terminated.
///
/// **Cancellation**: cancelling cancels the input; the flow ends as the
/// input does (values the chain already produced are still delivered).
///
/// **Failure**: if the input's transfer or a user function throws, the
/// values produced before are delivered, then a transfer throws that error;
/// the input is cancelled and drained, and the flow terminates once it has.
///
/// Ordering / thread-safety: user functions run one value at a time, in
/// order, never concurrently, on the thread that delivers the input's
/// notification or the consumer's transfer. Synchronous inputs run in
/// constant stack.
///
/// Example:
/// ```
/// flow<std::vector<int>> f = eduction(xf::filter([](int x) { return x % 2; }),
///                                     xf::mapcat([](int x) { return std::vector<int>(x, x); }),
///                                     xf::partition(4), seed({1, 2, 3}));
/// // [1 3 3 3]
/// ```
template <class... A>
  requires(sizeof...(A) >= 1)
auto eduction(A&&... args) {
  return detail::eduction_from(std::forward_as_tuple(std::forward<A>(args)...),
                               std::make_index_sequence<sizeof...(A) - 1>{});
}

}  // namespace braid
