// SPDX-License-Identifier: MIT
// Golden dump: a loop that parks (the example).
#include <braid/braid.hpp>

#include <vector>

braid::task<int> price(int id);

BRAID_SP braid::task<int> total(std::vector<int> ids) {
  int sum = 0;
  for (int id : ids) sum += braid::park(price(id));
  return sum;
}
