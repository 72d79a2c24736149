// SPDX-License-Identifier: MIT
// The sequential-process driver loop. [design.3] [spec.task.sp]
#include <braid/sp.hpp>

#include <cstdio>

namespace braid::detail {

void sp_core::cancel() noexcept {
  process* p = token_.load(std::memory_order_acquire);
  for (;;) {
    if (p == cancelled_token() || p == finished_token()) return;
    if (token_.compare_exchange_weak(p, cancelled_token(), std::memory_order_acq_rel)) break;
  }
  // We now own the reference the token held. The child may have completed
  // already (its cancel is then a no-op); if it completes synchronously
  // inside cancel(), the frame resumes here, on this thread.
  if (p) {
    p->cancel();
    p->release();
  }
}

void sp_core::check_cancelled() const {
  if (cancel_requested()) throw braid::cancelled("braid: process cancelled");
}

void sp_core::install(process* child) noexcept {
  process* old = token_.load(std::memory_order_acquire);
  for (;;) {
    if (old == cancelled_token()) {
      // Missionary: a park reached after cancellation starts the task and
      // cancels it at once.
      if (child) {
        child->cancel();
        child->release();
      }
      return;
    }
    if (token_.compare_exchange_weak(old, child, std::memory_order_acq_rel)) {
      // The previous child has completed; a concurrent cancel() cannot have
      // taken it (it would have left `cancelled`), so its reference is ours.
      if (old) old->release();
      return;
    }
  }
}

static_assert(alignof(sp_core) > 7, "the park generation lives in the low bits of a frame's address");

constinit thread_local sp_core* sp_core::parking_ = nullptr;
constinit thread_local sp_core* sp_core::starting_ = nullptr;

step sp_core::after_start(std::int32_t k) noexcept {
  // The run's start is still on this thread's stack: once the park is
  // published the completer may end the run, so the canceller start hands
  // out needs its reference now.
  const bool in_start = starting_ == this;
  if (in_start) retain();
  // acq_rel: on `completed` we must see the slot the completer wrote; on
  // `parked` the completer must see everything this partition wrote.
  // A CAS, not an exchange: when the child has completed, `completed` must
  // stay, so that a second completion while the frame runs on is refused.
  std::uint8_t p = phase_.load(std::memory_order_relaxed);
  const std::uint8_t gen = p & ~std::uint8_t{3};
  p = gen | phase_running;
  if (phase_.compare_exchange_strong(p, gen | phase_parked, std::memory_order_acq_rel, std::memory_order_acquire))
    return suspended;  // from here on the frame belongs to the completer
  // Completed during start, on another thread: the run goes on here.
  if (in_start) release();  // never the last: the run holds one
  return resumed(k);
}

void sp_core::child_done_elsewhere() noexcept {
  // Only the current park's task gets here (accepts), so the generation is
  // the one park stored and nobody else changes it until the frame resumes.
  const std::uint8_t gen = phase_.load(std::memory_order_relaxed) & ~std::uint8_t{3};
  if (phase_.exchange(gen | phase_completed, std::memory_order_acq_rel) == (gen | phase_parked)) resume();
  // else: completed during start; the parking thread continues the loop.
}

void sp_core::report_second_completion() const noexcept {
  // Only immutable data: the frame may be running on another thread.
  char what[512];
  std::snprintf(what, sizeof what,
                "braid: task protocol violation: a task that '%s' parked on completed a second "
                "time; the second completion was ignored (a task calls its sink exactly once)",
                table_->function);
  report_protocol_violation(what);
}

void sp_core::resume() noexcept {
  std::exception_ptr e;
  step s;
  if (fails_at_park_) {  // resumed by a failed child no try region sees
    fails_at_park_ = false;
    table_->unwind(this, -1);
    e = std::move(raised_);
    s = branch_failed;
  } else {
    s = run_partitions(this, *table_, state_, raised_, e);
    if (s == suspended) return;
  }
  finish(s != branch_failed, std::move(e));
}

void sp_core::finish(bool ok, std::exception_ptr e) noexcept {
  // A run that ends inside its own start is finished there (run_first): this
  // is a run resumed by a completion, whose canceller is out.
  raised_ = nullptr;
  process* p = token_.load(std::memory_order_acquire);
  for (;;) {
    if (p == cancelled_token()) break;  // keep `cancelled`: later cancels stay no-ops
    if (token_.compare_exchange_weak(p, finished_token(), std::memory_order_acq_rel)) {
      if (p) p->release();
      break;
    }
  }
  if (ok)
    deliver_value();
  else
    deliver_error(std::move(e));
  release();  // the run's reference
}

}  // namespace braid::detail
