// SPDX-License-Identifier: MIT
// Templates. braidc transforms the pattern of a templated BRAID_SP function
// (its frame is a local class, instantiated with it): function templates
// with type and non-type parameters, member function templates, members of
// class templates; each is run here with int and std::string. Explicit
// specializations (all types concrete) and plain templates forwarding a pack
// into a BRAID_SP function are transformed as before. What stays refused is
// in fail/sp_template.cpp.
#include "behave_support.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace behave;
using braid::park;
using braid::task;

namespace {

// A function template with one BRAID_SP explicit specialization per type.
template <class T>
task<T> twice(event_log& log, task<T> t);

template <>
BRAID_SP task<int> twice<int>(event_log& log, task<int> t) {
  tracer k(log, "k");
  int a = park(t);
  int b = park(t);
  return a + b;
}

template <>
BRAID_SP task<std::string> twice<std::string>(event_log& log, task<std::string> t) {
  tracer k(log, "k");
  std::string a = park(t);
  try {
    tracer h(log, "h");
    std::string b = park(t);
    return a + "+" + b;
  } catch (const std::runtime_error& e) {
    return a + " then " + e.what();
  }
}

// An explicit specialization of a class template with a BRAID_SP member.
template <class T>
struct accumulator;

template <>
struct accumulator<int> {
  int total = 0;
  BRAID_SP task<int> add(task<int> t) {
    total += park(t);
    return total;
  }
};

// A plain function template (not BRAID_SP, no park) forwarding a parameter
// pack into calls of a BRAID_SP specialization.
template <class T, class... Ts>
task<T> twice_first(event_log& log, task<T> first, Ts&&...) {
  return twice<T>(log, std::move(first));
}

}  // namespace

namespace gen {

// A kept local of a dependent type with a destructor.
template <class T>
struct held {
  tracer tr;
  T v;
  held(event_log& l, T x) : tr(l, "held"), v(std::move(x)) {}
};

template <class T>
BRAID_SP task<T> twice(event_log& log, task<T> t) {
  held<T> h(log, T{});
  T a = park(t);
  T b = park(t);
  return h.v + a + b;
}

// A handler of a dependent exception type around a park.
template <class E, class T>
BRAID_SP task<T> recover(event_log& log, task<T> t, T fallback) {
  tracer k(log, "k");
  try {
    tracer h(log, "h");
    T v = park(t);
    return v;
  } catch (const E& e) {
    log(std::string("caught ") + e.what());
    return fallback;
  }
}

// A non-type template parameter; two parks in one expression.
template <int N, class T>
BRAID_SP task<T> times(task<T> t) {
  T sum = T();
  for (int i = 0; i < N; ++i)
    sum = sum + park(t);
  T last = park(t) + park(t);
  return sum + last;
}

// Members of a class template, and a member function template of it.
template <class T>
struct acc {
  T total{};
  BRAID_SP task<T> add(task<T> t) {
    total = total + park(t);
    return total;
  }
  template <class U>
  BRAID_SP task<T> add_as(event_log& log, task<U> u) {
    tracer k(log, "k");
    U v = park(u);
    total = total + T(v);
    return total;
  }
};

// A range-for over a range of dependent type whose body parks: the
// iterators' type is named through range_begin on the kept range.
// A member call on an object of dependent type whose argument parks.
template <class T>
BRAID_SP task<std::vector<T>> collect(task<T> t) {
  std::vector<T> out;
  out.push_back(park(t));
  out.push_back(park(t));
  return out;
}

template <class T>
BRAID_SP task<T> join(event_log& log, std::vector<T> items, task<T> sep) {
  T out{};
  for (const T& x : items) {
    tracer k(log, "k");
    T s = park(sep);
    out = out + x + s;
  }
  return out;
}

// Running off the end: a task<void> instantiation ends with unit, a value
// one fails (braid's defined failure for a missing return).
template <class T>
BRAID_SP task<T> ignore(event_log& log, task<T> t) {
  tracer k(log, "k");
  park(t);
}

// A namespace-scope function named like a member of the frame's bases
// (sp_core::state), called with a dependent argument: qualified in the
// frame, where the (non-dependent) base member would hide it.
inline int state(int v) { return v + 100; }
inline int state(const std::string& v) { return static_cast<int>(v.size()) + 200; }

template <class T>
BRAID_SP task<int> state_of(task<T> t) {
  return state(park(t));
}

inline std::string to_text(int v) { return std::to_string(v); }
inline std::string to_text(std::string v) { return v; }

// An abbreviated template: the frame names an `auto` parameter's type
// through an alias of decltype of the parameter.
BRAID_SP task<std::string> describe(event_log& log, auto t, const auto& suffix) {
  tracer k(log, "k");
  std::string s = to_text(park(t));
  return s + suffix;
}

// Forwarding references: an lvalue argument stays a reference to the
// caller's object, an rvalue is moved into the task.
template <class S>
BRAID_SP task<std::size_t> append(S&& out, task<std::string> t) {
  out += park(t);
  return out.size();
}

BRAID_SP task<std::size_t> append_auto(auto&& out, task<std::string> t) {
  out += park(t);
  out += park(t);
  return out.size();
}

}  // namespace gen

