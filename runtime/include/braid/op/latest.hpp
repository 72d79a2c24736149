// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/propagator.hpp>
#include <braid/flow.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {

/// The error of a continuous operator whose input was not ready at spawn.
inline std::logic_error uninitialized_continuous_flow(const char* op, std::size_t input) {
  return std::logic_error(std::string("braid: ") + op + ": uninitialized continuous flow (input " +
                          std::to_string(input) +
                          " did not notify during spawn; a continuous flow must be ready at spawn, "
                          "e.g. a watch, a signal or a latest)");
}

// [spec.flow.latest] One running latest. Every mutable field is here. The
// mutex guards the bookkeeping of input events only; it is never held while
// an input, the combinator or the consumer is called.
//
// `busy_` is the ownership token of the process: whoever sets it (an input
// event finding the process idle, or spawn) owns the right to notify the
// consumer, drain inputs or terminate; the consumer's transfer runs while
// it is set and hands it back through settle(). Events arriving while busy
// only record themselves, so synchronous re-notifications (an input that
// notifies inside its own transfer) are handled by loops, never recursion.
//
// [spec.flow.publishers] A notification due while a propagation turn runs
// on this thread is deferred into the turn at this recipe's rank
// (prop::deferred_notify): busy_ stays set until it fired and the consumer
// transferred, so inputs invalidated later in the same turn are recorded
// first and the transfer sees them all. The notification at spawn is never
// deferred (a continuous flow is ready at spawn).
template <class R, class F, class... Ts>
class latest_process final : public flow_process<R> {
  static constexpr std::size_t n = sizeof...(Ts);
  using seq = std::index_sequence_for<Ts...>;

  struct slot {
    latest_process* p;
    std::size_t i;
  };

 public:
  latest_process(const F& f, flow_listener out, std::shared_ptr<const prop::rank_vector> rank)
      : flow_process<R>(2), f_(f), out_(out), rank_(std::move(rank)), notify_(*rank_, *this, out) {}

  void start(const std::tuple<flow<Ts>...>& flows) noexcept {
    spawn_inputs(flows, seq{});
    bool ok;
    std::size_t missing = 0;
    {
      std::lock_guard<std::mutex> g(m_);
      ok = nready_ == n;
      if (!ok) {
        while (ready_[missing]) ++missing;
        failed_ = true;
      }
    }
    if (!ok) {
      uninitialized_ = missing + 1;  // read by transfer only, after this notification
      cancel_inputs(seq{});
    }
    out_.notify();  // continuous: ready at spawn, also to report the failure
  }

  void cancel() noexcept override { cancel_inputs(seq{}); }

  R transfer() override {
    if (uninitialized_) {
      settle();
      throw uninitialized_continuous_flow("latest", uninitialized_ - 1);
    }
    try {
      bool changed = !cached_.has_value();
      for (;;) {
        std::size_t i;
        {
          std::lock_guard<std::mutex> g(m_);
          if (nready_ == 0) break;
          i = take_ready_locked();
        }
        changed |= take_table[i](*this);
      }
      if (changed) {
        cached_.reset();
        cached_.emplace(std::apply([this](const auto&... a) { return std::invoke(f_, *a...); }, args_));
      }
      R r = *cached_;
      settle();
      return r;
    } catch (...) {
      {
        std::lock_guard<std::mutex> g(m_);
        failed_ = true;
      }
      cancel_inputs(seq{});
      settle();
      throw;
    }
  }

 private:
  template <std::size_t... I>
  void spawn_inputs(const std::tuple<flow<Ts>...>& flows, std::index_sequence<I...>) noexcept {
    ((slots_[I] = slot{this, I},
      std::get<I>(inputs_) = std::get<I>(flows).spawn(flow_listener{&slots_[I], &on_input_notify, &on_input_terminate})),
     ...);
  }
  template <std::size_t... I>
  void cancel_inputs(std::index_sequence<I...>) noexcept {
    (std::get<I>(inputs_).cancel(), ...);
  }

  static void on_input_notify(void* c) noexcept {
    auto* s = static_cast<slot*>(c);
    latest_process* p = s->p;
    {
      std::lock_guard<std::mutex> g(p->m_);
      p->ready_[s->i] = true;
      ++p->nready_;
      --p->waiting_;
      if (p->busy_) return;
      p->busy_ = true;
    }
    p->settle();
  }
  static void on_input_terminate(void* c) noexcept {
    auto* s = static_cast<slot*>(c);
    latest_process* p = s->p;
    {
      std::lock_guard<std::mutex> g(p->m_);
      --p->waiting_;
      if (p->busy_) return;
      p->busy_ = true;
    }
    p->settle();
  }

  // Lowest ready index first: inputs are transferred in argument order.
  std::size_t take_ready_locked() noexcept {
    std::size_t i = 0;
    while (!ready_[i]) ++i;
    ready_[i] = false;
    --nready_;
    ++waiting_;
    return i;
  }

  /// Called by the owner of `busy_` when no transfer of ours is pending:
  /// notify the consumer if an input is ready, drain inputs after a failure,
  /// terminate once every input has, or go idle.
  void settle() noexcept {
    enum class act { idle, notify, discard, finish };
    for (;;) {
      act a;
      std::size_t i = 0;
      {
        std::lock_guard<std::mutex> g(m_);
        if (nready_ != 0) {
          if (failed_) {
            i = take_ready_locked();
            a = act::discard;
          } else {
            a = act::notify;  // busy_ stays set until the consumer's transfer settles
          }
        } else if (waiting_ != 0) {
          busy_ = false;
          a = act::idle;
        } else {
          a = act::finish;  // every input terminated, nothing left to transfer
        }
      }
      switch (a) {
        case act::idle:
          return;
        case act::notify:
          if (!notify_.defer()) out_.notify();
          return;
        case act::discard:
          discard_table[i](*this);
          continue;
        case act::finish: {
          flow_listener out = out_;
          this->release();  // the run's reference, before the terminator
          out.terminate();
          return;
        }
      }
    }
  }

