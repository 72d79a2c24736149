// SPDX-License-Identifier: MIT
#pragma once

#include <braid/task.hpp>

#include <memory>
#include <utility>

namespace braid {

namespace detail {

// [spec.task.compel] No state of its own: the child reports straight to the
// parent's sink, and its canceller is dropped (which cancels nothing: the
// child's own run reference keeps it alive until it ends).
template <class T>
class compel_task final : public task_impl<T> {
 public:
  explicit compel_task(task<T> t) : t_(std::move(t)) {}
  canceller start(sink<T> s) const noexcept override {
    (void)t_.start(s);
    return {};
  }

 private:
  task<T> t_;
};

}  // namespace detail

/// A task that runs `t` and ignores cancellation (Missionary's `compel`)
/// [spec.task.compel].
///
/// Semantics: succeeds or fails exactly as `t` does.
///
/// **Cancellation**: ignored; `t` is not cancelled and runs to its end. Use
/// it for work that must not be interrupted half-way (a commit, a cleanup).
/// A parent that is cancelled still waits for it (structured concurrency).
///
/// **Failure**: `t`'s failure, as is.
///
/// Ordering / thread-safety: completes once, on the thread where `t`
/// completes. No allocation of its own per run; its canceller is empty.
///
/// Example:
///     task<void> save = braid::compel(write_journal(entry));
template <class T>
task<T> compel(task<T> t) {
  return task<T>(std::make_shared<const detail::compel_task<T>>(std::move(t)));
}

}  // namespace braid
