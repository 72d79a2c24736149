// SPDX-License-Identifier: MIT
#pragma once

#include <braid/flow.hpp>

#include <memory>

namespace braid {

namespace detail {

// [spec.flow.none] Terminates inside spawn; keeps no state, so spawn returns
// no process (cancel on the iterator is then a no-op).
template <class T>
class none_flow final : public flow_impl<T> {
 public:
  flow_process<T>* spawn(flow_listener l) const noexcept override {
    l.terminate();
    return nullptr;
  }
};

}  // namespace detail

/// A flow that terminates at once, without a value (Missionary's `none`).
///
/// Semantics: spawning it calls the terminator inside the spawn call; the
/// notifier is never called.
///
/// **Cancellation**: nothing to cancel; cancelling the iterator does nothing.
///
/// **Failure**: none.
///
/// Ordering / thread-safety: the terminator runs on the spawning thread,
/// before spawn returns.
///
/// Example:
/// ```
/// task<int> n = reduce([](int r, int) { return r + 1; }, 0, none<int>());  // 0
/// ```
template <class T>
flow<T> none() {
  return flow<T>(std::make_shared<const detail::none_flow<T>>());
}

}  // namespace braid
