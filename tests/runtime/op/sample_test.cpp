// SPDX-License-Identifier: MIT
#include <braid/op/reduce.hpp>
#include <braid/op/sample.hpp>
#include <braid/op/signal.hpp>
#include <braid/op/watch.hpp>
#include <braid/ref.hpp>

#include <script.hpp>

#include "continuous_support.hpp"

#include <atomic>
#include <string>
#include <thread>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::logged_consumer;
using braid::testing::run_logged;
using braid::testing::scripted_flow;

namespace {

struct logged_f {
  event_log* log;
  int operator()(int x, int y, int s) const {
    (*log)("f");
    return x * 100 + y * 10 + s;
  }
};

// x and y sampled (ready at spawn), s the sampler (discrete).
struct fixture {
  event_log log;
  scripted_flow<int> x{log, "x"}, y{log, "y"}, s{log, "s"};
  logged_consumer<int> c{log, "c"};
  fixture() {
    c.spawn(sample(logged_f{&log}, x.ready(), y.ready(), s.get()));
    CHECK(log.take() == events{"x spawn", "y spawn", "s spawn"});
  }
};

}  // namespace

TEST_SUITE("sample") {
  TEST_CASE("notifies only when the sampler does; transfers changed inputs, then the sampler") {
    fixture t;
    t.x.notify();  // sampled inputs changing: no notification
    CHECK(t.log.take().empty());
    t.s.notify();
    CHECK(t.log.take() == events{"c notify"});
    t.x.then_value(1);
    t.y.then_value(2);
    t.s.then_value(3);
    t.c.step();
    CHECK(t.log.take() == events{"x transfer", "y transfer", "s transfer", "f", "c got 123"});
    t.s.notify();
    t.s.then_value(4);
    t.c.step();  // nothing sampled changed: only the sampler is transferred
    CHECK(t.log.take() == events{"c notify", "s transfer", "f", "c got 124"});
    t.y.notify();
    t.s.notify();
    t.y.then_value(5);
    t.s.then_value(6);
    t.c.step();
    CHECK(t.log.take() == events{"c notify", "y transfer", "s transfer", "f", "c got 156"});
    t.c.it.cancel();
    CHECK(t.log.take() == events{"x cancel", "y cancel", "s cancel"});
    t.s.terminate();  // the sampler ends: sampled cancelled (already), then they end
    CHECK(t.log.take().empty());
    t.x.terminate();
    t.y.terminate();
    CHECK(t.log.take() == events{"c terminate"});
  }

  TEST_CASE("a sampled input that re-notifies inside its own transfer is transferred again") {
    fixture t;
    t.s.notify();
    t.x.then_renotify(1);
    t.x.then_value(2);
    t.y.then_value(3);
    t.s.then_value(4);
    t.c.step();
    CHECK(t.log.take() == events{"c notify", "x transfer", "x transfer", "y transfer", "s transfer", "f",
                                 "c got 234"});
    t.x.terminate();
    t.y.terminate();
    t.s.terminate();  // cancelling ended inputs is a no-op: nothing logged
    CHECK(t.log.take() == events{"c terminate"});
  }

  TEST_CASE("a sampler that re-notifies inside its transfer: notified again after the transfer") {
    fixture t;
    t.s.notify();
    t.x.then_value(1);
    t.y.then_value(1);
    t.s.then_renotify(1);
    t.c.step();
    CHECK(t.log.take() == events{"c notify", "x transfer", "y transfer", "s transfer", "f", "c notify", "c got 111"});
    t.s.then_last(2);
    t.c.step();
    // The sampler ended inside: x and y are cancelled; they end later.
    CHECK(t.log.take() == events{"s transfer", "f", "x cancel", "y cancel", "c got 112"});
    t.y.then_value(9);
    t.y.notify();  // after the close: dropped
    CHECK(t.log.take() == events{"y transfer"});
    t.x.terminate();
    t.y.terminate();
    CHECK(t.log.take() == events{"c terminate"});
  }

  TEST_CASE("ends once the sampler and every sampled input have ended") {
    fixture t;
    t.s.notify();
    t.x.then_value(1);
    t.y.then_value(2);
    t.s.then_value(3);
    t.c.step();
    t.log.take();
    t.x.terminate();
    t.y.terminate();
    CHECK(t.log.take().empty());
    t.s.terminate();
    CHECK(t.log.take() == events{"c terminate"});
  }

  TEST_CASE("a sampled input that fails: the sampler is drained and cancelled, the error rethrown") {
    fixture t;
    t.s.notify();
    t.x.then_error("x broke");
    t.s.then_value(1);
    t.c.step();
    CHECK(t.log.take() == events{"c notify", "x transfer", "s transfer", "s cancel", "c err x broke"});
    t.s.then_value(2);
    t.s.notify();  // dropped, no notification
    CHECK(t.log.take() == events{"s transfer"});
    t.y.then_value(3);
    t.s.terminate();  // closes: y was ready since spawn, it is drained
    CHECK(t.log.take() == events{"x cancel", "y cancel", "y transfer"});
    t.x.terminate();
    t.y.terminate();
    CHECK(t.log.take() == events{"c terminate"});
  }

  TEST_CASE("f that throws: the sampler is cancelled and the error rethrown") {
    event_log log;
    scripted_flow<int> x(log, "x"), s(log, "s");
    logged_consumer<int> c(log, "c");
    c.spawn(sample([](int, int) -> int { throw std::runtime_error("f broke"); }, x.ready(), s.get()));
    s.notify();
    x.then_value(1);
    s.then_value(2);
    c.step();
    CHECK(log.take() == events{"x spawn", "s spawn", "c notify", "x transfer", "s transfer", "s cancel",
                               "c err f broke"});
    s.terminate();
    x.terminate();
    CHECK(log.take() == events{"x cancel", "c terminate"});
  }

  TEST_CASE("a sampled input not ready at spawn fails the first transfer with a clear error") {
    event_log log;
    scripted_flow<int> x(log, "x"), s(log, "s");
    logged_consumer<int> c(log, "c");
    c.spawn(sample([](int a, int b) { return a + b; }, x.get(), s.get()));
    s.notify();
    s.then_value(1);
    c.step();
    CHECK(log.take() == events{"x spawn", "s spawn", "c notify", "s transfer", "s cancel",
                               "c err braid: sample: uninitialized continuous flow (input 0 did not notify "
                               "during spawn; a continuous flow must be ready at spawn, e.g. a watch, a "
                               "signal or a latest)"});
    s.terminate();
    x.terminate();
    CHECK(log.take() == events{"x cancel", "c terminate"});
  }

  TEST_CASE("cancel right after spawn: every input is cancelled; the sampler's end closes") {
    fixture t;
    t.c.it.cancel();
    CHECK(t.log.take() == events{"x cancel", "y cancel", "s cancel"});
    t.x.then_cancelled();
    t.y.then_cancelled();
    t.s.terminate();  // x and y notified at spawn and were never taken: drained
    CHECK(t.log.take() == events{"x transfer", "y transfer"});
    t.x.terminate();
    t.y.terminate();
    CHECK(t.log.take() == events{"c terminate"});
    t.c.it.cancel();  // after the end
    CHECK(t.log.take().empty());
  }

  TEST_CASE("sampling a watched ref with an eager consumer") {
    event_log log;
    ref<int> temp(20);
    scripted_flow<int> tick(log, "tick");
    logged_consumer<int> c(log, "c", true);
    c.spawn(sample([](int t, int k) { return t * 1000 + k; }, watch(temp), tick.get()));
    tick.then_value(1);
    tick.notify();
    temp.reset(21);
    temp.reset(22);
    tick.then_value(2);
    tick.notify();
    CHECK(c.values == std::vector<int>{20001, 22002});
    c.it.cancel();
    tick.terminate();
    CHECK(c.terminations == 1);
    log.take();
  }

  TEST_CASE("deep: a sampler emitting 200,000 values synchronously runs in constant stack") {
    braid::testing::run_on_small_stack(
        [] {
          event_log log;
          ref<int> v(1);
          scripted_flow<int> tick(log, "tick");
          int k = 0;
          std::function<int()> next = [&]() -> int {
            if (++k < 200000) {
              tick.then(next);
              tick.notify();
            } else {
              tick.terminate();
            }
            return k;
          };
          logged_consumer<int> c(log, "c", true);
          c.spawn(sample([](int a, int b) { return a + b; }, watch(v), tick.get()));
          tick.then(next);
          tick.notify();
          CHECK(c.values.size() == 200000);
          CHECK(c.terminations == 1);
        },
        256 * 1024);
  }

  TEST_CASE("completion from another thread: the sampler notifies on another thread (threads, joined)") {
    event_log log;
    ref<int> v(5);
    scripted_flow<int> tick(log, "tick");
    std::atomic<int> notes{0};
    std::atomic<bool> ended{false};
    auto it = sample([](int a, int b) { return a + b; }, watch(v), tick.get())
                  .spawn([&] { notes.fetch_add(1); }, [&] { ended = true; });
    std::thread t([&] {
      tick.then_value(1);
      tick.notify();
    });
    t.join();
    CHECK(notes.load() == 1);
    CHECK(it.transfer() == 6);
    it.cancel();
    std::thread t2([&] { tick.terminate(); });
    t2.join();
    CHECK(ended.load());
  }
}

