// SPDX-License-Identifier: MIT
// Golden dump: a BRAID_AP function with a fork, an amb and a park; a
// BRAID_CP function with two choices. The dump names what each clone copies.
#include <braid/braid.hpp>

#include <string>

braid::task<int> lookup(int key);

BRAID_AP braid::flow<std::string> pairs(std::string tag, braid::flow<int> keys) {
  std::string prefix = tag + ":";
  int offset = 0;
  int k = braid::fork(keys);
  int v = braid::park(lookup(k)) + braid::amb(0, 100);
  if (v < 0) return braid::amb();
  return prefix + std::to_string(v + offset);
}

BRAID_CP braid::flow<int> sum(braid::flow<int> a, braid::flow<int> b) {
  int x = braid::fork_switch(a);
  return x + braid::fork_switch(b);
}
