// SPDX-License-Identifier: MIT
// if constexpr and if consteval with parks in a function that is not a
// template: only the branch C++ runs is lowered; the discarded one (even
// one that parks) never runs.
#include "behave_support.hpp"

#include <string>
#include <type_traits>

using namespace behave;
using braid::canceller;
using braid::park;
using braid::task;

namespace {

constexpr bool wide = sizeof(long long) >= 8;

BRAID_SP task<std::string> constant_branches(event_log& log, task<int> t, task<int> u) {
  std::string out;
  if constexpr (wide) {
    tracer a(log, "a");
    out += std::to_string(park(t));
  } else {
    out += std::to_string(park(u));
  }
  if constexpr (constexpr int n = 2; n > 3) {
    out += "never" + std::to_string(park(u));
  }
  if constexpr (!std::is_same_v<int, long>) out += "," + std::to_string(park(t));
  return out;
}

BRAID_SP task<int> run_time(task<int> t, task<int> u) {
  int r = 0;
  if consteval {
    r = park(u);
  } else {
    r = park(t) * 2;
  }
  if !consteval {
    r += park(t);
  }
  return r;
}

}  // namespace

TEST_SUITE("if constexpr") {
  TEST_CASE("only the taken branch runs; the discarded branch's tasks never start") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    manual_task<int> u(log, "u");
    run_logged(constant_branches(log, t, u), log);
    CHECK(log.take() == events{"+a", "t start"});
    t.succeed(1);
    CHECK(log.take() == events{"~a", "t start"});
    t.succeed(2);
    CHECK(log.take() == events{"ok 1,2"});
    canceller k = run_logged(constant_branches(log, t, u), log);
    log.take();
    k();
    CHECK(log.take() == events{"t cancel", "~a", "err cancelled: manual task cancelled"});
    CHECK(c.balanced());
  }

  TEST_CASE("if consteval is false at run time") {
    event_log log;
    run_logged(run_time(task<int>(3), task<int>(100)), log);
    CHECK(log.take() == events{"ok 9"});
  }
}
