// SPDX-License-Identifier: MIT
// Golden dump: overloads get distinct stable names (the parameter types,
// spelled canonically, and a method's qualifiers are part of the name).
#include <braid/braid.hpp>

#include <string>

braid::task<int> length(std::string s);

namespace app {

using text = std::string;

BRAID_SP braid::task<int> f(int n) { return n + braid::park(length("x")); }

BRAID_SP braid::task<int> f(const text& s) { return braid::park(length(s)); }

struct counter {
  int base = 0;
  BRAID_SP braid::task<int> get(std::string s) { return base + braid::park(length(s)); }
  BRAID_SP braid::task<int> get(std::string s) const { return base - braid::park(length(s)); }
};

}  // namespace app
