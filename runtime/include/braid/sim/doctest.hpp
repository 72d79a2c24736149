// SPDX-License-Identifier: MIT
#pragma once

/// One-line interleaving checks for doctest users:
///
///     TEST_CASE("the counter never loses an update") {
///       BRAID_CHECK_INTERLEAVINGS(make_counter_test, [](int v) { return v == 2; });
///     }
///
/// checks every schedule of `make()` (a callable returning a fresh task per
/// run) up to two preemptions, at most 10,000 runs (strategy::exhaustive(2));
/// on failure the doctest failure message is the shrunk schedule, how to
/// replay it and its trace. A search cut short by the run limit is reported
/// with a doctest WARN. BRAID_CHECK_INTERLEAVINGS_WITH(make, options) takes a
/// full sim::check_options (any strategy). Include <doctest/doctest.h> first.

#ifndef DOCTEST_VERSION_MAJOR
#error "include <doctest/doctest.h> before <braid/sim/doctest.hpp>"
#endif

#include <braid/sim/explore.hpp>

#include <string>

namespace braid::sim {

/// The options BRAID_CHECK_INTERLEAVINGS uses: exhaustive up to two
/// preemptions, at most 10,000 runs.
template <class T>
check_options<T> all_interleavings(std::function<bool(const braid::detail::stored_t<T>&)> property = {}) {
  check_options<T> o;
  o.num_tests = 10'000;
  o.property = std::move(property);
  o.strategy = strategy::exhaustive(2);
  return o;
}

/// The doctest message for a check result.
template <class T>
std::string report(const check_result<T>& r) {
  if (r.fail) return r.fail->to_text();
  return "braid::sim: " + std::to_string(r.runs) + " runs passed" +
         (r.complete ? " (every schedule within the bound)" : " (the search stopped at num_tests)");
}

}  // namespace braid::sim

#define BRAID_CHECK_INTERLEAVINGS_WITH(make, options)                                   \
  do {                                                                                  \
    auto braid_sim_result_ = ::braid::sim::check_interleavings((make), (options));      \
    CHECK_MESSAGE(braid_sim_result_.ok, ::braid::sim::report(braid_sim_result_));       \
    if (braid_sim_result_.ok && (options).strategy.kind == ::braid::sim::strategy::kind_t::exhaustive) \
      WARN_MESSAGE(braid_sim_result_.complete, ::braid::sim::report(braid_sim_result_)); \
  } while (0)

#define BRAID_CHECK_INTERLEAVINGS(make, property)                                                      \
  do {                                                                                                 \
    using braid_sim_t_ = typename std::invoke_result_t<decltype(make)&>::value_type;                   \
    BRAID_CHECK_INTERLEAVINGS_WITH((make), ::braid::sim::all_interleavings<braid_sim_t_>((property))); \
  } while (0)
