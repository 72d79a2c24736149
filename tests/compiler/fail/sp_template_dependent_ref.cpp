// SPDX-License-Identifier: MIT
// Templates (behave/templates.cpp): what a pattern cannot say soundly is refused.
// A reference bound to an expression of dependent type may bind a temporary
// (whose lifetime it extends) in some instantiations only.
#include <braid/braid.hpp>

#include <string>

template <class T>
T make(T v) {
  return v;
}

template <class T>
BRAID_SP braid::task<T> bound(braid::task<T> t, T v) {
  // expected-error@+1 {{reference 'r' bound to an expression of dependent type, kept across a park (it may bind a temporary in some instantiations) is not supported in a BRAID_SP function that parks; make 'r' a value, or bind it to a named variable}}
  const T& r = make(v);
  T y = braid::park(t);
  return r + y;
}

int use() { return braid::run_blocking(bound(braid::task<int>(1), 1)); }
