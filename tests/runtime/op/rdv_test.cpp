// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>
#include <braid/op/rdv.hpp>

#include <script.hpp>

#include <stdexcept>
#include <string>
#include <thread>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::run_logged;

namespace {

// Counts live instances; copying throws while `fail_copies` is set.
struct tracked {
  static inline int live = 0;
  static inline bool fail_copies = false;
  int v;
  explicit tracked(int v) : v(v) { ++live; }
  tracked(const tracked& o) : v(o.v) {
    if (fail_copies) throw std::runtime_error("copy failed");
    ++live;
  }
  tracked& operator=(const tracked&) = delete;
  ~tracked() { --live; }
};

canceller run_tracked(const task<tracked>& t, event_log& log, const std::string& prefix = "") {
  return t.run([&log, prefix](tracked x) { log(prefix + "ok " + std::to_string(x.v)); },
               [&log, prefix](std::exception_ptr e) { log(prefix + "err " + testing::message(e)); });
}

}  // namespace

TEST_SUITE("rdv") {
  TEST_CASE("a giver waits for a taker; they meet when the taker comes, the giver first") {
    event_log log;
    rdv<int> r;
    canceller g = run_logged(r.give(1), log, "give ");
    CHECK(log.take().empty());
    CHECK(g);
    canceller t = run_logged(r.take(), log, "take ");
    CHECK(log.take() == events{"give ok", "take ok 1"});
    CHECK_FALSE(t);  // met at once: no state kept
    g();             // after the end: nothing
    t();
    CHECK(log.take().empty());
  }

  TEST_CASE("a taker waits for a giver; they meet when the giver comes, the taker first") {
    event_log log;
    rdv<std::string> r;
    canceller t = run_logged(r.take(), log, "take ");
    CHECK(log.take().empty());
    canceller g = run_logged(r.give("x"), log, "give ");
    CHECK(log.take() == events{"take ok x", "give ok"});
    CHECK_FALSE(g);
    t();
    CHECK(log.take().empty());
  }

  TEST_CASE("waiting givers are met in the order they were run") {
    event_log log;
    rdv<int> r;
    run_logged(r.give(1), log, "g1 ");
    run_logged(r.give(2), log, "g2 ");
    run_logged(r.give(3), log, "g3 ");
    CHECK(log.take().empty());
    run_logged(r.take(), log, "t1 ");
    CHECK(log.take() == events{"g1 ok", "t1 ok 1"});
    run_logged(r.take(), log, "t2 ");
    run_logged(r.take(), log, "t3 ");
    CHECK(log.take() == events{"g2 ok", "t2 ok 2", "g3 ok", "t3 ok 3"});
    run_logged(r.take(), log, "t4 ");  // nobody gives: waits
    CHECK(log.take().empty());
    run_logged(r.give(4), log, "g4 ");
    CHECK(log.take() == events{"t4 ok 4", "g4 ok"});
  }

  TEST_CASE("waiting takers are met in the order they were run") {
    event_log log;
    rdv<int> r;
    run_logged(r.take(), log, "t1 ");
    run_logged(r.take(), log, "t2 ");
    run_logged(r.give(1), log, "g1 ");
    run_logged(r.give(2), log, "g2 ");
    CHECK(log.take() == events{"t1 ok 1", "g1 ok", "t2 ok 2", "g2 ok"});
  }

  TEST_CASE("a cancelled giver is skipped: the taker meets the next one") {
    event_log log;
    rdv<int> r;
    canceller g1 = run_logged(r.give(1), log, "g1 ");
    run_logged(r.give(2), log, "g2 ");
    g1();
    CHECK(log.take() == events{"g1 err cancelled: braid::rdv give cancelled"});
    g1();  // twice: nothing
    CHECK(log.take().empty());
    run_logged(r.take(), log, "t ");
    CHECK(log.take() == events{"g2 ok", "t ok 2"});
  }

  TEST_CASE("a cancelled taker is skipped: the giver meets the next one") {
    event_log log;
    rdv<int> r;
    canceller t1 = run_logged(r.take(), log, "t1 ");
    run_logged(r.take(), log, "t2 ");
    t1();
    CHECK(log.take() == events{"t1 err cancelled: braid::rdv take cancelled"});
    run_logged(r.give(5), log, "g ");
    CHECK(log.take() == events{"t2 ok 5", "g ok"});
  }

  TEST_CASE("cancelling right after run fails the give or take at once; nothing meets it later") {
    event_log log;
    rdv<int> r;
    canceller g = run_logged(r.give(1), log, "g ");
    g();
    CHECK(log.take() == events{"g err cancelled: braid::rdv give cancelled"});
    canceller t = run_logged(r.take(), log, "t ");
    CHECK(log.take().empty());  // the cancelled giver is gone: the taker waits
    t();
    CHECK(log.take() == events{"t err cancelled: braid::rdv take cancelled"});
    run_logged(r.give(2), log, "g2 ");  // the cancelled taker is gone too
    CHECK(log.take().empty());
    run_logged(r.take(), log, "t2 ");
    CHECK(log.take() == events{"g2 ok", "t2 ok 2"});
  }

  TEST_CASE("cancelling a completed give or take does nothing") {
    event_log log;
    rdv<int> r;
    canceller g = run_logged(r.give(1), log, "g ");
    run_logged(r.take(), log, "t ");
    CHECK(log.take() == events{"g ok", "t ok 1"});
    g();
    CHECK(log.take().empty());
  }

  TEST_CASE("a give task is a recipe: every run gives its value once more") {
    event_log log;
    rdv<int> r;
    task<void> g = r.give(7);
    run_logged(g, log, "a ");
    run_logged(g, log, "b ");
    task<int> t = r.take();
    run_logged(t, log, "x ");
    run_logged(t, log, "y ");
    CHECK(log.take() == events{"a ok", "x ok 7", "b ok", "y ok 7"});
  }

  TEST_CASE("when copying the value throws, both sides of the meeting fail with that exception") {
    event_log log;
    tracked::live = 0;
    {
      rdv<tracked> r;
      task<void> g = r.give(tracked(1));
      run_logged(g, log, "g ");
      tracked::fail_copies = true;
      run_tracked(r.take(), log, "t ");
      CHECK(log.take() == events{"g err copy failed", "t err copy failed"});
      run_tracked(r.take(), log, "t2 ");
      run_logged(g, log, "g2 ");
      CHECK(log.take() == events{"t2 err copy failed", "g2 err copy failed"});
      tracked::fail_copies = false;
      run_logged(g, log, "g3 ");
      run_tracked(r.take(), log, "t3 ");
      CHECK(log.take() == events{"g3 ok", "t3 ok 1"});
    }
    CHECK(tracked::live == 0);
  }

  TEST_CASE("pending gives and takes keep the point alive; cancelling them frees everything") {
    event_log log;
    tracked::live = 0;
    canceller g, t;
    {
      rdv<tracked> r1, r2;
      g = run_logged(r1.give(tracked(1)), log, "g ");
      t = run_tracked(r2.take(), log, "t ");
    }
    CHECK(tracked::live == 1);  // the waiting giver's value
    g();
    t();
    CHECK(log.take() == events{"g err cancelled: braid::rdv give cancelled",
                               "t err cancelled: braid::rdv take cancelled"});
    g = canceller();
    t = canceller();
    CHECK(tracked::live == 0);
  }

  TEST_CASE("using a moved-from handle throws a logic_error naming the problem") {
    rdv<int> r;
    rdv<int> s = std::move(r);
    const char* msg =
        "braid::rdv: this handle was moved from and refers to nothing; assign it another handle "
        "before using it";
    CHECK_THROWS_WITH_AS(r.give(1), msg, std::logic_error);  // NOLINT(bugprone-use-after-move)
    CHECK_THROWS_WITH_AS(r.take(), msg, std::logic_error);
    s.give(1).run([] {}, [](std::exception_ptr) {});
    CHECK(run_blocking(s.take()) == 1);
  }

  // Real threads from here on.
  TEST_CASE("[threads] a give on another thread meets a blocked take, and the reverse") {
    rdv<int> r;
    std::thread th([r] { run_blocking(r.give(11)); });
    CHECK(run_blocking(r.take()) == 11);
    th.join();
    int got = 0;
    std::thread th2([r, &got] { got = run_blocking(r.take()); });
    run_blocking(r.give(12));
    th2.join();
    CHECK(got == 12);
  }
}
