// SPDX-License-Identifier: MIT
// Fork points outside a BRAID_AP body, a park and a fork other than
// fork_switch in a BRAID_CP body, amb() used as a value.
#include <braid/braid.hpp>

BRAID_SP braid::task<int> in_sp(braid::flow<int> f) {
  return braid::fork(f);  // expected-error@+0:10 {{braid::fork is a fork point, used in a BRAID_SP function; fork points belong to BRAID_AP functions}}
}

int plain(braid::flow<int> f) {
  return braid::fork_merge(f);  // expected-error@+0:10 {{braid::fork_merge is a fork point, used in a function that is not annotated}}
}

BRAID_AP braid::flow<int> in_lambda(braid::flow<int> f) {
  auto g = [&] { return braid::fork_switch(f); };  // expected-error@+0:25 {{braid::fork_switch is a fork point, used in a lambda}}
  return g();
}

BRAID_CP braid::flow<int> cp_parks(braid::flow<int> f, braid::task<int> t) {
  int x = braid::fork_switch(f);
  return x + braid::park(t);  // expected-error@+0:14 {{braid::park cannot be used in a BRAID_CP function}}
}

BRAID_CP braid::flow<int> cp_forks(braid::flow<int> f) {
  return braid::fork(f);  // expected-error@+0:10 {{braid::fork cannot be used in a BRAID_CP function, whose only fork point is braid::fork_switch}}
}

BRAID_AP braid::flow<int> amb_value(braid::flow<int> f) {
  int x = braid::fork(f);
  if (x > 0) braid::amb();
  return x + (braid::amb(), 1);  // expected-error@+0:15 {{braid::amb() ends the branch without a value and has none to give}}
}

BRAID_AP int not_a_flow(braid::flow<int> f) {  // expected-error@+0:14 {{BRAID_AP function 'not_a_flow' must return braid::flow<T>, not 'int'}}
  return braid::fork(f);
}
