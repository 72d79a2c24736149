// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/propagator.hpp>
#include <braid/flow.hpp>
#include <braid/op/latest.hpp>  // detail::uninitialized_continuous_flow

#include <array>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid {

namespace detail {

// [spec.flow.sample] One running sample. Inputs 0..n-2 are the sampled
// (continuous) flows, input n-1 the sampler. The mutex guards event
// bookkeeping only; inputs, f and the consumer are called outside it.
//
// `busy_` is Missionary's toggle: every sampler event and every end of a
// transfer flips it under the lock. Whoever flips it to true acts (notify
// the consumer, drain a failed sampler, or close after the sampler ended);
// an event flipping it to false while someone acts tells that party to
// look again when it flips next. This makes synchronous re-notifications
// loop instead of recurse.
//
// [spec.flow.publishers] A sampler event inside a propagation turn on this
// thread defers the notification into the turn at this recipe's rank
// (prop::deferred_notify), so sampled inputs invalidated later in the same
// turn are recorded before the consumer transfers. Not during spawn: a
// continuous sampler's notification at spawn makes this process continuous
// too, and is owed before spawn returns.
template <class R, class F, class... Ts>
class sample_process final : public flow_process<R> {
  static constexpr std::size_t n = sizeof...(Ts);
  static constexpr std::size_t sampler = n - 1;
  using seq = std::index_sequence_for<Ts...>;

  struct slot {
    sample_process* p;
    std::size_t i;
  };

 public:
  sample_process(const F& f, flow_listener out, std::shared_ptr<const prop::rank_vector> rank)
      : flow_process<R>(2), f_(f), out_(out), rank_(std::move(rank)), notify_(*rank_, *this, out) {}

  void start(const std::tuple<flow<Ts>...>& flows) noexcept {
    spawn_inputs(flows, seq{});
    std::lock_guard<std::mutex> g(m_);
    spawning_ = false;
    for (std::size_t i = 0; i < sampler; ++i)
      if (!ready_[i]) {
        uninitialized_ = i + 1;
        break;
      }
  }

  void cancel() noexcept override { cancel_inputs(seq{}); }

  R transfer() override {
    std::exception_ptr err;
    std::optional<R> out;
    try {
      try {
        std::size_t missing;
        {
          std::lock_guard<std::mutex> g(m_);
          missing = uninitialized_;
        }
        if (missing) throw uninitialized_continuous_flow("sample", missing - 1);
        for (std::size_t i = 0; i < sampler; ++i) {
          bool again;
          {
            std::lock_guard<std::mutex> g(m_);
            again = ready_[i];
          }
          // Drain an input that re-notifies inside its own transfer: only
          // its last value counts.
          while (again) {
            {
              std::lock_guard<std::mutex> g(m_);
              ready_[i] = false;
            }
            take_table[i](*this);
            std::lock_guard<std::mutex> g(m_);
            again = ready_[i];
          }
        }
      } catch (...) {
        discard_table[sampler](*this);  // the sampler notified: its value must be taken
        throw;
      }
      take_table[sampler](*this);
      out.emplace(std::apply([this](const auto&... a) { return std::invoke(f_, *a...); }, args_));
    } catch (...) {
      err = std::current_exception();
      std::get<sampler>(inputs_).cancel();
      {
        // After the cancel: a notification it caused synchronously is
        // handled by settle() below, as a discard.
        std::lock_guard<std::mutex> g(m_);
        discard_sampler_ = true;
      }
    }
    settle();
    if (err) std::rethrow_exception(err);
    return std::move(*out);
  }

 private:
  template <std::size_t... I>
  void spawn_inputs(const std::tuple<flow<Ts>...>& flows, std::index_sequence<I...>) noexcept {
    ((slots_[I] = slot{this, I},
      std::get<I>(inputs_) = std::get<I>(flows).spawn(
          I == sampler ? flow_listener{&slots_[I], &on_sampler_notify, &on_sampler_terminate}
                       : flow_listener{&slots_[I], &on_sampled_notify, &on_sampled_terminate})),
     ...);
  }
  template <std::size_t... I>
  void cancel_inputs(std::index_sequence<I...>) noexcept {
    (std::get<I>(inputs_).cancel(), ...);
  }

