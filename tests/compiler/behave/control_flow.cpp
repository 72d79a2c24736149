// SPDX-License-Identifier: MIT
// Branches and loops with parks (transform-cases 1, 5, 39): every case runs
// transformed by braidc; the same bodies run in plain C++ as a reference.
#include "behave_support.hpp"

#include <string>
#include <vector>

using namespace behave;
using braid::canceller;
using braid::park;
using braid::task;

namespace {

// [case 1] parks in the condition and in both branches; both meet again.
BRAID_SP task<std::string> branch(event_log& log, task<int> c, task<int> a, task<int> b) {
  std::string out = "start";
  if (park(c) > 0) {
    tracer x(log, "x");
    out += " then " + std::to_string(park(a));
  } else {
    tracer y(log, "y");
    out += " else " + std::to_string(park(b));
  }
  out += " joined";
  return out;
}

// [case 5] a for loop inside a do-while; a break from the inner loop after
// a park, a continue of the outer loop, a do-while condition that parks.
BRAID_SP task<std::string> nested(std::vector<int> plan, task<int> more) {
  std::string trace;
  int round = 0;
  do {
    ++round;
    for (int i = 0; i < 10; ++i) {
      int v = park(task<int>(plan[i % plan.size()]));
      if (v < 0) break;
      trace += std::to_string(v);
    }
    trace += "|";
    if (round == 1) continue;
    trace += "r";
  } while (park(more) > round);
  return trace + std::to_string(round);
}

// The same body in plain C++, parking by blocking (differential reference).
std::string nested_direct(std::vector<int> plan, task<int> more) {
  std::string trace;
  int round = 0;
  do {
    ++round;
    for (int i = 0; i < 10; ++i) {
      int v = braid::run_blocking(task<int>(plan[i % plan.size()]));
      if (v < 0) break;
      trace += std::to_string(v);
    }
    trace += "|";
    if (round == 1) continue;
    trace += "r";
  } while (braid::run_blocking(more) > round);
  return trace + std::to_string(round);
}

// while with a park in the condition, return from inside the loop.
BRAID_SP task<int> find_first(std::vector<task<int>> ts, int wanted) {
  unsigned i = 0;
  while (i < ts.size()) {
    if (park(ts[i]) == wanted) return static_cast<int>(i);
    ++i;
  }
  return -1;
}

// [case 39] (a) returns before its first park, (b) never parks.
BRAID_SP task<int> early(bool quick, task<int> t) {
  if (quick) return 1;
  return park(t) + 1;
}
BRAID_SP task<int> no_park(int a, int b) {
  int s = 0;
  for (int i = a; i < b; ++i) s += i;
  return s;
}

// A void task, ended by running off its end and by `return;`.
BRAID_SP task<void> void_task(event_log& log, task<int> t, bool stop) {
  log("before " + std::to_string(park(t)));
  if (stop) return {};
  log("after");
}

// [case 24] a short-circuited operand never starts its task.
BRAID_SP task<std::string> short_circuit(bool first, task<int> t, task<int> u) {
  std::string out;
  if (first && park(t) > 0) out += "and";
  bool either = first || park(u) > 0;
  out += either ? "|or" : "|nor";
  return out;
}

// [case 24] ?: evaluates only the chosen branch; its result (here a
// std::string temporary) lives to the end of the full-expression.
BRAID_SP task<std::string> choose(bool c, task<std::string> a, task<std::string> b) {
  std::string s = (c ? park(a) : park(b)) + "!";
  int n = c ? 1 : park(task<int>(2));
  return s + std::to_string(n);
}

// [cases 21, 23] arguments left to right: a() is evaluated (and kept)
// before the park, c() after it.
std::string note(event_log& log, const char* s) {
  log(s);
  return s;
}
std::string join3(const std::string& a, int b, std::string c) { return a + std::to_string(b) + c; }
BRAID_SP task<std::string> argument_order(event_log& log, task<int> t, task<int> u) {
  return join3(note(log, "a"), park(t) + park(u), note(log, "c"));
}

}  // namespace

