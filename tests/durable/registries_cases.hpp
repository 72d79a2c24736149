// SPDX-License-Identifier: MIT
// The registries beside durable runs (docs/durable.md "Timers", "Topics",
// "The pending-flow baton", "Delivery"), for every backend: included by
// registries_test.cpp (SQLite) and pg_store_test.cpp (PostgreSQL) after they
// define BRAID_STORE_BACKENDS (see runs_cases.hpp). With the hand-written
// inbox flow (registry_flows.cpp): timers fire in braid::sim's virtual time
// (the durable clock reads braid::clock()), the worker sleeps until the
// earliest timer and is woken by an earlier one; topics deliver each
// message once, also across a crash between publish and delivery; the
// pending-flow baton starts its run once, also across a crash.
#pragma once

#include "durable_support.hpp"
#include "flows.hpp"

#include <braid/durable.hpp>
#include <braid/sim.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

#ifndef BRAID_STORE_BACKENDS
#error "define BRAID_STORE_BACKENDS (the backend types the cases run on) before including registries_cases.hpp"
#endif

namespace registries_cases {

using namespace braid::durable;
using durable_test::error_of;
using durable_test::outputs;
using durable_test::process;
using durable_test::run_process;
using strings = std::vector<std::string>;


inline const time_point epoch{std::chrono::milliseconds(1'000'000)};

/// Installs a clock (and restores the previous one).
struct clock_scope {
  explicit clock_scope(clock_fn c) : prev(set_clock(std::move(c))) {}
  ~clock_scope() { set_clock(std::move(prev)); }
  clock_fn prev;
};

/// Installs a dispatch function that records each call (virtual time, run,
/// event id, context, payload, outcome) and forwards to `then`
/// (continue_dispatch unless given).
struct recording_dispatch {
  strings calls;
  dispatch_fn then = continue_dispatch;
  dispatch_fn prev;
  recording_dispatch() {
    prev = install_dispatch([this](store& s, run_id id, const event& ev) {
      const delivery d = then(s, id, ev);
      calls.push_back("t=" + std::to_string(braid::clock()) + " run " + to_string(id) + " " + ev.id + " " + ev.context +
                      " " + to_diagnostic(ev.payload) + " " + std::string(to_string(d)));
      return d;
    });
  }
  ~recording_dispatch() { install_dispatch(std::move(prev)); }
};

inline event cmd(const std::string& id, const std::string& name, const std::string& c) {
  return make_event(id, "in:" + name, c);
}

inline std::string timers_of(store& s, run_id id) {
  std::string out;
  for (const auto& t : get_timers(s, id))
    out += std::to_string(t.id) + " " + std::to_string(t.due_ms) + " " + t.ev.id + " " + t.ev.context + " " +
           to_diagnostic(t.ev.payload) + " step " + std::to_string(t.step) + "\n";
  return out;
}

inline std::string subscriptions_of(store& s, run_id id) {
  std::string out;
  for (const auto& x : get_subscriptions(s, id)) out += x.topic + " -> " + x.context + "\n";
  return out;
}

}  // namespace registries_cases

using namespace registries_cases;

