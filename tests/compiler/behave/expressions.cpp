// SPDX-License-Identifier: MIT
// Parks inside expressions (transform-cases 21-24, 26): temporaries that
// live to the end of their full-expression across a park, the built-in and
// overloaded comma, overloaded && and ||, GNU ?:, void ?:, and operands with
// effects evaluated before a park. Each case checks values, the exact order
// of events (evaluation order, constructions, destructions) and that every
// object made is destroyed once, on success, on an error and on cancel.
#include "behave_support.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace behave;
using braid::canceller;
using braid::park;
using braid::task;

namespace {

// A temporary with a destructor that hands out a reference into itself.
struct holder {
  tracer t;
  std::string text;
  holder(event_log& log, std::string s) : t(log, "tmp " + s), text(std::move(s)) {}
  const std::string& ref() const { return text; }
};
holder make_tmp(event_log& log, std::string s) { return holder(log, std::move(s)); }

// A temporary whose constructor can throw (after its member was made).
struct thrower {
  tracer t;
  thrower(event_log& log, bool fail) : t(log, "th") {
    if (fail) throw std::runtime_error("ctor");
  }
  const std::string& ref() const { return t.name; }
};

std::string use(event_log& log, const std::string& r, int v) {
  log("use " + r + " " + std::to_string(v));
  return r + std::to_string(v);
}
std::string use2(event_log& log, const std::string& a, const std::string& b, int v) {
  log("use2 " + a + b + " " + std::to_string(v));
  return a + b + std::to_string(v);
}

// [case 26] make_tmp()'s temporary is made before the park, ref() points
// into it, and it dies after use() returns: at the end of the statement.
BRAID_SP task<std::string> temp_across(event_log& log, task<int> t) {
  std::string out = use(log, make_tmp(log, "x").ref(), park(t));
  log("after");
  return out;
}

// The same with two temporaries, the second one's constructor may throw:
// the first is then destroyed once, the second never was.
BRAID_SP task<std::string> temp_ctor_throws(event_log& log, bool fail, task<int> t) {
  std::string out = use2(log, make_tmp(log, "a").ref(), thrower(log, fail).ref(), park(t));
  log("after");
  return out;
}

// In a return statement: the temporary dies after the value is built,
// before the function's locals.
BRAID_SP task<std::string> temp_in_return(event_log& log, task<int> t) {
  tracer local(log, "local");
  return use(log, make_tmp(log, "r").ref(), park(t));
}

// An error from the park: the full-expression ends by the exception, the
// temporary dies before the handler runs.
BRAID_SP task<std::string> temp_error(event_log& log, task<int> t) {
  try {
    std::string s = use(log, make_tmp(log, "x").ref(), park(t));
    log("not here");
    return s;
  } catch (const std::exception& e) {
    log(std::string("caught ") + e.what());
    return std::string("handled");
  }
}

// A prvalue bound to a const& parameter, a prvalue passed by value.
std::string cat(const std::string& a, int b) { return a + std::to_string(b); }
struct guard {
  tracer t;
};
int take_guard(guard g, int v) {
  (*g.t.log)("take " + g.t.name);
  return v;
}
BRAID_SP task<std::string> temp_args(event_log& log, task<int> t, task<int> u) {
  std::string s = cat(std::string("x"), park(t));
  int n = take_guard(guard{tracer(log, "g")}, park(u));
  return s + std::to_string(n);
}

// Temporaries in a park's operand, in && and || operands and in ?:
// branches live to the end of the full-expression too.
task<int> task_of(const std::string& s) { return task<int>(static_cast<int>(s.size())); }
BRAID_SP task<int> temp_in_parts(event_log& log, bool c, task<int> t) {
  int a = park(task_of(make_tmp(log, "op").ref())) + 1;
  log("a " + std::to_string(a));
  bool b = make_tmp(log, "l").ref().size() == 1 && park(t) > 0;
  log(b ? "b" : "!b");
  int d = c ? static_cast<int>(make_tmp(log, "br").ref().size()) + park(t) : 0;
  log("d " + std::to_string(d));
  return a + d;
}

// The built-in comma: the left operand first, its value discarded, its
// temporary kept to the end of the full-expression.
BRAID_SP task<int> comma(event_log& log, task<int> t) {
  int v = (log("left"), park(t));
  int w = (make_tmp(log, "c").ref().size(), park(t) + 1);
  log("w " + std::to_string(w));
  int x = ((void)make_tmp(log, "d"), park(t));
  log("x " + std::to_string(x));
  return v + w + x;
}

// Overloaded &&, || and , are calls: both operands are evaluated, the left
// one first; nothing is short-circuited.
struct flag {
  bool v;
};
flag operator&&(flag a, flag b) { return {a.v && b.v}; }
flag operator||(flag a, flag b) { return {a.v || b.v}; }
struct seq {
  std::string s;
};
seq operator,(seq a, seq b) { return {a.s + b.s}; }
flag mk(event_log& log, bool v) {
  log(v ? "T" : "F");
  return {v};
}
seq word(event_log& log, std::string s) {
  log(s);
  return {s};
}
BRAID_SP task<std::string> overloaded(event_log& log, task<int> t, task<int> u) {
  flag a = mk(log, false) && flag{park(t) > 0};
  flag b = mk(log, true) || flag{park(u) > 0};
  seq c = (word(log, "x"), seq{std::to_string(park(t))});
  return std::string(a.v ? "a" : "!a") + (b.v ? "b" : "!b") + c.s;
}

// GNU a ?: b with a park in b: a is evaluated once; b (and its task) only
// when a is false.
int pick(event_log& log, int v) {
  log("pick " + std::to_string(v));
  return v;
}
BRAID_SP task<int> elvis(event_log& log, int v, task<int> t) {
  int n = pick(log, v) ?: park(t);
  return n;
}

// A ?: of type void with parks in the branches; a ?: whose other branch is
// a throw-expression.
void sink(event_log& log, int v) { log("sink " + std::to_string(v)); }
BRAID_SP task<int> void_choice(event_log& log, bool c, task<int> t, task<int> u) {
  c ? sink(log, park(t)) : sink(log, park(u));
  int v = c ? park(t) : throw std::runtime_error("no");
  return v;
}

// Operands with effects evaluated before a park, other than arguments: the
// object of a member call, an operand of +, a subscripted object.
struct counter {
  tracer t;
  int base;
  int add(int v) const {
    (*t.log)("add");
    return base + v;
  }
};
counter make_counter(event_log& log, int base) { return counter{tracer(log, "ctr"), base}; }
std::string name(event_log& log) {
  log("name");
  return "abc";
}
std::vector<int> digits(event_log& log) {
  log("digits");
  return {7, 8, 9};
}
BRAID_SP task<int> operands(event_log& log, task<int> t, task<int> u, task<int> w) {
  int n = static_cast<int>(name(log).size()) + park(t);
  log("n " + std::to_string(n));
  int m = make_counter(log, 10).add(park(u));
  log("m " + std::to_string(m));
  int k = digits(log)[static_cast<unsigned>(park(w))];
  log("k " + std::to_string(k));
  return n + m + k;
}

// Conversions stay copy-initializations: "abc" converts to the const&
// parameter's std::string, {2, 3} to a pair; an operand that is itself an
// operator (a() + b()) is evaluated whole before the park; an object
// returned by reference is used in place.
int number(event_log& log, int v) {
  log("number " + std::to_string(v));
  return v;
}
std::string glue(const std::string& a, const std::pair<int, int>& p, int s, int v) {
  return a + std::to_string(p.first + p.second) + std::to_string(s) + std::to_string(v);
}
struct account {
  int total = 0;
  int deposit(int v) { return total += v; }
};
account& bank(event_log& log) {
  log("bank");
  static account a;
  return a;
}
BRAID_SP task<std::string> conversions(event_log& log, task<int> t) {
  std::string s = glue("abc", {2, 3}, number(log, 1) + number(log, 2), park(t));
  int b = bank(log).deposit(park(t));
  return s + " " + std::to_string(b);
}

}  // namespace

