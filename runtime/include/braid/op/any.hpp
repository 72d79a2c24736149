// SPDX-License-Identifier: MIT
#pragma once

#include <braid/op/race.hpp>

#include <concepts>
#include <memory>
#include <utility>
#include <vector>

namespace braid {

/// Runs tasks concurrently; the first to end, by success or failure, decides
/// (Missionary's `any`) [spec.task.any].
///
/// Semantics: the children (all task<T>) start synchronously, in argument
/// order. The first child to end (decided atomically) cancels every child,
/// itself included, in argument order (deferred until all are started when
/// it ends during start-up); `any` waits for every child to end and then
/// succeeds with that child's value or fails with its error.
///
/// **Cancellation**: cancelling `any` cancels every child in argument order;
/// the child that then ends first decides (usually with braid::cancelled).
///
/// **Failure**: the deciding child's failure, as is. An empty `any` fails at
/// once with braid::race_error holding no error (Missionary: `(any)` is
/// `(race)`).
///
/// Ordering / thread-safety: completes exactly once, after the last child
/// ended, on the thread that ended it, outside any lock. One allocation per
/// run (vector form: plus two vectors).
///
/// Example:
///     task<int> answer = braid::any(compute(), braid::sleep(1000, -1));  // -1 after a second
template <class T, class... U>
  requires(std::same_as<T, U> && ...)
task<T> any(task<T> t, task<U>... ts) {
  return detail::make_first<detail::first_mode::end>(std::move(t), std::move(ts)...);
}

/// any over a vector of tasks; see any(ts...). An empty vector fails at once
/// with a race_error holding no error.
template <class T>
task<T> any(std::vector<task<T>> ts) {
  return task<T>(std::make_shared<const detail::first_vector_task<T, detail::first_mode::end>>(std::move(ts)));
}

}  // namespace braid
