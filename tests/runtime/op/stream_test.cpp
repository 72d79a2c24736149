// SPDX-License-Identifier: MIT
#include <braid/op/stream.hpp>

#include <script.hpp>

#include "continuous_support.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::logged_consumer;
using braid::testing::scripted_flow;

TEST_SUITE("stream") {
  TEST_CASE("one subscriber: items in order, the upstream pulled once per transfer, then the end") {
    event_log log;
    scripted_flow<int> in(log, "in");
    logged_consumer<int> c(log, "c");
    c.spawn(stream(in.ready()));
    CHECK(log.take() == events{"in spawn", "c notify"});
    in.then_renotify(0);
    c.step();
    CHECK(log.take() == events{"in transfer", "c notify", "c got 0"});
    in.then_renotify(1);
    c.step();
    CHECK(log.take() == events{"in transfer", "c notify", "c got 1"});
    in.then_last(2);
    c.step();
    CHECK(log.take() == events{"in transfer", "c terminate", "c got 2"});
    c.it.cancel();  // after the end: no effect
    CHECK(log.take().empty());
  }

  TEST_CASE("an upstream that is not ready at spawn: subscribers wait for its first item") {
    event_log log;
    scripted_flow<int> in(log, "in");
    auto s = stream(in.get());
    logged_consumer<int> a(log, "a"), b(log, "b");
    a.spawn(s);
    b.spawn(s);
    CHECK(log.take() == events{"in spawn"});
    in.notify();
    CHECK(log.take() == events{"b notify", "a notify"});
    in.then_renotify(0);
    a.step();
    CHECK(log.take() == events{"in transfer", "a got 0"});
    // a took the item, b has not: the upstream's next item waits for b.
    b.step();  // the last taker pulls the next item: both are notified inside this transfer
    CHECK(log.take() == events{"b notify", "a notify", "b got 0"});
    in.then_value(1);
    b.step();
    a.step();
    CHECK(log.take() == events{"in transfer", "b got 1", "a got 1"});
    in.terminate();
    CHECK(log.take() == events{"a terminate", "b terminate"});
  }

  TEST_CASE("the slowest subscriber sets the pace; a cancelled one stops holding the upstream back") {
    event_log log;
    scripted_flow<int> in(log, "in");
    auto s = stream(in.get());
    logged_consumer<int> a(log, "a"), b(log, "b");
    a.spawn(s);
    b.spawn(s);
    in.notify();
    in.then_renotify(0);
    a.step();
    CHECK(log.take() == events{"in spawn", "b notify", "a notify", "in transfer", "a got 0"});
    b.it.cancel();  // b was notified: its transfer throws, and a gets the next item
    CHECK(log.take() == events{"a notify"});
    b.step();
    CHECK(log.take() == events{"b terminate", "b err cancelled: braid: stream subscription cancelled"});
    in.then_value(1);
    a.step();
    CHECK(log.take() == events{"in transfer", "a got 1"});
    a.it.cancel();  // the last one: the upstream is cancelled, a follows it to its end
    CHECK(log.take() == events{"in cancel"});
    in.then_cancelled_last();
    in.notify();
    CHECK(log.take() == events{"a notify"});
    a.step();
    CHECK(log.take() == events{"in transfer", "a terminate", "a err cancelled: scripted flow cancelled"});
  }

  TEST_CASE("an upstream error reaches the subscriber; the upstream is cancelled and drained") {
    event_log log;
    scripted_flow<int> in(log, "in");
    logged_consumer<int> c(log, "c");
    c.spawn(stream(in.ready()));
    in.then_error("broken");
    c.step();
    CHECK(log.take() == events{"in spawn", "c notify", "in transfer", "in cancel", "c err broken"});
    in.then_value(3);
    in.notify();
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"c terminate"});
  }

  TEST_CASE("a subscriber arriving after the end gets nothing") {
    event_log log;
    scripted_flow<int> in(log, "in");
    auto s = stream(in.ready());
    logged_consumer<int> a(log, "a");
    a.spawn(s);
    in.then_last(1);
    a.step();
    CHECK(log.take() == events{"in spawn", "a notify", "in transfer", "a terminate", "a got 1"});
    logged_consumer<int> late(log, "late");
    late.spawn(s);
    CHECK(log.take() == events{"late terminate"});
    CHECK(in.runs() == 1);
  }

  TEST_CASE("an empty upstream: subscribers terminate at once") {
    event_log log;
    scripted_flow<int> in(log, "in");
    logged_consumer<int> c(log, "c");
    c.spawn(stream(in.get([&](std::size_t) { in.terminate(); })));
    CHECK(log.take() == events{"in spawn", "c terminate"});
  }

  TEST_CASE("cancel right after subscribing, before any item") {
    event_log log;
    scripted_flow<int> in(log, "in");
    auto s = stream(in.get());
    logged_consumer<int> a(log, "a"), b(log, "b");
    a.spawn(s);
    b.spawn(s);
    a.it.cancel();  // waiting for an item: notified at once, its transfer throws
    CHECK(log.take() == events{"in spawn", "a notify"});
    a.step();
    CHECK(log.take() == events{"a terminate", "a err cancelled: braid: stream subscription cancelled"});
    in.notify();
    in.then_value(5);
    b.step();
    CHECK(log.take() == events{"b notify", "in transfer", "b got 5"});
    b.it.cancel();
    in.then_cancelled();
    in.notify();
    b.step();
    in.terminate();
    CHECK(log.take() == events{"in cancel", "b notify", "in transfer", "b err cancelled: scripted flow cancelled",
                               "b terminate"});
  }

  TEST_CASE("eager subscribers over a synchronous source: constant stack (100,000 items)") {
    braid::testing::run_on_small_stack(
        [] {
          event_log log;
          scripted_flow<int> in(log, "in");
          int n = 0;
          std::function<int()> next = [&]() -> int {
            ++n;
            if (n < 100000) {
              in.then(next);
              in.notify();
            } else {
              in.terminate();
            }
            return n;
          };
          auto s = stream(in.get());
          logged_consumer<int> a(log, "a", true), b(log, "b", true);
          a.spawn(s);
          b.spawn(s);
          in.then(next);
          in.notify();
          CHECK(a.values.size() == 100000);
          CHECK(b.values.size() == 100000);
          CHECK(a.terminations == 1);
          CHECK(b.terminations == 1);
        },
        512 * 1024);
  }

  TEST_CASE("completion from another thread: items pushed from a producer thread (threads, joined)") {
    event_log log;
    scripted_flow<int> in(log, "in");
    auto s = stream(in.get());
    std::atomic<int> notes{0};
    std::atomic<bool> ended{false};
    auto it = s.spawn([&] { notes.fetch_add(1); }, [&] { ended = true; });
    std::thread t([&] {
      in.then_value(7);
      in.notify();
    });
    t.join();
    CHECK(notes.load() == 1);
    CHECK(it.transfer() == 7);
    std::thread t2([&] { in.terminate(); });
    t2.join();
    CHECK(ended.load());
  }
}