TEST_SUITE("control flow") {
  TEST_CASE("if/else: the condition parks, each branch parks and keeps its own local") {
    counted c;
    event_log log;
    manual_task<int> cond(log, "c"), a(log, "a"), b(log, "b");
    run_logged(branch(log, cond, a, b), log);
    CHECK(log.take() == events{"c start"});
    cond.succeed(1);
    CHECK(log.take() == events{"+x", "a start"});
    a.succeed(7);
    CHECK(log.take() == events{"~x", "ok start then 7 joined"});
    run_logged(branch(log, cond, a, b), log);
    log.take();
    cond.succeed(0);
    CHECK(log.take() == events{"+y", "b start"});
    b.succeed(9);
    CHECK(log.take() == events{"~y", "ok start else 9 joined"});
    CHECK(c.balanced());
  }

  TEST_CASE("nested loops: inner break after a park, outer continue, parking do-while condition") {
    event_log log;
    manual_task<int> more(log, "more");
    run_logged(nested({1, 2, -1}, more), log);
    CHECK(log.take() == events{"more start"});
    more.succeed(5);  // 5 > 1: another round
    CHECK(log.take() == events{"more start"});
    more.succeed(2);  // 2 > 2 is false: done
    CHECK(log.take() == events{"ok 12|12|r2"});
  }

  TEST_CASE("differential: the transformed loops give what the plain C++ body gives") {
    for (int stop : {1, 2, 3}) {
      for (std::vector<int> plan : {std::vector<int>{1, 2, -1}, std::vector<int>{3}, std::vector<int>{-1, 4}}) {
        CHECK(braid::run_blocking(nested(plan, task<int>(stop))) == nested_direct(plan, task<int>(stop)));
      }
    }
  }

  TEST_CASE("while: a return inside the loop ends the function at once") {
    event_log log;
    manual_task<int> t0(log, "t0"), t1(log, "t1"), t2(log, "t2");
    run_logged(find_first({t0, t1, t2}, 4), log);
    CHECK(log.take() == events{"t0 start"});
    t0.succeed(3);
    CHECK(log.take() == events{"t1 start"});
    t1.succeed(4);
    CHECK(log.take() == events{"ok 1"});
    CHECK(t2.runs() == 0);
    run_logged(find_first({task<int>(1), task<int>(2)}, 4), log);
    CHECK(log.take() == events{"ok -1"});
  }

  TEST_CASE("a function that returns before its first park, or never parks") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(early(true, t), log);
    CHECK(log.take() == events{"ok 1"});
    run_logged(early(false, t), log);
    CHECK(log.take() == events{"t start"});
    t.succeed(1);
    CHECK(log.take() == events{"ok 2"});
    run_logged(no_park(1, 5), log);
    CHECK(log.take() == events{"ok 10"});
  }

  TEST_CASE("a void task ends by running off its end or by return;") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(void_task(log, t, false), log);
    t.succeed(1);
    CHECK(log.take() == events{"t start", "before 1", "after", "ok"});
    run_logged(void_task(log, t, true), log);
    t.succeed(2);
    CHECK(log.take() == events{"t start", "before 2", "ok"});
  }

  TEST_CASE("&& and || with a park on the right: a short-circuited park never starts") {
    event_log log;
    manual_task<int> t(log, "t"), u(log, "u");
    run_logged(short_circuit(false, t, u), log);
    CHECK(log.take() == events{"u start"});
    u.succeed(0);
    CHECK(log.take() == events{"ok |nor"});
    run_logged(short_circuit(true, t, u), log);
    CHECK(log.take() == events{"t start"});
    t.succeed(1);
    CHECK(log.take() == events{"ok and|or"});
    CHECK(u.runs() == 1);
  }

  TEST_CASE("?: with parks in its branches starts only the chosen branch's task") {
    event_log log;
    manual_task<std::string> a(log, "a"), b(log, "b");
    run_logged(choose(true, a, b), log);
    CHECK(log.take() == events{"a start"});
    a.succeed("A");
    CHECK(log.take() == events{"ok A!1"});
    run_logged(choose(false, a, b), log);
    CHECK(log.take() == events{"b start"});
    b.succeed("B");
    CHECK(log.take() == events{"ok B!2"});
    CHECK(a.runs() == 1);
    CHECK(b.runs() == 1);
  }

  TEST_CASE("call arguments run left to right: earlier ones before the park, kept across it") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t"), u(log, "u");
    run_logged(argument_order(log, t, u), log);
    CHECK(log.take() == events{"a", "t start"});
    t.succeed(2);
    CHECK(log.take() == events{"u start"});
    u.succeed(3);
    CHECK(log.take() == events{"c", "ok a5c"});
  }

  TEST_CASE("a failing child's error ends the function with that error") {
    event_log log;
    manual_task<int> cond(log, "c"), a(log, "a"), b(log, "b");
    counted c;
    run_logged(branch(log, cond, a, b), log);
    cond.succeed(1);
    log.take();
    a.fail(std::make_exception_ptr(std::runtime_error("boom")));
    CHECK(log.take() == events{"~x", "err boom"});
    CHECK(c.balanced());
  }
}