  template <std::size_t I>
  static bool take(latest_process& p) {
    using T = std::tuple_element_t<I, std::tuple<Ts...>>;
    T v = std::get<I>(p.inputs_).transfer();
    auto& a = std::get<I>(p.args_);
    bool changed = true;
    if constexpr (std::equality_comparable<T>) changed = !a || !(*a == v);
    a.reset();
    a.emplace(std::move(v));
    return changed;
  }
  template <std::size_t I>
  static void discard(latest_process& p) noexcept {
    try {
      (void)std::get<I>(p.inputs_).transfer();
    } catch (...) {
      // After a failure every later value and error is dropped.
    }
  }
  template <std::size_t... I>
  static constexpr auto make_take_table(std::index_sequence<I...>) {
    return std::array<bool (*)(latest_process&), n>{&take<I>...};
  }
  template <std::size_t... I>
  static constexpr auto make_discard_table(std::index_sequence<I...>) {
    return std::array<void (*)(latest_process&) noexcept, n>{&discard<I>...};
  }
  static constexpr auto take_table = make_take_table(seq{});
  static constexpr auto discard_table = make_discard_table(seq{});

  F f_;
  flow_listener out_;
  std::tuple<flow_iterator<Ts>...> inputs_;
  std::tuple<std::optional<Ts>...> args_;  // touched by transfer only
  std::optional<R> cached_;                // touched by transfer only
  std::array<slot, n> slots_{};
  std::size_t uninitialized_ = 0;  // 1 + index of the first input not ready at spawn
  std::shared_ptr<const prop::rank_vector> rank_;  // the recipe's
  prop::deferred_notify notify_;

  std::mutex m_;
  std::array<bool, n> ready_{};  // guarded by m_
  std::size_t nready_ = 0;       // guarded by m_
  std::size_t waiting_ = n;      // guarded by m_: inputs whose next event has not come
  bool busy_ = true;             // guarded by m_: spawn owns the process first
  bool failed_ = false;          // guarded by m_
};

template <class R, class F, class... Ts>
class latest_flow final : public flow_impl<R> {
 public:
  latest_flow(F f, flow<Ts>... fs)
      : f_(std::move(f)), flows_(std::move(fs)...), rank_(prop::deferred_notify::make_rank()) {}
  flow_process<R>* spawn(flow_listener l) const noexcept override {
    latest_process<R, F, Ts...>* p;
    try {
      p = new latest_process<R, F, Ts...>(f_, l, rank_);
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

/// A continuous flow of `f` applied to the latest values of `flows`.
///
/// **Semantics** (Missionary's `latest`): the process notifies at spawn and
/// is lazy: a transfer transfers every input that notified since the last
/// one, in argument order (an input that notifies again inside its own
/// transfer is transferred again: only its last value counts), then returns
/// `f(latest values...)`. If every argument equals the previous one (for
/// types with ==), the cached result is returned and `f` is not called. It
/// notifies again as soon as some input notifies after a transfer, and
/// terminates once every input has terminated (with no value left).
/// Every input must be continuous, i.e. notify during its own spawn.
///
/// **Cancellation**: cancels every input; the inputs then end as they do
/// (usually a notification whose transfer throws braid::cancelled, which
/// this transfer rethrows).
///
/// **Failure**: an input that does not notify during spawn makes the first
/// transfer fail with std::logic_error "...uninitialized continuous flow..."
/// after cancelling every input. An input's transfer or `f` that throws
/// cancels every input, the exception is rethrown by this transfer, later
/// input values are transferred and dropped, and the process terminates
/// once every input has.
///
/// **Glitch-freedom**: when inputs change in one propagation turn (they are
/// publisher subscriptions, e.g. signals sharing a source), the
/// notification is deferred within that turn until every publisher and
/// combinator built before this latest has been ticked, so even a consumer
/// that transfers inside the notification sees all of them changed: with
/// `s = signal(watch(x))`, `latest(+, s, s)` yields 2, 4, 6 as x goes 1, 2,
/// 3, never 3. Ranks follow build order (a flow built while this one runs,
/// outside a publisher's upstream, ranks after it). Inputs outside the
/// propagator notify on their own: `latest(+, watch(x), watch(x))` may yield
/// 2, 3, 4. Outside a turn, and at spawn, the notification is immediate.
///
/// **Ordering / thread-safety**: inputs may notify from any thread; a turn
/// runs on the thread of the change that started it, and a deferred
/// notification on that thread. `f` runs inside transfer, on the consumer's
/// thread; it receives const references. The terminator may be called
/// inside the transfer of the last value.
///
/// ```
/// braid::ref<int> a(1), b(2);
/// braid::flow<int> sum = braid::latest(std::plus<>{}, braid::watch(a), braid::watch(b));
/// ```
template <class F, class... Ts>
  requires std::invocable<F&, const Ts&...>
auto latest(F f, flow<Ts>... flows) {
  using R = std::decay_t<std::invoke_result_t<F&, const Ts&...>>;
  static_assert(std::is_copy_constructible_v<R>, "latest caches f's result: it must be copyable");
  return flow<R>(std::make_shared<const detail::latest_flow<R, std::decay_t<F>, Ts...>>(std::move(f), std::move(flows)...));
}

}  // namespace braid
