// SPDX-License-Identifier: MIT
// Templates (behave/templates.cpp): what a pattern cannot say soundly is refused.
// A local whose type is deduced from a dependent initializer, kept across a park:
// the frame member needs its type written.
#include <braid/braid.hpp>

#include <string>

template <class T>
BRAID_SP braid::task<T> deduced(braid::task<T> t, T v) {
  // expected-error@+1 {{local 'x' of a dependent type kept across a park (it is deduced ('auto')) is not supported in a BRAID_SP function that parks; write the type of 'x'}}
  auto x = v + v;
  T y = braid::park(t);
  return x + y;
}

int use() { return braid::run_blocking(deduced(braid::task<int>(1), 1)); }
