// SPDX-License-Identifier: MIT
#include <braid/op/latest.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/signal.hpp>
#include <braid/op/watch.hpp>
#include <braid/ref.hpp>

#include <script.hpp>

#include "continuous_support.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::logged_consumer;
using braid::testing::run_logged;
using braid::testing::scripted_flow;

namespace {

// A combinator that logs each call, so tests see when the cache is used.
struct logged_sum {
  event_log* log;
  int operator()(int a, int b) const {
    (*log)("f " + std::to_string(a) + " " + std::to_string(b));
    return a + b;
  }
};

}  // namespace

TEST_SUITE("latest") {
  TEST_CASE("notifies at spawn, combines the inputs on transfer, terminates when every input has") {
    event_log log;
    scripted_flow<int> a(log, "a"), b(log, "b");
    logged_consumer<int> c(log, "c");
    c.spawn(latest(logged_sum{&log}, a.ready(), b.ready()));
    CHECK(log.take() == events{"a spawn", "b spawn", "c notify"});
    a.then_value(1);
    b.then_value(10);
    c.step();
    CHECK(log.take() == events{"a transfer", "b transfer", "f 1 10", "c got 11"});
    b.notify();
    CHECK(log.take() == events{"c notify"});
    b.then_value(20);
    c.step();
    CHECK(log.take() == events{"b transfer", "f 1 20", "c got 21"});
    a.terminate();
    CHECK(log.take().empty());  // b is still alive
    b.terminate();
    CHECK(log.take() == events{"c terminate"});
  }

  TEST_CASE("inputs are transferred in argument order, whatever order they notified in") {
    event_log log;
    scripted_flow<int> a(log, "a"), b(log, "b");
    logged_consumer<int> c(log, "c");
    c.spawn(latest(logged_sum{&log}, a.ready(), b.ready()));
    a.then_value(1);
    b.then_value(2);
    c.step();
    log.take();
    b.notify();
    CHECK(log.take() == events{"c notify"});
    a.notify();  // already notified downstream: recorded only
    CHECK(log.take().empty());
    a.then_value(3);
    b.then_value(4);
    c.step();
    CHECK(log.take() == events{"a transfer", "b transfer", "f 3 4", "c got 7"});
    c.it.cancel();
    CHECK(log.take() == events{"a cancel", "b cancel"});
    a.terminate();
    b.terminate();
    CHECK(log.take() == events{"c terminate"});
  }

  TEST_CASE("when every argument equals the previous one, the cached result is returned without calling f") {
    event_log log;
    scripted_flow<int> a(log, "a"), b(log, "b");
    logged_consumer<int> c(log, "c");
    c.spawn(latest(logged_sum{&log}, a.ready(), b.ready()));
    CHECK(log.take() == events{"a spawn", "b spawn", "c notify"});
    a.then_value(1);
    b.then_value(2);
    c.step();
    CHECK(log.take() == events{"a transfer", "b transfer", "f 1 2", "c got 3"});
    a.notify();
    a.then_value(1);
    c.step();
    CHECK(log.take() == events{"c notify", "a transfer", "c got 3"});
    c.it.cancel();
    a.terminate();
    b.terminate();
    CHECK(log.take() == events{"a cancel", "b cancel", "c terminate"});
  }

  TEST_CASE("an input that re-notifies inside its own transfer is transferred again: only its last value counts") {
    event_log log;
    scripted_flow<int> a(log, "a"), b(log, "b");
    logged_consumer<int> c(log, "c");
    c.spawn(latest(logged_sum{&log}, a.ready(), b.ready()));
    CHECK(log.take() == events{"a spawn", "b spawn", "c notify"});
    a.then_renotify(1);
    a.then_value(5);
    b.then_value(10);
    c.step();
    CHECK(log.take() == events{"a transfer", "a transfer", "b transfer", "f 5 10", "c got 15"});
    // A notification after the transfer finished (inside b's last transfer
    // here) makes latest notify again once the transfer settles.
    b.notify();
    b.then_renotify(11);  // stays ready: re-notified inside this transfer...
    b.then_value(12);
    c.step();
    CHECK(log.take() == events{"c notify", "b transfer", "b transfer", "f 5 12", "c got 17"});
    a.terminate();
    b.terminate();
    CHECK(log.take() == events{"c terminate"});
  }

  TEST_CASE("the last input terminating inside the transfer of the last value terminates inside that transfer") {
    event_log log;
    scripted_flow<int> a(log, "a");
    logged_consumer<int> c(log, "c");
    c.spawn(latest([](int x) { return x * 2; }, a.ready()));
    a.then_last(4);
    c.step();
    CHECK(log.take() == events{"a spawn", "c notify", "a transfer", "c terminate", "c got 8"});
  }

  TEST_CASE("an input not ready at spawn: inputs cancelled, the transfer fails with a clear error after termination") {
    event_log log;
    scripted_flow<int> a(log, "a"), b(log, "b");
    logged_consumer<int> c(log, "c");
    c.spawn(latest(logged_sum{&log}, a.ready(), b.get()));
    CHECK(log.take() == events{"a spawn", "b spawn", "a cancel", "b cancel", "c notify"});
    b.terminate();
    a.then_cancelled();
    c.step();
    // a's pending value is drained (dropped); a is still running.
    CHECK(log.take() == events{"a transfer",
                               "c err braid: latest: uninitialized continuous flow (input 1 did not notify "
                               "during spawn; a continuous flow must be ready at spawn, e.g. a watch, a "
                               "signal or a latest)"});
    a.terminate();
    CHECK(log.take() == events{"c terminate"});
    CHECK(c.terminations == 1);
  }

  TEST_CASE("the uninitialized error names the input") {
    event_log log;
    scripted_flow<int> a(log, "a"), b(log, "b");
    auto it = latest(logged_sum{&log}, a.ready(), b.get()).spawn([] {}, [&] { log("terminate"); });
    b.terminate();
    a.then_value(1);
    CHECK_THROWS_WITH(it.transfer(), doctest::Contains("latest: uninitialized continuous flow (input 1"));
    a.terminate();
    CHECK(log.take() == events{"a spawn", "b spawn", "a cancel", "b cancel", "a transfer", "terminate"});
  }

  TEST_CASE("an input that fails: every input is cancelled, the error is rethrown, later values are dropped") {
    event_log log;
    scripted_flow<int> a(log, "a"), b(log, "b");
    logged_consumer<int> c(log, "c");
    c.spawn(latest(logged_sum{&log}, a.ready(), b.ready()));
    a.then_value(1);
    b.then_value(2);
    c.step();
    log.take();
    a.notify();
    a.then_error("a broke");
    c.step();
    CHECK(log.take() == events{"c notify", "a transfer", "a cancel", "b cancel", "c err a broke"});
    b.then_value(99);
    b.notify();  // drained, never reaches the consumer
    CHECK(log.take() == events{"b transfer"});
    a.terminate();
    CHECK(log.take().empty());
    b.terminate();
    CHECK(log.take() == events{"c terminate"});
  }

  TEST_CASE("f that throws: every input is cancelled and the error is rethrown") {
    event_log log;
    scripted_flow<int> a(log, "a");
    logged_consumer<int> c(log, "c");
    c.spawn(latest([](int x) -> int {
      if (x > 1) throw std::runtime_error("too big");
      return x;
    }, a.ready()));
    a.then_value(1);
    c.step();
    CHECK(log.take() == events{"a spawn", "c notify", "a transfer", "c got 1"});
    a.notify();
    a.then_value(2);
    c.step();
    CHECK(log.take() == events{"c notify", "a transfer", "a cancel", "c err too big"});
    a.terminate();
    CHECK(log.take() == events{"c terminate"});
  }

  TEST_CASE("cancel right after spawn: inputs cancelled, their cancelled transfer is rethrown") {
    event_log log;
    scripted_flow<int> a(log, "a");
    logged_consumer<int> c(log, "c");
    c.spawn(latest([](int x) { return x; }, a.ready()));
    c.it.cancel();
    CHECK(log.take() == events{"a spawn", "c notify", "a cancel"});
    a.then([&]() -> int {
      a.terminate();
      throw braid::cancelled("scripted flow cancelled");
    });
    c.step();
    CHECK(log.take() == events{"a transfer", "c terminate", "c err cancelled: scripted flow cancelled"});
    c.it.cancel();  // after the end: forwarded to the ended input, a no-op
    CHECK(log.take().empty());
  }

  TEST_CASE("cancel while idle reaches every input; the consumer sees the inputs' ends") {
    event_log log;
    scripted_flow<int> a(log, "a"), b(log, "b");
    logged_consumer<int> c(log, "c");
    c.spawn(latest(logged_sum{&log}, a.ready(), b.ready()));
    a.then_value(1);
    b.then_value(2);
    c.step();
    log.take();
    c.it.cancel();
    CHECK(log.take() == events{"a cancel", "b cancel"});
    a.terminate();
    b.terminate();
    CHECK(log.take() == events{"c terminate"});
  }

  TEST_CASE("no inputs: one value f() then the end") {
    event_log log;
    logged_consumer<int> c(log, "c");
    c.spawn(latest([] { return 42; }));
    c.step();
    CHECK(log.take() == events{"c notify", "c terminate", "c got 42"});
  }

  TEST_CASE("an eager consumer with watches: one value per change") {
    event_log log;
    ref<int> x(1), y(10);
    logged_consumer<int> c(log, "c", true);
    c.spawn(latest(logged_sum{&log}, watch(x), watch(y)));
    CHECK(log.take() == events{"c notify", "f 1 10", "c got 11"});
    y.reset(20);
    CHECK(log.take() == events{"c notify", "f 1 20", "c got 21"});
    x.reset(1);  // equal: cached, f not called
    CHECK(log.take() == events{"c notify", "c got 21"});
    c.it.cancel();
    CHECK(log.take() == events{"c notify", "c terminate", "c err cancelled: braid: watch cancelled"});
  }

  TEST_CASE("two independent watches of one ref are not glitch-free: an eager consumer sees 2, 3, 4") {
    event_log log;
    ref<int> x(1);
    logged_consumer<int> c(log, "c", true);
    c.spawn(latest(std::plus<>{}, watch(x), watch(x)));
    x.reset(2);
    CHECK(c.values == std::vector<int>{2, 3, 4});
    c.it.cancel();
  }

  TEST_CASE("a consumer that transfers after the change sees one consistent value") {
    event_log log;
    ref<int> x(1);
    logged_consumer<int> c(log, "c");
    c.spawn(latest(std::plus<>{}, watch(x), watch(x)));
    c.step();
    x.reset(2);
    c.step();
    CHECK(c.values == std::vector<int>{2, 4});
    c.it.cancel();
    c.step();
  }

  TEST_CASE("deep: 200,000 re-notifications inside transfers run in constant stack") {
    braid::testing::run_on_small_stack(
        [] {
          event_log log;
          scripted_flow<int> a(log, "a");
          int sent = 0;
          auto it = latest([](int v) { return v; }, a.ready()).spawn([] {}, [] {});
          std::function<int()> again = [&]() -> int {
            ++sent;
            if (sent < 200000) {
              a.then(again);
              a.notify();
            }
            return sent;
          };
          a.then(again);
          CHECK(it.transfer() == 200000);
          it.cancel();
          a.terminate();
        },
        256 * 1024);
  }

  TEST_CASE("completion from another thread: an input notifying and ending on another thread (threads, joined)") {
    event_log log;
    scripted_flow<int> a(log, "a");
    std::atomic<int> notes{0};
    std::atomic<bool> ended{false};
    auto it = latest([](int v) { return v + 1; }, a.ready()).spawn([&] { notes.fetch_add(1); }, [&] { ended = true; });
    a.then_value(1);
    CHECK(it.transfer() == 2);
    std::thread t([&] {
      a.then_value(5);
      a.notify();
    });
    t.join();
    CHECK(notes.load() == 2);
    CHECK(it.transfer() == 6);
    std::thread t2([&] { a.terminate(); });
    t2.join();
    CHECK(ended.load());
  }
}

