// SPDX-License-Identifier: MIT
// Helpers shared by the behaviour tests of transformed functions: an event
// log, manual tasks (tests/support/script.hpp) and a tracer whose
// constructions and destructions are logged and counted.
#pragma once

#include <braid/braid.hpp>

#include <script.hpp>

#include <string>
#include <utility>

namespace behave {

using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_task;
using braid::testing::run_logged;

inline int constructed = 0;
inline int destroyed = 0;

/// Logs "+name" when made, "~name" when destroyed; counts both.
struct tracer {
  event_log* log;
  std::string name;
  tracer(event_log& l, std::string n) : log(&l), name(std::move(n)) {
    ++constructed;
    (*log)("+" + name);
  }
  tracer(const tracer& o) : log(o.log), name(o.name + "'") {
    ++constructed;
    (*log)("+" + name);
  }
  tracer& operator=(const tracer&) = delete;
  ~tracer() {
    ++destroyed;
    (*log)("~" + name);
  }
};

/// Resets the counters at the start of a test; balanced() at its end.
struct counted {
  counted() { constructed = destroyed = 0; }
  static bool balanced() { return constructed == destroyed; }
};

}  // namespace behave
