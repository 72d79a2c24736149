// SPDX-License-Identifier: MIT
// break, continue, goto and return leaving a copied block (one braidc does
// not split, because it does not park) whose own C++ locals are alive: C++
// destroys in reverse order of construction ([stmt.jump]), so the copied
// block's locals die first, then the kept locals the jump leaves (issue 16).
// Each function runs transformed; its `*_direct` twin is the same body in
// plain C++ (parks by run_blocking), and both logs must be equal.
#include "behave_support.hpp"

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace behave;
using braid::canceller;
using braid::park;
using braid::task;

namespace {

struct boom {
  event_log* log;
  explicit boom(event_log& l) : log(&l) {}
  boom(const boom& o) : log(o.log) {}
  ~boom() { (*log)("~boom"); }
};

void maybe_throw(event_log& log, bool yes) {
  if (yes) {
    log("throw");
    throw std::runtime_error("neighbour");
  }
}

BRAID_SP task<int> jumps(event_log& log, task<int> t, int breaker, int continuer, int gotoer,
                         int returner, int thrower) {
  for (int i = 0; i < 3; ++i) {
    tracer outer(log, "o" + std::to_string(i));
    park(t);
    {
      tracer inner(log, "i" + std::to_string(i));
      {
        tracer deeper(log, "d" + std::to_string(i));
        maybe_throw(log, i == thrower);
        if (i == breaker) break;
        if (i == continuer) continue;
        if (i == gotoer) goto out;
        if (i == returner) return i;
      }
      log("after deeper");
    }
    log("end of body");
  }
  log("after loop");
out:
  log("out");
  return -1;
}

int jumps_direct(event_log& log, int breaker, int continuer, int gotoer, int returner, int thrower) {
  for (int i = 0; i < 3; ++i) {
    tracer outer(log, "o" + std::to_string(i));
    {
      tracer inner(log, "i" + std::to_string(i));
      {
        tracer deeper(log, "d" + std::to_string(i));
        maybe_throw(log, i == thrower);
        if (i == breaker) break;
        if (i == continuer) continue;
        if (i == gotoer) goto out;
        if (i == returner) return i;
      }
      log("after deeper");
    }
    log("end of body");
  }
  log("after loop");
out:
  log("out");
  return -1;
}

// A copied block inside a handler that parks, and a copied handler of a
// try whose body parks: leaving them also ends the handled exception
// (`~boom`) before the kept locals outside.
BRAID_SP task<int> from_handlers(event_log& log, task<int> t, int mode) {
  for (int i = 0; i < 2; ++i) {
    tracer outer(log, "o" + std::to_string(i));
    try {
      park(t);
      throw boom(log);
    } catch (const boom&) {
      if (mode == 0) {
        tracer h(log, "h");
        park(t);
        {
          tracer inner(log, "inner");
          if (i == 0) break;
        }
      } else {
        tracer h(log, "h");
        if (i == 0) continue;
      }
    }
    log("end of body");
  }
  return 0;
}

int from_handlers_direct(event_log& log, int mode) {
  for (int i = 0; i < 2; ++i) {
    tracer outer(log, "o" + std::to_string(i));
    try {
      throw boom(log);
    } catch (const boom&) {
      if (mode == 0) {
        tracer h(log, "h");
        {
          tracer inner(log, "inner");
          if (i == 0) break;
        }
      } else {
        tracer h(log, "h");
        if (i == 0) continue;
      }
    }
    log("end of body");
  }
  return 0;
}

// A goto backward out of a copied block, and a jump out of a copied
// range-for over a temporary whose elements have destructors.
BRAID_SP task<int> back_and_range(event_log& log, task<int> t) {
  int round = 0;
again:
  tracer outer(log, "o" + std::to_string(round));
  park(t);
  {
    tracer inner(log, "i" + std::to_string(round));
    if (round++ == 0) goto again;
  }
  for (int k = 0; k < 2; ++k) {
    tracer kept(log, "k" + std::to_string(k));
    park(t);
    for (const std::string& s : std::vector<std::string>{"x", "y"}) {
      tracer e(log, s);
      if (s == "y") break;
      if (k == 1) goto done;
    }
  }
done:
  return round;
}

int back_and_range_direct(event_log& log) {
  int round = 0;
again:
  tracer outer(log, "o" + std::to_string(round));
  {
    tracer inner(log, "i" + std::to_string(round));
    if (round++ == 0) goto again;
  }
  for (int k = 0; k < 2; ++k) {
    tracer kept(log, "k" + std::to_string(k));
    for (const std::string& s : std::vector<std::string>{"x", "y"}) {
      tracer e(log, s);
      if (s == "y") break;
      if (k == 1) goto done;
    }
  }
done:
  return round;
}

/// The transformed run's log and result line, with the manual task
/// succeeding every park at once.
events run_transformed(event_log& log, const task<int>& t) {
  std::string result;
  t.run([&](int v) { result = "ok " + std::to_string(v); },
        [&](std::exception_ptr e) { result = "err " + braid::testing::message(e); });
  events ev = log.take();
  ev.push_back(result);
  return ev;
}

events run_direct(event_log& log, const std::function<int()>& f) {
  std::string result;
  try {
    result = "ok " + std::to_string(f());
  } catch (const std::exception& e) {
    result = std::string("err ") + e.what();
  }
  events ev = log.take();
  ev.push_back(result);
  return ev;
}

}  // namespace

