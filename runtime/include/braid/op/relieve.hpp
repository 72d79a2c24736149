// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/flow_util.hpp>
#include <braid/flow.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {

/// relieve's default semigroup: keeps the latest value.
struct keep_latest {
  template <class T>
  T operator()(T&&, T&& latest) const {
    return std::move(latest);
  }
};

// [spec.flow.relieve] The input is drained by a drain_counter loop (one
// thread at a time, constant stack); the consumer takes what accumulated.
//
// sg is a user function, so it never runs under the mutex. Two slots make
// that possible: a_ is the value the consumer was notified of; b_ holds
// overflow. The loop merges a new value into b_ (outside the lock, flagged
// by d_merging_); the consumer, when it finds both, merges a_ with b_
// (outside the lock, flagged by c_merging_; values arriving meanwhile go to
// b_ and are handed over when it is done). So the consumer always finds a
// value when notified, memory stays bounded, and the consumer receives the
// merge of everything since its last transfer, in order. The two merges
// may run at the same time on different values.
template <class T, class SG>
class relieve_process final : public flow_node<T> {
 public:
  relieve_process(flow_listener l, SG sg) : flow_node<T>(l), sg_(std::move(sg)) {}

  void start(const flow<T>& input) noexcept {
    in_ = input.spawn(member_listener<relieve_process, &relieve_process::on_notify,
                                      &relieve_process::on_terminate>(this));
    if (events_.depart()) drive();
  }

  void cancel() noexcept override { in_.cancel(); }

  T transfer() override {
    std::optional<T> va, vb;
    std::exception_ptr e;
    bool term = false, notify = false;
    {
      std::lock_guard<std::mutex> g(m_);
      notified_ = false;
      if (error_ && !error_sent_) {
        e = error_;
        error_sent_ = true;
        term = up_done_;
      } else {
        va = std::move(a_);
        a_.reset();
        if (b_ && !d_merging_) {
          vb = std::move(b_);
          b_.reset();
          c_merging_ = true;
        } else {
          term = up_done_;
        }
      }
    }
    if (vb) {
      std::optional<T> r;
      try {
        r.emplace(std::invoke(sg_, std::move(*va), std::move(*vb)));
      } catch (...) {
        e = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> g(m_);
        c_merging_ = false;
        if (e) {
          error_sent_ = true;  // this transfer throws: nothing follows but the end
          b_.reset();
          term = up_done_;
        } else if (b_ && !d_merging_) {
          a_ = std::move(b_);  // arrived while we merged
          b_.reset();
          notified_ = notify = true;
        } else {
          term = up_done_;
        }
      }
      if (e) {
        in_.cancel();
      } else {
        va = std::move(r);
      }
    }
    if (notify)
      this->notify_out();
    else if (term)
      this->terminate_out();
    if (e) std::rethrow_exception(std::move(e));
    return std::move(*va);
  }

 private:
  void on_notify() noexcept {
    if (events_.arrive()) drive();
  }
  void on_terminate() noexcept {
    done_ = true;  // published by arrive()
    if (events_.arrive()) drive();
  }

  void drive() noexcept {
    do {
      if (done_) {
        bool term;
        {
          std::lock_guard<std::mutex> g(m_);
          up_done_ = true;
          term = !notified_ && !c_merging_;  // else the consumer's transfer ends it
        }
        if (term) this->terminate_out();
        return;
      }
      std::optional<T> x;
      try {
        x.emplace(in_.transfer());
      } catch (...) {
        fail(std::current_exception());
        continue;
      }
      offer(std::move(*x));
    } while (events_.depart());
  }

