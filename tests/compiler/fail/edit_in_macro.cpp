// SPDX-License-Identifier: MIT
// An edit braidc must make inside a macro's own text (not an argument, not
// the whole expansion) cannot be made: one error per macro invocation.
// (Parks and kept locals as macro arguments, or as a whole expansion, are
// rewritten: behave/fidelity.cpp.)
#include <braid/braid.hpp>

#define PARK_TWICE(t) (braid::park(t) + braid::park(t))

BRAID_SP braid::task<int> twice(braid::task<int> t) {
  // expected-error@+1:10 {{an operand evaluated before a park comes from a macro expansion and braidc must rewrite it; write it without the macro}}
  return PARK_TWICE(t);
}
