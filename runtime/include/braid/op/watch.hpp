// SPDX-License-Identifier: MIT
#pragma once

#include <braid/flow.hpp>
#include <braid/ref.hpp>

#include <memory>
#include <utility>

namespace braid {

namespace detail {

// [spec.flow.watch] One running watch: a flow process and a ref watcher.
// All of its state is guarded by the ref's mutex, so a change, a cancel and
// a transfer racing on different threads are ordered by that one lock.
template <class T>
class watch_process final : public flow_process<T>, public ref_watcher {
 public:
  watch_process(std::shared_ptr<ref_state<T>> r, flow_listener l)
      : flow_process<T>(2), ref_(std::move(r)), l_(l) {}  // the run + the iterator

  void start() noexcept {
    // Continuous flows are ready at spawn: register already notified.
    ref_->add_watch(this, [this] { pending_ = true; });
    l_.notify();
  }

  bool changed_locked() noexcept override {
    if (cancelled_ || pending_) return false;  // one notification per transfer
    pending_ = true;
    this->retain();  // released by the ref after notify_unlocked
    return true;
  }
  void notify_unlocked() noexcept override { l_.notify(); }
  process* owner() noexcept override { return this; }

  void cancel() noexcept override {
    bool tell = ref_->locked([this](const auto&) {
      if (cancelled_) return false;
      cancelled_ = true;
      if (pending_) return false;  // the pending transfer will see the cancel
      pending_ = true;
      return true;
    });
    if (tell) l_.notify();
  }

  T transfer() override {
    std::shared_ptr<const T> v = ref_->locked([this](const std::shared_ptr<const T>& cur) {
      // Clearing pending before the value is read: a change landing after
      // this point notifies again, so no change is ever lost (at worst the
      // next transfer returns the same value again, as Missionary's does).
      pending_ = false;
      return cancelled_ ? std::shared_ptr<const T>() : cur;
    });
    if (!v) {
      finish();
      throw braid::cancelled("braid: watch cancelled");
    }
    try {
      return T(*v);
    } catch (...) {
      // A throwing transfer ends the flow.
      ref_->locked([this](const auto&) { return cancelled_ = true; });
      finish();
      throw;
    }
  }

 private:
  void finish() noexcept {
    ref_->remove_watch(this, [](const auto&) { return 0; });
    flow_listener l = l_;
    this->release();  // the run's reference, before the terminator ([spec.flow])
    l.terminate();
  }

  std::shared_ptr<ref_state<T>> ref_;
  flow_listener l_;
  bool pending_ = false;    // guarded by the ref's mutex
  bool cancelled_ = false;  // guarded by the ref's mutex
};

template <class T>
class watch_flow final : public flow_impl<T> {
 public:
  explicit watch_flow(std::shared_ptr<ref_state<T>> r) : ref_(std::move(r)) {}
  flow_process<T>* spawn(flow_listener l) const noexcept override {
    watch_process<T>* p;
    try {
      p = new watch_process<T>(ref_, l);
    } catch (...) {
      return failing_flow<T>(std::current_exception())->spawn(l);
    }
    p->start();
    return p;
  }

 private:
  std::shared_ptr<ref_state<T>> ref_;
};

}  // namespace detail

/// A continuous flow of the successive values of a braid::ref.
///
/// **Semantics**: the process is ready at spawn (it notifies inside spawn);
/// each transfer returns the ref's current value. Whenever the ref changes
/// and no transfer is pending, the process notifies again. Changes are not
/// deduplicated: a reset to an equal value notifies too. Several changes
/// between two transfers collapse into one notification; the transfer
/// returns the latest value.
///
/// **Cancellation**: cancelling notifies if no transfer is pending; the next
/// transfer unregisters from the ref, calls the terminator and throws
/// braid::cancelled. The flow never terminates otherwise.
///
/// **Failure**: none of its own (a T copy that throws ends the flow with
/// that exception).
///
/// **Thread-safety**: the ref may change on any thread; the notifier is
/// called on the thread that changed it (or inside spawn/cancel).
///
/// ```
/// braid::ref<int> x(1);
/// auto it = braid::watch(x).spawn([] { /* changed */ }, [] { /* ended */ });
/// it.transfer();  // 1
/// x.reset(2);     // notifies
/// it.transfer();  // 2
/// ```
template <class T>
flow<T> watch(const ref<T>& r) {
  return flow<T>(std::make_shared<const detail::watch_flow<T>>(r.state()));
}

}  // namespace braid
