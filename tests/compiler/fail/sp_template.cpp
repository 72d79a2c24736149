// SPDX-License-Identifier: MIT
// braidc transforms a template's pattern (behave/templates.cpp). A function
// parameter pack stays refused: the frame stores each parameter as a member.
// The refusals of what a pattern cannot say soundly are in
// fail/sp_template_pattern.cpp.
#include <braid/braid.hpp>

template <class... A>
// expected-error@+1 {{BRAID_SP function 'count' has the function parameter pack 'a', which its frame cannot store; take a std::tuple (or fixed parameters), or forward the pack from a plain template to a BRAID_SP function}}
BRAID_SP braid::task<int> count(braid::task<int> t, A... a) {
  return braid::park(t) + static_cast<int>(sizeof...(a));
}

int use() { return braid::run_blocking(count(braid::task<int>(1), 1, 2)); }

// A park on a dependent task outside a BRAID_SP function, or in a generic
// lambda, is reported like a resolved one.
template <class T>
T not_sp(braid::task<T> t) {
  // expected-error@+1:10 {{braid::park is used outside a BRAID_SP function}}
  return braid::park(t);
}

int generic_lambda() {
  // expected-error@+1:36 {{lambdas cannot park}}
  auto f = [](auto t) { return 1 + braid::park(t); };
  return f(braid::task<int>(1)) + not_sp(braid::task<int>(1));
}
