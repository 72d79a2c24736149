// SPDX-License-Identifier: MIT
// Degenerate lifecycles (transform-case 39 a-c), with destructor counts:
// (a) the body returns or throws before its first park, (b) it never parks,
// (c) every park finds its task already complete (an immediate value, or a
// task that completes inside start). 39d (a task completing twice) is the
// driver's: tests/runtime/sp_protocol_test.cpp.
#include "behave_support.hpp"

#include <stdexcept>
#include <string>

using namespace behave;
using braid::park;
using braid::task;

namespace {

// A task that completes synchronously but is not an immediate value: the
// park goes through start and the handshake.
task<int> sync_value(int v) {
  return braid::make_task<int>([v](auto ok, auto) { ok(v); });
}

// (a) 0: return before the first park; 1: throw before it; otherwise park.
BRAID_SP task<int> before_first_park(event_log& log, int how, task<int> t) {
  tracer outer(log, "outer");
  {
    tracer inner(log, "inner");
    if (how == 0) return 1;
    if (how == 1) throw std::runtime_error("before the park");
  }
  tracer kept(log, "kept");
  int v = park(t);
  return v + 2;
}

// (b) no park: locals in nested scopes, a loop, an exception caught inside.
BRAID_SP task<std::string> never_parks(event_log& log, bool fail) {
  tracer a(log, "a");
  std::string out;
  for (int i = 0; i < 2; ++i) {
    tracer b(log, "b" + std::to_string(i));
    out += std::to_string(i);
  }
  try {
    tracer c(log, "c");
    if (fail) throw std::runtime_error("caught");
  } catch (const std::exception& e) {
    out += e.what();
  }
  if (fail) throw std::logic_error("escapes " + out);
  return out;
}

// (c) every park already complete; kept locals across each, a try region
// whose handler runs on a synchronously failing task.
task<int> fails_at_once() {
  return braid::make_task<int>([](auto, auto fail) { fail(std::make_exception_ptr(std::runtime_error("sync"))); });
}
BRAID_SP task<int> all_complete(event_log& log, bool immediate) {
  tracer a(log, "a");
  int sum = park(immediate ? task<int>(1) : sync_value(1));
  tracer b(log, "b");
  try {
    tracer c(log, "c");
    sum += park(immediate ? task<int>(10) : sync_value(10));
    sum += park(fails_at_once());
  } catch (const std::runtime_error& e) {
    log(std::string("caught ") + e.what());
    sum += park(immediate ? task<int>(100) : sync_value(100));
  }
  return sum;
}

}  // namespace

TEST_SUITE("lifecycles") {
  TEST_CASE("(a) returns before its first park: the task is never started, locals die") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(before_first_park(log, 0, t), log);
    CHECK(log.take() == events{"+outer", "+inner", "~inner", "~outer", "ok 1"});
    CHECK(t.runs() == 0);
    CHECK(counted::balanced());
  }

  TEST_CASE("(a) throws before its first park: the task is never started, locals die, the run fails") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(before_first_park(log, 1, t), log);
    CHECK(log.take() == events{"+outer", "+inner", "~inner", "~outer", "err before the park"});
    CHECK(t.runs() == 0);
    CHECK(counted::balanced());
  }

  TEST_CASE("(a) the same function parks when it does not leave early") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(before_first_park(log, 2, t), log);
    CHECK(log.take() == events{"+outer", "+inner", "~inner", "+kept", "t start"});
    t.succeed(5);
    CHECK(log.take() == events{"~kept", "~outer", "ok 7"});
    CHECK(counted::balanced());
  }

  TEST_CASE("(b) never parks: completes inside run, on success and on failure") {
    counted c;
    event_log log;
    run_logged(never_parks(log, false), log);
    CHECK(log.take() == events{"+a", "+b0", "~b0", "+b1", "~b1", "+c", "~c", "~a", "ok 01"});
    run_logged(never_parks(log, true), log);
    CHECK(log.take() == events{"+a", "+b0", "~b0", "+b1", "~b1", "+c", "~c", "~a", "err escapes 01caught"});
    CHECK(counted::balanced());
  }

  TEST_CASE("(c) every park finds its task complete: immediate values") {
    counted c;
    event_log log;
    run_logged(all_complete(log, true), log);
    CHECK(log.take() == events{"+a", "+b", "+c", "~c", "caught sync", "~b", "~a", "ok 111"});
    CHECK(counted::balanced());
  }

  TEST_CASE("(c) every park finds its task complete: tasks that complete inside start") {
    counted c;
    event_log log;
    run_logged(all_complete(log, false), log);
    CHECK(log.take() == events{"+a", "+b", "+c", "~c", "caught sync", "~b", "~a", "ok 111"});
    CHECK(counted::balanced());
  }
}
