// SPDX-License-Identifier: MIT
// BRAID_AP and BRAID_CP functions compiled by braidc (issue 12). The
// bodies are the ones tests/runtime/ap and tests/runtime/cp run as
// hand-written frames (their comments give the same source); each
// scenario here checks that the compiled frame produces the same event
// order, values and destructor calls as the hand-written one, plus what
// only a compiler can get wrong: which locals a clone copies, lazily
// evaluated amb arguments, parks and forks in expressions.
#include "behave_support.hpp"

#include <manual_flow.hpp>

#include <braid/op/reduce.hpp>
#include <braid/op/yield.hpp>
#include <braid/sim.hpp>
#include <braid/op/seed.hpp>
#include <braid/op/watch.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace behave;
using braid::flow;
using braid::park;
using braid::task;
using braid::testing::manual_flow;
using braid::testing::spawn_logged;
using braid::testing::transfer_shown;

namespace {

using bank = braid::testing::task_bank;

/// A RAII local that says when it is copied (one copy per branch).
struct noisy {
  event_log* log;
  std::string name;
  noisy(event_log& l, std::string n) : log(&l), name(std::move(n)) { (*log)("+" + name); }
  noisy(const noisy& o) : log(o.log), name(o.name) { (*log)("+" + name + " copy"); }
  ~noisy() { (*log)("~" + name); }
};

template <class T>
task<std::vector<T>> all(flow<T> f) {
  return braid::reduce(
      [](std::vector<T> acc, T v) {
        acc.push_back(std::move(v));
        return acc;
      },
      std::vector<T>{}, std::move(f));
}

// ---- fork points -----------------------------------------------------------

BRAID_AP flow<int> squares(std::vector<int> xs) {
  int x = braid::fork(braid::seed(xs));
  return x * x;
}

// fork(2, in) as an operand, the park in the return.
BRAID_AP flow<int> par2(flow<int> in, std::function<task<int>(int)> f) {
  return park(f(braid::fork(2, in)));
}

// The runtime's latest_work (switch_test.cpp), compiled.
BRAID_AP flow<int> latest_work(flow<int> in, std::function<task<int>(int)> f, event_log& log) {
  int x = braid::fork_switch(in);
  try {
    return park(f(x));
  } catch (const braid::cancelled&) {
    log("branch " + std::to_string(x) + " cancelled");
    return braid::amb();
  }
}

BRAID_AP flow<int> switching(flow<int> in, std::function<task<int>(int)> f) {
  int x = braid::fork_switch(in);
  return park(f(x));
}

// The runtime's guarded (branches_test.cpp): a RAII local before the fork
// has one copy per branch and the template's own.
BRAID_AP flow<int> guarded(event_log& log, flow<int> in, std::function<task<int>(int)> f) {
  noisy outer(log, "outer");
  try {
    int x = braid::fork_merge(in);
    noisy t(log, "t" + std::to_string(x));
    return park(f(x));
  } catch (const std::runtime_error& e) {
    log(std::string("caught ") + e.what());
    return -1;
  }
}

// The runtime's pick (amb_test.cpp): arguments evaluated in their own
// branch, lazily; the middle one ends its branch without a value.
BRAID_AP flow<int> pick(task<int> a, bool merge) {
  return merge ? braid::amb_merge(park(a), braid::amb(), 7) : braid::amb(park(a), braid::amb(), 7);
}

/// Trivially destructible, but its copies show.
struct marker {
  event_log* log;
  const char* name;
  marker(event_log& l, const char* n) : log(&l), name(n) {}
  marker(const marker& o) : log(o.log), name(o.name) { (*log)(std::string("copy ") + name); }
};

// Which locals the clone copies: `used` is read after the fork; `unused`
// is not (and has no destructor to run): only `used` is copied. A RAII
// local in scope is copied whether or not it is read: each branch runs its
// own copy's destructor when it leaves the scope.
BRAID_AP flow<std::string> copies(event_log& log, std::vector<int> xs) {
  noisy raii(log, "raii");
  marker used(log, "used"), unused(log, "unused");
  std::string before = "b";
  log(std::string("unused is ") + unused.name);
  int x = braid::fork(braid::seed(xs));
  log(std::string("branch uses ") + used.name);
  std::string after = before + std::to_string(x);
  if (x == 2) return braid::amb();
  return after;
}

// transform-cases 31: a container and a counter live at the fork; each
// branch changes its own copies and never sees another's changes.
BRAID_AP flow<std::string> independent(std::vector<int> xs) {
  std::vector<int> seen{0};
  int count = 0;
  int x = braid::fork(braid::seed(xs));
  seen.push_back(x);
  count += x;
  return std::to_string(seen.size()) + ":" + std::to_string(count);
}

// transform-cases 33: a local whose scope ended before the fork, and one
// moved from, are not copied as live objects.
BRAID_AP flow<std::string> ended_before(event_log& log, std::vector<int> xs) {
  {
    noisy gone(log, "gone");
  }
  std::string moved = "m";
  std::string took = std::move(moved);
  int x = braid::fork(braid::seed(xs));
  return took + std::to_string(x) + moved;
}

// A reference to a member of a temporary extends the temporary: the clone
// at a later fork copies the temporary with the reference (found by the
// campaign: the branch read a temporary that was never copied).
struct pt {
  int x, y;
};
BRAID_AP flow<int> extended_across_fork(std::vector<int> xs) {
  int a = braid::fork(braid::seed(xs));
  const int& m = pt{a, a * 10}.y;
  int b = braid::fork(braid::seed(std::vector<int>{1, 2}));
  return m + b;
}

// A reference to a kept local refers to the branch's own copy.
BRAID_AP flow<int> rebased(std::vector<int> xs) {
  int total = 100;
  int& r = total;
  int x = braid::fork(braid::seed(xs));
  r += x;
  return total;
}

// Forks in conditions and operands; an error of the input is thrown at
// the fork point, in a branch of its own.
BRAID_AP flow<int> nested(std::vector<int> xs, std::vector<int> ys) {
  int x = braid::fork(braid::seed(xs));
  if (braid::fork(braid::seed(ys)) > x) return braid::amb();
  return x * 10 + braid::amb(1, 2);
}

BRAID_AP flow<std::string> failing_input(flow<int> in) {
  try {
    int x = braid::fork(in);
    return std::to_string(x);
  } catch (const std::runtime_error& e) {
    return std::string("input failed: ") + e.what();
  }
}

}  // namespace