TEST_SUITE("templates") {
  TEST_CASE("a function template, int and std::string: kept locals of dependent type") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(gen::twice(log, task<int>(t)), log);
    CHECK(log.take() == events{"+held", "t start"});
    t.succeed(2);
    CHECK(log.take() == events{"t start"});
    t.succeed(3);
    CHECK(log.take() == events{"~held", "ok 5"});

    manual_task<std::string> s(log, "s");
    run_logged(gen::twice(log, task<std::string>(s)), log);
    s.succeed("x");
    s.succeed("y");
    CHECK(log.take() == events{"+held", "s start", "s start", "~held", "ok xy"});
    CHECK(counted::balanced());
  }

  TEST_CASE("a function template: an error at a park, and cancellation") {
    counted c;
    event_log log;
    manual_task<std::string> s(log, "s");
    run_logged(gen::twice(log, task<std::string>(s)), log);
    s.succeed("x");
    log.take();
    s.fail("boom");
    CHECK(log.take() == events{"~held", "err boom"});

    manual_task<int> u(log, "u", /*fail_on_cancel=*/true);
    braid::canceller cancel = run_logged(gen::twice(log, task<int>(u)), log);
    CHECK(log.take() == events{"+held", "u start"});
    cancel();
    CHECK(log.take() == events{"u cancel", "~held", "err cancelled: manual task cancelled"});
    CHECK(counted::balanced());
  }

  TEST_CASE("a handler of a dependent exception type") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(gen::recover<std::runtime_error>(log, task<int>(t), -1), log);
    t.fail("boom");
    CHECK(log.take() == events{"+k", "+h", "t start", "~h", "caught boom", "~k", "ok -1"});

    manual_task<std::string> s(log, "s");
    run_logged(gen::recover<std::runtime_error>(log, task<std::string>(s), std::string("none")), log);
    s.succeed("v");
    CHECK(log.take() == events{"+k", "+h", "s start", "~h", "~k", "ok v"});

    // Not matched: the error leaves the function.
    manual_task<std::string> l(log, "l");
    run_logged(gen::recover<std::logic_error>(log, task<std::string>(l), std::string("none")), log);
    l.fail("other");
    CHECK(log.take() == events{"+k", "+h", "l start", "~h", "~k", "err other"});
    CHECK(counted::balanced());
  }

  TEST_CASE("a non-type template parameter, a loop and two parks in one expression") {
    event_log log;
    CHECK(braid::run_blocking(gen::times<3>(task<int>(2))) == 10);
    CHECK(braid::run_blocking(gen::times<2>(task<std::string>(std::string("ab")))) == "abababab");
  }

  TEST_CASE("members of a class template and a member function template") {
    counted c;
    event_log log;
    gen::acc<int> ai;
    manual_task<int> t(log, "t");
    run_logged(ai.add(task<int>(t)), log);
    t.succeed(4);
    CHECK(log.take() == events{"t start", "ok 4"});
    CHECK(braid::run_blocking(ai.add_as(log, task<short>(short{5}))) == 9);
    CHECK(log.take() == events{"+k", "~k"});

    gen::acc<std::string> as;
    CHECK(braid::run_blocking(as.add(task<std::string>(std::string("a")))) == "a");
    manual_task<const char*> p(log, "p", /*fail_on_cancel=*/true);
    braid::canceller cancel = run_logged(as.add_as(log, task<const char*>(p)), log);
    cancel();
    CHECK(log.take() == events{"+k", "p start", "p cancel", "~k", "err cancelled: manual task cancelled"});
    CHECK(as.total == "a");
    CHECK(counted::balanced());
  }

  TEST_CASE("explicit specializations of a function template, int and std::string") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(twice(log, task<int>(t)), log);
    CHECK(log.take() == events{"+k", "t start"});
    t.succeed(2);
    CHECK(log.take() == events{"t start"});
    t.succeed(3);
    CHECK(log.take() == events{"~k", "ok 5"});

    manual_task<std::string> s(log, "s");
    run_logged(twice(log, task<std::string>(s)), log);
    s.succeed("x");
    CHECK(log.take() == events{"+k", "s start", "+h", "s start"});
    s.succeed("y");
    CHECK(log.take() == events{"~h", "~k", "ok x+y"});
    CHECK(counted::balanced());
  }

  TEST_CASE("a specialization's try region: an error at the park, and cancellation") {
    counted c;
    event_log log;
    manual_task<std::string> s(log, "s");
    run_logged(twice(log, task<std::string>(s)), log);
    s.succeed("x");
    log.take();
    s.fail("boom");
    CHECK(log.take() == events{"~h", "~k", "ok x then boom"});

    manual_task<std::string> u(log, "u", /*fail_on_cancel=*/true);
    braid::canceller cancel = run_logged(twice(log, task<std::string>(u)), log);
    CHECK(log.take() == events{"+k", "u start"});
    cancel();
    CHECK(log.take() == events{"u cancel", "~k", "err cancelled: manual task cancelled"});
    CHECK(counted::balanced());
  }

  TEST_CASE("a BRAID_SP member of an explicit class template specialization") {
    event_log log;
    accumulator<int> acc;
    manual_task<int> t(log, "t");
    run_logged(acc.add(t), log);
    t.succeed(4);
    run_logged(acc.add(t), log);
    t.succeed(5);
    CHECK(log.take() == events{"t start", "ok 4", "t start", "ok 9"});
    CHECK(acc.total == 9);
  }

  TEST_CASE("a plain template forwards a pack into a BRAID_SP specialization") {
    counted c;
    event_log log;
    run_logged(twice_first(log, task<int>(7), 1, std::string("ignored")), log);
    CHECK(log.take() == events{"+k", "~k", "ok 14"});
    CHECK(counted::balanced());
  }

  TEST_CASE("an abbreviated template ('auto' parameters), int and std::string") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(gen::describe(log, task<int>(t), std::string("!")), log);
    t.succeed(7);
    CHECK(log.take() == events{"+k", "t start", "~k", "ok 7!"});

    manual_task<std::string> s(log, "s", /*fail_on_cancel=*/true);
    braid::canceller cancel = run_logged(gen::describe(log, task<std::string>(s), std::string("?")), log);
    cancel();
    CHECK(log.take() == events{"+k", "s start", "s cancel", "~k", "err cancelled: manual task cancelled"});
    CHECK(braid::run_blocking(gen::describe(log, task<std::string>(std::string("x")), std::string("?"))) == "x?");
    CHECK(counted::balanced());
  }

  TEST_CASE("forwarding references: an lvalue is the caller's object, an rvalue is moved in") {
    std::string mine = "a";
    CHECK(braid::run_blocking(gen::append(mine, task<std::string>(std::string("b")))) == 2);
    CHECK(mine == "ab");
    std::string moved = "xyz";
    CHECK(braid::run_blocking(gen::append(std::move(moved), task<std::string>(std::string("b")))) == 4);
    CHECK(braid::run_blocking(gen::append_auto(mine, task<std::string>(std::string("c")))) == 4);
    CHECK(mine == "abcc");
    CHECK(braid::run_blocking(gen::append_auto(std::string("q"), task<std::string>(std::string("r")))) == 3);
    CHECK(mine == "abcc");
  }

  TEST_CASE("an unqualified call with a dependent argument to a name the frame's bases declare") {
    CHECK(braid::run_blocking(gen::state_of(task<int>(1))) == 101);
    CHECK(braid::run_blocking(gen::state_of(task<std::string>(std::string("ab")))) == 202);
  }

  TEST_CASE("a member call on a dependent object with a parking argument") {
    CHECK(braid::run_blocking(gen::collect(task<int>(3))) == std::vector<int>{3, 3});
    CHECK(braid::run_blocking(gen::collect(task<std::string>(std::string("s")))) ==
          std::vector<std::string>{"s", "s"});
  }

  TEST_CASE("a range-for over a dependent range whose body parks") {
    counted c;
    event_log log;
    CHECK(braid::run_blocking(gen::join(log, std::vector<int>{1, 2}, task<int>(10))) == 23);
    CHECK(log.take() == events{"+k", "~k", "+k", "~k"});
    manual_task<std::string> s(log, "s", /*fail_on_cancel=*/true);
    braid::canceller cancel =
        run_logged(gen::join(log, std::vector<std::string>{"a", "b"}, task<std::string>(s)), log);
    s.succeed(",");
    CHECK(log.take() == events{"+k", "s start", "~k", "+k", "s start"});
    cancel();
    CHECK(log.take() == events{"s cancel", "~k", "err cancelled: manual task cancelled"});
    CHECK(counted::balanced());
  }

  TEST_CASE("running off the end of a template: void ends, a value type fails") {
    counted c;
    event_log log;
    manual_task<void> v(log, "v");
    run_logged(gen::ignore(log, task<void>(v)), log);
    v.succeed();
    CHECK(log.take() == events{"+k", "v start", "~k", "ok"});
    manual_task<int> t(log, "t");
    run_logged(gen::ignore(log, task<int>(t)), log);
    t.succeed(1);
    CHECK(log.take() == events{"+k", "t start", "~k",
                               "err braid: BRAID_SP function 'gen::ignore<T>(braid::testing::event_log &, "
                               "task<T>)' ended without returning a value"});
    CHECK(counted::balanced());
  }
}
