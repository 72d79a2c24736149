// SPDX-License-Identifier: MIT
// transform-cases 11: unique_lock and shared_lock may be unlocked before a
// park, so holding one across a park is a warning, not an error.
#include <braid/braid.hpp>

#include <mutex>
#include <shared_mutex>

std::mutex m;
std::shared_mutex sm;

BRAID_SP braid::task<int> unlocking(braid::task<int> t) {
  int v = 0;
  {
    // expected-warning@+1:34 {{lock 'l' of type 'std::unique_lock<std::mutex>' holds its mutex across the park at line 18 unless it is unlocked before: the task may resume on another thread, which must not unlock a std mutex it did not lock, and a mutex held across a wait blocks its other users (or deadlocks); unlock it before the park or use braid::sem with braid::holding or a braid::permit, which wait without blocking a thread [-Wbraid-lock-across-park]}}
    std::unique_lock<std::mutex> l(m);
    l.unlock();
    v += braid::park(t);  // expected-note {{park here}}
  }
  if (v > 0) {
    // expected-warning@+1:41 {{lock 'r' of type 'std::shared_lock<std::shared_mutex>' holds its mutex across the park at line 23 unless}}
    std::shared_lock<std::shared_mutex> r(sm);
    v += braid::park(t);  // expected-note {{park here}}
  }
  v += braid::park(t);
  std::unique_lock<std::mutex> last(m);  // after the last park: nothing to say
  return v;
}