TEST_SUITE("jumps out of copied blocks") {
  TEST_CASE("break, continue, goto and return destroy the copied block's locals first") {
    // One jump kind at a time, at iteration 0 or 1; 9 = never.
    struct plan {
      int b, c, g, r, th;
    };
    for (plan p : {plan{0, 9, 9, 9, 9}, plan{1, 9, 9, 9, 9}, plan{9, 0, 9, 9, 9}, plan{2, 0, 9, 9, 9},
                   plan{9, 9, 0, 9, 9}, plan{9, 9, 1, 9, 9}, plan{9, 9, 9, 0, 9}, plan{9, 9, 9, 1, 9},
                   plan{9, 9, 9, 9, 9}}) {
      CAPTURE(p.b);
      CAPTURE(p.c);
      CAPTURE(p.g);
      CAPTURE(p.r);
      counted c;
      event_log log;
      events want = run_direct(log, [&] { return jumps_direct(log, p.b, p.c, p.g, p.r, p.th); });
      events got = run_transformed(log, jumps(log, task<int>(0), p.b, p.c, p.g, p.r, p.th));
      CHECK(got == want);
      CHECK(c.balanced());
    }
  }

  TEST_CASE("the order of a break at the first iteration, spelled out") {
    counted c;
    event_log log;
    events got = run_transformed(log, jumps(log, task<int>(0), 0, 9, 9, 9, 9));
    CHECK(got == events{"+o0", "+i0", "+d0", "~d0", "~i0", "~o0", "after loop", "out", "ok -1"});
  }

  TEST_CASE("an exception thrown next to the copied block's locals unwinds them first") {
    for (int thrower : {0, 1}) {
      CAPTURE(thrower);
      counted c;
      event_log log;
      events want = run_direct(log, [&] { return jumps_direct(log, 9, 9, 9, 9, thrower); });
      events got = run_transformed(log, jumps(log, task<int>(0), 9, 9, 9, 9, thrower));
      CHECK(got == want);
      CHECK(c.balanced());
    }
  }

  TEST_CASE("cancellation while parked after a copied block was left by continue") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    canceller k = braid::testing::run_logged(jumps(log, t, 9, 0, 9, 9, 9), log);
    CHECK(log.take() == events{"+o0", "t start"});
    t.succeed(0);
    CHECK(log.take() == events{"+i0", "+d0", "~d0", "~i0", "~o0", "+o1", "t start"});
    k();
    CHECK(log.take() == events{"t cancel", "~o1", "err cancelled: manual task cancelled"});
    CHECK(c.balanced());
  }

  TEST_CASE("leaving a copied block in a parking handler, and a copied handler") {
    for (int mode : {0, 1}) {
      CAPTURE(mode);
      counted c;
      event_log log;
      events want = run_direct(log, [&] { return from_handlers_direct(log, mode); });
      events got = run_transformed(log, from_handlers(log, task<int>(0), mode));
      CHECK(got == want);
      CHECK(c.balanced());
    }
  }

  TEST_CASE("a backward goto out of a copied block and jumps out of a copied range-for") {
    counted c;
    event_log log;
    events want = run_direct(log, [&] { return back_and_range_direct(log); });
    events got = run_transformed(log, back_and_range(log, task<int>(0)));
    CHECK(got == want);
    CHECK(c.balanced());
  }
}
