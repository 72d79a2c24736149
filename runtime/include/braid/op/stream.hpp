// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/propagator.hpp>
#include <braid/flow.hpp>

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail::prop {

template <class T>
class stream_publisher;

// [spec.flow.stream] Missionary's stream strategy.
template <class T>
class stream_process final : public typed_process<T> {
  using base = typed_process<T>;

 public:
  stream_process(std::shared_ptr<publisher> p, stream_publisher<T>& pub) noexcept
      : base(std::move(p), pub.up_), pub_(pub) {}

  void tick() noexcept override {
    if (this->owner_.load() == nullptr) return emit();
    this->owner_.store(nullptr);
    if (!this->pending_) {
      state_.reset();
      if (ack(this))
        emit();
      else
        release_lock(*this->parent_);
    } else {
      release_lock(*this->parent_);
    }
  }

  void publish() noexcept override {
    if (this->owner_.load() == nullptr) {
      if (this->flag_) {
        drop_input(this);  // empty: every subscriber terminates at once
      } else {
        this->dirty_ = true;
        this->owner_.store(&this_context());
        schedule(this);
      }
    } else {
      this->owner_.store(nullptr);
      if (ack(this)) schedule(this);
    }
  }

  void refresh() noexcept override {
    context* o = this->owner_.load();
    try {
      this->owner_.store(nullptr);
      state_.reset();
      state_.emplace(this->input_.transfer());
      this->owner_.store(o);
    } catch (...) {
      crash(this, std::current_exception());
      this->owner_.store(o);
      if (o == nullptr && ack(this)) schedule(this);
    }
  }

  void subscribe(sub_node* s, bool idle) noexcept override {
    if (!this->live_)
      done(s, idle);  // after the end: nothing
    else if (this->owner_.load() == &this_context())
      step(s, idle);  // joins the item being emitted
    else
      request(s, idle);
  }

  void unsubscribe(sub_node* s, bool idle) noexcept override {
    context& ctx = this_context();
    if (s->ready) {
      this->ready_ = detach(s);
      release_lock(*this->parent_);
      s->l.notify();  // its transfer will throw cancelled
    } else {
      stream_ack(s);  // no longer holds the upstream back
      release_lock(*this->parent_);
    }
    leave(ctx, idle);
  }

  T accept(sub_node* s, bool idle) override {
    std::optional<T> r;
    try {
      r.emplace(*state_);
    } catch (...) {
      stream_ack(s);
      if (!this->live_)
        done(s, idle);
      else
        request(s, idle);
      throw;
    }
    stream_ack(s);
    if (!this->live_)
      done(s, idle);
    else
      request(s, idle);
    return std::move(*r);
  }

  const char* cancelled_message() const noexcept override { return "braid: stream subscription cancelled"; }
  void clear_state() noexcept override { state_.reset(); }
  void save_final() noexcept override { pub_.ended_ = true; }

 private:
  void emit() noexcept {
    if (this->flag_) {
      done_all(this);
    } else {
      this->owner_.store(&this_context());
      schedule(this);
      step_all(this);
    }
  }

  std::optional<T> state_;  // the current item, until every subscriber took it
  stream_publisher<T>& pub_;
};

template <class T>
class stream_publisher final : public publisher {
 public:
  explicit stream_publisher(flow<T> up) : up_(std::move(up)) {}
  pub_process* make_process() override { return new stream_process<T>(shared_from_this(), *this); }
  pub_process* make_final_process() override {
    auto* p = new stream_process<T>(shared_from_this(), *this);
    p->flag_ = true;
    return p;
  }
  flow<T> up_;
};

}  // namespace detail::prop

/// A shared discrete flow (a publisher) over a discrete `flow`.
///
/// **Semantics** (Missionary's `stream`): spawning the result subscribes.
/// The first subscription spawns `flow`; every subscription shares that one
/// process and receives every item emitted while it is subscribed. The
/// upstream is transferred once per item, and only when every subscriber
/// has transferred the previous item (the slowest subscriber sets the
/// pace). When the upstream terminates, each subscription terminates after
/// its current item; a subscription arriving after the end terminates at
/// once without a value.
///
/// **Cancellation**: cancelling a subscription unsubscribes it (its pending
/// or next transfer throws braid::cancelled) and stops it holding the
/// upstream back. Cancelling the last one cancels the upstream; that
/// subscription follows the upstream to its end. A later subscription
/// starts a new run.
///
/// **Failure**: an upstream error is thrown by the transfer of every
/// subscription; the upstream is cancelled and drained.
///
/// **Ordering / thread-safety**: items reach every subscriber in upstream
/// order; publishers are ranked and propagate glitch-free as signals do.
/// The upstream is spawned, transferred and cancelled under the publisher's
/// lock: it must not subscribe to this same publisher.
///
/// ```
/// auto ticks = braid::stream(some_discrete_flow);
/// // two reducers over `ticks` see the same items; the upstream runs once.
/// ```
template <class T>
flow<T> stream(flow<T> f) {
  static_assert(std::is_copy_constructible_v<T>, "a stream shares its items: T must be copyable");
  auto pub = std::make_shared<detail::prop::stream_publisher<T>>(std::move(f));
  return flow<T>(std::make_shared<const detail::prop::publisher_flow<T>>(std::move(pub)));
}

}  // namespace braid
