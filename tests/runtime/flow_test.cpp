// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

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
}
