// SPDX-License-Identifier: MIT
// transform-cases 11: a std lock that always holds its mutex while alive
// (lock_guard, scoped_lock) must not live across a park.
// exact-diagnostics
#include <braid/braid.hpp>

#include <mutex>

std::mutex m1, m2;
int shared = 0;

BRAID_SP braid::task<int> guarded(braid::task<int> t) {
  int v = 0;
  {
    // expected-error@+1:33 {{lock 'g' of type 'std::lock_guard<std::mutex>' holds its mutex across the park at line 18: the task may resume on another thread, which must not unlock a std mutex it did not lock, and a mutex held across a wait blocks its other users (or deadlocks); release it before the park (end its block there) or use braid::sem with braid::holding or a braid::permit, which wait without blocking a thread}}
    std::lock_guard<std::mutex> g(m1);
    shared += 1;
    v += braid::park(t);  // expected-note {{park here}}
  }
  for (int i = 0; i < 2; ++i) {
    // expected-error@+1:22 {{lock 'both' of type 'std::scoped_lock<std::mutex, std::mutex>' holds its mutex across the park at line 23: }}
    std::scoped_lock both(m1, m2);
    if (i) v += braid::park(t);  // expected-note {{park here}}
  }
  {
    std::lock_guard<std::mutex> released(m1);  // its block ends before the park
    shared += 1;
  }
  v += braid::park(t);
  std::lock_guard<std::mutex> after(m2);  // no park after it in its scope
  return v + shared;
}
