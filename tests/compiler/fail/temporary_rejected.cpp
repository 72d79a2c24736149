// SPDX-License-Identifier: MIT
// Temporaries created before a park that braidc cannot keep to the end of
// their full-expression: said, never destroyed early.
#include <braid/braid.hpp>

#include <initializer_list>

struct logger {
  ~logger();
};
int with_default(const logger& l = logger());
int count(std::initializer_list<int> l);
int add(int a, int b);
int add_list(std::initializer_list<int> l, int b);

BRAID_SP braid::task<int> h(braid::task<int> t) {
  // The default argument's temporary would die before the park.
  // expected-error@+1:15 {{a default argument that creates a temporary of type 'const logger' before a park is not supported}}
  int a = add(with_default(), braid::park(t));
  // The array behind an initializer_list passed on after the park cannot be
  // a frame member. (One whose list is used up before the park can end
  // early: add(count({1, 2}), park(t)) is transformed, behave/expressions.)
  // expected-error@+1:20 {{a temporary of type 'const int[2]' that must live across a park is not supported}}
  int b = add_list({1, 2}, braid::park(t));
  return a + b;
}
