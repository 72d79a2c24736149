// SPDX-License-Identifier: MIT
// Templates (behave/templates.cpp): what a pattern cannot say soundly is refused.
// A range-for whose body parks over an expression of dependent type: a
// temporary range is kept by value, a reference to an object by address,
// and which one it is is known per instantiation.
#include <braid/braid.hpp>

#include <vector>

template <class T>
std::vector<T> twice(const std::vector<T>& v) {
  std::vector<T> r = v;
  r.insert(r.end(), v.begin(), v.end());
  return r;
}

template <class T>
BRAID_SP braid::task<T> total(std::vector<T> v, braid::task<T> t) {
  T s{};
  // expected-error@+1:21 {{a range-based 'for' over an expression of dependent type whose body parks (whether it is a temporary to keep or an object to refer to is known per instantiation) is not supported in a BRAID_SP function that parks; store the range in a local of a written type first}}
  for (const T& x : twice(v)) {
    T y = braid::park(t);
    s = s + x + y;
  }
  return s;
}

int use() { return braid::run_blocking(total(std::vector<int>{1}, braid::task<int>(1))); }
