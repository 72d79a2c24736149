// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/flow_util.hpp>
#include <braid/detail/propagator.hpp>
#include <braid/flow.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {

// [spec.flow.zip] One process for all inputs. pending_ counts the inputs
// that are "busy": neither holding a notification nor terminated. Each input
// contributes +1 while busy; its notification or termination is -1, and a
// transfer of c inputs adds c back. Whoever brings pending_ to 0 acts: while
// no input has ended, that means every input holds a value (notify the
// consumer); once one has ended (stop_), it means every live input holds a
// notification, which is drained and discarded until all have terminated.
// During spawn pending_ only goes down (the N inputs are added at the end),
// so no one acts before every iterator is stored.
//
// [spec.flow.publishers] A notification due inside a propagation turn on
// this thread is deferred into the turn at this recipe's rank
// (prop::deferred_notify): an input holding a value from an earlier change
// of a publisher that this turn invalidates again (ranked below this zip)
// is refreshed before the consumer transfers. pending_ stays 0 until the
// consumer's transfer, so nothing else acts meanwhile. The notification at
// spawn is immediate (continuous inputs make a zip ready at spawn).
template <class F, class Out, class... Ts>
class zip_process final : public flow_node<Out> {
  static constexpr std::size_t n = sizeof...(Ts);
  using seq = std::index_sequence_for<Ts...>;

  struct slot {
    zip_process* p;
    std::size_t i;
  };

 public:
  zip_process(flow_listener l, F f, std::shared_ptr<const prop::rank_vector> rank)
      : flow_node<Out>(l), f_(std::move(f)), rank_(std::move(rank)), notify_(*rank_, *this, l) {}

  void start(const std::tuple<flow<Ts>...>& inputs) noexcept {
    spawn_all(inputs, seq{});
    const int p = pending_.fetch_add(static_cast<int>(n), std::memory_order_acq_rel) + static_cast<int>(n);
    if (stop_.load(std::memory_order_acquire)) cancel_all();
    if (p == 0) ready(true);
  }

  void cancel() noexcept override { cancel_all(); }

  Out transfer() override {
    int c = 0;
    std::optional<Out> r;
    std::exception_ptr e;
    try {
      r.emplace(pull(c, seq{}));
    } catch (...) {
      e = std::current_exception();
      stop_.store(true, std::memory_order_release);
    }
    // An input may have ended inside its transfer (pending_ was then
    // negative, so it could not cancel the others): cancel them now.
    if (stop_.load(std::memory_order_acquire)) cancel_all();
    // Inputs that re-notified (or ended) inside their transfer already took
    // their count back: if all did, act now, still inside this transfer.
    if (pending_.fetch_add(c, std::memory_order_acq_rel) + c == 0) ready();
    if (e) std::rethrow_exception(std::move(e));
    return std::move(*r);
  }

 private:
  template <std::size_t... I>
  void spawn_all(const std::tuple<flow<Ts>...>& inputs, std::index_sequence<I...>) noexcept {
    ((slots_[I] = slot{this, I}), ...);
    ((std::get<I>(in_) = std::get<I>(inputs).spawn(flow_listener{&slots_[I], &on_notify, &on_terminate})),
     ...);
  }

  // Transfers every input in argument order, counting each attempt in c,
  // then applies f. Stops at the first throw.
  template <std::size_t... I>
  Out pull(int& c, std::index_sequence<I...>) {
    std::tuple<std::optional<Ts>...> vals;
    ((++c, std::get<I>(vals).emplace(std::get<I>(in_).transfer())), ...);
    return std::invoke(f_, std::move(*std::get<I>(vals))...);
  }

  template <std::size_t... I>
  int discard_live(std::index_sequence<I...>) noexcept {
    int c = 0;
    ((ended_[I].load(std::memory_order_acquire) ? void() : (++c, discard(std::get<I>(in_)))), ...);
    return c;
  }

  template <std::size_t... I>
  void cancel_live(std::index_sequence<I...>) noexcept {
    ((ended_[I].load(std::memory_order_acquire) ? void() : std::get<I>(in_).cancel()), ...);
  }
  void cancel_all() noexcept { cancel_live(seq{}); }

