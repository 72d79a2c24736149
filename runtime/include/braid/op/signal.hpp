// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/propagator.hpp>
#include <braid/flow.hpp>

#include <concepts>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail::prop {

/// The default semigroup of a signal: keep the latest value.
struct keep_latest {
  template <class T>
  T operator()(const T&, T b) const {
    return b;
  }
};

template <class T, class SG>
class signal_publisher;

// [spec.flow.signal] Missionary's signal strategy.
template <class T, class SG>
class signal_process final : public typed_process<T> {
  using base = typed_process<T>;

 public:
  signal_process(std::shared_ptr<publisher> p, signal_publisher<T, SG>& pub) noexcept
      : base(std::move(p), pub.up_), pub_(pub) {}

  void tick() noexcept override {
    if (this->owner_.load() == nullptr) return emit();
    this->owner_.store(nullptr);
    if (ack(this))
      emit();
    else
      release_lock(*this->parent_);
  }

  void publish() noexcept override {
    if (this->owner_.load() == nullptr) {
      if (this->flag_) {
        crash(this, empty_flow_error("signal"));
        drop_input(this);
      } else {
        this->dirty_ = true;  // ready at spawn: the first transfer refreshes
      }
    } else {
      crash(this, uninitialized_flow_error("signal"));
      schedule(this);
    }
  }

  // Transfers the upstream (draining synchronous re-notifications, merged
  // with sg) and merges the result into the process state and into every
  // notified subscription's delta. Scheduling first makes the tick that
  // follows acknowledge this transfer (the pressure handshake).
  void refresh() noexcept override {
    context& ctx = this_context();
    this->owner_.store(&ctx);
    schedule(this);
    try {
      T r = this->input_.transfer();
      while (this->owner_.load() == nullptr && !this->flag_) {
        this->owner_.store(&ctx);
        r = pub_.sg_(std::as_const(r), this->input_.transfer());
      }
      merge(state_, r);
      sub_node* head = this->pending_;
      sub_node* s = head;
      do {
        merge(static_cast<subscription<T>*>(s->self)->state_, r);
        s = s->next;
      } while (s != head);
    } catch (...) {
      crash(this, std::current_exception());
    }
  }

  void subscribe(sub_node* s, bool idle) noexcept override {
    // A new subscriber starts from the merge of every delta so far.
    auto& st = static_cast<subscription<T>*>(s->self)->state_;
    try {
      st = state_;
    } catch (...) {
      crash(this, std::current_exception());
    }
    step(s, idle);
  }

  void unsubscribe(sub_node* s, bool idle) noexcept override {
    context& ctx = this_context();
    if (s->ready) {
      this->ready_ = detach(s);
      release_lock(*this->parent_);
      s->l.notify();  // its transfer will throw cancelled
    } else {
      this->pending_ = detach(s);
      release_lock(*this->parent_);
    }
    leave(ctx, idle);
  }

  T accept(sub_node* s, bool idle) override {
    auto& st = static_cast<subscription<T>*>(s->self)->state_;
    std::optional<T> r = std::move(st);
    st.reset();
    this->pending_ = detach(s);
    if (!this->live_)
      done(s, idle);
    else
      request(s, idle);
    return std::move(*r);
  }

  const char* cancelled_message() const noexcept override { return "braid: signal subscription cancelled"; }

  void save_final() noexcept override {
    try {
      pub_.final_ = state_;
      pub_.final_error_ = this->failed_ ? this->error_ : nullptr;
    } catch (...) {
      pub_.final_error_ = std::current_exception();
    }
    pub_.ended_ = true;
  }

  std::optional<T> state_;  // the merge of every delta (what a new subscriber gets)

 private:
  void emit() noexcept {
    if (this->flag_)
      done_all(this);
    else
      step_all(this);
  }
  void merge(std::optional<T>& acc, const T& r) {
    if (acc)
      acc = pub_.sg_(std::as_const(*acc), T(r));
    else
      acc.emplace(r);
  }

