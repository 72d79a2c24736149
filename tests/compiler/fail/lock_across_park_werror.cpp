// SPDX-License-Identifier: MIT
// -Werror=<name> makes one of braidc's warnings an error: exit 1, no code.
// braidc-args: -Werror=braid-lock-across-park
// exact-diagnostics
#include <braid/braid.hpp>

#include <mutex>

std::mutex m;

BRAID_SP braid::task<int> f(braid::task<int> t) {
  // expected-error@+1:32 {{lock 'l' of type 'std::unique_lock<std::mutex>' holds its mutex across the park at line 14 unless it is unlocked before}}
  std::unique_lock<std::mutex> l(m);
  return braid::park(t);  // expected-note {{park here}}
}
