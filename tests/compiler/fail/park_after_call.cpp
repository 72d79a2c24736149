// SPDX-License-Identifier: MIT
// f() runs before the park in C++ order, and its operand is not a call
// argument braidc can carry across the park (a temporary inside it would
// die early), so it says so instead of reordering.
#include <braid/braid.hpp>

#include <string>

std::string f();

BRAID_SP braid::task<int> h(braid::task<int> t) {
  // expected-error@+1:41 {{braid::park after an operand that C++ evaluates first is not supported yet}}
  return static_cast<int>(f().size()) + braid::park(t);
}
