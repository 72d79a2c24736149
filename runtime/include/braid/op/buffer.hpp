// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/flow_util.hpp>
#include <braid/flow.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace braid {

namespace detail {

// [spec.flow.buffer] A ring of n slots between one puller (whoever holds
// pulling_) and the consumer. The mutex guards only the indices, the flags
// and the slots' contents; the input's transfer and every callback run
// outside it. Decisions (pull more? notify? terminate?) are made under the
// lock and carried out after it is released.
//
// pulling_ makes the puller unique, so the input is never transferred by two
// threads at once and a synchronous re-notification inside the input's
// transfer just sets up_ready_ for the running loop to see: constant stack.
template <class T>
class buffer_process final : public flow_node<T> {
 public:
  buffer_process(flow_listener l, std::size_t n) : flow_node<T>(l), ring_(n) {}

  void start(const flow<T>& input) noexcept {
    in_ = input.spawn(member_listener<buffer_process, &buffer_process::on_notify,
                                      &buffer_process::on_terminate>(this));
    if (pull_done()) pull();  // spawn held pulling_
  }

  void cancel() noexcept override { in_.cancel(); }

  T transfer() override {
    std::optional<T> v;
    std::exception_ptr e;
    bool more, pull, term;
    {
      std::lock_guard<std::mutex> g(m_);
      v = std::move(ring_[head_]);
      ring_[head_].reset();
      if (!v) e = error_;  // the input's error is the last item
      head_ = (head_ + 1) % ring_.size();
      --size_;
      more = size_ > 0;
      pull = up_ready_ && !pulling_;  // a slot is free now
      if (pull) {
        up_ready_ = false;
        pulling_ = true;
      }
      term = !pulling_ && done_ && size_ == 0;
    }
    // Pull first: it notifies only if it fills an empty ring, which cannot
    // race with our own notification (more == false then).
    if (pull) this->pull();
    if (more)
      this->notify_out();
    else if (term)
      this->terminate_out();
    if (e) std::rethrow_exception(std::move(e));
    return std::move(*v);
  }

 private:
  void on_notify() noexcept {
    bool go;
    {
      std::lock_guard<std::mutex> g(m_);
      go = !pulling_ && size_ < ring_.size();
      if (go)
        pulling_ = true;
      else
        up_ready_ = true;
    }
    if (go) pull();
  }

  void on_terminate() noexcept {
    bool term;
    {
      std::lock_guard<std::mutex> g(m_);
      done_ = true;
      term = !pulling_ && size_ == 0;
    }
    if (term) this->terminate_out();
  }

  // Holder of pulling_: transfers the input while it is ready and a slot is
  // free. The run cannot end while pulling_ is held, so *this stays valid
  // across the notifications made here.
  void pull() noexcept {
    for (;;) {
      std::optional<T> v;
      std::exception_ptr e;
      try {
        v.emplace(in_.transfer());
      } catch (...) {
        e = std::current_exception();
      }
      bool first;
      {
        std::lock_guard<std::mutex> g(m_);
        ring_[tail_] = std::move(v);
        if (e) error_ = std::move(e);
        tail_ = (tail_ + 1) % ring_.size();
        first = size_++ == 0;
      }
      if (first) this->notify_out();
      if (!pull_done()) return;
    }
  }

  // Keeps pulling_ (returns true) if the input is ready and a slot is free;
  // otherwise gives it up, and ends the flow if that is all that was left.
  bool pull_done() noexcept {
    bool term;
    {
      std::lock_guard<std::mutex> g(m_);
      if (up_ready_ && size_ < ring_.size()) {
        up_ready_ = false;
        return true;
      }
      pulling_ = false;
      term = done_ && size_ == 0;
    }
    if (term) this->terminate_out();
    return false;
  }

  std::mutex m_;
  std::vector<std::optional<T>> ring_;
  std::exception_ptr error_;
  std::size_t head_ = 0, tail_ = 0, size_ = 0;
  bool up_ready_ = false;  // the input notified and was not transferred yet
  bool pulling_ = true;    // someone runs pull(); held by spawn
  bool done_ = false;      // the input terminated
  flow_iterator<T> in_;
};

template <class T>
class buffer_flow final : public flow_impl<T> {
 public:
  buffer_flow(std::size_t n, flow<T> input) : n_(n), input_(std::move(input)) {}

  flow_process<T>* spawn(flow_listener l) const noexcept override {
    return spawn_started<buffer_process<T>>(l, input_, n_);
  }

 private:
  std::size_t n_;
  flow<T> input_;
};

}  // namespace detail

/// A flow of the same values as `input`, decoupled by a buffer of up to n
/// values (Missionary's `buffer`).
///
/// Semantics: the input is transferred eagerly, as soon as it notifies,
/// while fewer than n values are held; the consumer is notified whenever a
/// value is held. When the input terminates, the flow terminates after the
/// consumer has taken every held value.
///
/// **Cancellation**: cancels the input; values already held are still
/// delivered, followed by whatever the input does (usually a transfer that
/// throws braid::cancelled).
///
/// **Failure**: an error thrown by the input's transfer is held like a value
/// and thrown by the consumer's transfer that reaches it; the input then
/// terminates and so does the flow.
///
/// Ordering / thread-safety: values keep their order. The input may notify
/// from any thread; the input is transferred by one thread at a time, in
/// the input's notification or in the consumer's transfer. Synchronous
/// inputs run in constant stack.
///
/// Throws std::invalid_argument if n is 0.
///
/// Example:
/// ```
/// flow<int> f = buffer(16, observe<int>(subscribe_to_ticks));
/// ```
template <class T>
flow<T> buffer(std::size_t n, flow<T> input) {
  if (n == 0) throw std::invalid_argument("braid::buffer: the capacity must be at least 1");
  return flow<T>(std::make_shared<const detail::buffer_flow<T>>(n, std::move(input)));
}

}  // namespace braid
