// SPDX-License-Identifier: MIT
#pragma once

/// A lock for hand-offs whose critical sections are a few pointer moves
/// and never call user code (the ap driver's event list): taking it is one
/// atomic exchange and releasing it a store, with no call into the C
/// library; a thread that finds it taken spins briefly, then yields its
/// time slice (the holder may have been preempted). Satisfies Lockable.
#include <atomic>
#include <thread>

namespace braid::detail {

class spin_lock {
 public:
  void lock() noexcept {
    for (int spins = 0; held_.exchange(true, std::memory_order_acquire); ++spins) {
      while (held_.load(std::memory_order_relaxed)) {
        if (++spins > 64) {
          std::this_thread::yield();
          spins = 0;
        }
      }
    }
  }
  bool try_lock() noexcept { return !held_.exchange(true, std::memory_order_acquire); }
  void unlock() noexcept { held_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> held_{false};
};

}  // namespace braid::detail
