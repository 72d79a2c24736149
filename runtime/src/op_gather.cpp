// SPDX-License-Identifier: MIT
// The multi-child state machine of join, race, any and all. [spec.task.join]
#include <braid/detail/gather.hpp>

namespace braid::detail {

gather_process::~gather_process() {
  for (std::size_t i = 0; i < n_; ++i)
    if (children_[i]) children_[i]->release();
}

void gather_process::cancel() noexcept {
  // After the end there is nothing left to cancel: skip the children's
  // cancellers (they would be no-ops on ended processes anyway).
  if (pending_.load(std::memory_order_acquire) == 0) return;
  cancel_children();
}

void gather_process::cancel_children() noexcept {
  // Every child's canceller was written by the starting thread before its
  // CAS starting -> running (release); whoever gets here has observed that
  // state with acquire (claim, or the canceller handed out after start).
  // A child already ended keeps its process alive through our reference, so
  // its cancel is a harmless no-op. This object stays alive meanwhile: a
  // claimer has not counted its own end yet, and cancel() holds a canceller.
  for (std::size_t i = 0; i < n_; ++i)
    if (children_[i]) children_[i]->cancel();
}

void gather_process::all_started() noexcept {
  std::int32_t expected = starting;
  // acq_rel: release publishes children_ to a later claimer; acquire (on
  // failure too) makes the claimer's index visible here.
  if (!state_.compare_exchange_strong(expected, running, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
    cancel_children();  // a child decided during start-up: the deferred cancellation
  if (n_ == 0) {
    complete();
    release();
  }
}

bool gather_process::claim(std::size_t i) noexcept {
  std::int32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (s >= 0) return false;  // another child decided first
    if (state_.compare_exchange_weak(s, static_cast<std::int32_t>(i), std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      if (s == running) cancel_children();
      return true;
    }
  }
}

void gather_process::child_ended() noexcept {
  // acq_rel: every child's stored outcome (written before its decrement) is
  // visible to the thread whose decrement is the last one.
  if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    complete();
    release();  // the run's reference
  }
}

}  // namespace braid::detail
