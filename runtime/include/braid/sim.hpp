// SPDX-License-Identifier: MIT
#pragma once

/// braid::sim, the deterministic harness ([design.5]): a virtual-time
/// scheduler with controllable, recordable and replayable scheduling
/// (braid/sim/scheduler.hpp), interleaving exploration with random, PCT and
/// bounded-exhaustive strategies and shrinking (braid/sim/explore.hpp), and
/// flow sources and tools for tests (braid/sim/flow.hpp). docs/testing.md
/// shows how to use them. braid/sim/doctest.hpp adds one-line checks for
/// doctest users.

#include <braid/op/yield.hpp>
#include <braid/sim/explore.hpp>
#include <braid/sim/flow.hpp>
#include <braid/sim/scheduler.hpp>
