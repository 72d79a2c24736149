// SPDX-License-Identifier: MIT
// Templates. braidc refuses a templated BRAID_SP function (a function
// template, an abbreviated one, a member function template, a member of a
// class template: fail/sp_template.cpp). What it transforms is what is not
// templated: an explicit specialization of a function template or of a class
// template, whose types are all concrete, and a plain template that runs
// BRAID_SP functions without parking itself.
#include "behave_support.hpp"

#include <stdexcept>
#include <string>
#include <utility>

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

TEST_SUITE("templates") {
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
}