  static void on_sampled_notify(void* c) noexcept {
    auto* s = static_cast<slot*>(c);
    sample_process* p = s->p;
    bool drop;
    {
      std::lock_guard<std::mutex> g(p->m_);
      drop = p->closing_;
      if (!drop) p->ready_[s->i] = true;
    }
    if (drop) discard_table[s->i](*p);
  }
  static void on_sampled_terminate(void* c) noexcept { static_cast<slot*>(c)->p->input_ended(); }
  static void on_sampler_notify(void* c) noexcept { static_cast<slot*>(c)->p->settle(); }
  static void on_sampler_terminate(void* c) noexcept {
    sample_process* p = static_cast<slot*>(c)->p;
    {
      std::lock_guard<std::mutex> g(p->m_);
      p->sampler_done_ = true;
    }
    p->settle();
  }

  void input_ended() noexcept {
    bool last;
    {
      std::lock_guard<std::mutex> g(m_);
      last = --alive_ == 0;
    }
    if (last) finish();
  }

  void settle() noexcept {
    for (;;) {
      std::array<bool, sampler> drop{};
      bool close = false, discard = false, last = false, spawning = false;
      {
        std::lock_guard<std::mutex> g(m_);
        busy_ = !busy_;
        if (!busy_) return;
        spawning = spawning_;
        if (sampler_done_) {
          // The sampler ended: cancel the sampled inputs, drop what they
          // have or will have, and end once they all have.
          close = true;
          closing_ = true;
          for (std::size_t i = 0; i < sampler; ++i) {
            drop[i] = ready_[i];
            ready_[i] = false;
          }
          last = --alive_ == 0;
        } else {
          discard = discard_sampler_;
        }
      }
      if (close) {
        cancel_sampled(seq{});
        for (std::size_t i = 0; i < sampler; ++i)
          if (drop[i]) discard_table[i](*this);
        if (last) finish();
        return;
      }
      if (!discard) {
        // busy_ stays set until the transfer settles (also while deferred)
        if (spawning || !notify_.defer()) out_.notify();
        return;
      }
      discard_table[sampler](*this);
    }
  }

  template <std::size_t... I>
  void cancel_sampled(std::index_sequence<I...>) noexcept {
    ((I == sampler ? void() : std::get<I>(inputs_).cancel()), ...);
  }

  void finish() noexcept {
    flow_listener out = out_;
    this->release();  // the run's reference, before the terminator
    out.terminate();
  }

  template <std::size_t I>
  static void take(sample_process& p) {
    auto& a = std::get<I>(p.args_);
    auto v = std::get<I>(p.inputs_).transfer();
    a.reset();
    a.emplace(std::move(v));
  }
  template <std::size_t I>
  static void discard(sample_process& p) noexcept {
    try {
      (void)std::get<I>(p.inputs_).transfer();
    } catch (...) {
      // Dropped: the process failed or is closing.
    }
  }
  template <std::size_t... I>
  static constexpr auto make_take_table(std::index_sequence<I...>) {
    return std::array<void (*)(sample_process&), n>{&take<I>...};
  }
  template <std::size_t... I>
  static constexpr auto make_discard_table(std::index_sequence<I...>) {
    return std::array<void (*)(sample_process&) noexcept, n>{&discard<I>...};
  }
  static constexpr auto take_table = make_take_table(seq{});
  static constexpr auto discard_table = make_discard_table(seq{});

  F f_;
  flow_listener out_;
  std::tuple<flow_iterator<Ts>...> inputs_;
  std::tuple<std::optional<Ts>...> args_;  // touched by transfer only
  std::array<slot, n> slots_{};
  std::shared_ptr<const prop::rank_vector> rank_;  // the recipe's
  prop::deferred_notify notify_;

