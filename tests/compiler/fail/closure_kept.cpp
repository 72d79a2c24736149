// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

#include <string>

BRAID_SP braid::task<int> f(braid::task<int> t) {
  std::string s = "x";
  // expected-error@+1:8 {{lambda stored in 'cb' lives across the park at line 10; its closure type cannot be kept in the frame; store it in a std::function}}
  auto cb = [s] { return static_cast<int>(s.size()); };
  int v = braid::park(t);  // expected-note:11 {{park here}}
  return v + cb();
}
