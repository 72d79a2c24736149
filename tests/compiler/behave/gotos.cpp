// SPDX-License-Identifier: MIT
// goto in a function that parks (transform-cases 30; [stmt.goto],
// [stmt.jump], [stmt.dcl]): a label starts a partition; a jump destroys the
// kept locals of the scopes it leaves, innermost first, and, jumping back
// past a declaration, that local; a jump may enter a scope past a trivially
// destructible local without initializer; leaving a handler that parked ends
// its exception.
#include "behave_support.hpp"

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

using namespace behave;
using braid::canceller;
using braid::park;
using braid::task;

namespace {

// A loop built from a label: a backward goto over a park.
BRAID_SP task<int> label_loop(task<int> t) {
  int i = 0, sum = 0;
again:
  sum += park(t);
  if (++i < 1000) goto again;
  return sum;
}

// A forward goto over a park: that park's task never starts.
BRAID_SP task<int> skip(bool jump, task<int> t, task<int> u) {
  int r = 0;
  if (jump) goto done;
  r += park(t);
done:
  r += park(u);
  return r;
}

// goto out of nested blocks with RAII locals: destroyed innermost first.
BRAID_SP task<int> nested_exit(event_log& log, task<int> t) {
  tracer a(log, "a");
  {
    tracer b(log, "b");
    {
      tracer c(log, "c");
      int v = park(t);
      if (v == 1) goto out;
      tracer d(log, "d");
      if (v == 2) goto out;
      log("inner end");
    }
    log("middle end");
  }
out:
  log("out");
  return 0;
}

// A backward goto past a declaration destroys that local ([stmt.jump]).
BRAID_SP task<int> back_past(event_log& log, task<int> t) {
  int n = 0;
top:;
  tracer x(log, "x" + std::to_string(n));
  n += park(t);
  if (n < 3) goto top;
  return n;
}

// goto out of a handler that parked: its locals, then its exception, end.
struct traced_error {
  tracer tr;
};
BRAID_SP task<int> out_of_handler(event_log& log, task<int> t, task<int> u) {
  int r = 0;
  try {
    tracer g(log, "g");
    r = park(t);
    throw traced_error{tracer(log, "err")};
  } catch (traced_error& e) {
    tracer h(log, "h");
    r += park(u);
    if (r > 10) goto done;
    log("handler end " + e.tr.name);
  }
  r = -r;
done:
  log(std::string("after, uncaught ") + std::to_string(std::uncaught_exceptions()));
  return r;
}

// goto into a scope past a trivially destructible local without
// initializer (allowed by C++); a RAII local after the label is built once.
BRAID_SP task<int> into_scope(event_log& log, bool enter, task<int> t) {
  int r = 0;
  if (enter) goto inside;
  {
    int x;
    x = 10;
    r = park(t) + x;
  inside:
    tracer w(log, "w");
    x = 1;
    r += park(t) + x;
  }
  return r;
}

// goto into a block that does not park (the block is lowered so that its
// label starts a partition), past a trivial local without initializer.
BRAID_SP task<int> into_block(bool enter, task<int> t) {
  int r = park(t);
  if (enter) goto inside;
  if (r > 100) {
    int y;
    y = 7;
    r += y;
  inside:
    r += 1;
  }
  return r;
}

// A goto and its label inside one statement that does not park: copied
// as they are.
BRAID_SP task<int> local_goto(task<int> t) {
  int r = park(t);
  {
    int i = 0;
  loop:
    r += i;
    if (++i < 4) goto loop;
  }
  return r;
}

// goto out of a range-for over a temporary: the range dies with the jump.
struct items {
  event_log* log;
  std::vector<int> v;
  ~items() { (*log)("~items"); }
  std::vector<int>::iterator begin() { return v.begin(); }
  std::vector<int>::iterator end() { return v.end(); }
};
BRAID_SP task<int> out_of_range_for(event_log& log, task<int> t) {
  int s = 0;
  for (int x : items{&log, {1, 2, 3}}) {
    s += x * park(t);
    if (s > 2) goto found;
  }
  log("not found");
found:
  log("found");
  return s;
}

// goto out of a try block that parks: the label is outside the try region,
// so a later exception is not caught by its handler.
BRAID_SP task<int> out_of_try(event_log& log, task<int> t) {
  int r = 0;
  try {
    tracer g(log, "g");
    r = park(t);
    if (r == 1) goto after;
    throw std::runtime_error("in try");
  } catch (const std::exception& e) {
    log(std::string("caught ") + e.what());
  }
after:
  log("after");
  if (r == 1) throw std::runtime_error("outside");
  return r;
}

// Forward and backward gotos between exploded statements in a loop-free
// state machine (a goto at statement level, not inside an if).
BRAID_SP task<std::string> state_machine(task<int> t) {
  std::string out;
  int v = 0;
  goto read;
even:
  out += "e";
  goto read;
odd:
  out += "o";
read:
  v = park(t);
  if (v < 0) goto end;
  if (v % 2 == 0) goto even;
  goto odd;
end:
  return out;
}

}  // namespace

