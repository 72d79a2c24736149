// SPDX-License-Identifier: MIT
// Templates (behave/templates.cpp): what a pattern cannot say soundly is refused.
// An 'auto' parameter's invented type cannot be written at the frame's class scope.
#include <braid/braid.hpp>

#include <string>

BRAID_SP braid::task<int> plus_one(auto t) {
  // expected-error@+1 {{park on an operand whose type is resolved per instantiation (it is an invented template parameter (an 'auto' parameter)) is not supported in a BRAID_SP function that parks; store the task in a local of type braid::task<...> and park on it}}
  return braid::park(t) + 1;
}

int use() { return braid::run_blocking(plus_one(braid::task<int>(1))); }