TEST_SUITE("expressions") {
  TEST_CASE("a temporary lives across the park to the end of its full-expression") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(temp_across(log, t), log);
    CHECK(log.take() == events{"+tmp x", "t start"});
    t.succeed(1);
    CHECK(log.take() == events{"use x 1", "~tmp x", "after", "ok x1"});
    CHECK(c.balanced());
  }

  TEST_CASE("cancel while parked destroys the temporary once") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    canceller k = run_logged(temp_across(log, t), log);
    CHECK(log.take() == events{"+tmp x", "t start"});
    k();
    CHECK(log.take() == events{"t cancel", "~tmp x", "err cancelled: manual task cancelled"});
    CHECK(c.balanced());
  }

  TEST_CASE("a temporary whose constructor throws is not destroyed; earlier ones are, once") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(temp_ctor_throws(log, true, t), log);
    CHECK(log.take() == events{"+tmp a", "+th", "~th", "~tmp a", "err ctor"});
    CHECK(t.runs() == 0);
    CHECK(c.balanced());
    run_logged(temp_ctor_throws(log, false, t), log);
    CHECK(log.take() == events{"+tmp a", "+th", "t start"});
    t.succeed(2);
    CHECK(log.take() == events{"use2 ath 2", "~th", "~tmp a", "after", "ok ath2"});
    CHECK(c.balanced());
  }

  TEST_CASE("a temporary of a return statement dies after the value is built, before the locals") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(temp_in_return(log, t), log);
    CHECK(log.take() == events{"+local", "+tmp r", "t start"});
    t.succeed(3);
    CHECK(log.take() == events{"use r 3", "~tmp r", "~local", "ok r3"});
    CHECK(c.balanced());
  }

  TEST_CASE("an error from the park destroys the temporary before the handler runs") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(temp_error(log, t), log);
    CHECK(log.take() == events{"+tmp x", "t start"});
    t.fail(std::make_exception_ptr(std::runtime_error("boom")));
    CHECK(log.take() == events{"~tmp x", "caught boom", "ok handled"});
    CHECK(c.balanced());
  }

  TEST_CASE("prvalue arguments: bound to const& in the frame, moved into a by-value parameter") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t"), u(log, "u");
    run_logged(temp_args(log, t, u), log);
    CHECK(log.take() == events{"t start"});
    t.succeed(1);
    CHECK(log.take() == events{"+g", "u start"});
    // C++ would construct the parameter from the prvalue; braidc constructs
    // it in the frame before the park and copies (tracer has no move) it
    // into the parameter: "+g'", and two destructions.
    u.succeed(2);
    CHECK(log.take() == events{"+g'", "take g'", "~g'", "~g", "ok x12"});
    CHECK(c.balanced());
  }

  TEST_CASE("temporaries of a park's operand, of && operands and of ?: branches live to the end") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(temp_in_parts(log, true, t), log);
    // The park's operand: an immediate task, its temporary dies after the
    // statement.
    CHECK(log.take() == events{"+tmp op", "~tmp op", "a 3", "+tmp l", "t start"});
    t.succeed(1);
    CHECK(log.take() == events{"~tmp l", "b", "+tmp br", "t start"});
    t.succeed(4);
    CHECK(log.take() == events{"~tmp br", "d 6", "ok 9"});
    CHECK(c.balanced());
    run_logged(temp_in_parts(log, false, t), log);
    CHECK(log.take() == events{"+tmp op", "~tmp op", "a 3", "+tmp l", "t start"});
    t.fail(std::make_exception_ptr(std::runtime_error("boom")));
    CHECK(log.take() == events{"~tmp l", "err boom"});
    CHECK(c.balanced());
  }

  TEST_CASE("built-in comma: left operand first, discarded, its temporary kept to the end") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(comma(log, t), log);
    CHECK(log.take() == events{"left", "t start"});
    t.succeed(1);
    CHECK(log.take() == events{"+tmp c", "t start"});
    t.succeed(2);
    CHECK(log.take() == events{"~tmp c", "w 3", "+tmp d", "t start"});
    t.succeed(5);
    CHECK(log.take() == events{"~tmp d", "x 5", "ok 9"});
    CHECK(c.balanced());
  }

  TEST_CASE("overloaded &&, || and , evaluate both operands, left first, no short circuit") {
    event_log log;
    manual_task<int> t(log, "t"), u(log, "u");
    run_logged(overloaded(log, t, u), log);
    CHECK(log.take() == events{"F", "t start"});
    t.succeed(1);
    CHECK(log.take() == events{"T", "u start"});
    u.succeed(0);
    CHECK(log.take() == events{"x", "t start"});
    t.succeed(5);
    CHECK(log.take() == events{"ok !abx5"});
  }

  TEST_CASE("GNU ?: evaluates its left operand once; the right one's task starts only when needed") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(elvis(log, 0, t), log);
    CHECK(log.take() == events{"pick 0", "t start"});
    t.succeed(6);
    CHECK(log.take() == events{"ok 6"});
    run_logged(elvis(log, 3, t), log);
    CHECK(log.take() == events{"pick 3", "ok 3"});
    CHECK(t.runs() == 1);
  }

  TEST_CASE("a void ?: runs only the chosen branch; a throw branch throws") {
    event_log log;
    manual_task<int> t(log, "t"), u(log, "u");
    run_logged(void_choice(log, true, t, u), log);
    CHECK(log.take() == events{"t start"});
    t.succeed(1);
    CHECK(log.take() == events{"sink 1", "t start"});
    t.succeed(2);
    CHECK(log.take() == events{"ok 2"});
    run_logged(void_choice(log, false, t, u), log);
    CHECK(log.take() == events{"u start"});
    u.succeed(3);
    CHECK(log.take() == events{"sink 3", "err no"});
    CHECK(t.runs() == 2);
    CHECK(u.runs() == 1);
  }

  TEST_CASE("operands with effects run before the park: + operand, member call object, subscript") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t"), u(log, "u"), w(log, "w");
    run_logged(operands(log, t, u, w), log);
    CHECK(log.take() == events{"name", "t start"});
    t.succeed(1);
    CHECK(log.take() == events{"n 4", "+ctr", "u start"});
    u.succeed(5);
    CHECK(log.take() == events{"add", "~ctr", "m 15", "digits", "w start"});
    w.succeed(2);
    CHECK(log.take() == events{"k 9", "ok 28"});
    CHECK(c.balanced());
  }

  TEST_CASE("conversions, an operator operand and an object returned by reference before a park") {
    event_log log;
    manual_task<int> t(log, "t");
    bank(log).total = 100;
    log.take();
    run_logged(conversions(log, t), log);
    CHECK(log.take() == events{"number 1", "number 2", "t start"});
    t.succeed(4);
    CHECK(log.take() == events{"bank", "t start"});
    bank(log).total = 200;  // the object is used in place, after the park
    log.take();
    t.succeed(5);
    CHECK(log.take() == events{"ok abc534 205"});
  }
}