TEST_SUITE("latest glitch-freedom") {
  TEST_CASE("bare diamond: reduce over latest(+, s, s) of a shared signal sees 2, 4, 6, never 3") {
    event_log log;
    ref<int> x(1);
    auto s = signal(watch(x));
    auto seen = [&](int acc, int v) {
      log("v " + std::to_string(v));
      return acc + 1;
    };
    auto c = run_logged(reduce(seen, 0, latest(std::plus<>{}, s, s)), log);
    CHECK(log.take() == events{"v 2"});
    x.reset(2);
    CHECK(log.take() == events{"v 4"});
    x.reset(3);
    CHECK(log.take() == events{"v 6"});
    c();
    CHECK(log.take() == events{"err cancelled: braid: signal subscription cancelled"});
  }

  TEST_CASE("scripted bare diamond: one notification per change, after both subscriptions were invalidated") {
    event_log log;
    scripted_flow<int> in(log, "in");
    auto s = signal(in.get([&](std::size_t) {
      in.then_value(1);
      in.notify();
    }));
    logged_consumer<int> c(log, "c", true);
    c.spawn(latest(logged_sum{&log}, s, s));  // the notification at spawn is immediate
    CHECK(log.take() == events{"in spawn", "c notify", "in transfer", "f 1 1", "c got 2"});
    in.then_value(2);
    in.notify();
    CHECK(log.take() == events{"c notify", "in transfer", "f 2 2", "c got 4"});
    in.then_value(2);
    in.notify();  // equal arguments: the cached result, f not called
    CHECK(log.take() == events{"c notify", "in transfer", "c got 4"});
    // The first input, waiting, is notified by its cancel; the eager
    // consumer's transfer fails and cancels the second, the last
    // subscription of s, which then follows the upstream to its end.
    c.it.cancel();
    CHECK(log.take() == events{"c notify", "in cancel", "c err cancelled: braid: signal subscription cancelled"});
    in.then_cancelled();
    in.notify();
    CHECK(log.take() == events{"in transfer"});  // drained by the failed latest
    in.terminate();
    CHECK(log.take() == events{"c terminate"});
  }

  TEST_CASE("a chain of bare latests is glitch-free: a later-built latest runs after the ones it reads") {
    event_log log;
    ref<int> x(1);
    auto s = signal(watch(x));
    auto a = latest([](int v) { return v * 10; }, s);
    auto b = latest([](int v) { return v * 100; }, s);
    // Whatever order the subscriptions of s are notified in, c's consumer
    // is notified after a and b told c they changed.
    auto c = latest([](int u, int v, int w) { return u + v + w; }, a, b, s);
    logged_consumer<int> k(log, "k", true);
    k.spawn(c);
    for (int g = 2; g <= 5; ++g) x.reset(g);
    CHECK(k.values == std::vector<int>{111, 222, 333, 444, 555});
    k.it.cancel();
    CHECK(k.terminations == 1);
  }

  TEST_CASE("a latest over two bare latests of one signal: notified by the first, it still waits for the second") {
    ref<int> x(1);
    auto s = signal(watch(x));
    auto a = latest([](int v) { return v * 10; }, s);
    auto b = latest([](int v) { return v * 100; }, s);
    event_log log;
    logged_consumer<int> k(log, "k", true);
    k.spawn(latest(std::plus<>{}, a, b));
    for (int g = 2; g <= 4; ++g) x.reset(g);
    CHECK(k.values == std::vector<int>{110, 220, 330, 440});
    k.it.cancel();
    CHECK(k.terminations == 1);
  }

  TEST_CASE("two independent watches of one ref stay outside any turn: an eager consumer still sees 2, 3, 4") {
    event_log log;
    ref<int> x(1);
    auto seen = [&](int acc, int v) {
      log("v " + std::to_string(v));
      return acc;
    };
    auto c = run_logged(reduce(seen, 0, latest(std::plus<>{}, watch(x), watch(x))), log);
    CHECK(log.take() == events{"v 2"});
    x.reset(2);
    CHECK(log.take() == events{"v 3", "v 4"});
    c();
    CHECK(log.take() == events{"err cancelled: braid: watch cancelled"});
  }

  TEST_CASE("cancel while the notification is queued in the turn: still delivered, its transfer fails cancelled") {
    event_log log;
    scripted_flow<int> in(log, "in");
    auto s = signal(in.ready());
    // `first` ranks below `sum`: in a turn it runs first, and its consumer
    // cancels `sum` while sum's notification waits in the turn.
    auto first = latest([](int v) { return v; }, s);
    auto sum = latest(logged_sum{&log}, s, s);
    logged_consumer<int> c(log, "c");
    bool armed = false;
    auto it = first.spawn(
        [&] {
          log("first notify");
          if (armed) c.it.cancel();
        },
        [&] { log("first terminate"); });
    c.spawn(sum);
    in.then_value(1);
    (void)it.transfer();
    c.step();
    CHECK(log.take() == events{"in spawn", "first notify", "c notify", "in transfer", "f 1 1", "c got 2"});
    armed = true;
    in.notify();
    // sum's inputs are pending subscriptions: cancelling them does not notify.
    CHECK(log.take() == events{"first notify", "c notify"});
    c.step();  // both inputs throw cancelled: sum ends inside its transfer
    CHECK(log.take() == events{"c terminate", "c err cancelled: braid: signal subscription cancelled"});
    it.cancel();  // the last subscription of s: the upstream is cancelled
    in.then_cancelled();
    CHECK_THROWS_AS((void)it.transfer(), braid::cancelled);
    in.terminate();
    CHECK(log.take() == events{"in cancel", "in transfer", "first terminate"});
  }

  TEST_CASE("deep: a consumer changing the source inside each value, 200,000 times, runs in constant stack") {
    braid::testing::run_on_small_stack(
        [] {
          ref<int> x(1);
          auto s = signal(watch(x));
          std::vector<int> bad;
          int n = 0;
          auto step = [&](int acc, int v) {
            ++n;
            if (v != 2 * n) bad.push_back(v);
            if (n < 200000) x.reset(n + 1);  // a new turn, started inside this one's tick
            return acc + 1;
          };
          event_log log;
          auto c = run_logged(reduce(step, 0, latest(std::plus<>{}, s, s)), log);
          CHECK(n == 200000);
          CHECK(bad.empty());
          c();
          CHECK(log.take() == events{"err cancelled: braid: signal subscription cancelled"});
        },
        256 * 1024);
  }

  TEST_CASE("completion from another thread: the turn and the deferred notification run on the changing thread "
            "(threads, joined)") {
    ref<int> x(1);
    auto s = signal(watch(x));
    std::vector<int> values;
    std::vector<std::thread::id> where;
    auto c = reduce(
                 [&](int acc, int v) {
                   values.push_back(v);
                   where.push_back(std::this_thread::get_id());
                   return acc;
                 },
                 0, latest(std::plus<>{}, s, s))
                 .run([](int) {}, [](std::exception_ptr) {});
    std::thread::id tid;
    std::thread t([&] {
      tid = std::this_thread::get_id();
      x.reset(2);
      x.reset(3);
    });
    t.join();
    CHECK(values == std::vector<int>{2, 4, 6});
    REQUIRE(where.size() == 3);
    CHECK(where[1] == tid);
    CHECK(where[2] == tid);
    c();
  }
}
