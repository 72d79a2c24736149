// SPDX-License-Identifier: MIT
#include <braid/op/store.hpp>

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
// Strings concatenate: the deltas' merge is visible in the value.
struct concat {
  std::string operator()(const std::string& a, std::string b) const { return a + b; }
};
}  // namespace

TEST_SUITE("store") {
  TEST_CASE("a reader gets the merge of all deltas at spawn, then the merge of the new ones") {
    event_log log;
    store<std::string, concat> s(concat{}, "a");
    s.append("b");
    logged_consumer<std::string> r(log, "r");
    r.spawn(s.read());
    CHECK(log.take() == events{"r notify"});
    r.step();
    CHECK(log.take() == events{"r got ab"});
    s.append("c");
    CHECK(log.take() == events{"r notify"});
    s.append("d");  // pending: merged into the same transfer
    CHECK(log.take().empty());
    r.step();
    CHECK(log.take() == events{"r got cd"});
    s.freeze();  // the reader is idle: it ends at once
    CHECK(log.take() == events{"r terminate"});
    s.append("ignored");
    r.it.cancel();
    CHECK(log.take().empty());
  }

  TEST_CASE("freeze while a delta is pending: the reader transfers it and terminates") {
    event_log log;
    store<std::string, concat> s(concat{}, "x");
    logged_consumer<std::string> r(log, "r");
    r.spawn(s);
    s.freeze();
    s.append("y");  // ignored
    r.step();
    CHECK(log.take() == events{"r notify", "r terminate", "r got x"});
  }

  TEST_CASE("a reader of a frozen store gets the whole history once, then terminates") {
    event_log log;
    store<std::string, concat> s(concat{}, "1");
    s.append("2");
    s.freeze();
    logged_consumer<std::string> r(log, "r");
    r.spawn(s);
    r.step();
    CHECK(log.take() == events{"r notify", "r terminate", "r got 12"});
  }

  TEST_CASE("one reader at a time: a concurrent reader fails with a clear error") {
    event_log log;
    store<std::string, concat> s(concat{}, "");
    logged_consumer<std::string> a(log, "a"), b(log, "b");
    a.spawn(s);
    b.spawn(s);
    CHECK(log.take() == events{"a notify", "b notify"});
    b.step();
    CHECK(log.take() == events{"b terminate",
                               "b err braid: store: concurrent store reader (a store has one reader at a time; "
                               "cancel the current reader before spawning another)"});
    a.step();
    a.it.cancel();
    a.step();
    CHECK(log.take() == events{"a got ", "a notify", "a terminate", "a err cancelled: braid: store reader cancelled"});
  }

  TEST_CASE("after a reader is cancelled, the next one starts from the merge of every delta") {
    event_log log;
    store<std::string, concat> s(concat{}, "a");
    logged_consumer<std::string> r1(log, "r1");
    r1.spawn(s);
    r1.step();
    s.append("b");
    r1.it.cancel();  // a delta is pending: no new notification, the transfer throws
    CHECK(log.take() == events{"r1 notify", "r1 got a", "r1 notify"});
    r1.step();
    CHECK(log.take() == events{"r1 terminate", "r1 err cancelled: braid: store reader cancelled"});
    s.append("c");
    logged_consumer<std::string> r2(log, "r2");
    r2.spawn(s);
    r2.step();
    CHECK(log.take() == events{"r2 notify", "r2 got abc"});
    r2.it.cancel();
    r2.step();
    log.take();
  }

  TEST_CASE("misuse: a transfer without a notification fails with a clear error and changes nothing") {
    event_log log;
    store<std::string, concat> s(concat{}, "a");
    logged_consumer<std::string> r(log, "r");
    r.spawn(s);
    r.step();
    CHECK_THROWS_WITH(r.it.transfer(), "braid: store reader transferred without a notification");
    s.append("b");
    r.step();
    CHECK(log.take() == events{"r notify", "r got a", "r notify", "r got b"});
    r.it.cancel();
    r.step();
    log.take();
  }

  TEST_CASE("default semigroup: keep the latest delta") {
    event_log log;
    store<int> s(1);
    s.append(2);
    s.append(3);
    logged_consumer<int> r(log, "r");
    r.spawn(s);
    r.step();
    CHECK(log.take() == events{"r notify", "r got 3"});
    r.it.cancel();
    r.step();
    CHECK(log.take() == events{"r notify", "r terminate", "r err cancelled: braid: store reader cancelled"});
  }

  TEST_CASE("a semigroup that throws freezes the store with the error") {
    event_log log;
    auto bad = [](const std::string& a, std::string b) -> std::string {
      if (b == "boom") throw std::runtime_error("sg broke");
      return a + b;
    };
    store<std::string, decltype(bad)> s(bad, "a");
    logged_consumer<std::string> r(log, "r");
    r.spawn(s);
    r.step();
    s.append("x");
    s.append("boom");  // merged into the pending "x": fails
    s.append("y");     // ignored
    r.step();
    CHECK(log.take() == events{"r notify", "r got a", "r notify", "r terminate", "r err sg broke"});
    logged_consumer<std::string> late(log, "late");
    late.spawn(s);
    late.step();
    CHECK(log.take() == events{"late notify", "late terminate", "late err sg broke"});
  }

  TEST_CASE("stress: appends from several threads are all merged (threads, joined)") {
    store<long, std::plus<>> s(std::plus<>{}, 0);
    std::atomic<int> notes{0};
    std::atomic<bool> ended{false};
    auto it = s.read().spawn([&] { notes.fetch_add(1); }, [&] { ended = true; });
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t)
      ts.emplace_back([&] {
        for (int i = 1; i <= 1000; ++i) s.append(i);
      });
    long total = 0;
    int transfers = 0;
    while (total != 3 * 500500L) {
      if (notes.load() > transfers) {
        total += it.transfer();
        ++transfers;
      } else {
        std::this_thread::yield();
      }
    }
    for (auto& t : ts) t.join();
    s.freeze();
    CHECK(ended.load());
    CHECK(total == 3 * 500500L);
  }
}
