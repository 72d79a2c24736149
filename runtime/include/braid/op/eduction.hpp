// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/flow_util.hpp>
#include <braid/flow.hpp>
#include <braid/op/xf.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
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

// The fold's one-value lookahead. Unfused, the consumer's transfer of an
// input value's last output first handles the input's events already
// pending (Missionary's eduction pulls inside that transfer), so the stages
// run for the next values before the consumer's function sees that output.
// The fold keeps the same order: the last output waits in `held` until no
// input event is pending, or the next output, an error or the end comes.
template <class Out>
struct fold_lookahead {
  fold_target<Out>* target;
  std::optional<Out> held;

  explicit fold_lookahead(fold_target<Out>* t) noexcept : target(t) {}
  void offer(Out&& v) {
    if (held) step_held(true);  // unfused, this output was notified then
    held.emplace(std::move(v));
  }
  /// `more`: what fold_target::step says, whether the unfused output would
  /// have its next event pending when this value's transfer returned.
  void step_held(bool more) noexcept {
    if (!held) return;
    Out v = std::move(*held);
    held.reset();
    target->step(std::move(v), more);
  }
};

// The end of a stage chain fused into a fold: each value goes straight to
// the lookahead (only for chains whose stages all forward last, see xf.hpp).
template <class Out>
struct xf_fold_sink {
  fold_lookahead<Out>* ahead;
  explicit xf_fold_sink(fold_lookahead<Out>* a) noexcept : ahead(a) {}
  bool push(Out&& x) {
    ahead->offer(std::move(x));
    return true;
  }
  void flush() noexcept {}
};

// The stages of X... from In, ending in Sink.
template <class In, class Sink, class... X>
struct xf_chain {
  using type = Sink;
};
template <class In, class Sink, class X, class... R>
struct xf_chain<In, Sink, X, R...> {
  using type = typename X::template stage<
      In, typename xf_chain<typename X::template output<In>, Sink, R...>::type>;
};

// True when every stage of a chain declares forwards_last.
template <class C>
struct forwards_last_chain : std::false_type {};
template <class Out>
struct forwards_last_chain<xf_fold_sink<Out>> : std::true_type {};
template <class C>
  requires requires { requires C::forwards_last; }
struct forwards_last_chain<C> : forwards_last_chain<decltype(std::declval<C&>().next)> {};

// [spec.flow.eduction] The input side that the eduction process and the
// eduction fold share: the input's iterator, the stage chain, the buffer of
// the values one input value produced (reused: no allocation per value once
// it has grown), the error that ends the output, and the flags.
template <class T, class Out, class Chain>
struct eduction_input {
  /// The chain ending in the buffer.
  template <class Xs>
  explicit eduction_input(const Xs& xs) : eduction_input(xs, &buf) {}
  /// The chain ending in a sink made from `sink_arg`.
  template <class Xs, class A>
  eduction_input(const Xs& xs, A sink_arg)
      : chain(std::apply([sink_arg](const auto&... x) { return Chain(x..., sink_arg); }, xs)) {}

  eduction_input(const eduction_input&) = delete;
  eduction_input& operator=(const eduction_input&) = delete;

  /// One input event that is not the termination: transfers the value and
  /// pushes it through the chain, or drops it once the chain wants no more.
  void feed() noexcept {
    if (!alive) return discard(in);  // after early termination or an error
    push([this] { return in.transfer(); });
  }
  /// One value of a folding input (fold_target::step): as feed() with the
  /// value transferred; dropped as discard() drops it once the chain stopped.
  void feed(T&& v) noexcept {
    if (!alive) return;
    push([&v]() -> T&& { return std::move(v); });
  }

  /// The input's error, as a transfer that throws it: kept (and the input
  /// cancelled) unless the chain had stopped, when discard() drops it.
  void input_failed(std::exception_ptr e) noexcept {
    if (!e || !alive) return;
    stop();
    error = std::move(e);
  }