TEST_SUITE("sample glitch-freedom") {
  TEST_CASE("bare diamond: reduce over sample(+, s, s), s sampled and sampler, sees 2, 4, 6, never 3") {
    event_log log;
    ref<int> x(1);
    auto s = signal(watch(x));
    auto seen = [&](int acc, int v) {
      log("v " + std::to_string(v));
      return acc;
    };
    auto c = run_logged(reduce(seen, 0, sample(std::plus<>{}, s, s)), log);
    CHECK(log.take() == events{"v 2"});
    x.reset(2);
    CHECK(log.take() == events{"v 4"});
    x.reset(3);
    CHECK(log.take() == events{"v 6"});
    c();
    CHECK(log.take() == events{"err cancelled: braid: signal subscription cancelled"});
  }

  TEST_CASE("scripted: the sampler's notification waits for the sampled subscription of the same turn") {
    event_log log;
    scripted_flow<int> in(log, "in");
    auto s = signal(in.get([&](std::size_t) {
      in.then_value(1);
      in.notify();
    }));
    logged_consumer<int> c(log, "c", true);
    c.spawn(sample([&](int a, int b) {
      log("f " + std::to_string(a) + " " + std::to_string(b));
      return a * 10 + b;
    }, s, s));
    CHECK(log.take() == events{"in spawn", "c notify", "in transfer", "f 1 1", "c got 11"});
    in.then_value(2);
    in.notify();
    CHECK(log.take() == events{"c notify", "in transfer", "f 2 2", "c got 22"});
    c.it.cancel();
    in.then_cancelled();
    in.notify();
    in.terminate();
    CHECK(c.terminations == 1);
    log.take();
  }

  TEST_CASE("a continuous sampler's notification at spawn is not deferred: signal(sample(+, s, s)) is ready") {
    ref<int> x(1);
    auto s = signal(watch(x));
    auto y = signal(sample(std::plus<>{}, s, s));
    event_log log;
    logged_consumer<int> c(log, "c", true);
    c.spawn(y);
    x.reset(2);
    x.reset(3);
    CHECK(c.values == std::vector<int>{2, 4, 6});
    c.it.cancel();
    CHECK(c.terminations == 1);
  }
}