  signal_publisher<T, SG>& pub_;  // kept alive by parent_
};

template <class T, class SG>
class signal_publisher final : public publisher {
 public:
  signal_publisher(SG sg, flow<T> up) : sg_(std::move(sg)), up_(std::move(up)) {}

  pub_process* make_process() override { return new signal_process<T, SG>(shared_from_this(), *this); }
  pub_process* make_final_process() override {
    auto* p = new signal_process<T, SG>(shared_from_this(), *this);
    p->flag_ = true;
    p->state_ = final_;
    if (final_error_) {
      p->failed_ = true;
      p->error_ = final_error_;
    }
    return p;
  }

  SG sg_;
  flow<T> up_;
  std::optional<T> final_;  // guarded by lock_: the last run's state, for late subscribers
  std::exception_ptr final_error_;
};

}  // namespace detail::prop

/// A shared continuous flow (a publisher) over a continuous `flow`.
///
/// **Semantics** (Missionary's `signal`): spawning the result subscribes.
/// The first subscription spawns `flow` (which must be ready at spawn);
/// every subscription shares that one process. Each subscription is ready at
/// spawn and notified whenever the upstream changed since its last
/// transfer; values are computed lazily: the first subscriber to transfer
/// after a change transfers the upstream once for all. With a semigroup
/// `sg` (an associative `T sg(const T&, T)`), a subscriber receives the merge
/// of the deltas since its last transfer, a new subscriber the merge of all
/// deltas; without one, the latest value. When the upstream terminates,
/// every subscription (and any later one) transfers the last value then
/// terminates.
///
/// **Glitch-freedom**: each publisher gets a rank when built (build order is
/// a topological order); a change propagates in one turn that ticks ready
/// publishers in rank order, so a publisher derived from others (e.g.
/// `signal(latest(f, a, b))` over signals `a`, `b` sharing a source)
/// notifies only after all of them were invalidated: it never computes from
/// a mix of old and new inputs. Bare `latest`, `sample` and `zip` are ranked
/// the same way and queue a notification due inside a turn at their rank, so
/// an eager consumer of a bare `latest(+, s, s)` also sees 2, 4, 6. Sources
/// outside the propagator (two watches of one ref) are separate events and
/// may be seen one at a time; ranks follow build order.
///
/// **Cancellation**: cancelling a subscription unsubscribes it (its pending
/// or next transfer throws braid::cancelled). Cancelling the last one
/// cancels the upstream; that subscription then follows the upstream to its
/// end. A later subscription starts a new run.
///
/// **Failure**: an upstream error (or an error from `sg`) is thrown by the
/// transfer of every subscription; the upstream is cancelled and drained.
/// An upstream that is not ready at spawn fails with "...uninitialized
/// continuous flow...", one that terminates without a value with "...empty flow...".
///
/// **Thread-safety**: subscriptions may be spawned, transferred and
/// cancelled from any thread; a propagation turn runs on the thread of the
/// event that started it. The upstream is spawned, transferred and cancelled
/// under the publisher's lock: it must not subscribe to this same publisher.
///
/// ```
/// braid::ref<int> x(1);
/// auto s = braid::signal(braid::watch(x));
/// auto y = braid::signal(braid::latest(std::plus<>{}, s, s));  // 2, 4, 6 as x goes 1, 2, 3
/// ```
template <class T>
flow<T> signal(flow<T> f) {
  return signal(detail::prop::keep_latest{}, std::move(f));
}

template <class SG, class T>
  requires std::is_convertible_v<std::invoke_result_t<SG&, const T&, T>, T>
flow<T> signal(SG sg, flow<T> f) {
  static_assert(std::is_copy_constructible_v<T>, "a signal shares its values: T must be copyable");
  auto pub = std::make_shared<detail::prop::signal_publisher<T, std::decay_t<SG>>>(std::move(sg), std::move(f));
  return flow<T>(std::make_shared<const detail::prop::publisher_flow<T>>(std::move(pub)));
}

}  // namespace braid
