// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;

TEST_SUITE("flow") {
  TEST_CASE("a value converts to a flow of that one value") {
    event_log log;
    flow<int> f = 3;
    auto it = f.spawn([&] { log("notify"); }, [&] { log("terminate"); });
    CHECK(log.take() == events{"notify"});
    CHECK(it.transfer() == 3);
    CHECK(log.take() == events{"terminate"});
    it.cancel();  // after termination: a no-op
    CHECK(log.take().empty());
  }

  TEST_CASE("a cancelled source's next transfer terminates and throws cancelled") {
    event_log log;
    flow<int> f = 3;
    auto it = f.spawn([&] { log("notify"); }, [&] { log("terminate"); });
    log.take();
    it.cancel();
    it.cancel();
    CHECK_THROWS_AS(it.transfer(), braid::cancelled);
    CHECK(log.take() == events{"terminate"});
  }

  TEST_CASE("spawning an empty flow: one notification, transfer throws a clear error") {
    event_log log;
    flow<int> f;
    auto it = f.spawn([&] { log("notify"); }, [&] { log("terminate"); });
    CHECK(log.take() == events{"notify"});
    CHECK_THROWS_WITH(it.transfer(), doctest::Contains("spawned an empty flow"));
    CHECK(log.take() == events{"terminate"});
  }

  TEST_CASE("the terminator may run inside the notifier: an eager consumer transferring in the notification") {
    event_log log;
    testing::manual_flow<int> src(log, "src");
    flow_iterator<int> it;
    auto counted = std::make_shared<int>(0);  // owned by the notifier's closure
    it = src.get().spawn(
        [&, counted] {
          log("notify");
          log("value " + std::to_string(it.transfer()));  // terminates inside...
          log("closure alive " + std::to_string(*counted));  // ...and the closure is still usable
        },
        [&] { log("terminate"); });
    CHECK(log.take() == events{"src spawn"});
    src.push(7);
    src.terminate_in_transfer();
    src.notify();
    CHECK(log.take() == events{"notify", "src transfer", "terminate", "value 7", "closure alive 0"});
    CHECK(counted.use_count() == 1);  // the holder and its closures are gone after both returned
  }
}