  std::mutex m_;
  std::size_t uninitialized_ = 0;      // guarded by m_: 1 + index of the first sampled input not ready at spawn
  std::array<bool, sampler> ready_{};  // guarded by m_
  bool busy_ = false;                  // guarded by m_
  bool spawning_ = true;               // guarded by m_: start() has not finished spawning inputs
  bool closing_ = false;               // guarded by m_: sampled values are dropped
  bool sampler_done_ = false;          // guarded by m_
  bool discard_sampler_ = false;       // guarded by m_: after a failure
  std::size_t alive_ = n;              // guarded by m_: inputs not terminated
};

template <class R, class F, class... Ts>
class sample_flow final : public flow_impl<R> {
 public:
  sample_flow(F f, flow<Ts>... fs)
      : f_(std::move(f)), flows_(std::move(fs)...), rank_(prop::deferred_notify::make_rank()) {}
  flow_process<R>* spawn(flow_listener l) const noexcept override {
    sample_process<R, F, Ts...>* p;
    try {
      p = new sample_process<R, F, Ts...>(f_, l, rank_);
    } catch (...) {
      return failing_flow<R>(std::current_exception())->spawn(l);
    }
    p->start(flows_);
    return p;
  }

 private:
  F f_;
  std::tuple<flow<Ts>...> flows_;
  std::shared_ptr<const prop::rank_vector> rank_;  // build order: after every input's
};

}  // namespace detail

/// A flow of `f` applied to the values of continuous flows sampled each
/// time the last flow (the sampler) emits.
///
/// `sample(f, sampled..., sampler)`: the last argument is the sampler; `f`
/// takes the sampled values then the sampler's value, as const references.
///
/// **Semantics** (Missionary's `sample`): notifies only when the sampler
/// does. A transfer first transfers every sampled input that changed since
/// the last one (an input that re-notifies inside its own transfer is
/// transferred again: only its last value counts), then the sampler, and
/// returns `f(values...)`. The result is as discrete as the sampler. When
/// the sampler terminates, the sampled inputs are cancelled (their later
/// values dropped) and the process terminates once they all have.
///
/// **Cancellation**: cancels every input, the sampler included; the
/// sampler's end then closes the process as above.
///
/// **Failure**: a sampled input not ready at spawn makes the first transfer
/// fail with std::logic_error "...uninitialized continuous flow...". An error
/// from a sampled input, the sampler or `f` is rethrown by that transfer;
/// the sampler is then cancelled, its later values dropped, and no
/// notification follows (the terminator does, once every input ended).
///
/// **Glitch-freedom**: when the sampler and sampled inputs change in one
/// propagation turn (they are publisher subscriptions, e.g. the same
/// signal), the notification is deferred within the turn until every
/// publisher and combinator built before this sample has been ticked: a
/// consumer transferring inside it sees every sampled change of that turn
/// (`sample(+, s, s)` with `s = signal(watch(x))` yields 2, 4, 6 as x goes
/// 1, 2, 3). Outside a turn, and during spawn, it is immediate.
///
/// **Ordering / thread-safety**: inputs may notify from any thread; `f` runs
/// inside transfer, on the consumer's thread.
///
/// ```
/// braid::ref<int> temperature(20);
/// auto readings = braid::sample([](int t, int tick) { return t; },
///                               braid::watch(temperature), clock_ticks);
/// ```
template <class F, class... Ts>
  requires(sizeof...(Ts) >= 1 && std::invocable<F&, const Ts&...>)
auto sample(F f, flow<Ts>... flows) {
  using R = std::decay_t<std::invoke_result_t<F&, const Ts&...>>;
  return flow<R>(std::make_shared<const detail::sample_flow<R, std::decay_t<F>, Ts...>>(std::move(f), std::move(flows)...));
}

}  // namespace braid
