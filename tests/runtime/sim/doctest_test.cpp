// SPDX-License-Identifier: MIT
// The doctest helper: one line checks every interleaving.
#include <braid/sim.hpp>

#include <doctest/doctest.h>

#include <braid/sim/doctest.hpp>

#include "sim_support.hpp"

using sim_test::lost_update;

TEST_SUITE("sim doctest") {
  TEST_CASE("one line checks every interleaving of a task and passes when the property always holds") {
    BRAID_CHECK_INTERLEAVINGS(lost_update, [](int v) { return v == 1 || v == 2; });
  }

  TEST_CASE("one line finds the lost update and fails the test with the shrunk schedule" * doctest::should_fail()) {
    BRAID_CHECK_INTERLEAVINGS(lost_update, [](int v) { return v == 2; });
  }

  TEST_CASE("the report of a failing check names the shrunk schedule") {
    auto r = braid::sim::check_interleavings(lost_update, braid::sim::all_interleavings<int>([](int v) { return v == 2; }));
    REQUIRE(!r);
    CHECK(braid::sim::report(r).find("shrunk schedule (1 decisions;") != std::string::npos);
    auto ok = braid::sim::check_interleavings(lost_update, braid::sim::all_interleavings<int>());
    CHECK(braid::sim::report(ok) == "braid::sim: 3 runs passed (every schedule within the bound)");
  }

  TEST_CASE("the options form takes any strategy") {
    braid::sim::check_options<int> o;
    o.num_tests = 50;
    o.seed = 3;
    o.strategy = braid::sim::strategy::pct(2);
    o.property = [](int v) { return v >= 1; };
    BRAID_CHECK_INTERLEAVINGS_WITH(lost_update, o);
  }
}
