// SPDX-License-Identifier: MIT
// A local that cannot be copied, live after a fork point: each branch
// would need its own copy.
#include <braid/braid.hpp>

#include <memory>

BRAID_AP braid::flow<int> f(braid::flow<int> in) {
  std::unique_ptr<int> p = std::make_unique<int>(4);  // expected-error@+0:24 {{local 'p' of type 'std::unique_ptr<int>' is live after the fork point at line 10, and each branch gets its own copy, but it cannot be copied; hold it in a std::shared_ptr}}
  int x = braid::fork(in);  // expected-note@+0:11 {{fork point here}}
  return x + *p;
}

BRAID_AP braid::flow<int> g(std::unique_ptr<int> q, braid::flow<int> in) {  // expected-error@+0:50 {{parameter 'q' of type 'std::unique_ptr<int>' is live after the fork point at line 15, and each branch gets its own copy, but it cannot be copied}}
  int x = braid::fork(in);  // expected-note@+0:11 {{fork point here}}
  return x + *q;
}
