// SPDX-License-Identifier: MIT
// Interleaving exploration: random, PCT and exhaustive search find a lost
// update; failures shrink and replay; outcomes are enumerated.
#include <braid/sim.hpp>

#include <script.hpp>

#include "sim_support.hpp"

using namespace braid;
using sim_test::lost_update;

namespace {

bool is_two(int v) { return v == 2; }

// Fails (throws) when worker b starts before worker a's yield resumed.
task<int> fails_when_b_first() {
  return make_task<int>([](auto ok, auto fail) {
    auto a_done = std::make_shared<bool>(false);
    auto left = std::make_shared<int>(2);
    auto done = [left, ok]() mutable {
      if (--*left == 0) ok(0);
    };
    canceller a = braid::yield("a").run(
        [a_done, done]() mutable {
          *a_done = true;
          done();
        },
        fail);
    canceller b = braid::yield("b").run(
        [a_done, done, fail]() mutable {
          if (!*a_done)
            fail(std::make_exception_ptr(std::runtime_error("b ran before a")));
          else
            done();
        },
        fail);
    return [a, b] {
      a();
      b();
    };
  });
}

}  // namespace

TEST_SUITE("sim explore") {
  TEST_CASE("random search finds the lost update, shrinks it to one decision, and replays it from the printed schedule") {
    auto r = sim::check_interleavings(lost_update, {.num_tests = 100, .seed = 1, .property = is_two});
    REQUIRE(!r);
    const auto& f = *r.fail;
    CHECK(f.kind == sim::failure_kind::property);
    CHECK(f.value == 1);
    CHECK(f.strategy.kind == sim::strategy::kind_t::random);
    CHECK(f.seed == 1);
    CHECK(r.runs == f.iteration + 1);
    CHECK(!f.original.empty());
    CHECK(f.shrunk == sim::schedule{sim::decision::nth(1)});
    std::string printed = sim::to_text(f.shrunk);
    CHECK(printed == "nth 1\n");
    CHECK(sim::replay_schedule(lost_update(), sim::parse_schedule(printed)) == 1);
    CHECK(sim::replay(lost_update, f) == 1);
    // The empty schedule (FIFO) does not fail: the decision matters.
    CHECK(sim::replay_schedule(lost_update(), {}) == 2);
  }

  TEST_CASE("PCT finds the lost update and shrinks it the same way") {
    auto r = sim::check_interleavings(
        lost_update, {.num_tests = 50, .seed = 5, .property = is_two, .strategy = sim::strategy::pct(2)});
    REQUIRE(!r);
    CHECK(r.fail->strategy.kind == sim::strategy::kind_t::pct);
    CHECK(r.fail->iteration > 0);  // run 0 is FIFO, which passes
    CHECK(r.fail->value == 1);
    CHECK(r.fail->shrunk == sim::schedule{sim::decision::nth(1)});
    CHECK(sim::replay(lost_update, *r.fail) == 1);
  }

  TEST_CASE("exhaustive search finds the lost update in the second schedule and shrinks it") {
    auto r = sim::check_interleavings(
        lost_update, {.num_tests = 100, .property = is_two, .strategy = sim::strategy::exhaustive(1)});
    REQUIRE(!r);
    CHECK(r.runs == 2);
    CHECK(r.fail->iteration == 1);
    CHECK(r.fail->original == sim::schedule{sim::decision::nth(1), sim::decision::nth(1)});
    CHECK(r.fail->shrunk == sim::schedule{sim::decision::nth(1)});
    CHECK(sim::replay_schedule(lost_update(), sim::parse_schedule(sim::to_text(r.fail->shrunk))) == 1);
  }

  TEST_CASE("exhaustive search of a correct property runs every schedule within the bound and says it is complete") {
    auto r = sim::check_interleavings(lost_update, {.num_tests = 100,
                                                    .property = [](int v) { return v == 1 || v == 2; },
                                                    .strategy = sim::strategy::exhaustive(2)});
    CHECK(r.ok);
    CHECK(!r.fail);
    CHECK(r.complete);
    CHECK(r.runs == 3);
  }

  TEST_CASE("the preemption bound limits the schedules: bound 0 keeps to non-preemptive ones") {
    auto r0 = sim::explore_interleavings(lost_update, {.num_samples = 100, .strategy = sim::strategy::exhaustive(0)});
    CHECK(r0.complete);
    CHECK(r0.runs == 2);
    auto r1 = sim::explore_interleavings(lost_update, {.num_samples = 100, .strategy = sim::strategy::exhaustive(1)});
    CHECK(r1.complete);
    CHECK(r1.runs == 3);
    REQUIRE(r1.outcomes.size() == 2);
    CHECK(r1.outcomes[0].value == 2);
    CHECK(r1.outcomes[0].count == 1);
    CHECK(r1.outcomes[0].example == sim::schedule{sim::decision::nth(0)});
    CHECK(r1.outcomes[1].value == 1);
    CHECK(r1.outcomes[1].count == 2);
  }

  TEST_CASE("num_tests caps an exhaustive search, which then is not complete") {
    auto r = sim::explore_interleavings(lost_update, {.num_samples = 2, .strategy = sim::strategy::exhaustive(2)});
    CHECK(r.runs == 2);
    CHECK(!r.complete);
  }

  TEST_CASE("random exploration sees both outcomes of the lost update") {
    auto r = sim::explore_interleavings(lost_update, {.num_samples = 40, .seed = 9});
    CHECK(r.runs == 40);
    CHECK(!r.complete);
    REQUIRE(r.outcomes.size() == 2);
    CHECK(r.outcomes[0].count + r.outcomes[1].count == 40);
    CHECK(((r.outcomes[0].value == 1 && r.outcomes[1].value == 2) ||
           (r.outcomes[0].value == 2 && r.outcomes[1].value == 1)));
  }

  TEST_CASE("the same seed finds the same failure in the same run with the same schedule") {
    auto a = sim::check_interleavings(lost_update, {.num_tests = 100, .seed = 77, .property = is_two});
    auto b = sim::check_interleavings(lost_update, {.num_tests = 100, .seed = 77, .property = is_two});
    REQUIRE(!a);
    REQUIRE(!b);
    CHECK(a.fail->iteration == b.fail->iteration);
    CHECK(a.fail->original == b.fail->original);
    CHECK(a.fail->trace == b.fail->trace);
  }

  TEST_CASE("a task that fails in some interleaving is a failure of kind exception with its message") {
    auto r = sim::check_interleavings(fails_when_b_first, {.num_tests = 100, .strategy = sim::strategy::exhaustive(2)});
    REQUIRE(!r);
    CHECK(r.fail->kind == sim::failure_kind::exception);
    CHECK(r.fail->message == "the task failed: b ran before a");
    CHECK(!r.fail->value);
    CHECK(r.fail->shrunk == sim::schedule{sim::decision::nth(1)});
    CHECK(testing::message(r.fail->error) == "b ran before a");
    bool threw = false;
    try {
      sim::replay(fails_when_b_first, *r.fail);
    } catch (const std::runtime_error& e) {
      threw = std::string(e.what()) == "b ran before a";
    }
    CHECK(threw);
  }

  TEST_CASE("a harness error in some interleaving is a failure of kind harness") {
    // Waits forever unless a runs first: a deadlock in the other order.
    // Cancelling fails it, so the harness's cleanup ends it; the failure
    // callable is dropped once used (the cancel callable must not keep the
    // process alive through it).
    auto make = [] {
      return make_task<int>([](auto ok, auto fail) {
        auto a_first = std::make_shared<int>(0);
        auto on_cancel = std::make_shared<std::function<void()>>();
        canceller a = braid::yield("a").run([a_first]() { if (*a_first == 0) *a_first = 1; }, fail);
        canceller b = braid::yield("b").run(
            [a_first, ok, on_cancel]() mutable {
              if (*a_first == 1) {
                *on_cancel = nullptr;
                ok(1);
              }
            },
            fail);
        *on_cancel = [fail]() mutable { fail(braid::cancelled_error("cancelled")); };
        return [a, b, on_cancel] {
          a();
          b();
          auto f = std::exchange(*on_cancel, nullptr);
          if (f) f();
        };
      });
    };
    auto r = sim::check_interleavings(make, {.num_tests = 10, .strategy = sim::strategy::exhaustive(1)});
    REQUIRE(!r);
    CHECK(r.fail->kind == sim::failure_kind::harness);
    CHECK(r.fail->harness == sim::error_kind::deadlock);
    CHECK(r.fail->shrunk == sim::schedule{sim::decision::nth(1)});
  }

  TEST_CASE("the failure report names the failure, the shrunk schedule and how to replay it") {
    auto r = sim::check_interleavings(
        lost_update, {.num_tests = 100, .property = is_two, .strategy = sim::strategy::exhaustive(1)});
    REQUIRE(!r);
    std::string text = r.fail->to_text();
    CHECK(text.rfind("braid::sim: interleaving failure (property) in run 1 of strategy exhaustive preemption bound 1, "
                     "seed 0\n"
                     "  the property does not hold for the task's value\n"
                     "shrunk schedule (1 decisions; the failing run made 2; ",
                     0) == 0);
    CHECK(text.find("  nth 1\nreplay: braid::sim::replay_schedule(task, braid::sim::parse_schedule(\"nth 1\"))\n"
                    "trace of the shrunk run:\n") != std::string::npos);
    CHECK(text.find("select        #3    b starts    by nth 1 among #2 #3") != std::string::npos);
  }

  TEST_CASE("shrinking can be turned off: the bundle then carries the original schedule twice") {
    auto r = sim::check_interleavings(lost_update, {.num_tests = 100, .seed = 1, .property = is_two, .shrink = false});
    REQUIRE(!r);
    CHECK(r.fail->shrunk == r.fail->original);
    CHECK(r.fail->shrink_runs == 0);
  }

  TEST_CASE("exhaustive search of a task that is not deterministic under replay is a misuse error") {
    int calls = 0;
    auto make = [&calls] {
      int n = ++calls;  // state kept between runs: a different program each time
      return make_task<int>([n](auto ok, auto fail) {
        auto left = std::make_shared<int>(n + 1);
        std::vector<canceller> cs;
        for (int i = 0; i <= n; ++i)
          cs.push_back(braid::yield().run(
              [left, ok]() mutable {
                if (--*left == 0) ok(0);
              },
              fail));
        return [cs] {
          for (auto& c : cs) c();
        };
      });
    };
    std::string what;
    try {
      sim::explore_interleavings(make, {.num_samples = 10, .strategy = sim::strategy::exhaustive(2)});
    } catch (const sim::error& e) {
      what = e.what();
    }
    CHECK(what ==
          "braid::sim: exhaustive exploration: replaying a schedule prefix met different choices; the task is not "
          "deterministic under the scheduler (real time, real threads or global state kept between runs?); make "
          "`make` build fresh state for every run");
  }
}
