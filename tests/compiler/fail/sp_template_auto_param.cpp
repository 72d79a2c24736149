// SPDX-License-Identifier: MIT
// Templates (behave/templates.cpp): what a pattern cannot say soundly is refused.
// An 'auto' parameter's invented type is named from the parameter
// (decltype) when the parameter is `[const] auto [&|&&]`; nested in another
// type (`auto*`) it is not.
#include <braid/braid.hpp>

#include <string>

// expected-error@+1:62 {{parameter 't' of a type the frame cannot name (it is an invented template parameter (an 'auto' parameter)) is not supported in a BRAID_SP function that parks; write the type with the template's parameters}}
BRAID_SP braid::task<int> plus_one(braid::task<int> u, auto* t) {
  return braid::park(u) + static_cast<int>(sizeof(*t));
}

int use() {
  int n = 0;
  return braid::run_blocking(plus_one(braid::task<int>(1), &n));
}
