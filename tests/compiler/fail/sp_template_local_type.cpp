// SPDX-License-Identifier: MIT
// Templates (behave/templates.cpp): what a pattern cannot say soundly is refused.
// A kept local whose dependent type is an alias declared in the body: the
// frame's members are declared at its class scope, before the body's
// statements.
#include <braid/braid.hpp>

#include <vector>

template <class T>
BRAID_SP braid::task<T> last(braid::task<T> t) {
  using list = std::vector<T>;
  // expected-error@+1:8 {{local 'xs' of a dependent type kept across a park (it is declared in the function's body) is not supported in a BRAID_SP function that parks; write the type of 'xs'}}
  list xs;
  xs.push_back(braid::park(t));
  return xs.back();
}

int use() { return braid::run_blocking(last(braid::task<int>(1))); }
