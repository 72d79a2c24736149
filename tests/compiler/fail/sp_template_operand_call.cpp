// SPDX-License-Identifier: MIT
// Templates (behave/templates.cpp): what a pattern cannot say soundly is refused.
// A call resolved per instantiation in the operand of a park: its temporaries,
// which live across the park, are not in the pattern.
#include <braid/braid.hpp>

#include <string>

template <class T>
braid::task<T> fetch(T v) {
  return braid::task<T>(v);
}

template <class T>
BRAID_SP braid::task<T> fetched(T v) {
  // expected-error@+2:10 {{park on an operand whose type is resolved per instantiation (it is the type of an expression resolved per instantiation)}}
  // expected-error@+1:22 {{a call resolved per instantiation in the operand of a park (its temporaries, which live across the park, are not known from the template) is not supported in a BRAID_SP function that parks; store the task in a local first ('braid::task<T> t = ...;') and park on it}}
  return braid::park(fetch(v));
}

int use() { return braid::run_blocking(fetched(1)); }
