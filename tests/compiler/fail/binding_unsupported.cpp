// SPDX-License-Identifier: MIT
// Structured bindings braidc still rejects in a scope that parks.
#include <braid/braid.hpp>

#include <string>
#include <utility>

struct names {
  std::string v[2];
};

BRAID_SP braid::task<int> f(braid::task<int> t, names n) {
  // expected-error@+1 {{a static or thread_local structured binding is not supported in a BRAID_SP function that parks; declare it outside the function}}
  static auto [a, b] = std::pair<int, int>{1, 2};
  // expected-error@+1 {{a structured binding that copies a C array of arrays or of objects with a destructor is not supported in a BRAID_SP function that parks; bind a reference to the array}}
  auto [x, y] = n.v;
  int k = braid::park(t);
  return a + b + k + static_cast<int>(x.size() + y.size());
}