  /// The input's termination, its last event: flushes the chain (partition's
  /// last chunk) if it still wanted input.
  void flush_at_end() noexcept {
    if (!alive) return;
    alive = false;
    try {
      chain.flush();
    } catch (...) {
      error = std::current_exception();
    }
  }

  void stop() noexcept {
    alive = false;
    cancel_input();
  }

  void cancel_input() noexcept {
    if (folded)
      folded.get()->cancel();
    else
      in.cancel();
  }

  std::vector<Out> buf;
  Chain chain;
  std::exception_ptr error;
  flow_iterator<T> in;
  process_ref folded;  // instead of `in` when the input folds into us
  bool alive = true;  // the chain still wants input
  bool done = false;  // the input terminated (published by the counter)

 private:
  template <class Get>
  void push(Get get) noexcept {
    try {
      if (!chain.push(get())) {  // early termination (take...)
        stop();
        chain.flush();
      }
    } catch (...) {
      // The error follows the values this step produced; the input is
      // cancelled and drained, and the flow ends when it has terminated.
      if (alive) stop();
      error = std::current_exception();
    }
  }
};

// [spec.flow.eduction] One process: the input side and the position of the
// consumer in the buffer.
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
  eduction_process(flow_listener l, const Xs& xs) : flow_node<Out>(l), src_(xs) {}

  void start(const flow<T>& input) noexcept {
    src_.in = input.spawn(member_listener<eduction_process, &eduction_process::on_notify,
                                          &eduction_process::on_terminate>(this));
    if (events_.depart()) drive();  // the spawn's hold
  }

  void cancel() noexcept override { src_.in.cancel(); }

  Out transfer() override {
    if (pos_ < src_.buf.size()) {
      Out v = std::move(src_.buf[pos_++]);
      taken();
      return v;
    }
    // Only called after a notification: the output is the error.
    std::exception_ptr e = std::move(src_.error);
    src_.error = nullptr;
    taken();
    std::rethrow_exception(std::move(e));
  }

 private:
  bool has_output() const noexcept { return pos_ < src_.buf.size() || src_.error; }

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
    src_.done = true;  // published by arrive()
    if (events_.arrive()) drive();
  }

  void drive() noexcept {
    do {
      src_.buf.clear();
      pos_ = 0;
      if (src_.done) {
        src_.flush_at_end();
        if (has_output()) {
          flushing_ = true;
          return this->notify_out();
        }
        return this->terminate_out();
      }
      src_.feed();
      if (has_output()) return this->notify_out();  // keeps the event's count
    } while (events_.depart());
  }

  eduction_input<T, Out, Chain> src_;
  std::size_t pos_ = 0;
  drain_counter events_{1};  // held by spawn until the input's iterator is stored
  bool flushing_ = false;    // the pending output is the last
};

// [spec.flow.eduction] The eduction fused into a folding consumer (reduce):
// the same input side, with the outputs going to the target in the order
// the unfused consumer would see them (the stages' calls for one input
// value, then the target's for its outputs, the last one after the input's
// pending events: fold_lookahead), and the error and the end to
// target.end(). A chain whose stages all forward last (Direct) ends in the
// lookahead itself, without the buffer. The loop never leaves holding its
// count except to end, so a synchronous input is counted without atomics
// (affine_drain_counter).
//
// When the input folds too (a seed, or another eduction), the fold is its
// target instead of spawning it: each input value comes to step() with the
// input's `more`, which stands for the unfused events_.pending(), and the
// input's end to end(); no counter, no notification, no transfer.
template <class T, class Out, class Chain, bool Direct>
class eduction_fold final : public fold_process, fold_target<T> {
 public:
  template <class Xs>
  eduction_fold(fold_target<Out>& t, const Xs& xs)
      : fold_process(2), ahead_(&t), src_(make_input(xs)) {}

  void start(const flow<T>& input) noexcept {
    if (!input.empty()) {
      if (fold_process* f = input.impl()->fold(*this)) {
        src_.folded = process_ref(f);
        return;
      }
    }
    src_.in = input.spawn(
        member_listener<eduction_fold, &eduction_fold::on_notify, &eduction_fold::on_terminate>(this));
  }

