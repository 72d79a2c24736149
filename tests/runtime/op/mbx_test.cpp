// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>
#include <braid/op/mbx.hpp>

#include <script.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::run_logged;

namespace {

// Move-only, counts live instances.
struct letter {
  static inline int live = 0;
  std::unique_ptr<int> v;
  explicit letter(int x) : v(std::make_unique<int>(x)) { ++live; }
  letter(letter&& o) noexcept : v(std::move(o.v)) { ++live; }
  letter& operator=(letter&&) = delete;
  ~letter() { --live; }
};

// task<T> of a move-only T is itself move-only: run it as an rvalue.
canceller run_letter(task<letter> t, event_log& log, const std::string& prefix = "") {
  return std::move(t).run([&log, prefix](letter l) { log(prefix + "ok " + std::to_string(*l.v)); },
               [&log, prefix](std::exception_ptr e) { log(prefix + "err " + testing::message(e)); });
}

}  // namespace

TEST_SUITE("mbx") {
  TEST_CASE("a fetch run after a post completes synchronously with the message and keeps no state") {
    event_log log;
    mbx<int> m;
    m.post(1);
    canceller c = run_logged(m.fetch(), log);
    CHECK(log.take() == events{"ok 1"});
    CHECK_FALSE(c);
    c();
    CHECK(log.take().empty());
  }

  TEST_CASE("a pending fetch completes with the next message posted") {
    event_log log;
    mbx<int> m;
    canceller c = run_logged(m.fetch(), log);
    CHECK(log.take().empty());
    m.post(2);
    CHECK(log.take() == events{"ok 2"});
    c();  // after the end: nothing
    CHECK(log.take().empty());
  }

  TEST_CASE("queued messages are delivered in the order they were posted, one per fetch") {
    event_log log;
    mbx<std::string> m;
    m.post("a");
    m.post("b");
    m.post("c");
    task<std::string> f = m.fetch();
    run_logged(f, log);
    run_logged(f, log);
    CHECK(log.take() == events{"ok a", "ok b"});
    run_logged(f, log);
    run_logged(f, log, "pending ");
    CHECK(log.take() == events{"ok c"});
    m.post("d");
    CHECK(log.take() == events{"pending ok d"});
  }

  TEST_CASE("pending fetches are served in the order they were run, one message each") {
    event_log log;
    mbx<int> m;
    run_logged(m.fetch(), log, "a ");
    run_logged(m.fetch(), log, "b ");
    run_logged(m.fetch(), log, "c ");
    m.post(1);
    CHECK(log.take() == events{"a ok 1"});
    m.post(2);
    m.post(3);
    CHECK(log.take() == events{"b ok 2", "c ok 3"});
    m.post(4);  // nobody waits: queued
    CHECK(log.take().empty());
    run_logged(m.fetch(), log, "d ");
    CHECK(log.take() == events{"d ok 4"});
  }

  TEST_CASE("a cancelled fetch is skipped and no message is lost") {
    event_log log;
    mbx<int> m;
    run_logged(m.fetch(), log, "a ");
    canceller b = run_logged(m.fetch(), log, "b ");
    run_logged(m.fetch(), log, "c ");
    b();
    CHECK(log.take() == events{"b err cancelled: braid::mbx fetch cancelled"});
    b();  // twice: nothing
    m.post(1);
    m.post(2);
    CHECK(log.take() == events{"a ok 1", "c ok 2"});
    m.post(3);
    run_logged(m.fetch(), log, "d ");
    CHECK(log.take() == events{"d ok 3"});
  }

  TEST_CASE("cancelling right after run, before any post, fails the fetch") {
    event_log log;
    mbx<int> m;
    canceller c = run_logged(m.fetch(), log);
    c();
    CHECK(log.take() == events{"err cancelled: braid::mbx fetch cancelled"});
    m.post(5);  // queued, not given to the cancelled fetch
    CHECK(log.take().empty());
    run_logged(m.fetch(), log);
    CHECK(log.take() == events{"ok 5"});
  }

  TEST_CASE("cancelling a completed fetch does nothing") {
    event_log log;
    mbx<int> m;
    canceller c = run_logged(m.fetch(), log);
    m.post(6);
    CHECK(log.take() == events{"ok 6"});
    c();
    CHECK(log.take().empty());
  }

  TEST_CASE("move-only messages; queued messages die with the mailbox") {
    event_log log;
    letter::live = 0;
    {
      mbx<letter> m;
      run_letter(m.fetch(), log, "a ");
      m.post(letter(1));
      CHECK(log.take() == events{"a ok 1"});
      m.post(letter(2));
      m.post(letter(3));
      CHECK(letter::live == 2);
      run_letter(m.fetch(), log, "b ");
      CHECK(log.take() == events{"b ok 2"});
      CHECK(letter::live == 1);
    }
    CHECK(letter::live == 0);
  }

  TEST_CASE("a pending fetch keeps the mailbox alive; cancelling it frees everything") {
    event_log log;
    letter::live = 0;
    canceller c;
    {
      mbx<letter> m;
      c = run_letter(m.fetch(), log);
    }
    c();
    CHECK(log.take() == events{"err cancelled: braid::mbx fetch cancelled"});
    c = canceller();
    CHECK(letter::live == 0);
  }

  TEST_CASE("a fetch callback may post to the mailbox and fetch from it again") {
    event_log log;
    mbx<int> m;
    // An echo loop: the handler posts the next message (queued: no fetch is
    // pending while it runs), then re-arms the fetch, which takes it at once.
    std::function<void()> arm = [&] {
      m.fetch().run(
          [&](int x) {
            log("got " + std::to_string(x));
            if (x < 3) {
              m.post(x + 1);
              arm();
            }
          },
          [](std::exception_ptr) {});
    };
    arm();
    m.post(1);
    CHECK(log.take() == events{"got 1", "got 2", "got 3"});
  }

  TEST_CASE("using a moved-from handle throws a logic_error naming the problem") {
    mbx<int> m;
    mbx<int> n = std::move(m);
    const char* msg =
        "braid::mbx: this handle was moved from and refers to nothing; assign it another handle "
        "before using it";
    CHECK_THROWS_WITH_AS(m.post(1), msg, std::logic_error);  // NOLINT(bugprone-use-after-move)
    CHECK_THROWS_WITH_AS(m.fetch(), msg, std::logic_error);
    n.post(1);
    CHECK(run_blocking(n.fetch()) == 1);
  }

  // Real threads from here on.
  TEST_CASE("[threads] a post on another thread completes a blocked fetch") {
    mbx<int> m;
    std::thread th([m] { m.post(31); });
    CHECK(run_blocking(m.fetch()) == 31);
    th.join();
  }

  TEST_CASE("[threads][stress] every message is delivered exactly once, in order per producer") {
    constexpr int producers = 3;
    constexpr int consumers = 3;
    constexpr int per_producer = 2000;
    mbx<int> m;
    std::vector<std::atomic<int>> received(producers * per_producer);
    std::atomic<int> out_of_order{0}, cancelled{0}, delivered{0};
    std::vector<std::thread> ts;
    for (int p = 0; p < producers; ++p)
      ts.emplace_back([&, p] {
        for (int k = 0; k < per_producer; ++k) m.post(p * per_producer + k);
      });
    for (int c = 0; c < consumers; ++c)
      ts.emplace_back([&] {
        std::vector<int> last(producers, -1);
        int got = 0;
        while (got < per_producer) {
          // Half the fetches are cancelled at once: a cancelled fetch either
          // failed (no message taken) or had already been served.
          std::atomic<int> outcome{-2};
          canceller k = m.fetch().run([&](int x) { outcome = x; },
                                      [&](std::exception_ptr) { outcome = -1; });
          if (got % 2) k();
          int x;
          while ((x = outcome.load()) == -2) std::this_thread::yield();
          if (x == -1) {
            ++cancelled;
            continue;
          }
          ++got;
          ++delivered;
          ++received[x];
          // A consumer takes messages in queue order, so per producer they
          // must increase.
          int p = x / per_producer;
          if (x <= last[p]) ++out_of_order;
          last[p] = x;
        }
      });
    for (auto& t : ts) t.join();
    CHECK(delivered.load() == producers * per_producer);
    CHECK(out_of_order.load() == 0);
    int wrong = 0;
    for (auto& r : received)
      if (r.load() != 1) ++wrong;
    CHECK(wrong == 0);
  }
}
