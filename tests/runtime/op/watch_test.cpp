// SPDX-License-Identifier: MIT
#include <braid/op/watch.hpp>
#include <braid/ref.hpp>

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

namespace {

struct counted {
  static inline std::atomic<int> live{0};
  int v;
  explicit counted(int v) : v(v) { ++live; }
  counted(const counted& o) : v(o.v) { ++live; }
  ~counted() { --live; }
};

}  // namespace

TEST_SUITE("ref") {
  TEST_CASE("get returns the value, reset replaces it, swap updates it and returns the new value") {
    ref<int> x(1);
    CHECK(x.get() == 1);
    x.reset(5);
    CHECK(x.get() == 5);
    CHECK(x.swap([](int v) { return v * 2; }) == 10);
    CHECK(x.get() == 10);
  }

  TEST_CASE("copies of a ref share one atom") {
    ref<std::string> a(std::string("x"));
    ref<std::string> b = a;
    b.reset("y");
    CHECK(a.get() == "y");
  }

  TEST_CASE("a throwing swap function leaves the value unchanged and propagates") {
    ref<int> x(1);
    CHECK_THROWS_WITH(x.swap([](int) -> int { throw std::runtime_error("boom"); }), "boom");
    CHECK(x.get() == 1);
  }

  TEST_CASE("stress: concurrent swaps are atomic (threads, joined)") {
    ref<int> x(0);
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
      ts.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) x.swap([](int v) { return v + 1; });
      });
    for (auto& t : ts) t.join();
    CHECK(x.get() == 4000);
  }
}

TEST_SUITE("watch") {
  TEST_CASE("notifies at spawn and each transfer returns the current value") {
    event_log log;
    ref<int> x(1);
    logged_consumer<int> c(log, "c");
    c.spawn(watch(x));
    CHECK(log.take() == events{"c notify"});
    c.step();
    CHECK(log.take() == events{"c got 1"});
    x.reset(2);
    CHECK(log.take() == events{"c notify"});
    c.step();
    CHECK(log.take() == events{"c got 2"});
    c.it.cancel();
    CHECK(log.take() == events{"c notify"});
    c.step();
    CHECK(log.take() == events{"c terminate", "c err cancelled: braid: watch cancelled"});
  }

  TEST_CASE("changes while a transfer is pending collapse into one notification of the latest value") {
    event_log log;
    ref<int> x(1);
    logged_consumer<int> c(log, "c");
    c.spawn(watch(x));
    CHECK(log.take() == events{"c notify"});
    x.reset(2);
    x.swap([](int v) { return v + 10; });
    CHECK(log.take().empty());
    c.step();
    CHECK(log.take() == events{"c got 12"});
    c.it.cancel();
    c.step();
    log.take();
  }

  TEST_CASE("does not drop duplicates: resetting to an equal value notifies") {
    event_log log;
    ref<int> x(1);
    logged_consumer<int> c(log, "c");
    c.spawn(watch(x));
    c.step();
    CHECK(log.take() == events{"c notify", "c got 1"});
    x.reset(1);
    CHECK(log.take() == events{"c notify"});
    c.step();
    CHECK(log.take() == events{"c got 1"});
    c.it.cancel();
    c.step();
    log.take();
  }

  TEST_CASE("cancel while a transfer is pending does not notify again; the transfer throws cancelled") {
    event_log log;
    ref<int> x(1);
    logged_consumer<int> c(log, "c");
    c.spawn(watch(x));
    CHECK(log.take() == events{"c notify"});
    c.it.cancel();
    c.it.cancel();
    x.reset(3);  // ignored after cancel
    CHECK(log.take().empty());
    c.step();
    CHECK(log.take() == events{"c terminate", "c err cancelled: braid: watch cancelled"});
    c.it.cancel();  // after the end: a no-op
    x.reset(4);     // no longer watched
    CHECK(log.take().empty());
  }

  TEST_CASE("cancel right after spawn, before any transfer, ends at the first transfer") {
    event_log log;
    ref<int> x(1);
    logged_consumer<int> c(log, "c");
    c.spawn(watch(x));
    c.it.cancel();
    CHECK(log.take() == events{"c notify"});
    c.step();
    CHECK(log.take() == events{"c terminate", "c err cancelled: braid: watch cancelled"});
  }

  TEST_CASE("an eager consumer transferring inside the notification sees every change") {
    event_log log;
    ref<int> x(1);
    logged_consumer<int> c(log, "c", true);
    c.spawn(watch(x));
    CHECK(log.take() == events{"c notify", "c got 1"});
    x.reset(2);
    CHECK(log.take() == events{"c notify", "c got 2"});
    x.swap([](int v) { return v + 1; });
    CHECK(log.take() == events{"c notify", "c got 3"});
    c.it.cancel();
    CHECK(log.take() == events{"c notify", "c terminate", "c err cancelled: braid: watch cancelled"});
  }

  TEST_CASE("several watches of one ref are each notified; values and the ref are released at the end") {
    event_log log;
    {
      ref<counted> x(counted(1));
      logged_consumer<counted> a(log, "a"), b(log, "b");
      a.it = watch(x).spawn([&] { log("a notify"); }, [&] { log("a terminate"); });
      b.it = watch(x).spawn([&] { log("b notify"); }, [&] { log("b terminate"); });
      CHECK(log.take() == events{"a notify", "b notify"});
      CHECK(a.it.transfer().v == 1);
      CHECK(b.it.transfer().v == 1);
      x.reset(counted(2));
      CHECK(log.take() == events{"b notify", "a notify"});  // most recent watch first
      CHECK(a.it.transfer().v == 2);
      a.it.cancel();
      b.it.cancel();
      CHECK(log.take() == events{"a notify"});
      CHECK_THROWS_AS(a.it.transfer(), braid::cancelled);
      CHECK_THROWS_AS(b.it.transfer(), braid::cancelled);
      CHECK(log.take() == events{"a terminate", "b terminate"});
    }
    CHECK(counted::live == 0);
  }

  TEST_CASE("a watch outlives the ref handle it was made from") {
    event_log log;
    flow<int> f;
    ref<int> keep(0);
    {
      ref<int> x(7);
      f = watch(x);
      keep = x;
    }
    logged_consumer<int> c(log, "c");
    c.spawn(f);
    c.step();
    CHECK(log.take() == events{"c notify", "c got 7"});
    keep.reset(8);
    c.step();
    CHECK(log.take() == events{"c notify", "c got 8"});
    c.it.cancel();
    c.step();
    log.take();
  }

  TEST_CASE("stress: changes from other threads are never lost (threads, joined)") {
    ref<int> x(0);
    std::atomic<int> notified{0};
    auto it = watch(x).spawn([&] { notified.fetch_add(1); }, [] {});
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t)
      ts.emplace_back([&] {
        for (int i = 0; i < 2000; ++i) x.swap([](int v) { return v + 1; });
      });
    int transfers = 0;
    int last = -1;
    // Transfer once per notification until the final value was seen.
    while (last != 6000) {
      if (notified.load() > transfers) {
        int v = it.transfer();
        CHECK(v >= last);
        last = v;
        ++transfers;
      } else {
        std::this_thread::yield();
      }
    }
    for (auto& t : ts) t.join();
    it.cancel();
    // The cancel notifies only if no transfer was pending.
    while (notified.load() == transfers) std::this_thread::yield();
    CHECK_THROWS_AS(it.transfer(), braid::cancelled);
  }
}
