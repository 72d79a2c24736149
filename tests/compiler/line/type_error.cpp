// SPDX-License-Identifier: MIT
// A transformed function whose code after a park fails to compile when
// BRAID_LINE_TEST_BREAK is 1: the error must be reported on the marked line.
#include <braid/braid.hpp>

#ifndef BRAID_LINE_TEST_BREAK
#define BRAID_LINE_TEST_BREAK 0
#endif

BRAID_SP braid::task<int> twice(braid::task<int> t) {
  int v = braid::park(t);
  int w = braid::park(t);
  static_assert(!BRAID_LINE_TEST_BREAK, "deliberate error after two parks");  // error here
  return v + w;
}
