// SPDX-License-Identifier: MIT
// BRAID_DURABLE functions braidc refuses, what cannot be stored with a run,
// and durable suspension points outside durable functions
// (docs/durable.md "The frame contract").
#include <braid/braid.hpp>
#include <braid/durable.hpp>

#include <memory>
#include <vector>

// expected-error@+2:19 {{BRAID_DURABLE function 'not_a_run' must return braid::run<T>, not 'int'}}
// expected-note@+1:1 {{function marked BRAID_DURABLE here}}
BRAID_DURABLE int not_a_run(std::string s) {
  return braid::listen<int>(s);
}

// expected-error@+1:31 {{BRAID_DURABLE is given to a declaration of 'decl_only' without a body, and this file has no definition of it}}
BRAID_DURABLE braid::run<int> decl_only(int x);

template <class T>
// expected-error@+1:29 {{BRAID_DURABLE function 'templated' is a template; a stored run names its function by one stable name}}
BRAID_DURABLE braid::run<T> templated(T v) {
  return v + braid::listen<T>("t");
}

struct widget {
  // expected-error@+1:33 {{BRAID_DURABLE function 'method' is a non-static member function; a stored run cannot keep 'this'}}
  BRAID_DURABLE braid::run<int> method(int x) { return x + braid::listen<int>("m"); }
};

// expected-error@+1:63 {{parameter 's' of BRAID_DURABLE function 'by_reference' has the reference type 'const std::string &'}}
BRAID_DURABLE braid::run<int> by_reference(const std::string& s) {
  return braid::listen<int>(s);
}

// expected-error@+1:50 {{parameter 'p' of type 'int *' is stored with the run (a run's arguments are encoded when it starts), but cannot be: it is a pointer, which means nothing in another process}}
BRAID_DURABLE braid::run<int> pointer_param(int* p) {
  return *p + braid::listen<int>("p");
}

BRAID_SP braid::task<int> listen_in_sp() {
  // expected-error@+1:10 {{braid::listen is used in a BRAID_SP function; a run is stored only at a suspension point of a BRAID_DURABLE function}}
  return braid::listen<int>("x");
}

int listen_in_plain() {
  // expected-error@+1:10 {{braid::listen is used in a function that is not annotated}}
  return braid::listen<int>("x");
}

BRAID_DURABLE braid::run<int> in_handler() {
  try {
    return braid::listen<int>("a");
  } catch (const std::exception&) {
    // expected-error@+1:12 {{braid::listen inside a catch handler: the exception being handled cannot be stored with the run}}
    return braid::listen<int>("b");
  }
}

struct opaque {
  explicit opaque(int v) : v(v) {}
  int v;
};

BRAID_DURABLE braid::run<int> unstorable_locals(std::vector<int> xs) {
  // expected-error@+1:24 {{local 'owned' of type 'std::unique_ptr<int>' is live at the listen at line 74, where the run is stored, but cannot be stored: its type has no codec}}
  std::unique_ptr<int> owned = std::make_unique<int>(1);
  // expected-error@+1:10 {{local 'o' of type 'opaque' is live at the listen at line 74}}
  opaque o(2);
  int sum = 0;
  // expected-error@+3:31 {{the range-for around the listen at line 74 keeps its iterators across it}}
  // expected-note@+2:31 {{the run is stored here}}
  // expected-note@+1:31 {{the run is stored here}}
  for (int x : xs) sum += x + braid::listen<int>("each");
  int got = braid::listen<int>("after");
  return *owned + o.v + sum + got;
}

BRAID_DURABLE braid::run<int> unstorable_event() {
  // expected-error@+1:14 {{the event type 'opaque' of braid::listen is stored with the run, but cannot be: its type has no codec}}
  opaque o = braid::listen<opaque>("o");
  return o.v;
}

// expected-error@+1:34 {{the result type 'opaque' of 'unstorable_result' is stored with the run}}
BRAID_DURABLE braid::run<opaque> unstorable_result() {
  return opaque(braid::listen<int>("r"));
}

// expected-error@+1:54 {{parameter 'f' of type 'braid::flow<int>' is stored with the run}}
BRAID_DURABLE braid::run<int> forks(braid::flow<int> f) {
  // expected-error@+1:10 {{braid::fork is a fork point, used in a BRAID_DURABLE function}}
  return braid::fork(f);
}
