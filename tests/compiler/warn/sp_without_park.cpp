// SPDX-License-Identifier: MIT
// A BRAID_SP function that never parks still works but allocates a frame
// per run (FDB's actor-without-wait warning).
#include <braid/braid.hpp>

// expected-warning@+1:27 {{BRAID_SP function 'twice' never parks, but its task still allocates a frame each time it runs; without BRAID_SP it returns an immediate task, if running its body when it is called (not when the task runs) is fine [-Wbraid-sp-without-park]}}
BRAID_SP braid::task<int> twice(int x) { return 2 * x; }

BRAID_SP braid::task<int> parks(braid::task<int> t) { return braid::park(t); }

// Also in a template: parks on dependent tasks are recognized there.
template <class T>
// expected-warning@+1:25 {{BRAID_SP function 'same' never parks}}
BRAID_SP braid::task<T> same(T x) { return x; }

template <class T>
BRAID_SP braid::task<T> parks_dependent(braid::task<T> t) { return braid::park(t); }