  static void on_notify(void* ctx) noexcept {
    auto* p = static_cast<slot*>(ctx)->p;
    if (p->pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) p->ready();
  }
  static void on_terminate(void* ctx) noexcept {
    auto* s = static_cast<slot*>(ctx);
    auto* p = s->p;
    // After our decrement another input may end the flow and the consumer
    // drop it, while we still cancel the others: keep the object alive.
    p->retain();
    p->ended_[s->i].store(true, std::memory_order_release);
    p->stop_.store(true, std::memory_order_release);
    const int left = p->pending_.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if (left >= 0) p->cancel_all();  // negative: still spawning; start() cancels
    if (left == 0) p->ready();
    p->release();
  }

  // Called with pending_ == 0 by whoever brought it there; loops (never
  // recurses) while draining inputs that re-notify synchronously.
  void ready(bool at_spawn = false) noexcept {
    for (;;) {
      if (!stop_.load(std::memory_order_acquire)) {
        if (at_spawn || !notify_.defer()) this->notify_out();
        return;
      }
      const int c = discard_live(seq{});
      if (c == 0) return this->terminate_out();
      if (pending_.fetch_add(c, std::memory_order_acq_rel) + c != 0) return;
    }
  }

  F f_;
  std::tuple<flow_iterator<Ts>...> in_;
  std::array<slot, n> slots_{};
  std::array<std::atomic<bool>, n> ended_{};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::shared_ptr<const prop::rank_vector> rank_;  // the recipe's
  prop::deferred_notify notify_;
};

template <class F, class Out, class... Ts>
class zip_flow final : public flow_impl<Out> {
  using proc = zip_process<F, Out, Ts...>;

 public:
  zip_flow(F f, std::tuple<flow<Ts>...> inputs)
      : f_(std::move(f)), inputs_(std::move(inputs)), rank_(prop::deferred_notify::make_rank()) {}

  flow_process<Out>* spawn(flow_listener l) const noexcept override {
    proc* p;
    try {
      p = new proc(l, f_, rank_);
    } catch (...) {
      return failing_flow<Out>(std::current_exception())->spawn(l);
    }
    p->start(inputs_);
    return p;
  }

 private:
  F f_;
  std::tuple<flow<Ts>...> inputs_;
  std::shared_ptr<const prop::rank_vector> rank_;  // build order: after every input's
};

}  // namespace detail

/// A flow of f applied to the first value of every input, then to the
/// second values, and so on (Missionary's `zip`).
///
/// Semantics: all inputs run at once. When every input holds a value, the
/// flow notifies; its transfer transfers each input in argument order and
/// returns f(v1, v2, ...). An input is transferred again only after the
/// consumer transferred (backpressure). When any input terminates, the
/// others are cancelled, their remaining values discarded, and the flow
/// terminates once every input has.
///
/// **Cancellation**: cancels every input that has not terminated.
///
/// **Failure**: if an input's transfer or f throws, that transfer throws the
/// error, every input is cancelled and drained, and the flow terminates once
/// all have.
///
/// **Glitch-freedom**: a notification due inside a propagation turn (inputs
/// that are publisher subscriptions) is deferred within the turn until every
/// publisher and combinator built before this zip has been ticked, so an
/// input holding a value of a publisher that the same change invalidates
/// again is refreshed before the consumer's transfer. Outside a turn, and at
/// spawn, the notification is immediate.
///
/// Ordering / thread-safety: inputs may notify from any thread; f is called
/// in the consumer's transfer, one tuple at a time. Synchronous inputs run
/// in constant stack.
///
/// Example:
/// ```
/// flow<int> sums = zip(std::plus<>{}, seed({1, 2, 3}), seed({10, 20}));  // 11 22
/// ```
template <class F, class... Ts>
  requires(sizeof...(Ts) >= 1 && std::is_invocable_v<std::decay_t<F>&, Ts&&...>)
flow<std::decay_t<std::invoke_result_t<std::decay_t<F>&, Ts&&...>>> zip(F&& f, flow<Ts>... inputs) {
  using G = std::decay_t<F>;
  using Out = std::decay_t<std::invoke_result_t<G&, Ts&&...>>;
  return flow<Out>(std::make_shared<const detail::zip_flow<G, Out, Ts...>>(
      std::forward<F>(f), std::tuple<flow<Ts>...>(std::move(inputs)...)));
}

}  // namespace braid
