// SPDX-License-Identifier: MIT
// reduce over eduction runs as one fold (flow_impl::fold): the eduction's
// stages feed reduce's function with no process in between. These tests hold
// the fused run to the unfused one: the same values, the same calls of every
// user function in the same order against the input's events, the same
// errors, cancellation and early termination; and they pin the fold
// protocol itself and the thread-affine counter that both use.
#include <braid/detail/flow_util.hpp>
#include <braid/op/eduction.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <atomic>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_flow;
using braid::testing::message;
using braid::testing::tracked;

namespace {

// The same flow without its fold: consumed through a process, as any
// consumer other than reduce consumes an eduction.
template <class T>
flow<T> unfused(flow<T> f) {
  struct impl final : detail::flow_impl<T> {
    explicit impl(flow<T> f) : inner(std::move(f)) {}
    detail::flow_process<T>* spawn(detail::flow_listener l) const noexcept override {
      return inner.impl()->spawn(l);
    }
    flow<T> inner;
  };
  return flow<T>(std::make_shared<const impl>(std::move(f)));
}

// A flow whose fold() is logged, and which folds by delegating.
template <class T>
flow<T> fold_logged(flow<T> f, event_log& log) {
  struct impl final : detail::flow_impl<T> {
    impl(flow<T> f, event_log* l) : inner(std::move(f)), log(l) {}
    detail::flow_process<T>* spawn(detail::flow_listener l) const noexcept override {
      (*log)("spawn");
      return inner.impl()->spawn(l);
    }
    detail::fold_process* fold(detail::fold_target<T>& t) const noexcept override {
      (*log)("fold");
      return inner.impl()->fold(t);
    }
    flow<T> inner;
    event_log* log;
  };
  return flow<T>(std::make_shared<const impl>(std::move(f), &log));
}

// Logs the task's end into the log.
template <class R>
canceller run_ended(const task<R>& t, event_log& log) {
  return t.run([&log](R v) { log("value " + std::to_string(v)); },
               [&log](std::exception_ptr e) { log("error " + message(e)); });
}

// A fold target that logs.
struct logging_target final : detail::fold_target<int> {
  explicit logging_target(event_log& l) : log(&l) {}
  void step(int&& v, bool more) noexcept override {
    (*log)("step " + std::to_string(v) + (more ? " more" : ""));
  }
  void end(std::exception_ptr e) noexcept override { (*log)("end " + message(e)); }
  event_log* log;
};

// The input's cancel is idempotent: the unfused run may cancel it a second
// time (eduction on its own error, then reduce on the same error), which no
// input can tell from one call. Compare logs with repeated cancels dropped.
events first_cancels(events e) {
  events r;
  bool cancelled = false;
  for (auto& x : e) {
    if (x == "in cancel") {
      if (cancelled) continue;
      cancelled = true;
    }
    r.push_back(std::move(x));
  }
  return r;
}

// One random scenario, run on a given flow recipe builder: a chain of stages
// with logging user functions (some throw on a chosen value), a logging
// reduce function (may throw too), and a script of input events (values,
// synchronous re-notifications inside a transfer, an error, a cancellation
// of the task, the termination), each applied only where the protocol
// allows it. Returns the whole log.
struct scenario {
  int shape;
  int bad_stage;  // the value a stage throws on (-1: none)
  int bad_f;      // the value f throws on (-1: none)
  std::size_t n;  // take / partition / drop count
  std::vector<int> actions;
  std::vector<int> values;
};

template <bool Fused>
events play(const scenario& s) {
  event_log log;
  manual_flow<int> in(log, "in");
  auto throwing = [&log, bad = s.bad_stage](const char* name) {
    return [&log, bad, name](int x) {
      log(std::string(name) + " " + std::to_string(x));
      if (x == bad) throw std::runtime_error(std::string(name) + " failed on " + std::to_string(x));
      return x;
    };
  };
  auto map = throwing("map");
  auto keep = [&log, bad = s.bad_stage](int x) {
    log("filter " + std::to_string(x));
    if (x == bad) throw std::runtime_error("filter failed on " + std::to_string(x));
    return x % 3 != 0;
  };
  auto spread = [&log, bad = s.bad_stage](int x) {
    log("mapcat " + std::to_string(x));
    if (x == bad) throw std::runtime_error("mapcat failed on " + std::to_string(x));
    return std::vector<int>(static_cast<std::size_t>(x % 3), x);
  };
  auto below = [&log](int x) {
    log("take_while " + std::to_string(x));
    return x < 8;
  };
  auto sum_chunk = [](std::vector<int> v) {
    int r = 0;
    for (int x : v) r += x;
    return r;
  };
  flow<int> e;
  switch (s.shape) {
    case 0: e = eduction(xf::map(map), in.get()); break;
    case 1: e = eduction(xf::filter(keep), xf::map(map), in.get()); break;
    case 2: e = eduction(xf::mapcat(spread), xf::map(map), in.get()); break;
    case 3: e = eduction(xf::map(map), xf::take(s.n), in.get()); break;
    case 4: e = eduction(xf::take_while(below), xf::dedupe(), xf::map(map), in.get()); break;
    case 5: e = eduction(xf::drop(s.n), xf::partition(s.n + 1), xf::map(sum_chunk), xf::map(map), in.get()); break;
    default: e = eduction(xf::mapcat(spread), xf::take(s.n), xf::partition(2), xf::map(sum_chunk), in.get()); break;
  }
  if (!Fused) e = unfused(std::move(e));
  auto f = [&log, bad = s.bad_f](long acc, int v) {
    log("f " + std::to_string(acc) + " " + std::to_string(v));
    if (v == bad) throw std::runtime_error("f failed on " + std::to_string(v));
    return acc + v;
  };
  canceller c = run_ended(reduce(f, 0L, e), log);
  std::size_t next = 0;
  auto value = [&] { return s.values[next++ % s.values.size()]; };
  for (int a : s.actions) {
    if (in.terminated()) break;
    REQUIRE_FALSE(in.pending());  // both consumers transfer inside the notification
    switch (a) {
      case 0:
      case 1:
      case 2: in.emit(value()); break;
      case 3: {
        in.emit_in_transfer(value());  // a synchronous re-notification
        in.emit(value());
        break;
      }
      case 4:
        in.fail("boom");  // a throwing transfer: the termination follows
        in.terminate();
        break;
      case 5: c(); break;
      default: in.terminate(); break;
    }
  }
  // The input ends (after a cancellation or an error too: the consumer
  // transfers until it does).
  if (!in.terminated()) in.terminate();
  return first_cancels(log.take());
}


// A value whose copy throws for one chosen value: the only way a seed fails.
struct fragile {
  static inline int throw_on = -1;
  int v;
  explicit fragile(int x) : v(x) {}
  fragile(const fragile& o) : v(o.v) {
    if (v == throw_on) throw std::runtime_error("copy of " + std::to_string(v) + " failed");
  }
  fragile(fragile&&) noexcept = default;
  fragile& operator=(const fragile&) = default;
  fragile& operator=(fragile&&) noexcept = default;
};

// One random run over a seed: a chain of stages (or none: reduce over the
// seed itself), logging user functions, some throwing, a copy that throws,
// a throwing nullary init. How the run is consumed:
//   0  fully fused: reduce folds the eduction, which folds the seed
//   1  reduce folds the eduction, which spawns the seed
//   2  nothing fused: reduce spawns the eduction, which spawns the seed
struct seed_scenario {
  int shape;      // -1: no eduction
  int bad_stage;  // the value a stage throws on (-1: none)
  int bad_f;      // the value f throws on (-1: none)
  int bad_copy;   // the value whose copy throws (-1: none)
  bool nullary;   // reduce without init; init() may throw
  bool bad_init;
  std::size_t n;
  std::vector<int> values;
};

template <int Mode>
events play_seed(const seed_scenario& s) {
  event_log log;
  std::vector<fragile> vs;
  for (int v : s.values) vs.emplace_back(v);
  fragile::throw_on = -1;
  flow<fragile> in = seed(vs);
  fragile::throw_on = s.bad_copy;
  if (Mode == 1) in = unfused(std::move(in));
  auto stage = [&log, bad = s.bad_stage](const char* name, int x) {
    log(std::string(name) + " " + std::to_string(x));
    if (x == bad) throw std::runtime_error(std::string(name) + " failed on " + std::to_string(x));
  };
  auto open = [stage](const fragile& x) {
    stage("map", x.v);
    return x.v;
  };
  auto keep = [stage](int x) {
    stage("filter", x);
    return x % 3 != 0;
  };
  auto spread = [stage](int x) {
    stage("mapcat", x);
    return std::vector<int>(static_cast<std::size_t>(x % 3), x);
  };
  auto sum_chunk = [](std::vector<int> v) {
    int r = 0;
    for (int x : v) r += x;
    return r;
  };
  auto f = [&log, bad = s.bad_f](long acc, int v) {
    log("f " + std::to_string(acc) + " " + std::to_string(v));
    if (v == bad) throw std::runtime_error("f failed on " + std::to_string(v));
    return acc + v;
  };
  struct rf {
    decltype(f) step;
    event_log* log;
    bool bad_init;
    long operator()() const {
      (*log)("init");
      if (bad_init) throw std::runtime_error("init failed");
      return 0;
    }
    long operator()(long acc, int v) const { return step(acc, v); }
    long operator()(long acc, const fragile& v) const { return step(acc, v.v); }
  };
  const rf g{f, &log, s.bad_init};
  auto run = [&](auto flow) {
    if (Mode == 2) flow = unfused(std::move(flow));
    auto t = s.nullary ? reduce(g, flow) : reduce(g, 0L, flow);
    canceller c = run_ended(t, log);
    (void)c;
  };
  switch (s.shape) {
    case -1: run(in); break;
    case 0: run(eduction(xf::map(open), in)); break;
    case 1: run(eduction(xf::map(open), xf::filter(keep), in)); break;
    case 2: run(eduction(xf::map(open), xf::mapcat(spread), xf::take(s.n), in)); break;
    case 3: run(eduction(xf::map(open), xf::drop(s.n), xf::partition(s.n + 1), xf::map(sum_chunk), in)); break;
    default: run(eduction(xf::map(open), xf::take_while([](int x) { return x < 8; }), xf::dedupe(), in)); break;
  }
  fragile::throw_on = -1;
  return first_cancels(log.take());
}
}  // namespace