// Pagination (Missionary's guide): fetch pages until one has no next
// cursor, one branch per item of each page. (A type parked on has
// linkage: braid::park<T> is declared, not defined.)
struct page {
  std::vector<std::string> items;
  int next;  // -1: the last page
};

namespace {

task<page> fetch_page(int cursor) {
  static const std::vector<page> pages = {{{"a", "b"}, 1}, {{"c"}, 2}, {{"d", "e"}, -1}};
  return pages.at(static_cast<std::size_t>(cursor));
}
BRAID_AP flow<std::string> items(int first) {
  page p = park(fetch_page(first));
  while (true) {
    if (p.next < 0 || braid::amb(false, true) == false) return braid::fork(braid::seed(p.items));
    p = park(fetch_page(p.next));
  }
}

// Templates and member functions, as for BRAID_SP (a flow of dependent
// type is forked from a local of type braid::flow<T>).
template <class T>
BRAID_AP flow<T> twice(std::vector<T> xs) {
  flow<T> in = braid::seed(xs);
  T x = braid::fork(in);
  if (braid::fork(braid::seed(std::vector<int>{0, 1})) == 1) return x + x;
  return x;
}

struct scaler {
  int k;
  BRAID_AP flow<int> scale(std::vector<int> xs) const {
    int x = braid::fork_merge(braid::seed(xs));
    return x * k;
  }
};

// ---- under braid::sim: every interleaving of the branches ------------------

int running = 0;  // branches between their fork point and their value

// Each branch yields to the scheduler before its value: the explorer
// chooses which branch goes on.
BRAID_AP flow<int> concurrent(std::size_t n, std::vector<int> xs) {
  int x = n == 0 ? braid::fork_merge(braid::seed(xs)) : braid::fork(n, braid::seed(xs));
  ++running;
  int seen = running;
  park(braid::yield("branch"));
  --running;
  return x * 10 + seen;
}

BRAID_AP flow<int> yielding_source() {
  int x = braid::fork(braid::seed(std::vector<int>{1, 2, 3}));
  park(braid::yield("source"));
  return x;
}

BRAID_AP flow<int> switched() {
  int x = braid::fork_switch(yielding_source());
  try {
    park(braid::yield("work"));
    return x;
  } catch (const braid::cancelled&) {
    return braid::amb();
  }
}

// ---- cp ----------------------------------------------------------------------

BRAID_CP flow<std::string> sum(flow<int> a, flow<int> b, event_log& log) {
  std::string tag = "t";
  int x = braid::fork_switch(a);
  log("run a=" + std::to_string(x));
  int y = braid::fork_switch(b);
  log("run b=" + std::to_string(y));
  if (y < 0) throw std::runtime_error("negative");
  return tag + std::to_string(x + y);
}

}  // namespace