  void offer(T&& x) noexcept {
    std::optional<T> old;
    bool notify = false;
    {
      std::lock_guard<std::mutex> g(m_);
      if (error_ || error_sent_) return;  // draining after an error
      if (!a_ && !c_merging_) {
        a_.emplace(std::move(x));
        notify = !notified_;
        notified_ = true;
      } else if (!b_) {
        b_.emplace(std::move(x));
      } else {
        old = std::move(b_);
        b_.reset();
        d_merging_ = true;
      }
    }
    if (old) {
      std::optional<T> y;
      try {
        y.emplace(std::invoke(sg_, std::move(*old), std::move(x)));
      } catch (...) {
        {
          std::lock_guard<std::mutex> g(m_);
          d_merging_ = false;
        }
        return fail(std::current_exception());
      }
      std::lock_guard<std::mutex> g(m_);
      d_merging_ = false;
      if (error_ || error_sent_) return;
      if (!a_ && !c_merging_) {  // the consumer took a_ while we merged
        a_ = std::move(y);
        notify = !notified_;
        notified_ = true;
      } else {
        b_ = std::move(y);
      }
    }
    if (notify) this->notify_out();
  }

  // An error of the input or of sg: it replaces the pending values (as in
  // Missionary), the input is cancelled and drained, and the flow ends
  // after the consumer has taken the error and the input has terminated.
  void fail(std::exception_ptr e) noexcept {
    bool notify = false;
    {
      std::lock_guard<std::mutex> g(m_);
      if (!error_ && !error_sent_) {
        error_ = std::move(e);
        a_.reset();
        b_.reset();
        notify = !notified_;
        notified_ = true;
      }
    }
    in_.cancel();
    if (notify) this->notify_out();
  }

  std::mutex m_;
  SG sg_;
  std::optional<T> a_, b_;
  std::exception_ptr error_;
  bool error_sent_ = false;  // a transfer threw: the flow only waits to end
  bool notified_ = false;    // the consumer holds a notification
  bool d_merging_ = false;   // the loop merges b_'s old content with a new value
  bool c_merging_ = false;   // the consumer merges a_ with b_
  bool up_done_ = false;     // the input terminated (seen by the loop)
  bool done_ = false;        // set by the input's terminator, read by the loop
  flow_iterator<T> in_;
  drain_counter events_{1};  // held by spawn
};

template <class T, class SG>
class relieve_flow final : public flow_impl<T> {
  using proc = relieve_process<T, SG>;

 public:
  relieve_flow(SG sg, flow<T> input) : sg_(std::move(sg)), input_(std::move(input)) {}

  flow_process<T>* spawn(flow_listener l) const noexcept override {
    return spawn_started<proc>(l, input_, sg_);
  }

 private:
  SG sg_;
  flow<T> input_;
};

}  // namespace detail

/// A flow of the values of `input`, where values the consumer has not taken
/// yet are merged with the semigroup `sg` (Missionary's `relieve`): a fast
/// producer never waits for a slow consumer.
///
/// Semantics: the input is transferred as soon as it notifies. If the
/// consumer has no pending value, the new value becomes pending and the
/// consumer is notified; otherwise it is merged: the consumer's next
/// transfer returns sg(...sg(sg(v1, v2), v3)..., vn) of every value since
/// its last transfer. `relieve(input)` keeps the latest value. When the
/// input terminates, the flow terminates once the pending value is taken
/// (inside that transfer), or at once if none is pending.
///
/// **Cancellation**: cancels the input; a pending value is still delivered,
/// then whatever the input does (usually an error: braid::cancelled).
///
/// **Failure**: if the input's transfer or sg throws, the pending value is
/// dropped and the next transfer throws that error; the input is cancelled
/// and drained, and the flow terminates once it has.
///
/// Ordering / thread-safety: values are merged in order. sg runs on the
/// input's thread or the consumer's, never under a lock; two calls may run
/// at the same time on different values, so sg should be a pure function
/// (Missionary serializes them). Synchronous inputs run in constant stack.
///
/// Example:
/// ```
/// flow<int> latest_tick = relieve(observe<int>(subscribe_to_ticks));
/// flow<int> ticks_since_last_look = relieve(std::plus<>{}, eduction(xf::map(one), ticks));
/// ```
template <class SG, class T>
flow<T> relieve(SG&& sg, flow<T> input) {
  using G = std::decay_t<SG>;
  return flow<T>(std::make_shared<const detail::relieve_flow<T, G>>(std::forward<SG>(sg), std::move(input)));
}

/// relieve(input): keeps the latest value.
template <class T>
flow<T> relieve(flow<T> input) {
  return relieve(detail::keep_latest{}, std::move(input));
}

}  // namespace braid
