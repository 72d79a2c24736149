// SPDX-License-Identifier: MIT
// try/catch across parks (transform-cases 15-17, 19, 20, 36): parks in the
// try and in handlers, typed catches plus catch (...), `throw;` after a park
// rethrows the same object, nested handlers reusing a name, cancellation
// unwinding through handlers and destructors.
#include "behave_support.hpp"

#include <stdexcept>
#include <string>
#include <thread>

using namespace behave;
using braid::canceller;
using braid::park;
using braid::task;

namespace {

struct base_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct derived_error : base_error {
  using base_error::base_error;
};

task<int> throws_at_once() { throw derived_error("synchronous"); }

// [cases 19, 20] several typed clauses plus catch (...); the error comes
// from the child (b), from the operand (a) or from code after the resume (c).
BRAID_SP task<std::string> classify(event_log& log, task<int> t, int how) {
  tracer outer(log, "outer");
  try {
    tracer inner(log, "inner");
    int v = park(how == 1 ? throws_at_once() : t);
    if (how == 2) throw base_error("after resume " + std::to_string(v));
    return "value " + std::to_string(v);
  } catch (const derived_error& e) {
    return std::string("derived: ") + e.what();
  } catch (const base_error& e) {
    return std::string("base: ") + e.what();
  } catch (...) {
    log("catch-all");
    throw;
  }
}

// [cases 15, 16] the handler parks, reads its exception variable after the
// park, then rethrows with `throw;` after another park.
BRAID_SP task<int> rethrow_after_park(event_log& log, task<int> t, task<int> h) {
  try {
    return park(t);
  } catch (const std::exception& e) {
    int n = park(h);
    log(std::string("handling ") + e.what() + " " + std::to_string(n));
    park(h);
    throw;
  }
}

// [case 17] nested handlers with the same name, parks between: e1, e2, e1.
BRAID_SP task<std::string> nested_names(task<int> t) {
  std::string out;
  try {
    throw std::runtime_error("e1");
  } catch (const std::runtime_error& e) {
    out += e.what();
    park(t);
    try {
      park(t);
      throw std::runtime_error("e2");
    } catch (const std::runtime_error& e) {
      park(t);
      out += std::string(",") + e.what();
    }
    park(t);
    out += std::string(",") + e.what();
  }
  return out;
}

// [case 36] cancelled while parked in a try with a catch-all: the handler
// sees braid::cancelled, RAII locals die in reverse order, and a later park
// is started and cancelled at once.
BRAID_SP task<int> cancel_in_try(event_log& log, task<int> t, task<int> after) {
  tracer a(log, "a");
  try {
    tracer b(log, "b");
    tracer c(log, "c");
    return park(t);
  } catch (const braid::cancelled&) {
    log("handler cancelled");
    return park(after);
  } catch (...) {
    log("other");
    return -1;
  }
}

}  // namespace

TEST_SUITE("exceptions") {
  TEST_CASE("a child's error reaches the most derived matching clause after the try's locals died") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(classify(log, t, 0), log);
    CHECK(log.take() == events{"+outer", "+inner", "t start"});
    t.fail(std::make_exception_ptr(derived_error("from child")));
    CHECK(log.take() == events{"~inner", "~outer", "ok derived: from child"});
    CHECK(c.balanced());
  }

  TEST_CASE("errors from the operand, the child and code after the resume reach the same handler") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(classify(log, t, 1), log);
    CHECK(log.take() == events{"+outer", "+inner", "~inner", "~outer", "ok derived: synchronous"});
    run_logged(classify(log, t, 2), log);
    t.succeed(3);
    CHECK(log.take() == events{"+outer", "+inner", "t start", "~inner", "~outer", "ok base: after resume 3"});
    run_logged(classify(log, t, 0), log);
    t.succeed(4);
    CHECK(log.take() == events{"+outer", "+inner", "t start", "~inner", "~outer", "ok value 4"});
  }

  TEST_CASE("an unmatched error goes through catch (...), whose throw; propagates it") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(classify(log, t, 0), log);
    log.take();
    t.fail("plain");
    CHECK(log.take() == events{"~inner", "catch-all", "~outer", "err plain"});
    CHECK(c.balanced());
  }

  TEST_CASE("throw; after parks in a handler rethrows the same exception object") {
    event_log log;
    manual_task<int> t(log, "t"), h(log, "h");
    std::exception_ptr seen;
    rethrow_after_park(log, t, h).run([](int) {}, [&](std::exception_ptr e) { seen = e; });
    auto original = std::make_exception_ptr(std::runtime_error("E"));
    t.fail(original);
    CHECK(log.take() == events{"t start", "h start"});
    h.succeed(1);
    CHECK(log.take() == events{"handling E 1", "h start"});
    h.succeed(2);
    REQUIRE(seen);
    const std::exception* a = nullptr;
    const std::exception* b = nullptr;
    try {
      std::rethrow_exception(seen);
    } catch (const std::exception& x) {
      a = &x;
    }
    try {
      std::rethrow_exception(original);
    } catch (const std::exception& x) {
      b = &x;
    }
    CHECK(a == b);
  }

  TEST_CASE("nested handlers reusing a name see their own exception: e1, e2, e1") {
    event_log log;
    run_logged(nested_names(task<int>(0)), log);
    CHECK(log.take() == events{"ok e1,e2,e1"});
  }

  TEST_CASE("cancel while parked in a try: handler sees cancelled, locals die in reverse, later park cancelled") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t"), after(log, "after");
    canceller k = run_logged(cancel_in_try(log, t, after), log);
    CHECK(log.take() == events{"+a", "+b", "+c", "t start"});
    k();
    CHECK(log.take() == events{"t cancel", "~c", "~b", "handler cancelled", "after start", "after cancel", "~a",
                               "err cancelled: manual task cancelled"});
    k();
    CHECK(log.take().empty());
    CHECK(c.balanced());
  }

  TEST_CASE("cancelled before the child completes; the child completes on another thread") {
    // Cross-thread completion: the only real thread of this suite, joined
    // before the checks.
    counted c;
    event_log log;
    manual_task<int> t(log, "t", /*fail_on_cancel=*/false), after(log, "after");
    canceller k = run_logged(cancel_in_try(log, t, after), log);
    log.take();
    k();
    CHECK(log.take() == events{"t cancel"});
    std::thread th([&] { t.succeed(8); });
    th.join();
    CHECK(log.take() == events{"~c", "~b", "~a", "ok 8"});
    CHECK(c.balanced());
  }
}
