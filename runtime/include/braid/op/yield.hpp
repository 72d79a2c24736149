// SPDX-License-Identifier: MIT
#pragma once

#include <braid/cancelled.hpp>
#include <braid/env.hpp>
#include <braid/task.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <new>

namespace braid {

namespace detail {

/// A job that carries a label for traces and schedules (braid::sim shows
/// it and can select by it). `label` must outlive the job: a string literal.
struct labelled_job : job {
  const char* label = nullptr;

 protected:
  ~labelled_job() = default;
};

/// One run of yield(): the job handed to the environment and the process
/// behind the canceller, in one allocation.
class yield_process final : public process, public labelled_job {
 public:
  yield_process(sink<void> out, const char* label) noexcept : process(2), out_(out) {
    this->label = label;
  }

  // [spec.sim.yield] Cancelling a yield that has not resumed fails it at
  // once with cancelled (as sleep does); the queued job still runs later and
  // only drops its reference. Whoever moves state_ from pending wins.
  void cancel() noexcept override {
    std::uint8_t expected = pending;
    if (state_.compare_exchange_strong(expected, done, std::memory_order_acq_rel)) {
      out_.error(cancelled_error("braid: yield cancelled"));
    }
  }

  void run() noexcept override {
    std::uint8_t expected = pending;
    if (state_.compare_exchange_strong(expected, done, std::memory_order_acq_rel)) out_.value(unit{});
    release();  // the job's reference: the environment is done with us
  }

 private:
  static constexpr std::uint8_t pending = 0;
  static constexpr std::uint8_t done = 1;
  sink<void> out_;
  std::atomic<std::uint8_t> state_{pending};
};

class yield_task final : public task_impl<void> {
 public:
  explicit yield_task(const char* label) noexcept : label_(label) {}
  canceller start(sink<void> s) const noexcept override {
    yield_process* p;
    try {
      p = new yield_process(s, label_);
    } catch (...) {
      s.error(std::current_exception());
      return {};
    }
    canceller c(static_cast<process*>(p));  // adopts the canceller's reference
    // Resolved now, when the task runs: under a sim scheduler this queues a
    // microtask; the real environment runs the job at once.
    current_env().yield(p);
    return c;
  }

 private:
  const char* label_;
};

}  // namespace detail

/// A scheduling point: a task<void> that lets other ready work run first.
///
/// Semantics: under a braid::sim::scheduler (decided when the task runs,
/// not when it was built), running it queues a microtask; the task succeeds
/// when the scheduler picks that microtask, so every interleaving of other
/// ready microtasks before it can be explored. Under the real environment it
/// succeeds synchronously inside run: it costs one allocation and nothing else.
///
/// **cancellation**: cancelling before it resumed fails it at once with
/// braid::cancelled; after it resumed, cancelling does nothing.
///
/// **failure**: fails only with cancelled (or std::bad_alloc if its one
/// allocation fails).
///
/// Ordering / thread-safety: completion happens on the thread that runs the
/// microtask (the scheduler's driving thread), or inside run in production.
/// Cancel may race with resumption from any thread: exactly one outcome wins.
///
/// `label` (a string literal) names the scheduling point in sim traces and
/// lets a schedule pick it (decision::by_label).
///
/// Example (the DSL form; a lost update two such workers can produce):
/// ```
/// BRAID_SP task<void> add_one(int& counter) {
///   int seen = counter;            // read
///   park(braid::yield("between")); // another worker may run here
///   counter = seen + 1;            // write: may overwrite its update
/// }
/// ```
/// See docs/op/yield.md and docs/testing.md for complete examples.
inline task<void> yield(const char* label = "yield") {
  return task<void>(std::make_shared<const detail::yield_task>(label));
}

}  // namespace braid
