// SPDX-License-Identifier: MIT
// Scopes, RAII and locals across parks (transform-cases 6, 8, 9, 10, 25,
// 27, 28): destructors at the closing brace after resuming, reverse order,
// every exit path; shadowing; references; move-only locals; range-for over
// lvalues and temporaries; conditions that declare a variable.
#include "behave_support.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace behave;
using braid::canceller;
using braid::park;
using braid::task;

namespace {

// [cases 9, 10] RAII locals in nested blocks, left by break, continue,
// return, an exception, or the closing brace.
BRAID_SP task<int> exits(event_log& log, task<int> t) {
  tracer a(log, "a");
  for (int i = 0; i < 2; ++i) {
    tracer b(log, "b" + std::to_string(i));
    {
      tracer c(log, "c");
      tracer d(log, "d");
      int v = park(t);
      if (v == 1) break;
      if (v == 2) continue;
      if (v == 3) return v;
      if (v == 4) throw std::runtime_error("four");
    }
    log("end of body");
  }
  return 0;
}

// [case 8] sibling blocks and an outer local share a name.
BRAID_SP task<std::string> shadowing(task<int> t) {
  int x = 3;
  std::string out;
  {
    int x = 1;
    park(t);
    out += std::to_string(x);
  }
  {
    int x = 2;
    park(t);
    out += std::to_string(x);
  }
  park(t);
  return out + std::to_string(x);
}

// [case 28] a move-only local is moved into the parked call, reassigned
// after the park, then used; it is never copied.
task<int> consume(std::unique_ptr<int> p) { return task<int>(*p * 10); }
BRAID_SP task<int> move_only(task<int> t) {
  auto p = std::make_unique<int>(4);
  int got = park(consume(std::move(p)));
  bool was_moved = p == nullptr;
  p = std::make_unique<int>(got + park(t));
  return was_moved ? *p : -1;
}

// References kept across parks see the object, not a copy.
BRAID_SP task<int> references(std::vector<int>& v, task<int> t) {
  int& first = v[0];
  const int& last = v.back();
  first += park(t);
  return first + last;
}

// [case 25] a variable declared in a condition and initialized by a park.
BRAID_SP task<std::string> declared_in_condition(task<int> t) {
  std::string out;
  if (int v = park(t))
    out += "if" + std::to_string(v);
  else
    out += "else" + std::to_string(v);
  while (int w = park(t)) out += ",w" + std::to_string(w);
  return out;
}

// [case 6] range-for over a temporary that dies after the loop, and over an
// lvalue mutated through a reference.
struct items {
  event_log* log;
  std::vector<int> v;
  ~items() { (*log)("~items"); }
  std::vector<int>::iterator begin() { return v.begin(); }
  std::vector<int>::iterator end() { return v.end(); }
};
BRAID_SP task<int> range_over_temporary(event_log& log, task<int> t) {
  int s = 0;
  for (int x : items{&log, {1, 2, 3}}) {
    s += x * park(t);
    log("x" + std::to_string(x));
  }
  log("after loop");
  return s;
}
BRAID_SP task<int> range_by_reference(std::vector<int>& v, task<int> t) {
  for (int& x : v) x += park(t);
  int s = 0;
  for (int x : v) s += x;
  return s;
}

// [cases 2, 3] switch: fall-through after a park, default, break after a
// park, continue of the enclosing loop from a case that parks.
BRAID_SP task<std::string> switching(std::vector<int> keys, task<int> t) {
  std::string out;
  for (int k : keys) {
    switch (k) {
      case 0:
        out += "zero";
        park(t);
      case 1:
        out += "one";
        break;
      case 2:
        out += "two";
        park(t);
        continue;
      default:
        out += "d" + std::to_string(park(t));
        break;
    }
    out += ";";
  }
  return out;
}

}  // namespace

TEST_SUITE("scopes") {
  TEST_CASE("RAII locals die at their closing brace after resuming, in reverse order") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(exits(log, t), log);
    CHECK(log.take() == events{"+a", "+b0", "+c", "+d", "t start"});
    t.succeed(0);
    CHECK(log.take() == events{"~d", "~c", "end of body", "~b0", "+b1", "+c", "+d", "t start"});
    t.succeed(0);
    CHECK(log.take() == events{"~d", "~c", "end of body", "~b1", "~a", "ok 0"});
    CHECK(c.balanced());
  }

  TEST_CASE("break, continue, return and a throw destroy exactly the scopes they leave") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(exits(log, t), log);
    log.take();
    t.succeed(1);  // break
    CHECK(log.take() == events{"~d", "~c", "~b0", "~a", "ok 0"});
    run_logged(exits(log, t), log);
    log.take();
    t.succeed(2);  // continue
    CHECK(log.take() == events{"~d", "~c", "~b0", "+b1", "+c", "+d", "t start"});
    t.succeed(3);  // return
    CHECK(log.take() == events{"~d", "~c", "~b1", "~a", "ok 3"});
    run_logged(exits(log, t), log);
    log.take();
    t.succeed(4);  // throw
    CHECK(log.take() == events{"~d", "~c", "~b0", "~a", "err four"});
    CHECK(c.balanced());
  }

  TEST_CASE("cancel while parked destroys every live local in reverse order") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    canceller k = run_logged(exits(log, t), log);
    log.take();
    k();
    CHECK(log.take() == events{"t cancel", "~d", "~c", "~b0", "~a", "err cancelled: manual task cancelled"});
    CHECK(c.balanced());
  }

  TEST_CASE("shadowed names in sibling blocks keep their own values") {
    event_log log;
    run_logged(shadowing(task<int>(0)), log);
    CHECK(log.take() == events{"ok 123"});
  }

  TEST_CASE("a move-only local moved into a parked call and reassigned after it") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(move_only(t), log);
    t.succeed(2);
    CHECK(log.take() == events{"t start", "ok 42"});
  }

  TEST_CASE("references kept across a park refer to the caller's object") {
    event_log log;
    std::vector<int> v{1, 2, 3};
    manual_task<int> t(log, "t");
    run_logged(references(v, t), log);
    t.succeed(10);
    CHECK(log.take() == events{"t start", "ok 14"});
    CHECK(v[0] == 11);
  }

  TEST_CASE("a condition variable initialized by a park is seen by both branches and per iteration") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(declared_in_condition(t), log);
    t.succeed(0);
    t.succeed(5);
    t.succeed(6);
    t.succeed(0);
    CHECK(log.take() == events{"t start", "t start", "t start", "t start", "ok else0,w5,w6"});
  }

  TEST_CASE("range-for over a temporary keeps it alive across parks until the loop ends") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(range_over_temporary(log, t), log);
    CHECK(log.take() == events{"t start"});
    t.succeed(1);
    CHECK(log.take() == events{"x1", "t start"});
    t.succeed(10);
    t.succeed(100);
    CHECK(log.take() == events{"x2", "t start", "x3", "~items", "after loop", "ok 321"});
  }

  TEST_CASE("range-for by reference mutates the caller's elements") {
    event_log log;
    std::vector<int> v{1, 2};
    run_logged(range_by_reference(v, task<int>(5)), log);
    CHECK(log.take() == events{"ok 13"});
    CHECK(v == std::vector<int>{6, 7});
  }

  TEST_CASE("switch: fall-through after a park, default, break, continue from a case") {
    event_log log;
    run_logged(switching({0, 2, 5, 1}, task<int>(7)), log);
    CHECK(log.take() == events{"ok zeroone;twod7;one;"});
  }
}
