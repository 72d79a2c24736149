// SPDX-License-Identifier: MIT
// braid::sim::scheduler: stepping, time, decisions, run/start, budgets,
// errors, traces and schedules.
#include <braid/sim.hpp>

#include <script.hpp>

#include "sim_support.hpp"

#include <atomic>
#include <thread>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_task;
using braid::testing::run_logged;
using sim_test::timer;

namespace {

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const sim::error& e) {
    return std::string(sim::to_string(e.kind())) + ": " + e.what();
  } catch (const std::exception& e) {
    return std::string("std: ") + e.what();
  }
  return "no exception";
}

// A job that logs its name when it runs.
struct logging_job final : detail::job {
  event_log* log;
  std::string name;
  logging_job(event_log& l, std::string n) : log(&l), name(std::move(n)) {}
  void run() noexcept override { (*log)(name + " ran"); }
};

}  // namespace

TEST_SUITE("sim scheduler") {
  TEST_CASE("a default scheduler starts at time 0 with nothing pending and says so when stepped") {
    sim::scheduler s;
    CHECK(s.now_ms() == 0);
    CHECK(s.pending().microtasks.empty());
    CHECK(s.pending().timers.empty());
    CHECK(!s.next_event());
    auto r = s.step();
    CHECK(!r);
    CHECK(r.status == sim::step_status::nothing_pending);
    CHECK(r.why() == "idle: nothing pending");
    CHECK(s.trace().empty());
  }

  TEST_CASE("initial_ms sets the clock that braid::clock reads while the scheduler lives") {
    sim::scheduler s({.initial_ms = 5000});
    CHECK(s.now_ms() == 5000);
    CHECK(braid::clock() == 5000);
    s.advance(250);
    CHECK(braid::clock() == 5250);
  }

  TEST_CASE("yield is a microtask under a scheduler and completes at once without one") {
    event_log log;
    {
      sim::scheduler s;
      run_logged(braid::yield(), log);
      CHECK(log.take() == events{});
      CHECK(s.next_tasks().size() == 1);
      CHECK(s.next_tasks()[0].kind == sim::task_kind::yield);
      CHECK(s.next_tasks()[0].label == "yield");
      auto r = s.step();
      CHECK(r.status == sim::step_status::ran);
      CHECK(log.take() == events{"ok"});
      CHECK(!s.step());
    }
    run_logged(braid::yield(), log);
    CHECK(log.take() == events{"ok"});
  }

  TEST_CASE("a task built before the scheduler existed is virtualized when it runs") {
    task<int> t = timer(1000, 42);  // built with no scheduler around
    sim::scheduler s;
    CHECK(s.run(t) == 42);
    CHECK(s.now_ms() == 1000);
  }

  TEST_CASE("cancelling a yield before it resumed fails it at once; the queued microtask then does nothing") {
    event_log log;
    sim::scheduler s;
    canceller c = run_logged(braid::yield(), log);
    c();
    CHECK(log.take() == events{"err cancelled: braid: yield cancelled"});
    CHECK(s.step());
    CHECK(log.take() == events{});
    c();  // after the end: nothing
    CHECK(log.take() == events{});
  }

  TEST_CASE("ready microtasks run in FIFO order by default") {
    event_log log;
    sim::scheduler s;
    logging_job a(log, "a"), b(log, "b"), c(log, "c");
    s.post(detail::lane::cpu, &a);
    s.post(detail::lane::blk, &b);
    s.yield(&c);
    CHECK(s.tick() == 3);
    CHECK(log.take() == events{"a ran", "b ran", "c ran"});
  }

  TEST_CASE("cpu() and blk() executors post their work to the scheduler as microtasks") {
    event_log log;
    sim::scheduler s;
    logging_job a(log, "a"), b(log, "b");
    braid::cpu().execute(&a);
    braid::blk().execute(&b);
    CHECK(log.take() == events{});
    auto p = s.pending();
    REQUIRE(p.microtasks.size() == 2);
    CHECK(p.microtasks[0].kind == sim::task_kind::cpu);
    CHECK(p.microtasks[0].label == "cpu");
    CHECK(p.microtasks[1].kind == sim::task_kind::blk);
    CHECK(s.step());
    CHECK(log.take() == events{"a ran"});
    CHECK(s.step());
    CHECK(log.take() == events{"b ran"});
  }

  TEST_CASE("micro_schedule decisions pick among ready microtasks: lifo, nth, by_label, by_id") {
    event_log log;
    sim::schedule sch{sim::decision::lifo(), sim::decision::by_label("a"), sim::decision::nth(1)};
    sim::scheduler s({.micro_schedule = sch});
    run_logged(braid::yield("a"), log, "a ");
    run_logged(braid::yield("b"), log, "b ");
    run_logged(braid::yield("c"), log, "c ");
    run_logged(braid::yield("d"), log, "d ");
    CHECK(s.step());  // lifo
    CHECK(log.take() == events{"d ok"});
    CHECK(s.step());  // label a
    CHECK(log.take() == events{"a ok"});
    CHECK(s.step());  // nth 1 of [b c]
    CHECK(log.take() == events{"c ok"});
    CHECK(s.step());  // one ready: no decision consumed
    CHECK(log.take() == events{"b ok"});
    CHECK(s.taken() == sim::schedule{sim::decision::nth(3), sim::decision::nth(0), sim::decision::nth(1)});
  }

  TEST_CASE("step(id) runs that microtask; an unknown id is an error naming the ready ones") {
    event_log log;
    sim::scheduler s;
    run_logged(braid::yield("a"), log, "a ");
    run_logged(braid::yield("b"), log, "b ");
    auto ready = s.next_tasks();
    REQUIRE(ready.size() == 2);
    CHECK(s.step(ready[1].id).id == ready[1].id);
    CHECK(log.take() == events{"b ok"});
    CHECK(what_of([&] { s.step(99); }) ==
          "unknown_task_id: braid::sim: step(#99): no ready microtask has that id; ready: #" +
              std::to_string(ready[0].id));
    CHECK(s.step(ready[0].id));
    CHECK(log.take() == events{"a ok"});
    CHECK(what_of([&] { s.step(99); }) ==
          "unknown_task_id: braid::sim: step(#99): no microtask is ready (see next_tasks(), pending())");
  }

  TEST_CASE("a by_id decision naming no ready microtask is an unknown_task_id error") {
    event_log log;
    sim::scheduler s({.micro_schedule = sim::schedule{sim::decision::by_id(42)}});
    run_logged(braid::yield("a"), log);
    run_logged(braid::yield("b"), log);
    CHECK(what_of([&] { s.step(); }) ==
          "unknown_task_id: braid::sim: decision 1 (id 42) names no ready microtask; ready: #1 #2 (see "
          "next_tasks())");
  }

  TEST_CASE("a strict schedule that runs out is a schedule_exhausted error; a lenient one goes on in FIFO order") {
    event_log log;
    {
      sim::scheduler s({.micro_schedule = sim::schedule{sim::decision::lifo()}});
      for (const char* n : {"a", "b", "c"}) run_logged(braid::yield(n), log, std::string(n) + " ");
      CHECK(s.step());
      CHECK(log.take() == events{"c ok"});
      CHECK(what_of([&] { s.step(); }) ==
            "schedule_exhausted: braid::sim: schedule exhausted: all 1 decisions were used and 2 microtasks "
            "are ready (#1 #2); give a longer micro_schedule, or set options::strict_schedule = false to go "
            "on in the default order");
      s.step(1);
      s.step(2);
      CHECK(log.take() == events{"a ok", "b ok"});
    }
    sim::scheduler s({.micro_schedule = sim::schedule{sim::decision::lifo()}, .strict_schedule = false});
    for (const char* n : {"a", "b", "c"}) run_logged(braid::yield(n), log, std::string(n) + " ");
    CHECK(s.tick() == 3);
    CHECK(log.take() == events{"c ok", "a ok", "b ok"});
  }

  TEST_CASE("timers fire when time reaches them, each at its own deadline, ties in scheduling order") {
    event_log log;
    sim::scheduler s;
    auto at = [&](std::string name) {
      return [&log, name](int) { log(name + " at " + std::to_string(braid::clock())); };
    };
    auto ignore = [](std::exception_ptr) {};
    timer(300, 0).run(at("c"), ignore);
    timer(100, 0).run(at("a"), ignore);
    timer(100, 0).run(at("b"), ignore);
    auto p = s.pending();
    REQUIRE(p.timers.size() == 3);
    CHECK(p.timers[0].at_ms == 100);
    CHECK(p.timers[2].at_ms == 300);
    CHECK(s.next_event()->at_ms == 100);
    auto r = s.step();
    CHECK(r.status == sim::step_status::waiting_for_time);
    CHECK(r.why() == "idle: waiting for time advance; next event at 100 ms");
    CHECK(s.advance(99) == 0);
    CHECK(log.take() == events{});
    CHECK(s.advance(1) == 2);
    CHECK(log.take() == events{"a at 100", "b at 100"});
    CHECK(s.advance_to(1000) == 1);
    CHECK(log.take() == events{"c at 300"});
    CHECK(s.now_ms() == 1000);
  }

  TEST_CASE("a timer due now becomes a ready microtask at once") {
    event_log log;
    sim::scheduler s;
    run_logged(timer(0, 5), log);
    CHECK(s.next_tasks().size() == 1);
    CHECK(s.next_tasks()[0].kind == sim::task_kind::timer);
    CHECK(s.tick() == 1);
    CHECK(log.take() == events{"ok 5"});
  }

  TEST_CASE("time only moves forward: advance_to the past and a negative advance are errors") {
    sim::scheduler s({.initial_ms = 10});
    CHECK(what_of([&] { s.advance_to(5); }) ==
          "misuse: braid::sim: advance_to(5): that is before now (10 ms); time only moves forward");
    CHECK(what_of([&] { s.advance(-1); }) ==
          "misuse: braid::sim: advance(-1): time only moves forward; pass dt_ms >= 0");
  }

  TEST_CASE("run returns the value, rethrows the failure, and auto-advances through timers") {
    sim::scheduler s;
    CHECK(s.run(timer(100, 1)) == 1);
    CHECK(s.now_ms() == 100);
    CHECK(what_of([&] {
            s.run(make_task<int>([](auto, auto fail) { fail(std::make_exception_ptr(std::runtime_error("boom"))); }));
          }) == "std: boom");
    CHECK(s.run(task<int>(3)) == 3);  // synchronous: no step at all
    s.run(braid::yield());
  }

  TEST_CASE("run without auto_advance reports a deadlock saying what to advance to") {
    sim::scheduler s;
    CHECK(what_of([&] { s.run(timer(100, 1), {.auto_advance = false}); }) ==
          "deadlock: braid::sim: deadlock: job #1 is not done; waiting for time advance; next event at 100 ms; "
          "timers: 1; set auto_advance or advance to 100");
    CHECK(s.now_ms() == 0);
  }

  TEST_CASE("run of a task nothing can complete reports a deadlock with nothing pending") {
    event_log log;
    manual_task<int> child(log, "child");
    sim::scheduler s;
    CHECK(what_of([&] { s.run(child.get()); }) ==
          "deadlock: braid::sim: deadlock: job #1 is not done and nothing is pending (no ready microtask, no "
          "timer); it waits for something the scheduler does not drive (a manual completion, another thread, "
          "a flow nobody feeds)");
    CHECK(log.take() == events{"child start"});
  }

  TEST_CASE("the step budget is checked before every microtask and never overshoots") {
    // A loop of 1000 yields, with a budget of 100.
    auto counter = std::make_shared<int>(0);
    std::function<task<void>(int)> loop = [&](int n) -> task<void> {
      if (n == 0) return task<void>(make_task<void>([](auto ok, auto) { ok(); }));
      return make_task<void>([n, counter, &loop](auto ok, auto fail) {
        return braid::yield().run(
            [n, counter, ok, fail, &loop]() mutable {
              ++*counter;
              loop(n - 1).run(ok, fail);
            },
            fail);
      });
    };
    sim::scheduler s;
    CHECK(what_of([&] { s.run(loop(1000), {.max_steps = 100}); }) ==
          "step_budget: braid::sim: step budget exceeded: job #1 is not done after max_steps = 100 microtasks "
          "(ready: 1, timers: 0); raise run_options::max_steps, or look for a loop that never waits");
    CHECK(*counter == 100);
    CHECK(s.steps() == 100);
  }

  TEST_CASE("the time budget stops run before time passes it") {
    sim::scheduler s({.initial_ms = 50});
    CHECK(what_of([&] { s.run(timer(999'999, 1), {.max_time_ms = 1000}); }) ==
          "time_budget: braid::sim: time budget exceeded: job #1 is not done; the next event at 1000049 ms lies "
          "beyond max_time_ms = 1000 from 50 ms; raise run_options::max_time_ms");
    CHECK(s.now_ms() == 50);
    CHECK(s.run(timer(1000, 2), {.max_time_ms = 1000}) == 2);
  }

  TEST_CASE("start returns a job: done, result, and an error when asked for the result too early") {
    sim::scheduler s;
    auto j = s.start(timer(100, 9));
    CHECK(!j.done());
    CHECK(what_of([&] { j.result(); }) ==
          "misuse: braid::sim: job #1 is not done yet; drive the scheduler (tick, advance, run) until "
          "job.done() before asking for its result");
    s.advance(100);
    CHECK(j.done());
    CHECK(j.result() == 9);
    CHECK(j.result() == 9);  // as often as asked
    j.cancel();              // after the end: nothing
  }

  TEST_CASE("cancelling a pending job fails it with cancelled and frees its timer") {
    sim::scheduler s;
    auto j = s.start(timer(100, 9));
    CHECK(s.pending().timers.size() == 1);
    j.cancel();
    CHECK(j.done());
    CHECK(s.pending().timers.empty());
    bool cancelled = false;
    try {
      j.result();
    } catch (const braid::cancelled&) {
      cancelled = true;
    }
    CHECK(cancelled);
  }

  TEST_CASE("the destructor cancels jobs that are still running") {
    event_log log;
    manual_task<int> child(log, "child");
    sim::job<int> j;
    {
      sim::scheduler s;
      j = s.start(child.get());
      CHECK(log.take() == events{"child start"});
    }
    CHECK(log.take() == events{"child cancel"});
    CHECK(j.done());
  }

  TEST_CASE("driving the scheduler from inside a microtask is an error") {
    sim::scheduler s;
    std::string what;
    s.start(make_task<void>([&](auto ok, auto fail) {
      return braid::yield().run(
          [&, ok]() mutable {
            what = what_of([&] { s.tick(); });
            ok();
          },
          fail);
    }));
    s.tick();
    CHECK(what ==
          "misuse: braid::sim: scheduler::tick called from inside a microtask; drive the scheduler from the "
          "test, not from the code it runs");
  }

  TEST_CASE("the trace prints one event a line and as JSON") {
    sim::scheduler s({.trace = true});
    s.run(timer(100, 7));
    CHECK(sim::to_text(s.trace()) ==
          "     0 ms  job_start     #1\n"
          "     0 ms  enqueue_timer #2    sleep       at 100 ms  chain 1\n"
          "   100 ms  advance       to 100 ms\n"
          "   100 ms  promote_timer #2    sleep       at 100 ms  chain 1\n"
          "   100 ms  run           #2    sleep       timer  chain 1\n"
          "   100 ms  job_done      #1  ok\n");
    CHECK(sim::to_json(s.trace()) ==
          "[\n"
          "  {\"time_ms\":0,\"kind\":\"job_start\",\"id\":1},\n"
          "  {\"time_ms\":0,\"kind\":\"enqueue_timer\",\"id\":2,\"task\":\"timer\",\"label\":\"sleep\",\"at_ms\":100,\"chain\":1},\n"
          "  {\"time_ms\":100,\"kind\":\"advance\",\"id\":0,\"at_ms\":100},\n"
          "  {\"time_ms\":100,\"kind\":\"promote_timer\",\"id\":2,\"task\":\"timer\",\"label\":\"sleep\",\"at_ms\":100,\"chain\":1},\n"
          "  {\"time_ms\":100,\"kind\":\"run\",\"id\":2,\"task\":\"timer\",\"label\":\"sleep\",\"chain\":1},\n"
          "  {\"time_ms\":100,\"kind\":\"job_done\",\"id\":1,\"label\":\"ok\"}\n"
          "]");
  }

  TEST_CASE("a selection among several ready microtasks is traced with the decision and the alternatives") {
    sim::scheduler s({.trace = true, .micro_schedule = sim::schedule{sim::decision::nth(1), sim::decision::lifo()}});
    CHECK(s.run(sim_test::lost_update()) == 1);
    CHECK(sim::to_text(s.trace()) ==
          "     0 ms  job_start     #1\n"
          "     0 ms  enqueue       #2    a           yield  chain 1\n"
          "     0 ms  enqueue       #3    b starts    yield  chain 2\n"
          "     0 ms  select        #3    b starts    by nth 1 among #2 #3\n"
          "     0 ms  run           #3    b starts    yield  chain 2\n"
          "     0 ms  enqueue       #4    b           yield  chain 2\n"
          "     0 ms  select        #4    b           by lifo among #2 #4\n"
          "     0 ms  run           #4    b           yield  chain 2\n"
          "     0 ms  run           #2    a           yield  chain 1\n"
          "     0 ms  job_done      #1  ok\n");
  }

  TEST_CASE("the same seed twice gives the identical trace; another seed may not") {
    auto trace_of = [](std::uint64_t seed) {
      sim::scheduler s({.seed = seed, .trace = true});
      for (int i = 0; i < 4; ++i) s.start(sim_test::lost_update());
      s.tick();
      return s.trace();
    };
    auto a = trace_of(7);
    auto b = trace_of(7);
    CHECK(a == b);
    CHECK(sim::to_text(a) == sim::to_text(b));
    bool some_differs = false;
    for (std::uint64_t seed = 8; seed < 16 && !some_differs; ++seed) some_differs = trace_of(seed) != a;
    CHECK(some_differs);
  }

  TEST_CASE("trace_to_schedule replays a seeded run exactly") {
    sim::trace_log original;
    int v1;
    {
      sim::scheduler s({.seed = 3, .trace = true});
      v1 = s.run(sim_test::lost_update());
      original = s.trace();
    }
    sim::scheduler s({.trace = true, .micro_schedule = sim::trace_to_schedule(original)});
    CHECK(s.run(sim_test::lost_update()) == v1);
    auto replayed = s.trace();
    REQUIRE(replayed.size() == original.size());
    for (std::size_t i = 0; i < replayed.size(); ++i) {
      CHECK(replayed[i].id == original[i].id);
      CHECK(replayed[i].kind == original[i].kind);
    }
  }

  TEST_CASE("schedules print as text and JSON, and the text parses back") {
    sim::schedule sch{sim::decision::fifo(),  sim::decision::lifo(),          sim::decision::random(),
                      sim::decision::nth(2),  sim::decision::by_id(17),       sim::decision::by_label("between")};
    CHECK(sim::to_text(sch) == "fifo\nlifo\nrandom\nnth 2\nid 17\nlabel between\n");
    CHECK(sim::to_json(sch) == "[\"fifo\",\"lifo\",\"random\",{\"nth\":2},{\"id\":17},{\"label\":\"between\"}]");
    CHECK(sim::parse_schedule(sim::to_text(sch)) == sch);
    CHECK(sim::parse_schedule("# found by PCT\nnth 1, nth 0  fifo") ==
          sim::schedule{sim::decision::nth(1), sim::decision::nth(0), sim::decision::fifo()});
    CHECK(what_of([] { sim::parse_schedule("nth x"); }) ==
          "misuse: braid::sim: parse_schedule: 'x' after 'nth' is not a number; expected fifo, lifo, random, "
          "nth <index>, id <id> or label <name>");
    CHECK(what_of([] { sim::parse_schedule("sideways"); }) ==
          "misuse: braid::sim: parse_schedule: unknown decision 'sideways'; expected fifo, lifo, random, nth "
          "<index>, id <id> or label <name>");
  }

  TEST_CASE("seed_to_schedule draws fifo, lifo and random decisions reproducibly") {
    auto a = sim::seed_to_schedule(42, 20);
    CHECK(a.size() == 20);
    CHECK(a == sim::seed_to_schedule(42, 20));
    CHECK(a != sim::seed_to_schedule(43, 20));
    for (auto& d : a)
      CHECK((d.kind == sim::decision::kind_t::fifo || d.kind == sim::decision::kind_t::lifo ||
             d.kind == sim::decision::kind_t::random));
    sim::scheduler s({.seed = 42, .micro_schedule = a, .strict_schedule = false});
    int v = s.run(sim_test::lost_update());
    CHECK((v == 1 || v == 2));
  }

  // Cross-thread cases: real threads, joined before the checks.
  TEST_CASE("cross-thread: a job completed on another thread fails with off_thread") {
    event_log log;
    manual_task<int> child(log, "child");
    sim::scheduler s;
    auto j = s.start(child.get());
    std::thread th([&] { child.succeed(1); });
    th.join();
    CHECK(j.done());
    CHECK(what_of([&] { j.result(); }).rfind("off_thread: braid::sim: job #1 completed on thread ", 0) == 0);
    CHECK(what_of([&] { s.step(); }).rfind("off_thread: braid::sim: off-thread callback: the completion of job #1 arrived on thread ", 0) == 0);
    CHECK(!s.step());  // reported once
  }

  TEST_CASE("cross-thread: a post through a captured environment from another thread is reported at the next step") {
    event_log log;
    logging_job a(log, "a");
    sim::scheduler s;
    detail::environment* env = &detail::current_env();
    std::thread th([&] { env->post(detail::lane::cpu, &a); });
    th.join();
    std::string w = what_of([&] { s.step(); });
    CHECK(w.rfind("off_thread: braid::sim: off-thread callback: a post arrived on thread ", 0) == 0);
    CHECK(w.find("complete it from the test thread instead") != std::string::npos);
    CHECK(s.step());  // the work itself was kept
    CHECK(log.take() == events{"a ran"});
  }

  TEST_CASE("cross-thread: a yield cancelled from another thread while the scheduler resumes it ends exactly once") {
    for (int round = 0; round < 200; ++round) {
      sim::scheduler s;
      std::atomic<int> outcomes{0};
      canceller c = braid::yield().run([&] { ++outcomes; }, [&](std::exception_ptr) { ++outcomes; });
      std::thread th([&] { c(); });
      s.tick();
      th.join();
      CHECK(outcomes.load() == 1);
    }
  }

  TEST_CASE("an nth decision beyond the ready microtasks is an unknown_task_id error") {
    event_log log;
    sim::scheduler s({.micro_schedule = sim::schedule{sim::decision::nth(5)}});
    run_logged(braid::yield("a"), log);
    run_logged(braid::yield("b"), log);
    CHECK(what_of([&] { s.step(); }) ==
          "unknown_task_id: braid::sim: decision 1 (nth 5) is out of range: only 2 microtasks are ready");
    s.step(1);
    s.step(2);
  }

  TEST_CASE("cross-thread: driving from another thread is an off_thread error") {
    sim::scheduler s;
    std::string w;
    std::thread th([&] { w = what_of([&] { s.tick(); }); });
    th.join();
    CHECK(w.rfind("off_thread: braid::sim: scheduler::tick called from thread ", 0) == 0);
  }
}