  void begin() noexcept override {
    if (src_.folded) return static_cast<fold_process*>(src_.folded.get())->begin();
    if (events_.depart()) drive();  // the hold of fold(), until the target stored us
  }

  void cancel() noexcept override { src_.cancel_input(); }

 private:
  template <class Xs>
  eduction_input<T, Out, Chain> make_input(const Xs& xs) {
    if constexpr (Direct)
      return eduction_input<T, Out, Chain>(xs, &ahead_);
    else
      return eduction_input<T, Out, Chain>(xs);
  }

  void on_notify() noexcept {
    if (events_.arrive()) drive();
  }
  void on_terminate() noexcept {
    src_.done = true;  // published by arrive()
    if (events_.arrive()) drive();
  }

  // fold_target<T>, the folded input: one loop step of drive() each.
  void step(T&& v, bool more) noexcept override {
    src_.feed(std::move(v));
    after_feed(more);
  }
  void end(std::exception_ptr e) noexcept override {
    src_.input_failed(std::move(e));
    finish();
  }

  // Out of line: inlined into the listener, its register saves would be
  // paid by every synchronous notification, which only counts itself.
  [[gnu::noinline]] void drive() noexcept {
    do {
      if (src_.done) return finish();
      src_.feed();
      after_feed(events_.pending());
    } while (events_.depart());
  }

  // `pending`: the input's next event is already there. Unfused, an error
  // is an output of its own, taken after the values: nothing is pulled
  // ahead of the last value then, and that value's transfer leaves the
  // error's notification pending.
  void after_feed(bool pending) noexcept {
    offer_buffer();
    if (src_.error || !pending) ahead_.step_held(static_cast<bool>(src_.error));
  }

  // The input terminated: the chain's last chunk, the held value (unfused,
  // its transfer would call the terminator), then the target's end.
  void finish() noexcept {
    src_.flush_at_end();
    offer_buffer();
    ahead_.step_held(true);
    fold_target<Out>* t = ahead_.target;
    std::exception_ptr e = std::move(src_.error);
    this->release();  // the run's reference: nothing of *this after it
    t->end(std::move(e));
  }

  void offer_buffer() noexcept {
    if constexpr (!Direct) {
      try {
        for (Out& v : src_.buf) ahead_.offer(std::move(v));
      } catch (...) {  // a throwing move of Out: as a stage's error
        if (src_.alive) src_.stop();
        if (!src_.error) src_.error = std::current_exception();
      }
      src_.buf.clear();
    }
  }

  fold_lookahead<Out> ahead_;
  eduction_input<T, Out, Chain> src_;
  affine_drain_counter events_{1};  // held by fold() until begin()
};

template <class T, class... X>
class eduction_flow final
    : public flow_impl<typename xf_output<T, X...>::type> {
  using Out = typename xf_output<T, X...>::type;
  using Chain = typename xf_chain<T, xf_sink<Out>, X...>::type;
  using proc = eduction_process<T, Out, Chain>;
  using direct_chain = typename xf_chain<T, xf_fold_sink<Out>, X...>::type;
  static constexpr bool direct = forwards_last_chain<direct_chain>::value;
  using folder = eduction_fold<T, Out, std::conditional_t<direct, direct_chain, Chain>, direct>;

 public:
  eduction_flow(flow<T> input, std::tuple<X...> xs) : input_(std::move(input)), xs_(std::move(xs)) {}

  flow_process<Out>* spawn(flow_listener l) const noexcept override {
    return spawn_started<proc>(l, input_, xs_);
  }

  fold_process* fold(fold_target<Out>& t) const noexcept override {
    folder* f;
    try {
      f = new folder(t, xs_);
    } catch (...) {
      return nullptr;  // the consumer spawns us instead, which reports the error
    }
    f->start(input_);
    return f;
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
/// **Fusion**: consumed by reduce, an eduction runs no process of its own:
/// its stages feed reduce's function directly (Clojure's `transduce`), with
/// the same values, calls in the same order, the same errors.
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