TEST_SUITE("eduction fusion") {
  TEST_CASE("reduce asks its input to fold, and an eduction does") {
    event_log log;
    auto t = reduce(std::plus<>{}, 0, fold_logged(eduction(xf::map([](int x) { return x * 2; }), seed({1, 2, 3})), log));
    CHECK(run_blocking(t) == 12);
    CHECK(log.take() == events{"fold"});
    // A seed folds too.
    auto u = reduce(std::plus<>{}, 0, fold_logged(seed({1, 2, 3}), log));
    CHECK(run_blocking(u) == 6);
    CHECK(log.take() == events{"fold"});
    // A flow that does not fold is spawned.
    auto w = reduce(std::plus<>{}, 0, fold_logged(unfused(seed({1, 2, 3})), log));
    CHECK(run_blocking(w) == 6);
    CHECK(log.take() == events{"fold", "spawn"});
    // Nor with a nullary init, which the unfused eduction's first stage
    // calls would precede.
    struct sum {
      int operator()() const { return 10; }
      int operator()(int a, int b) const { return a + b; }
    };
    auto x = reduce(sum{}, fold_logged(eduction(xf::map([](int v) { return v; }), seed({1, 2})), log));
    CHECK(run_blocking(x) == 13);
    CHECK(log.take() == events{"spawn"});
    // Without an init, the first value is the init: nothing comes between
    // the fold and its begin, and it folds.
    auto y = reduce(std::plus<>{}, fold_logged(eduction(xf::map([](int v) { return v; }), seed({1, 2})), log));
    CHECK(run_blocking(y) == 3);
    CHECK(log.take() == events{"fold"});
  }

  TEST_CASE("the fold protocol: held until begin, values stepped in order, end after the input ended") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto e = eduction(xf::mapcat([](int x) { return std::vector<int>(2, x); }), in.get());
    logging_target t(log);
    detail::process_ref fold(e.impl()->fold(t));
    REQUIRE(fold);
    CHECK(log.take() == events{"in spawn"});
    in.emit(1);  // before begin: only counted
    CHECK(log.take().empty());
    static_cast<detail::fold_process*>(fold.get())->begin();
    // The first 1 is followed by the second (more); after the second the
    // unfused output would have nothing pending.
    CHECK(log.take() == events{"in transfer", "step 1 more", "step 1"});
    in.fail("broken");
    CHECK(log.take() == events{"in transfer", "in cancel"});
    in.terminate();
    CHECK(log.take() == events{"end broken"});
    fold.get()->cancel();  // after the end: harmless, reaches the input
    CHECK(log.take() == events{"in cancel"});
  }

  TEST_CASE("each input value's stage calls come before f sees its outputs, as unfused") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto spread = [&log](int x) {
      log("mapcat " + std::to_string(x));
      return std::vector<int>{x, x + 1};
    };
    auto twice = [&log](int x) {
      log("map " + std::to_string(x));
      return x * 2;
    };
    auto f = [&log](int acc, int v) {
      log("f " + std::to_string(v));
      return acc + v;
    };
    canceller c = run_ended(reduce(f, 0, eduction(xf::mapcat(spread), xf::map(twice), in.get())), log);
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "mapcat 1", "map 1", "map 2", "f 2", "f 4"});
    in.terminate();
    CHECK(log.take() == events{"value 6"});
  }

  TEST_CASE("take: the input is cancelled before f sees the last value, as unfused") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto f = [&log](int acc, int v) {
      log("f " + std::to_string(v));
      return acc + v;
    };
    canceller c = run_ended(reduce(f, 0, eduction(xf::take(2), in.get())), log);
    in.emit(5);
    in.emit(6);
    CHECK(log.take() == events{"in spawn", "in transfer", "f 5", "in transfer", "in cancel", "f 6"});
    in.emit(7);  // discarded
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"value 11"});
  }

  TEST_CASE("a throwing f: the stages still see the values the input delivers until it ends") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto seen = [&log](int x) {
      log("map " + std::to_string(x));
      return x;
    };
    auto f = [](int, int v) -> int { throw std::runtime_error("f failed on " + std::to_string(v)); };
    canceller c = run_ended(reduce(f, 0, eduction(xf::map(seen), in.get())), log);
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "map 1", "in cancel"});
    in.emit(2);  // an input that ignores the cancellation: unfused, the stages run too
    CHECK(log.take() == events{"in transfer", "map 2"});
    in.terminate();
    CHECK(log.take() == events{"error f failed on 1"});
  }

  TEST_CASE("nullary f and an empty eduction; first-value mode without values") {
    auto none = eduction(xf::filter([](int) { return false; }), seed({1, 2}));
    CHECK(run_blocking(reduce([](int acc = 40, int v = 0) { return acc + v + 2; }, none)) == 42);
    CHECK_THROWS_WITH_AS(run_blocking(reduce([](int a, int b) { return a + b; }, none)),
                         doctest::Contains("the flow ended without a value"), std::logic_error);
  }

  TEST_CASE("property: fused and unfused runs give the same log (values, calls, errors, cancels)") {
    std::mt19937 rng(20261204);
    int compared = 0;
    for (int round = 0; round < 2000; ++round) {
      scenario s;
      s.shape = static_cast<int>(rng() % 7);
      s.bad_stage = rng() % 3 == 0 ? static_cast<int>(rng() % 10) : -1;
      s.bad_f = rng() % 4 == 0 ? static_cast<int>(rng() % 12) : -1;
      s.n = rng() % 4;
      for (std::size_t i = 0, k = rng() % 12; i < k; ++i) s.actions.push_back(static_cast<int>(rng() % 8));
      for (std::size_t i = 0, k = 1 + rng() % 6; i < k; ++i) s.values.push_back(static_cast<int>(rng() % 10));
      CAPTURE(round);
      CAPTURE(s.shape);
      const events fused = play<true>(s);
      const events plain = play<false>(s);
      CHECK(fused == plain);
      ++compared;
    }
    CHECK(compared == 2000);
  }

  TEST_CASE("the fold, its chain and the reduce process are destroyed once the task ended") {
    struct fn : tracked {
      int operator()(int x) const { return x; }
    };
    const int before = tracked::live;
    {
      auto t = reduce(std::plus<>{}, 0, eduction(xf::map(fn{}), xf::partition(2), xf::cat(), seed({1, 2, 3})));
      const int recipe = tracked::live;
      CHECK(run_blocking(t) == 6);
      CHECK(tracked::live == recipe);  // the run's copy of fn went with its fold
    }
    CHECK(tracked::live == before);
  }

  TEST_CASE("threads: an input on another thread feeds the fused run (stress)") {
    event_log log;
    manual_flow<int> in(log, "in");
    std::atomic<long> result{-1};
    auto t = reduce(std::plus<long>{}, 0L, eduction(xf::map([](int x) { return x + 1; }), in.get()));
    canceller c = t.run([&](long v) { result = v; }, [&](std::exception_ptr) { result = -2; });
    std::thread th([&] {
      for (int i = 0; i < 20000; ++i) in.emit(i);
      in.terminate();
    });
    th.join();
    CHECK(result.load() == 20000L * 20001L / 2);
  }
}