TEST_SUITE("goto") {
  TEST_CASE("a backward goto over a park loops 1000 times") {
    event_log log;
    run_logged(label_loop(task<int>(2)), log);
    CHECK(log.take() == events{"ok 2000"});
  }

  TEST_CASE("a forward goto skips a park: its task never starts") {
    event_log log;
    manual_task<int> t(log, "t");
    manual_task<int> u(log, "u");
    run_logged(skip(true, t, u), log);
    CHECK(log.take() == events{"u start"});
    u.succeed(3);
    CHECK(log.take() == events{"ok 3"});
    run_logged(skip(false, t, u), log);
    t.succeed(1);
    u.succeed(3);
    CHECK(log.take() == events{"t start", "u start", "ok 4"});
  }

  TEST_CASE("goto out of nested blocks destroys the RAII locals it leaves, innermost first") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(nested_exit(log, t), log);
    CHECK(log.take() == events{"+a", "+b", "+c", "t start"});
    t.succeed(1);
    CHECK(log.take() == events{"~c", "~b", "out", "~a", "ok 0"});
    run_logged(nested_exit(log, t), log);
    log.take();
    t.succeed(2);
    CHECK(log.take() == events{"+d", "~d", "~c", "~b", "out", "~a", "ok 0"});
    run_logged(nested_exit(log, t), log);
    log.take();
    t.succeed(0);
    CHECK(log.take() ==
          events{"+d", "inner end", "~d", "~c", "middle end", "~b", "out", "~a", "ok 0"});
    canceller k = run_logged(nested_exit(log, t), log);
    log.take();
    k();
    CHECK(log.take() == events{"t cancel", "~c", "~b", "~a", "err cancelled: manual task cancelled"});
    CHECK(c.balanced());
  }

  TEST_CASE("a backward goto past a declaration destroys that local each time") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(back_past(log, t), log);
    CHECK(log.take() == events{"+x0", "t start"});
    t.succeed(1);
    CHECK(log.take() == events{"~x0", "+x1", "t start"});
    t.succeed(2);
    CHECK(log.take() == events{"~x1", "ok 3"});
    CHECK(c.balanced());
  }

  TEST_CASE("goto out of a handler that parked ends its locals and its exception") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    manual_task<int> u(log, "u");
    run_logged(out_of_handler(log, t, u), log);
    CHECK(log.take() == events{"+g", "t start"});
    t.succeed(5);
    CHECK(log.take() == events{"+err", "~g", "+h", "u start"});
    u.succeed(6);
    CHECK(log.take() == events{"~h", "~err", "after, uncaught 0", "ok 11"});
    run_logged(out_of_handler(log, t, u), log);
    t.succeed(1);
    u.succeed(2);
    CHECK(log.take() == events{"+g", "t start", "+err", "~g", "+h", "u start", "handler end err",
                               "~h", "~err", "after, uncaught 0", "ok -3"});
    CHECK(c.balanced());
  }

  TEST_CASE("goto into a scope past a trivial local without initializer") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(into_scope(log, true, t), log);
    CHECK(log.take() == events{"+w", "t start"});
    t.succeed(5);
    CHECK(log.take() == events{"~w", "ok 6"});
    run_logged(into_scope(log, false, t), log);
    t.succeed(5);
    CHECK(log.take() == events{"t start", "+w", "t start"});
    t.succeed(5);
    CHECK(log.take() == events{"~w", "ok 21"});
    CHECK(c.balanced());
  }

  TEST_CASE("goto into a block that does not park") {
    event_log log;
    run_logged(into_block(true, task<int>(5)), log);
    run_logged(into_block(false, task<int>(5)), log);
    run_logged(into_block(false, task<int>(200)), log);
    CHECK(log.take() == events{"ok 6", "ok 5", "ok 208"});
  }

  TEST_CASE("a goto and its label inside a statement that does not park stay as they are") {
    event_log log;
    run_logged(local_goto(task<int>(10)), log);
    CHECK(log.take() == events{"ok 16"});
  }

  TEST_CASE("goto out of a range-for over a temporary destroys the range") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(out_of_range_for(log, t), log);
    t.succeed(1);
    t.succeed(1);
    CHECK(log.take() == events{"t start", "t start", "~items", "found", "ok 3"});
  }

  TEST_CASE("goto out of a try block: the label is outside its region") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(out_of_try(log, t), log);
    t.succeed(1);
    CHECK(log.take() == events{"+g", "t start", "~g", "after", "err outside"});
    run_logged(out_of_try(log, t), log);
    t.succeed(2);
    CHECK(log.take() == events{"+g", "t start", "~g", "caught in try", "after", "ok 2"});
    CHECK(c.balanced());
  }

  TEST_CASE("a state machine of labels and gotos") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(state_machine(t), log);
    t.succeed(1);
    t.succeed(2);
    t.succeed(4);
    t.succeed(3);
    t.succeed(-1);
    CHECK(log.take() == events{"t start", "t start", "t start", "t start", "t start", "ok oeeo"});
  }
}
