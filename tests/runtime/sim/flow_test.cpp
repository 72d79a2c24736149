// SPDX-License-Identifier: MIT
// sim flow sources and tools: subject, state, spawn_flow, collect.
#include <braid/sim.hpp>

#include <script.hpp>

#include "sim_support.hpp"

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::run_logged;

namespace {

std::string show(const std::vector<int>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + std::to_string(v[i]);
  return s + "]";
}

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

}  // namespace

TEST_SUITE("sim flow") {
  TEST_CASE("subject: an emit is announced, transferred, and its task succeeds as a microtask") {
    event_log log;
    sim::scheduler s;
    sim::subject<int> sub;
    auto h = sim::spawn_flow(sub.flow());
    CHECK(!h->ready());
    run_logged(sub.emit(1), log, "emit1 ");
    CHECK(h->ready());
    CHECK(log.take() == events{});
    CHECK(h->transfer() == 1);
    CHECK(log.take() == events{});  // the emit completes as a microtask
    CHECK(s.tick() == 1);
    CHECK(log.take() == events{"emit1 ok"});
    CHECK(!h->ready());
  }

  TEST_CASE("subject: emits wait in order behind each other (backpressure)") {
    event_log log;
    sim::scheduler s;
    sim::subject<int> sub;
    auto h = sim::spawn_flow(sub.flow());
    run_logged(sub.emit(1), log, "e1 ");
    run_logged(sub.emit(2), log, "e2 ");
    CHECK(h->notifications() == 1);
    CHECK(h->transfer() == 1);
    CHECK(h->ready());  // the next value is announced inside that transfer
    CHECK(h->transfer() == 2);
    s.tick();
    CHECK(log.take() == events{"e1 ok", "e2 ok"});
  }

  TEST_CASE("subject: offer succeeds only when the consumer waits for a value") {
    sim::subject<int> sub;
    CHECK(!sub.offer(0));  // no consumer yet
    auto h = sim::spawn_flow(sub.flow());
    CHECK(sub.offer(1));
    CHECK(!sub.offer(2));  // 1 not yet transferred
    CHECK(h->transfer() == 1);
    CHECK(sub.offer(3));
    CHECK(h->transfer() == 3);
  }

  TEST_CASE("subject: close ends the flow after the queued values; emit after close fails") {
    event_log log;
    sim::scheduler s;
    sim::subject<int> sub;
    auto h = sim::spawn_flow(sub.flow());
    run_logged(sub.emit(1), log, "e1 ");
    sub.close();
    CHECK(!h->terminated());
    CHECK(h->transfer() == 1);
    CHECK(h->terminated());  // inside the last transfer
    run_logged(sub.emit(2), log, "e2 ");
    s.tick();
    CHECK(log.take() == events{"e2 err braid::sim::subject: emit after close or fail; the subject has ended", "e1 ok"});
  }

  TEST_CASE("subject: fail ends the flow with the error after the queued values") {
    sim::subject<int> sub;
    auto h = sim::spawn_flow(sub.flow());
    CHECK(sub.offer(1));
    sub.fail(std::make_exception_ptr(std::runtime_error("broken")));
    CHECK(h->transfer() == 1);
    CHECK(h->ready());
    CHECK(what_of([&] { h->transfer(); }) == "broken");
    CHECK(h->terminated());
  }

  TEST_CASE("subject: cancelling the consumer fails the queued emits and ends with cancelled") {
    event_log log;
    sim::scheduler s;
    sim::subject<int> sub;
    auto h = sim::spawn_flow(sub.flow());
    run_logged(sub.emit(1), log, "e1 ");
    run_logged(sub.emit(2), log, "e2 ");
    h->cancel();
    CHECK(what_of([&] { h->transfer(); }) == "cancelled: braid::sim::subject: consumer cancelled");
    CHECK(h->terminated());
    CHECK(log.take() == events{"e1 err cancelled: braid::sim::subject: consumer cancelled",
                               "e2 err cancelled: braid::sim::subject: consumer cancelled"});
  }

  TEST_CASE("subject: cancelling an emit not yet announced withdraws its value") {
    event_log log;
    sim::scheduler s;
    sim::subject<int> sub;
    auto h = sim::spawn_flow(sub.flow());
    run_logged(sub.emit(1), log, "e1 ");
    canceller c2 = run_logged(sub.emit(2), log, "e2 ");
    c2();
    CHECK(log.take() == events{"e2 err cancelled: braid::sim::subject: emit cancelled"});
    CHECK(h->transfer() == 1);
    CHECK(!h->ready());
    s.tick();
    CHECK(log.take() == events{"e1 ok"});
  }

  TEST_CASE("subject: a second consumer gets a flow that fails saying a subject has one consumer") {
    sim::subject<int> sub;
    auto a = sim::spawn_flow(sub.flow());
    auto b = sim::spawn_flow(sub.flow());
    CHECK(b->ready());
    CHECK(what_of([&] { b->transfer(); }) ==
          "braid::sim::subject: flow spawned twice; a subject has one consumer, make one subject per consumer");
  }

  TEST_CASE("state: ready at spawn, notifies on set, consumers see the latest value") {
    sim::state<int> st(0);
    auto h = sim::spawn_flow(st.flow());
    CHECK(h->ready());
    CHECK(h->transfer() == 0);
    CHECK(!h->ready());
    st.set(1);
    st.set(2);
    CHECK(h->notifications() == 2);
    CHECK(h->transfer() == 2);
    auto h2 = sim::spawn_flow(st.flow());  // many consumers
    CHECK(h2->transfer() == 2);
  }

  TEST_CASE("state: close terminates idle consumers at once and pending ones after their last transfer") {
    sim::state<int> st(5);
    auto idle = sim::spawn_flow(st.flow());
    CHECK(idle->transfer() == 5);
    auto busy = sim::spawn_flow(st.flow());
    st.close();
    CHECK(idle->terminated());
    CHECK(!busy->terminated());
    CHECK(busy->transfer() == 5);
    CHECK(busy->terminated());
  }

  TEST_CASE("state: a cancelled consumer notifies and its transfer throws cancelled") {
    sim::state<int> st(0);
    auto h = sim::spawn_flow(st.flow());
    CHECK(h->transfer() == 0);
    h->cancel();
    CHECK(h->ready());
    CHECK(what_of([&] { h->transfer(); }) == "cancelled: braid::sim::state: consumer cancelled");
    CHECK(h->terminated());
  }

  TEST_CASE("spawn_flow: transfer without a notification is a misuse error") {
    sim::subject<int> sub;
    auto h = sim::spawn_flow(sub.flow());
    CHECK(what_of([&] { h->transfer(); }) ==
          "braid::sim: spawned_flow::transfer without a notification; the flow has not announced a value: drive "
          "the scheduler (tick, advance) until ready()");
  }

  TEST_CASE("collect: gathers every value and succeeds when the flow ends") {
    event_log log;
    sim::scheduler s;
    sim::subject<int> sub;
    auto j = s.start(sim::collect(sub.flow()));
    s.start(sim_test::seq({sub.emit(1), sub.emit(2), sim_test::act([sub] { sub.close(); })}));
    s.tick();
    REQUIRE(j.done());
    CHECK(show(j.result()) == "[1 2]");
  }

  TEST_CASE("collect: a transform keeps what it wants and stops the flow") {
    sim::scheduler s;
    sim::state<int> st(0);
    auto j = s.start(sim::collect(st.flow(), {.transform = [](std::vector<int>& out, int v) {
                                                out.push_back(v * 10);
                                                return out.size() < 2;
                                              }}));
    CHECK(!j.done());
    st.set(1);
    REQUIRE(j.done());
    CHECK(show(j.result()) == "[0 10]");
  }

  TEST_CASE("collect: a failing flow fails the task with its error") {
    sim::scheduler s;
    sim::subject<int> sub;
    auto j = s.start(sim::collect(sub.flow()));
    CHECK(sub.offer(1));
    sub.fail(std::make_exception_ptr(std::runtime_error("source broke")));
    REQUIRE(j.done());
    CHECK(what_of([&] { j.result(); }) == "source broke");
  }

  TEST_CASE("collect: a transform that throws cancels the flow and fails the task") {
    sim::scheduler s;
    sim::state<int> st(0);
    auto j = s.start(sim::collect(st.flow(), {.transform = [](std::vector<int>&, int) -> bool {
                                                throw std::runtime_error("bad value");
                                              }}));
    REQUIRE(j.done());
    CHECK(what_of([&] { j.result(); }) == "bad value");
  }

  TEST_CASE("collect: timeout_ms cancels a flow that does not end and fails with a time_budget error") {
    sim::scheduler s;
    sim::subject<int> sub;
    auto j = s.start(sim::collect(sub.flow(), {.timeout_ms = 500}));
    CHECK(sub.offer(7));
    s.advance(499);
    CHECK(!j.done());
    s.advance(1);
    REQUIRE(j.done());
    CHECK(what_of([&] { j.result(); }) ==
          "braid::sim::collect: the flow did not end within timeout_ms = 500 (1 values collected); it was cancelled");
  }

  TEST_CASE("collect: a flow that ends in time removes the timeout timer") {
    sim::scheduler s;
    sim::subject<int> sub;
    auto j = s.start(sim::collect(sub.flow(), {.timeout_ms = 500}));
    CHECK(s.pending().timers.size() == 1);
    sub.close();
    REQUIRE(j.done());
    CHECK(j.result().empty());
    CHECK(s.pending().timers.empty());
  }

  TEST_CASE("collect: cancelling the task cancels the flow and fails with cancelled") {
    sim::scheduler s;
    sim::subject<int> sub;
    auto j = s.start(sim::collect(sub.flow()));
    j.cancel();
    REQUIRE(j.done());
    CHECK(what_of([&] { j.result(); }) == "cancelled: braid::sim::collect cancelled");
  }

  TEST_CASE("collect: many synchronous values are drained in a loop, not by recursion") {
    sim::state<int> st(0);
    std::vector<int> got;
    // The transform sets the next value from inside the transfer loop.
    sim::scheduler s;
    auto j = s.start(sim::collect(st.flow(), {.transform = [&](std::vector<int>& out, int v) {
                                                out.push_back(v);
                                                if (out.size() < 100'000) st.set(v + 1);
                                                return out.size() < 100'000;
                                              }}));
    REQUIRE(j.done());
    got = j.result();
    CHECK(got.size() == 100'000);
    CHECK(got.back() == 99'999);
  }
}