TEST_SUITE("affine_drain_counter") {
  TEST_CASE("events on the loop's own thread are counted locally and handled in the loop") {
    detail::affine_drain_counter n(1);  // held by this thread
    int handled = 0;
    CHECK_FALSE(n.arrive());  // while held: counted
    CHECK_FALSE(n.arrive());
    while (n.depart()) {
      ++handled;
      if (handled == 1) CHECK_FALSE(n.arrive());  // inside the loop
    }
    CHECK(handled == 3);
    CHECK(n.arrive());  // released: the next event owns the loop again
    CHECK_FALSE(n.depart());
  }

  TEST_CASE("two threads: every event handled once, never two loops at once (stress)") {
    detail::affine_drain_counter n(0);
    std::atomic<int> in_loop{0};
    std::atomic<int> handled{0};
    std::atomic<int> raised{0};
    std::atomic<bool> overlap{false}, owned_inside{false};
    constexpr int per_thread = 50000;
    auto loop = [&] {
      do {
        if (in_loop.fetch_add(1) != 0) overlap = true;
        const int h = handled.fetch_add(1) + 1;
        // Now and then an event raised from inside the loop, as a
        // synchronous re-notification is: never the loop's owner.
        if (h % 7 == 0) {
          raised.fetch_add(1);
          if (n.arrive()) owned_inside = true;
        }
        in_loop.fetch_sub(1);
      } while (n.depart());
    };
    auto source = [&] {
      for (int i = 0; i < per_thread; ++i) {
        raised.fetch_add(1);
        if (n.arrive()) loop();
      }
    };
    std::thread a(source), b(source);
    a.join();
    b.join();
    CHECK_FALSE(overlap.load());
    CHECK_FALSE(owned_inside.load());
    CHECK(handled.load() == raised.load());
    CHECK(n.arrive());  // nothing left pending: the counter is back at zero
    CHECK_FALSE(n.depart());
  }
  TEST_CASE("a seed folds: reduce over it, and an eduction over it, log as unfused (property)") {
    std::mt19937 rng(20261205);
    int compared = 0, failed_runs = 0;
    for (int round = 0; round < 3000; ++round) {
      seed_scenario s;
      s.shape = static_cast<int>(rng() % 6) - 1;
      s.bad_stage = rng() % 3 == 0 ? static_cast<int>(rng() % 10) : -1;
      s.bad_f = rng() % 4 == 0 ? static_cast<int>(rng() % 12) : -1;
      s.bad_copy = rng() % 4 == 0 ? static_cast<int>(rng() % 10) : -1;
      s.nullary = rng() % 3 == 0;
      s.bad_init = s.nullary && rng() % 4 == 0;
      s.n = rng() % 4;
      for (std::size_t i = 0, k = rng() % 9; i < k; ++i) s.values.push_back(static_cast<int>(rng() % 10));
      CAPTURE(round);
      CAPTURE(s.shape);
      const events plain = play_seed<2>(s);
      CHECK(play_seed<0>(s) == plain);
      if (s.shape >= 0) CHECK(play_seed<1>(s) == plain);
      if (!plain.empty() && plain.back().rfind("error", 0) == 0) ++failed_runs;
      ++compared;
    }
    CHECK(compared == 3000);
    CHECK(failed_runs > 300);  // the errors were exercised, not only the values
  }

  TEST_CASE("a seed's fold: values with more, cancellation before a value, the end after the last") {
    event_log log;
    logging_target t(log);
    flow<int> s = seed({4, 5, 6});
    detail::process_ref fold(s.impl()->fold(t));
    REQUIRE(fold);
    CHECK(log.take().empty());  // held until begin
    static_cast<detail::fold_process*>(fold.get())->begin();
    CHECK(log.take() == events{"step 4 more", "step 5 more", "step 6 more", "end "});
    // Cancelled before begin: no value, braid::cancelled, as the process's
    // first transfer would throw it.
    detail::process_ref second(s.impl()->fold(t));
    second.get()->cancel();
    static_cast<detail::fold_process*>(second.get())->begin();
    CHECK(log.take() == events{"end cancelled: braid: seed cancelled"});
    // Empty: only the end.
    flow<int> none = seed(std::vector<int>{});
    detail::process_ref third(none.impl()->fold(t));
    static_cast<detail::fold_process*>(third.get())->begin();
    CHECK(log.take() == events{"end "});
  }

  TEST_CASE("a seed cancelled by f's error: f sees no value after it, the first error wins") {
    event_log log;
    auto f = [&log](int acc, int v) {
      log("f " + std::to_string(v));
      if (v == 2) throw std::runtime_error("two");
      return acc + v;
    };
    auto t = reduce(f, 0, eduction(xf::map([&log](int x) {
                                     log("map " + std::to_string(x));
                                     return x;
                                   }),
                                   seed({1, 2, 3, 4})));
    canceller c = run_ended(t, log);
    // map 3 runs before f sees 2 (the unfused lookahead); then the seed is
    // cancelled and 4 is never copied.
    CHECK(log.take() == events{"map 1", "map 2", "f 1", "map 3", "f 2", "error two"});
  }

  TEST_CASE("a fused seed run frees its copies, its folds and its process") {
    const int before = tracked::live;
    {
      flow<tracked> s = seed(std::vector<tracked>(5));
      const int recipe = tracked::live;
      auto count = [](int acc, const tracked&) { return acc + 1; };
      CHECK(run_blocking(reduce(count, 0, s)) == 5);
      CHECK(tracked::live == recipe);
      auto ident = [](const tracked& x) { return x; };
      CHECK(run_blocking(reduce(count, 0, eduction(xf::map(ident), s))) == 5);
      CHECK(tracked::live == recipe);
    }
    CHECK(tracked::live == before);
  }
}
