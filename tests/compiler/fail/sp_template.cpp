// SPDX-License-Identifier: MIT
// braidc sees a template only as its dependent pattern: a park on a
// dependent task is not a resolved call there and dependent types cannot be
// spelled from it. Every kind of templated BRAID_SP function is refused.
#include <braid/braid.hpp>

#include <string>

// expected-error@+2:25 {{BRAID_SP function 'twice' is a function template, which braidc does not transform yet; write a non-template BRAID_SP function (or an explicit specialization) for each type it is used with}}
template <class T>
BRAID_SP braid::task<T> twice(braid::task<T> t) {
  T a = braid::park(t);
  return a + braid::park(t);
}

// Even without a park: the frame would name dependent types.
// expected-error@+2:25 {{BRAID_SP function 'same' is a function template}}
template <class T>
BRAID_SP braid::task<T> same(T v) {
  return v;
}

// expected-error@+1:27 {{BRAID_SP function 'plus_one' is an abbreviated function template (an 'auto' parameter)}}
BRAID_SP braid::task<int> plus_one(auto t) {
  return braid::park(t) + 1;
}

struct holder {
  // expected-error@+2:27 {{BRAID_SP function 'get' is a member function template}}
  template <class T>
  BRAID_SP braid::task<T> get(braid::task<T> t) {
    return braid::park(t);
  }
};

template <class T>
struct box {
  T base;
  // expected-error@+1:27 {{BRAID_SP function 'add' is a member of a class template (or of a class inside a template)}}
  BRAID_SP braid::task<T> add(braid::task<T> t) {
    return base + braid::park(t);
  }
  struct inner {
    // expected-error@+1:31 {{BRAID_SP function 'count' is a member of a class template (or of a class inside a template)}}
    BRAID_SP braid::task<int> count(braid::task<int> t) {
      return braid::park(t) + 1;
    }
  };
};

int use() {
  return braid::run_blocking(twice(braid::task<int>(1))) +
         static_cast<int>(braid::run_blocking(same(std::string("x"))).size()) +
         braid::run_blocking(plus_one(braid::task<int>(1))) + braid::run_blocking(holder{}.get(braid::task<int>(1))) +
         braid::run_blocking(box<int>{1}.add(braid::task<int>(1))) +
         braid::run_blocking(box<int>::inner{}.count(braid::task<int>(1)));
}

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
