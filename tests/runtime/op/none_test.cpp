// SPDX-License-Identifier: MIT
#include <braid/op/none.hpp>
#include <braid/op/reduce.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::spawn_logged;

TEST_SUITE("none") {
  TEST_CASE("terminates inside spawn without notifying") {
    event_log log;
    auto it = spawn_logged(none<int>(), log, "out");
    CHECK(log.take() == events{"out terminate"});
    CHECK_FALSE(static_cast<bool>(it));
  }

  TEST_CASE("cancel after the end does nothing") {
    event_log log;
    auto it = spawn_logged(none<std::string>(), log, "out");
    log.take();
    it.cancel();
    CHECK(log.take().empty());
  }

  TEST_CASE("reducing none gives the initial value") {
    CHECK(run_blocking(reduce(std::plus<>{}, 5, none<int>())) == 5);
  }
}