TEST_SUITE("braidc ap") {
  TEST_CASE("fork: one branch per value, in order") {
    CHECK(braid::run_blocking(all(squares({1, 2, 3}))) == std::vector<int>{1, 4, 9});
    CHECK(braid::run_blocking(all(squares({}))).empty());
  }

  TEST_CASE("fork(n) in an operand: up to n branches at once, values as branches finish") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(par2(in.get(), b.fn()), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.emit(1);
    CHECK(log.take() == events{"in transfer", "w1 start"});
    in.emit(2);
    CHECK(log.take() == events{"in transfer", "w2 start"});
    in.emit(3);  // two branches run: the third value waits
    CHECK(log.take() == events{});
    b[2].succeed(20);
    CHECK(log.take() == events{"out notify"});
    b[1].succeed(10);
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "20");
    CHECK(log.take() == events{"out notify", "in transfer", "w3 start"});
    CHECK(transfer_shown(it) == "10");
    in.terminate();
    b[3].succeed(30);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "30");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("fork_switch: a new value cancels the running branch; its handler drops it with amb()") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(latest_work(in.get(), b.fn(), log), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.emit(1);
    CHECK(log.take() == events{"in transfer", "w1 start"});
    in.emit(2);
    CHECK(log.take() == events{"w1 cancel", "branch 1 cancelled", "in transfer", "w2 start"});
    b[2].succeed(20);
    CHECK(log.take() == events{"out notify"});
    in.emit(3);
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "20");
    CHECK(log.take() == events{"in transfer", "w3 start"});
    in.terminate();
    b[3].succeed(30);
    CHECK(transfer_shown(it) == "30");
    CHECK(log.take() == events{"out notify", "out terminate"});
  }

  TEST_CASE("fork_switch: a switched-away branch without a handler fails with cancelled") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(switching(in.get(), b.fn()), log, "out");
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "w1 start"});
    in.emit(2);
    CHECK(log.take() == events{"w1 cancel", "out notify"});
    CHECK(transfer_shown(it) == "err cancelled: manual task cancelled");
    CHECK(log.take() == events{"in cancel", "in transfer", "w2 start", "w2 cancel"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a RAII local before fork_merge: one copy per branch and the template's own") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(guarded(log, in.get(), b.fn()), log, "out");
    CHECK(log.take() == events{"+outer", "in spawn"});
    in.emit(1);
    in.emit(2);
    CHECK(log.take() == events{"+outer copy", "in transfer", "+t1", "w1 start", "+outer copy",
                               "in transfer", "+t2", "w2 start"});
    b[1].fail("bad");  // branch 1 leaves the try through its handler
    CHECK(log.take() == events{"~t1", "caught bad", "~outer", "out notify"});
    b[2].succeed(20);
    CHECK(log.take() == events{"~t2", "~outer"});
    CHECK(transfer_shown(it) == "-1");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "20");
    in.terminate();  // the template's own copy of `outer` dies with it
    CHECK(log.take() == events{"~outer", "out terminate"});
  }

  TEST_CASE("cancelling the process cancels every branch and runs every branch's cleanup") {
    event_log log;
    manual_flow<int> in(log, "in");
    bank b(log);
    auto it = spawn_logged(guarded(log, in.get(), b.fn()), log, "out");
    in.emit(3);
    in.emit(4);
    CHECK(log.take() == events{"+outer", "in spawn", "+outer copy", "in transfer", "+t3", "w3 start",
                               "+outer copy", "in transfer", "+t4", "w4 start"});
    it.cancel();
    CHECK(log.take() == events{"in cancel", "w4 cancel", "w3 cancel", "~t4", "~outer", "out notify",
                               "~t3", "~outer"});
    in.terminate();
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "err cancelled: manual task cancelled");
    CHECK(log.take() == events{"~outer", "out terminate"});
  }

  TEST_CASE("amb: lazily evaluated arguments, one branch each; amb() ends its branch") {
    event_log log;
    manual_task<int> a(log, "a");
    auto it = spawn_logged(pick(a.get(), false), log, "out");
    CHECK(log.take() == events{"a start"});
    a.succeed(5);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "5");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "7");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("amb_merge: every argument's branch at once") {
    event_log log;
    manual_task<int> a(log, "a");
    auto it = spawn_logged(pick(a.get(), true), log, "out");
    CHECK(log.take() == events{"a start", "out notify"});
    CHECK(transfer_shown(it) == "7");
    a.succeed(5);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "5");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a clone copies the locals live after the fork, and no other") {
    event_log log;
    CHECK(braid::run_blocking(all(copies(log, {1, 2, 3}))) == std::vector<std::string>{"b1", "b3"});
    events branch = {"+raii copy", "copy used", "branch uses used", "~raii"};
    events want = {"+raii", "unused is unused"};
    for (int i = 0; i < 3; ++i) want.insert(want.end(), branch.begin(), branch.end());
    want.push_back("~raii");  // the template's own, when the input has ended
    CHECK(log.take() == want);
  }

  TEST_CASE("each branch changes its own copies of the live locals (transform-cases 31)") {
    CHECK(braid::run_blocking(all(independent({1, 2, 3}))) == std::vector<std::string>{"2:1", "2:2", "2:3"});
  }

  TEST_CASE("a local destroyed or moved from before the fork is not copied alive (transform-cases 33)") {
    event_log log;
    CHECK(braid::run_blocking(all(ended_before(log, {1, 2}))) == std::vector<std::string>{"m1", "m2"});
    CHECK(log.take() == events{"+gone", "~gone"});
  }

  TEST_CASE("a temporary extended by a reference is copied with it at a later fork") {
    CHECK(braid::run_blocking(all(extended_across_fork({1, 2}))) == std::vector<int>{11, 12, 21, 22});
  }

  TEST_CASE("a kept reference refers to the branch's own copy of its local") {
    CHECK(braid::run_blocking(all(rebased({1, 2}))) == std::vector<int>{101, 102});
  }

  TEST_CASE("forks in conditions and operands nest: Missionary's order") {
    // x = 1: y = 1 (not > 1): 11, 12; y = 2: dropped. x = 2: y = 1, 2: 21, 22, 21, 22.
    CHECK(braid::run_blocking(all(nested({1, 2}, {1, 2}))) == std::vector<int>{11, 12, 21, 22, 21, 22});
  }

  TEST_CASE("an input's error is thrown at the fork point, in a branch of its own") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(failing_input(in.get()), log, "out");
    in.emit(4);
    CHECK(transfer_shown(it) == "4");
    in.fail("broken");
    CHECK(transfer_shown(it) == "input failed: broken");
    in.terminate();
    CHECK(log.take().back() == "out terminate");
  }

  TEST_CASE("a function template and a member function") {
    CHECK(braid::run_blocking(all(twice<int>({1, 2}))) == std::vector<int>{1, 2, 2, 4});
    CHECK(braid::run_blocking(all(twice<std::string>({"a"}))) == std::vector<std::string>{"a", "aa"});
    scaler s{10};
    CHECK(braid::run_blocking(all(s.scale({1, 2}))) == std::vector<int>{10, 20});
  }

  TEST_CASE("pagination: a page's items, then the next page's, in order") {
    CHECK(braid::run_blocking(all(items(0))) == std::vector<std::string>{"a", "b", "c", "d", "e"});
  }
}

