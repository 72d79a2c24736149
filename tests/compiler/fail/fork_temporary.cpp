// SPDX-License-Identifier: MIT
// A temporary that cannot be copied, made before a fork point in the same
// full-expression: it lives until the end of that expression, in every
// branch.
#include <braid/braid.hpp>

#include <memory>

int value(const std::unique_ptr<int>& p) { return *p; }

BRAID_AP braid::flow<int> f(braid::flow<int> in) {
  return value(std::make_unique<int>(2)) + braid::fork(in);  // expected-error@+0:44 {{lives across the fork point at line 12 (it is destroyed at the end of its full-expression, after the fork), and each branch gets its own copy, but it cannot be copied}}
}
