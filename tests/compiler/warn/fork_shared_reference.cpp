// SPDX-License-Identifier: MIT
// A pointer or a by-reference closure live after a fork point is copied
// into each branch, and what it refers to is not: every branch reaches the
// template's local.
#include <braid/braid.hpp>

#include <functional>
#include <vector>

BRAID_AP braid::flow<int> f(braid::flow<int> in) {
  int total = 0;
  int* p = &total;  // expected-warning@+0:8 {{'p' (a pointer) is copied into each branch at the fork point at line 14, and what it refers to is not: a local it points to or captures is still the template's, shared by every branch; make it after the fork point, or capture by value [-Wbraid-fork-shared-reference]}}
  std::function<void(int)> add = [&](int v) { total += v; };  // expected-warning@+0:28 {{'add' (a std::function) is copied into each branch at the fork point at line 14}}
  int x = braid::fork(in);  // expected-note {{fork point here}}
  // expected-note@-1 {{fork point here}}
  add(x);
  return *p + total;
}

BRAID_AP braid::flow<int> g(braid::flow<int> in) {
  int x = braid::fork(in);
  int total = 0;
  auto add = [&](int v) { total += v; };  // made in the branch: its own
  add(x);
  return total;
}

BRAID_AP braid::flow<int> h(std::vector<int> xs, braid::flow<int> in) {
  int sum = 0;
  // expected-warning@+1:31 {{fork point inside a range-for: each branch copies the loop's iterators, which still point into the template's range, so the branches iterate the template's elements}}
  for (int x : xs) sum += x * braid::fork(in);
  return sum;
}