TEST_SUITE("braidc ap under braid::sim") {
  namespace sim = braid::sim;

  // The values of one run, with the concurrency each branch saw removed.
  std::vector<int> values(const std::vector<int>& got) {
    std::vector<int> v;
    for (int g : got) v.push_back(g / 10);
    return v;
  }

  TEST_CASE("fork(n): every interleaving runs at most n branches at once and loses no value") {
    for (std::size_t n : {std::size_t{1}, std::size_t{2}}) {
      CAPTURE(n);
      auto r = sim::explore_interleavings(
          [n] {
            running = 0;
            return sim::collect(concurrent(n, {1, 2, 3}));
          },
          {.num_samples = 500, .strategy = sim::strategy::exhaustive(2)});
      CHECK(r.complete);
      for (const auto& o : r.outcomes) {
        REQUIRE(o.value);
        std::vector<int> v = values(*o.value);
        std::sort(v.begin(), v.end());
        CHECK(v == std::vector<int>{1, 2, 3});
        for (int g : *o.value) CHECK(g % 10 <= static_cast<int>(n));
        if (n == 1) CHECK(values(*o.value) == std::vector<int>{1, 2, 3});  // one at a time: in order
      }
    }
  }

  TEST_CASE("fork_merge: every interleaving loses no value, and some run all three branches at once") {
    auto r = sim::explore_interleavings(
        [] {
          running = 0;
          return sim::collect(concurrent(0, {1, 2, 3}));
        },
        {.num_samples = 500, .strategy = sim::strategy::exhaustive(2)});
    CHECK(r.complete);
    bool three = false;
    for (const auto& o : r.outcomes) {
      REQUIRE(o.value);
      std::vector<int> v = values(*o.value);
      std::sort(v.begin(), v.end());
      CHECK(v == std::vector<int>{1, 2, 3});
      for (int g : *o.value) three = three || g % 10 == 3;
    }
    CHECK(three);
    CHECK(r.outcomes.size() > 1);
  }

  TEST_CASE("fork_switch: in every interleaving the last value survives, earlier ones only in order") {
    auto r = sim::explore_interleavings([] { return sim::collect(switched()); },
                                        {.num_samples = 500, .strategy = sim::strategy::exhaustive(2)});
    CHECK(r.complete);
    for (const auto& o : r.outcomes) {
      REQUIRE(o.value);
      const std::vector<int>& v = *o.value;
      REQUIRE(!v.empty());
      CHECK(v.back() == 3);
      CHECK(std::is_sorted(v.begin(), v.end()));
    }
  }
}

TEST_SUITE("braidc cp") {
  TEST_CASE("a cp over two watches reruns from the choice that changed") {
    event_log log;
    braid::ref<int> ra(1), rb(2);
    auto it = spawn_logged(sum(braid::watch(ra), braid::watch(rb), log), log, "out");
    CHECK(transfer_shown(it) == "t3");
    CHECK(log.take() == events{"out notify", "run a=1", "run b=2"});
    rb.reset(5);
    CHECK(log.take() == events{"out notify"});
    rb.reset(6);
    CHECK(log.take() == events{});
    CHECK(transfer_shown(it) == "t7");
    CHECK(log.take() == events{"run b=6"});
    ra.reset(10);
    CHECK(transfer_shown(it) == "t16");
    CHECK(log.take() == events{"out notify", "run a=10", "run b=6"});
    rb.reset(-1);
    CHECK(transfer_shown(it) == "err negative");
    CHECK(log.take() == events{"out notify", "run b=-1", "out terminate"});
  }
}
