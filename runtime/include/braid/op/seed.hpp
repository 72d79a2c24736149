// SPDX-License-Identifier: MIT
#pragma once

#include <braid/cancelled.hpp>
#include <braid/detail/flow_util.hpp>
#include <braid/flow.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <initializer_list>
#include <memory>
#include <ranges>
#include <type_traits>
#include <vector>

namespace braid {

namespace detail {

// [spec.flow.seed] The values live in one immutable vector shared by the
// recipe and every process spawned from it, so a spawn allocates only the
// process.
template <class T>
class seed_flow final : public flow_impl<T> {
  using values = std::vector<T>;

  struct proc final : flow_node<T> {
    proc(flow_listener l, std::shared_ptr<const values> v) : flow_node<T>(l), values_(std::move(v)) {}

    // Only a flag: a seed always has a notification pending until it ends,
    // so cancelling never needs to notify; the next transfer sees the flag.
    void cancel() noexcept override { cancelled_.store(true, std::memory_order_release); }

    T transfer() override {
      if (cancelled_.load(std::memory_order_acquire)) {
        this->terminate_out();
        throw braid::cancelled("braid: seed cancelled");
      }
      // Transfers are serialized by the protocol (one per notification), so
      // next_ needs no synchronization of its own.
      const std::size_t i = next_++;
      const bool last = next_ == values_->size();
      try {
        T v = (*values_)[i];
        // Nothing of *this is touched after the callback: the consumer may
        // transfer again from inside notify, or drop us after terminate.
        if (last)
          this->terminate_out();
        else
          this->notify_out();
        return v;
      } catch (...) {
        // T's copy threw: the flow ends with that error (a throwing
        // transfer must be followed by the terminator, never a notification).
        this->terminate_out();
        throw;
      }
    }

    std::shared_ptr<const values> values_;
    std::size_t next_ = 0;
    std::atomic<bool> cancelled_{false};
  };

  // The seed folded into a consumer (flow_impl::fold): begin() steps every
  // value in order, as the process's transfers return them, and ends. The
  // flag is read before each value, where the process's next transfer would
  // read it, so a cancellation (from the target's step, or another thread)
  // ends the fold with the same braid::cancelled. After the last value, as
  // after the process's last transfer, cancelling changes nothing.
  struct folder final : fold_process {
    folder(fold_target<T>& t, std::shared_ptr<const values> v)
        : fold_process(2), target_(&t), values_(std::move(v)) {}

    void cancel() noexcept override { cancelled_.store(true, std::memory_order_release); }

    void begin() noexcept override {
      std::exception_ptr error;
      const values& vs = *values_;
      for (const T& x : vs) {
        if (cancelled_.load(std::memory_order_acquire)) {
          error = std::make_exception_ptr(braid::cancelled("braid: seed cancelled"));
          break;
        }
        try {
          T v = x;
          // Unfused, the transfer that returns v has already notified the
          // next value or called the terminator: more is always true.
          target_->step(std::move(v), true);
        } catch (...) {
          error = std::current_exception();  // T's copy threw (step cannot)
          break;
        }
      }
      fold_target<T>* t = target_;
      this->release();  // the run's reference: nothing of *this after it
      t->end(std::move(error));
    }

    fold_target<T>* target_;
    std::shared_ptr<const values> values_;
    std::atomic<bool> cancelled_{false};
  };

 public:
  explicit seed_flow(values v) : values_(std::make_shared<const values>(std::move(v))) {}

  flow_process<T>* spawn(flow_listener l) const noexcept override {
    if (values_->empty()) {
      l.terminate();
      return nullptr;
    }
    proc* p;
    try {
      p = new proc(l, values_);
    } catch (...) {
      return failing_flow<T>(std::current_exception())->spawn(l);
    }
    l.notify();
    return p;
  }

  fold_process* fold(fold_target<T>& t) const noexcept override {
    try {
      return new folder(t, values_);
    } catch (...) {
      return nullptr;  // the consumer spawns us instead, which reports the error
    }
  }

 private:
  std::shared_ptr<const values> values_;
};

}  // namespace detail

/// A flow of the values of a range, in order (Missionary's `seed`).
///
/// Semantics: the range is copied when the flow is built, so the flow can be
/// spawned any number of times and outlive the range. A process notifies at
/// spawn (terminates at spawn if the range is empty); each transfer returns
/// the next value and, inside that transfer, notifies again or, after the
/// last value, calls the terminator.
///
/// **Cancellation**: cancelling before the end makes the next transfer call
/// the terminator and throw braid::cancelled. Cancelling after the end does
/// nothing.
///
/// **Failure**: only if copying a value throws: that transfer throws it and
/// the flow terminates.
///
/// **Fusion**: reduce, and an eduction that reduce folds, consume a seed
/// without a process in between: the values are handed over in a loop, with
/// the same order, errors and cancellation (docs/op/eduction.md "Fusion").
///
/// Ordering / thread-safety: values come in range order. Cancel may be
/// called from any thread; transfers follow the flow protocol.
///
/// Example:
/// ```
/// flow<int> f = seed(std::vector{1, 2, 3});
/// flow<int> g = seed({1, 2, 3});
/// ```
template <std::ranges::input_range R>
  requires std::is_copy_constructible_v<std::ranges::range_value_t<R>>
flow<std::ranges::range_value_t<R>> seed(R&& range) {
  using T = std::ranges::range_value_t<R>;
  std::vector<T> v;
  if constexpr (std::ranges::sized_range<R>) v.reserve(std::ranges::size(range));
  for (auto&& x : range) v.emplace_back(std::forward<decltype(x)>(x));
  return flow<T>(std::make_shared<const detail::seed_flow<T>>(std::move(v)));
}

/// seed({a, b, c}): the values of an initializer list.
template <class T>
  requires std::is_copy_constructible_v<T>
flow<T> seed(std::initializer_list<T> values) {
  return flow<T>(std::make_shared<const detail::seed_flow<T>>(std::vector<T>(values)));
}

}  // namespace braid
