// SPDX-License-Identifier: MIT
// Golden dump: labels and gotos (a backward goto over a park, a forward
// goto over one, a goto out of a block), and a structured binding kept
// across a park (shown as [key, value] in the live lists).
#include <braid/braid.hpp>

#include <string>
#include <utility>

braid::task<int> next();
braid::task<std::pair<std::string, int>> entry();

BRAID_SP braid::task<int> labels(bool skip) {
  int sum = 0;
  if (skip) goto tail;
again:
  sum += braid::park(next());
  if (sum < 100) goto again;
tail:
  {
    auto [key, value] = braid::park(entry());
    if (value < 0) goto done;
    sum += braid::park(next()) + value + static_cast<int>(key.size());
  }
done:
  return sum;
}