TEST_SUITE("durable timers") {
  TEST_CASE_TEMPLATE("a timer fires at its due time in virtual time, not before, and is then gone", B, BRAID_STORE_BACKENDS) {
    braid::sim::scheduler sched;
    clock_scope cs(braid_clock(epoch));
    recording_dispatch rd;
    const typename B::place db("timer_fires.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::inbox("ann"));
    continue_run(s, id, cmd("c1", "ann", "after 500 ring"));
    CHECK(timers_of(s, id) == "1 1000500 timer-1 in:ann \"ring\" step 2\n");
    CHECK(next_timer(s) == epoch + std::chrono::milliseconds(500));

    registry_worker w(s);
    w.start();
    CHECK(w.passes() == 0);  // the first pass is a blk microtask
    sched.tick();
    CHECK(w.passes() == 1);
    CHECK(rd.calls.empty());
    sched.advance(499);
    CHECK(w.passes() == 1);
    CHECK(rd.calls.empty());
    sched.advance(1);
    CHECK(w.passes() == 2);
    CHECK(rd.calls == strings{"t=500 run 1 timer-1 in:ann \"ring\" delivered"});
    CHECK(w.last_pass() == delivery_counts{1, 0, 0, 0});
    CHECK(outputs(s, id) == strings{"\"ring\""});
    CHECK(timers_of(s, id).empty());
    CHECK(!next_timer(s));
    sched.advance(10'000);  // nothing is due: the worker waits for a wake-up only
    CHECK(w.passes() == 2);
    w.stop();
    sched.tick();
  }

  TEST_CASE_TEMPLATE("an earlier timer added while the worker sleeps wakes it; timers fire in due order", B, BRAID_STORE_BACKENDS) {
    braid::sim::scheduler sched;
    clock_scope cs(braid_clock(epoch));
    recording_dispatch rd;
    const typename B::place db("timer_wake.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::inbox("bo"));
    continue_run(s, id, cmd("c1", "bo", "after 1000 late"));
    registry_worker w(s);
    w.start();
    sched.tick();  // first pass: sleeps until 1000
    sched.advance(100);
    CHECK(w.passes() == 1);
    continue_run(s, id, cmd("c2", "bo", "after 200 early"));  // due at 300: the commit wakes the worker
    sched.tick();
    CHECK(w.passes() == 2);  // a pass at 100 that fired nothing and sleeps until 300
    CHECK(rd.calls.empty());
    sched.advance(199);
    CHECK(rd.calls.empty());
    sched.advance(1);
    CHECK(rd.calls == strings{"t=300 run 1 timer-2 in:bo \"early\" delivered"});
    sched.advance(700);
    CHECK(rd.calls == strings{"t=300 run 1 timer-2 in:bo \"early\" delivered",
                              "t=1000 run 1 timer-1 in:bo \"late\" delivered"});
    CHECK(outputs(s, id) == strings{"\"early\"", "\"late\""});
    CHECK(w.passes() == 4);
    w.stop();
    sched.tick();
  }

  TEST_CASE_TEMPLATE("a timer for a run that has moved on to another context is dropped without a delivery", B, BRAID_STORE_BACKENDS) {
    braid::sim::scheduler sched;
    clock_scope cs(braid_clock(epoch));
    recording_dispatch rd;
    const typename B::place db("timer_moved_on.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::inbox("cy"));
    continue_run(s, id, cmd("c1", "cy", "after 100 too-late"));
    continue_run(s, id, cmd("c2", "cy", "wait reply:cy"));  // now listens for reply:cy
    registry_worker w(s);
    w.start();
    sched.advance(100);
    CHECK(rd.calls.empty());  // not dispatched at all
    CHECK(w.last_pass() == delivery_counts{0, 0, 1, 0});
    CHECK(timers_of(s, id).empty());
    continue_run(s, id, make_event("r1", "reply:cy", std::string("yes")));
    CHECK(outputs(s, id) == strings{"\"reply:cy=yes\""});
    w.stop();
    sched.tick();
  }

  TEST_CASE_TEMPLATE("a run's timers are cancelled when it ends, when it is cancelled, and by cancel_timer", B, BRAID_STORE_BACKENDS) {
    braid::sim::scheduler sched;
    clock_scope cs(braid_clock(epoch));
    const typename B::place db("timer_cancel.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id a = start_run(s, flows::inbox("a"));
    continue_run(s, a, cmd("c1", "a", "after 100 x"));
    continue_run(s, a, cmd("c2", "a", "end"));
    CHECK(get_run(s, a).status == run_status::complete);
    CHECK(timers_of(s, a).empty());

    const run_id b = start_run(s, flows::inbox("b"));
    continue_run(s, b, cmd("c1", "b", "after 100 y"));
    CHECK(cancel_run(s, b) == run_status::cancelled);
    CHECK(timers_of(s, b).empty());
    const run_id k = start_run(s, flows::inbox("k"));
    continue_run(s, k, cmd("c1", "k", "after 100 z"));
    CHECK(cancel_run(s, k, cancel_mode::kill) == run_status::cancelled);
    CHECK(db.sql("SELECT count(*) FROM braid_timers") == strings{"0"});

    const run_id c = start_run(s, flows::inbox("c"));
    continue_run(s, c, cmd("c1", "c", "after 100 one t1"));
    continue_run(s, c, cmd("c2", "c", "after 200 two"));
    continue_run(s, c, cmd("c3", "c", "after 300 three"));
    CHECK(timers_of(s, c) == "4 1000100 t1 in:c \"one\" step 2\n"
                             "5 1000200 timer-5 in:c \"two\" step 3\n"
                             "6 1000300 timer-6 in:c \"three\" step 4\n");
    continue_run(s, c, cmd("c4", "c", "cancel t1"));
    continue_run(s, c, cmd("c5", "c", "cancel timer-6"));
    CHECK(timers_of(s, c) == "5 1000200 timer-5 in:c \"two\" step 3\n");
  }

  TEST_CASE_TEMPLATE("at() schedules at a point in time; fire_timers fires what is due at the time it is given, once", B, BRAID_STORE_BACKENDS) {
    recording_dispatch rd;
    const typename B::place db("timer_at.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::inbox("di"));
    continue_run(s, id, cmd("c1", "di", "at 2000000 wake w1"));
    CHECK(timers_of(s, id) == "1 2000000 w1 in:di \"wake\" step 2\n");
    CHECK(fire_timers(s, time_point(std::chrono::milliseconds(1'999'999))) == delivery_counts{});
    CHECK(fire_timers(s, time_point(std::chrono::milliseconds(2'000'000))) == delivery_counts{1, 0, 0, 0});
    CHECK(fire_timers(s, time_point(std::chrono::milliseconds(3'000'000))) == delivery_counts{});
    CHECK(outputs(s, id) == strings{"\"wake\""});
    REQUIRE(rd.calls.size() == 1);
    CHECK(rd.calls[0].substr(rd.calls[0].find(" run")) == " run 1 w1 in:di \"wake\" delivered");
  }

  TEST_CASE_TEMPLATE("a timer that came due while no worker ran fires once in the next process, also after a crash mid-delivery", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("timer_restart.db");
    const std::string worker = B::worker();
    CHECK(run_process({worker, "start", db.spec(), "inbox", "ed"}).out == "run 1\n");
    CHECK(run_process({worker, "continue", db.spec(), "1", "c1", "in:ed", "\"at 5000 ding\""}).out == "continued waiting\n");
    CHECK(run_process({worker, "continue", db.spec(), "1", "c2", "in:ed", "\"at 6000 dong\""}).out == "continued waiting\n");
    // Both are due at 7000. The first delivery commits, and the process dies
    // before it removes the timer.
    {
      process p({worker, "fire", db.spec(), "7000"}, {"BRAID_DURABLE_STOP_AT=after_commit:1"});
      REQUIRE(p.wait_stopped());
    }  // SIGKILL
    CHECK(db.sql("SELECT id FROM braid_timers ORDER BY id") == strings{"1", "2"});
    CHECK(run_process({worker, "fire", db.spec(), "7000"}).out == "fired delivered=1 duplicate=1 dropped=0 kept=0\n");
    CHECK(run_process({worker, "fire", db.spec(), "7000"}).out == "fired delivered=0 duplicate=0 dropped=0 kept=0\n");
    const auto s_ = db.open();
    store& s = *s_;
    CHECK(outputs(s, run_id(1)) == strings{"\"ding\"", "\"dong\""});
    CHECK(get_events(s, run_id(1)).size() == 4);
  }

  TEST_CASE_TEMPLATE("a delivery to retry keeps the timer, due retry_delay later; moved-on and rejected drop it", B, BRAID_STORE_BACKENDS) {
    recording_dispatch rd;
    const typename B::place db("timer_retry.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::inbox("fy"));
    continue_run(s, id, cmd("c1", "fy", "at 100 a"));
    continue_run(s, id, cmd("c2", "fy", "at 100 b"));
    continue_run(s, id, cmd("c3", "fy", "at 100 c"));
    std::vector<delivery> answers{delivery::retry, delivery::moved_on, delivery::rejected};
    rd.then = [&](store&, run_id, const event&) {
      const delivery d = answers.front();
      answers.erase(answers.begin());
      return d;
    };
    CHECK(fire_timers(s, time_point(std::chrono::milliseconds(100)), std::chrono::milliseconds(50)) ==
          delivery_counts{0, 0, 2, 1});
    CHECK(timers_of(s, id) == "1 150 timer-1 in:fy \"a\" step 2\n");
    rd.then = continue_dispatch;
    CHECK(fire_timers(s, time_point(std::chrono::milliseconds(149))) == delivery_counts{});
    CHECK(fire_timers(s, time_point(std::chrono::milliseconds(150))) == delivery_counts{1, 0, 0, 0});
    CHECK(outputs(s, id) == strings{"\"a\""});
  }

  TEST_CASE_TEMPLATE("bad input: no dispatch function, timers outside a step, a negative delay, an empty context", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("timer_bad.db");
    const auto s_ = db.open();
    store& s = *s_;
    const dispatch_fn prev = install_dispatch({});
    CHECK(error_of(error_kind::misuse, [&] { fire_timers(s, now()); }) ==
          "braid: fire_timers: no dispatch function is installed; call braid::durable::install_dispatch first "
          "(continue_dispatch delivers with continue_run)");
    registry_worker w(s);
    CHECK(error_of(error_kind::misuse, [&] { w.start(); }) ==
          "braid: registry_worker::start: no dispatch function is installed; call braid::durable::install_dispatch "
          "first (continue_dispatch delivers with continue_run)");
    install_dispatch(prev);
    CHECK(error_of(error_kind::misuse, [&] { after(std::chrono::seconds(1), make_event("", "x", 1)); }) ==
          "braid: braid::durable::after was called outside a durable step; it is for the body of a BRAID_DURABLE "
          "function");
    CHECK(error_of(error_kind::misuse, [&] { subscribe("t", "x"); }) ==
          "braid: braid::durable::subscribe was called outside a durable step; it is for the body of a BRAID_DURABLE "
          "function");
    // Inside a body the refusal fails the run, with its message.
    const run_id id = start_run(s, flows::inbox("gi"));
    continue_run(s, id, cmd("c1", "gi", "after -5 x"));
    run_info i = get_run(s, id);
    CHECK(i.status == run_status::failed);
    CHECK(i.error == "braid: braid::durable::after: the delay is negative (-5 ms); use at() for a point in time");
    CHECK(i.error_type == "braid::durable::error");
  }
}

TEST_SUITE("durable topics") {
  TEST_CASE_TEMPLATE("a published message reaches each live subscriber once, in publish order", B, BRAID_STORE_BACKENDS) {
    braid::sim::scheduler sched;
    recording_dispatch rd;
    const typename B::place db("topic_publish.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id a = start_run(s, flows::inbox("a"));
    const run_id b = start_run(s, flows::inbox("b"));
    const run_id c = start_run(s, flows::inbox("c"));
    continue_run(s, a, cmd("c1", "a", "sub news"));
    continue_run(s, b, cmd("c1", "b", "sub news"));
    continue_run(s, c, cmd("c1", "c", "sub sport"));
    CHECK(subscriptions_of(s, a) == "news -> in:a\n");
    CHECK(get_subscribers(s, "news").size() == 2);

    CHECK(publish(s, "news", std::string("hello")) == 2);
    CHECK(publish(s, "news", std::string("bye")) == 2);
    CHECK(publish(s, "weather", std::string("rain")) == 0);
    const auto q = get_queued_messages(s, a);
    REQUIRE(q.size() == 2);
    CHECK(q[0].ev.id == "topic:news#1");
    CHECK(q[1].ev.id == "topic:news#2");
    CHECK(q[0].ev.context == "in:a");
    CHECK(deliver_messages(s) == delivery_counts{4, 0, 0, 0});
    CHECK(rd.calls == strings{"t=0 run 1 topic:news#1 in:a \"hello\" delivered",
                              "t=0 run 2 topic:news#1 in:b \"hello\" delivered",
                              "t=0 run 1 topic:news#2 in:a \"bye\" delivered",
                              "t=0 run 2 topic:news#2 in:b \"bye\" delivered"});
    CHECK(outputs(s, a) == strings{"\"hello\"", "\"bye\""});
    CHECK(outputs(s, b) == strings{"\"hello\"", "\"bye\""});
    CHECK(outputs(s, c).empty());
    CHECK(deliver_messages(s) == delivery_counts{});
    CHECK(db.sql("SELECT count(*) FROM braid_outbox") == strings{"0"});
  }

  TEST_CASE_TEMPLATE("a message waits while its subscriber listens for another context; the worker delivers it when it listens again", B, BRAID_STORE_BACKENDS) {
    braid::sim::scheduler sched;
    recording_dispatch rd;
    const typename B::place db("topic_wait.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id a = start_run(s, flows::inbox("a"));
    continue_run(s, a, cmd("c1", "a", "sub news"));
    continue_run(s, a, cmd("c2", "a", "wait reply:a"));
    registry_worker w(s);
    w.start();
    sched.tick();
    CHECK(w.passes() == 1);
    CHECK(publish(s, "news", std::string("m1")) == 1);  // wakes the worker
    sched.tick();
    CHECK(w.passes() == 2);
    CHECK(rd.calls.empty());  // a listens for reply:a: nothing to deliver
    CHECK(get_queued_messages(s, a).size() == 1);
    continue_run(s, a, make_event("r1", "reply:a", std::string("ok")));  // listens for in:a again: wakes the worker
    sched.tick();
    CHECK(w.passes() == 3);
    CHECK(rd.calls == strings{"t=0 run 1 topic:news#1 in:a \"m1\" delivered"});
    CHECK(outputs(s, a) == strings{"\"reply:a=ok\"", "\"m1\""});
    CHECK(get_queued_messages(s, a).empty());
    w.stop();
    sched.tick();
  }

  TEST_CASE_TEMPLATE("unsubscribe, unsubscribe_all, and a run's end remove its subscriptions; its queued messages go with it", B, BRAID_STORE_BACKENDS) {
    recording_dispatch rd;
    const typename B::place db("topic_unsub.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id a = start_run(s, flows::inbox("a"));
    continue_run(s, a, cmd("c1", "a", "sub news"));
    continue_run(s, a, cmd("c2", "a", "sub sport"));
    CHECK(subscriptions_of(s, a) == "news -> in:a\nsport -> in:a\n");
    continue_run(s, a, cmd("c3", "a", "unsub news"));
    CHECK(subscriptions_of(s, a) == "sport -> in:a\n");
    CHECK(publish(s, "news", std::string("n")) == 0);
    continue_run(s, a, cmd("c4", "a", "sub news"));
    continue_run(s, a, cmd("c5", "a", "unsub-all"));
    CHECK(subscriptions_of(s, a).empty());
    CHECK(publish(s, "sport", std::string("s")) == 0);

    const run_id b = start_run(s, flows::inbox("b"));
    continue_run(s, b, cmd("c1", "b", "sub news"));
    continue_run(s, b, cmd("c2", "b", "end"));
    CHECK(get_subscribers(s, "news").empty());

    const run_id c = start_run(s, flows::inbox("c"));
    continue_run(s, c, cmd("c1", "c", "sub news"));
    continue_run(s, c, cmd("c2", "c", "wait other"));
    CHECK(publish(s, "news", std::string("queued")) == 1);
    CHECK(get_queued_messages(s, c).size() == 1);
    CHECK(cancel_run(s, c) == run_status::cancelled);
    CHECK(get_queued_messages(s, c).empty());
    CHECK(db.sql("SELECT count(*) FROM braid_subscriptions") == strings{"0"});
    CHECK(db.sql("SELECT count(*) FROM braid_outbox") == strings{"0"});
    CHECK(deliver_messages(s) == delivery_counts{});
    CHECK(rd.calls.empty());
  }

  TEST_CASE_TEMPLATE("delivery goes through the installed dispatch function only", B, BRAID_STORE_BACKENDS) {
    braid::sim::scheduler sched;
    recording_dispatch rd;
    rd.then = [](store&, run_id, const event&) { return delivery::retry; };  // never continues the run
    const typename B::place db("topic_dispatch.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id a = start_run(s, flows::inbox("a"));
    continue_run(s, a, cmd("c1", "a", "sub news"));
    CHECK(publish(s, "news", std::string("one")) == 1);
    CHECK(publish(s, "news", std::string("two")) == 1);
    // The first is kept for a later pass, and the second waits behind it.
    CHECK(deliver_messages(s) == delivery_counts{0, 0, 0, 2});
    CHECK(rd.calls == strings{"t=0 run 1 topic:news#1 in:a \"one\" retry"});
    CHECK(outputs(s, a).empty());
    rd.then = [](store&, run_id, const event&) { return delivery::rejected; };
    CHECK(deliver_messages(s) == delivery_counts{0, 0, 2, 0});
    CHECK(get_queued_messages(s, a).empty());
    CHECK(outputs(s, a).empty());
  }

  TEST_CASE_TEMPLATE("a message reaches each subscriber once across a crash between publish and delivery, and one during delivery", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("topic_crash.db");
    const std::string worker = B::worker();
    for (const char* n : {"a", "b", "c"}) {
      run_process({worker, "start", db.spec(), "inbox", n});
      CHECK(run_process({worker, "continue", db.spec(), n[0] == 'a' ? "1" : n[0] == 'b' ? "2" : "3", "s1",
                         std::string("in:") + n, "\"sub news\""})
                .out == "continued waiting\n");
    }
    // The publishing process ends without delivering anything.
    CHECK(run_process({worker, "publish", db.spec(), "news", "\"m1\""}).out == "published 3\n");
    CHECK(run_process({worker, "publish", db.spec(), "news", "\"m2\""}).out == "published 3\n");
    // A deliverer dies right after its second delivery committed (before it
    // removed that outbox row).
    {
      process p({worker, "deliver", db.spec()}, {"BRAID_DURABLE_STOP_AT=after_commit:2"});
      REQUIRE(p.wait_stopped());
    }
    CHECK(db.sql("SELECT count(*) FROM braid_outbox") == strings{"5"});
    CHECK(run_process({worker, "deliver", db.spec()}).out == "delivered delivered=4 duplicate=1 dropped=0 kept=0\n");
    CHECK(run_process({worker, "deliver", db.spec()}).out == "delivered delivered=0 duplicate=0 dropped=0 kept=0\n");
    const auto s_ = db.open();
    store& s = *s_;
    for (int r = 1; r <= 3; ++r) CHECK(outputs(s, run_id(r)) == strings{"\"m1\"", "\"m2\""});
  }
}

TEST_SUITE("durable pending-flow baton") {
  TEST_CASE_TEMPLATE("the first pop starts the run once; a second pop returns the same run; forget drops an entry", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("pending.db");
    const auto s_ = db.open();
    store& s = *s_;
    put_pending(s, "conv-1", flows::inbox("ann"));
    CHECK(has_pending(s, "conv-1"));
    CHECK(find_runs(s, {.function = "inbox(std::string)"}).empty());  // nothing started yet
    const auto id = pop_pending(s, "conv-1");
    REQUIRE(id);
    CHECK(!has_pending(s, "conv-1"));
    run_info i = get_run(s, *id);
    CHECK(i.status == run_status::waiting);
    CHECK(i.waiting_for == "in:ann");
    CHECK(i.key == "pending:conv-1");
    CHECK(pop_pending(s, "conv-1") == id);
    CHECK(find_runs(s, {.function = "inbox(std::string)"}).size() == 1);
    CHECK(error_of(error_kind::conflict, [&] { put_pending(s, "conv-1", flows::inbox("bob")); }) ==
          "braid: put_pending: a run was already started for pending id 'conv-1' (run " + to_string(*id) +
              "); nothing was recorded");
    CHECK(!has_pending(s, "conv-1"));

    put_pending(s, "conv-2", flows::inbox("bob"));
    put_pending(s, "conv-2", flows::inbox("cy"));  // replaces
    CHECK(db.sql("SELECT count(*) FROM braid_pending") == strings{"1"});
    CHECK(forget_pending(s, "conv-2"));
    CHECK(!forget_pending(s, "conv-2"));
    CHECK(pop_pending(s, "conv-2") == std::nullopt);
    CHECK(pop_pending(s, "never") == std::nullopt);
    CHECK(find_runs(s, {.function = "inbox(std::string)"}).size() == 1);
    CHECK(error_of(error_kind::misuse, [&] { pop_pending(s, ""); }) == "braid: pop_pending: the pending id is empty");
  }

  TEST_CASE_TEMPLATE("a pop that dies after starting the run, before removing the entry: the next pop returns that run", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("pending_crash.db");
    const std::string worker = B::worker();
    CHECK(run_process({worker, "put", db.spec(), "c9", "dee"}).out == "put\n");
    {
      process p({worker, "pop", db.spec(), "c9"}, {"BRAID_DURABLE_STOP_AT=after_commit:1"});
      REQUIRE(p.wait_stopped());
    }
    CHECK(db.sql("SELECT id FROM braid_pending") == strings{"c9"});
    CHECK(run_process({worker, "pop", db.spec(), "c9"}).out == "popped 1\n");
    CHECK(db.sql("SELECT count(*) FROM braid_pending") == strings{"0"});
    CHECK(db.sql("SELECT id, key, status FROM braid_runs") == strings{"1|pending:c9|waiting"});
    CHECK(run_process({worker, "pop", db.spec(), "c9"}).out == "popped 1\n");
  }
}

