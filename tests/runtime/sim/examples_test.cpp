// SPDX-License-Identifier: MIT
// missionary-testkit's documented examples, with braid's operators under
// braid::sim (the examples of docs/testing.md).
#include <braid/op/join.hpp>
#include <braid/op/race.hpp>
#include <braid/op/sleep.hpp>
#include <braid/op/timeout.hpp>
#include <braid/sim.hpp>

#include <script.hpp>

#include "sim_support.hpp"

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;

namespace {

template <class F>
std::string what_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  } catch (const braid::cancelled& c) {
    return std::string("cancelled: ") + c.what();
  }
  return "no exception";
}

// Runs t and logs "<name> ok <v>" or "<name> err <message>".
task<std::string> logged(event_log& log, std::string name, task<std::string> t) {
  return make_task<std::string>([&log, name, t](auto ok, auto fail) {
    return t.run(
        [&log, name, ok](std::string v) mutable {
          log(name + " ok " + v);
          ok(v);
        },
        [&log, name, fail](std::exception_ptr e) mutable {
          log(name + " err " + testing::message(e));
          fail(e);
        });
  });
}

}  // namespace

TEST_SUITE("sim examples") {
  TEST_CASE("concurrent sleeps joined take the longest one's virtual time") {
    sim::scheduler s;
    auto both = braid::join([](int a, int b) { return a + b; }, braid::sleep(100, 1), braid::sleep(200, 2));
    CHECK(s.run(both) == 3);
    CHECK(s.now_ms() == 200);
  }

  TEST_CASE("sequential sleeps advance virtual time by their sum") {
    sim::scheduler s;
    std::vector<std::int64_t> seen;
    auto note = sim_test::act([&] { seen.push_back(braid::clock()); });
    s.run(sim_test::seq({braid::sleep(100), note, braid::sleep(200), note, braid::sleep(300), note}));
    CHECK(seen == std::vector<std::int64_t>{100, 300, 600});
    CHECK(s.now_ms() == 600);
  }

  TEST_CASE("a timeout under manual time advance falls back exactly at its deadline") {
    sim::scheduler s;
    auto j = s.start(braid::timeout(braid::sleep(500, std::string("completed")), 100, std::string("timed out")));
    s.advance(99);
    CHECK(!j.done());
    s.advance(1);
    REQUIRE(j.done());
    CHECK(j.result() == "timed out");
    CHECK(s.pending().timers.empty());  // the slow sleep was cancelled
  }

  TEST_CASE("cancelling a pending job fails it with cancelled and leaves nothing pending") {
    sim::scheduler s;
    auto j = s.start(braid::sleep(1000, 1));
    s.advance(10);
    j.cancel();
    REQUIRE(j.done());
    CHECK(what_of([&] { j.result(); }) == "cancelled: braid::sleep cancelled");
    CHECK(s.pending().timers.empty());
    CHECK(!s.next_event());
  }

  TEST_CASE("a task waiting for time without auto-advance is a deadlock that says what to do") {
    sim::scheduler s;
    CHECK(what_of([&] { s.run(braid::sleep(100), {.auto_advance = false}); }) ==
          "braid::sim: deadlock: job #1 is not done; waiting for time advance; next event at 100 ms; timers: 1; set "
          "auto_advance or advance to 100");
  }

  TEST_CASE("a loop of 1000 zero sleeps with max_steps 100 stops after exactly 100 steps") {
    sim::scheduler s;
    std::vector<task<void>> loop(1000, braid::sleep(0));
    std::string w;
    try {
      s.run(sim_test::seq(loop), {.max_steps = 100});
    } catch (const sim::error& e) {
      CHECK(e.kind() == sim::error_kind::step_budget);
      w = e.what();
    }
    CHECK(w.rfind("braid::sim: step budget exceeded: job #1 is not done after max_steps = 100 microtasks", 0) == 0);
    CHECK(s.steps() == 100);
  }

  TEST_CASE("a sleep beyond the time budget is a time_budget error") {
    sim::scheduler s;
    std::optional<sim::error_kind> kind;
    try {
      s.run(braid::sleep(999'999), {.max_time_ms = 1000});
    } catch (const sim::error& e) {
      kind = e.kind();
    }
    CHECK(kind == sim::error_kind::time_budget);
    CHECK(s.now_ms() == 0);
  }

  TEST_CASE("race: the winner decides, the loser is cancelled at that moment, then the race ends") {
    event_log log;
    sim::scheduler s({.trace = true});
    auto r = braid::race(logged(log, "fast", braid::sleep(100, std::string("fast"))),
                         logged(log, "slow", braid::sleep(200, std::string("slow"))));
    auto j = s.start(logged(log, "race", r));
    CHECK(log.take() == events{});
    s.advance(100);
    CHECK(log.take() == events{"fast ok fast", "slow err cancelled: braid::sleep cancelled", "race ok fast"});
    CHECK(j.result() == "fast");
    CHECK(s.pending().timers.empty());
    auto trace = sim::to_text(s.trace());
    CHECK(trace.find("   100 ms  cancel_timer  #3    sleep       at 200 ms\n") != std::string::npos);
  }

  TEST_CASE("subject: a producer emits three values and closes; collect sees them in order") {
    sim::scheduler s;
    sim::subject<std::string> sub;
    auto producer = sim_test::seq({sub.emit("a"), sub.emit("b"), sub.emit("c"), sim_test::act([sub] { sub.close(); })});
    auto both = braid::join([](unit, std::vector<std::string> got) { return got; }, producer, sim::collect(sub.flow()));
    CHECK(s.run(both) == std::vector<std::string>{"a", "b", "c"});
  }

  TEST_CASE("state: a producer sets values over time; collect takes the first three") {
    sim::scheduler s;
    sim::state<int> st(0);
    auto producer = sim_test::seq({braid::sleep(100), sim_test::act([st] { st.set(1); }), braid::sleep(100),
                                   sim_test::act([st] { st.set(2); }), braid::sleep(100),
                                   sim_test::act([st] { st.close(); })});
    auto take3 = [](std::vector<int>& out, int v) {
      out.push_back(v);
      return out.size() < 3;
    };
    auto both = braid::join([](unit, std::vector<int> got) { return got; }, producer,
                            sim::collect(st.flow(), {.transform = take3}));
    CHECK(s.run(both) == std::vector<int>{0, 1, 2});
    CHECK(s.now_ms() == 300);
  }
}
