// SPDX-License-Identifier: MIT
// Two errors with fix-its: a park outside BRAID_SP in a function that
// returns a task, and `return t;` of a task.
#include <braid/braid.hpp>

braid::task<int> plain(braid::task<int> t) { return braid::park(t) + 1; }

BRAID_SP braid::task<int> back(braid::task<int> t) {
  int v = braid::park(t);
  if (v) return v;
  return t;
}
