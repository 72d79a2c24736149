// SPDX-License-Identifier: MIT
#pragma once

/// The suspension points of BRAID_DURABLE bodies, declared so that the
/// annotated source type-checks (in braidc, clangd or any IDE); braidc
/// rewrites every use into the frame's listen / park / wait_for
/// (<braid/durable/frame.hpp>). In a generated file (BRAID_GENERATED) a
/// use left over stands outside a durable body and is a compile error
/// saying so.

#include <braid/dsl.hpp>
#include <braid/durable/run.hpp>

#include <string>

namespace braid {

namespace detail {
template <class T>
inline constexpr bool durable_point_outside_durable = false;
}

#if defined(BRAID_GENERATED)
template <class E>
E listen(std::string) {
  static_assert(detail::durable_point_outside_durable<E>,
                "braid::listen is used outside a BRAID_DURABLE function; a run can only be "
                "stored at a listen in the body of a BRAID_DURABLE function returning braid::run<T>");
}
template <class T>
T park(run<T>) {
  static_assert(detail::durable_point_outside_durable<T>,
                "braid::park on a braid::run<T> (a call of a BRAID_DURABLE function) is used outside a "
                "BRAID_DURABLE function; start it with braid::durable::start_run or start_child");
}
#else
/// Stores the run until an event for `context` arrives (continue_run);
/// evaluates to the event's value. Only in a BRAID_DURABLE body.
template <class E>
E listen(std::string context);

/// Calls a durable function inside a durable body: its frame stacks on
/// the caller's, in the same run (its listens store the whole stack).
template <class T>
T park(run<T> r);
#endif

}  // namespace braid

namespace braid::durable {

#if defined(BRAID_GENERATED)
template <class T>
T wait_for(child<T>) {
  static_assert(braid::detail::durable_point_outside_durable<T>,
                "braid::durable::wait_for is used outside a BRAID_DURABLE function; read a run's "
                "result with get_run(store, id).result_as<T>()");
}
#else
/// Suspends until child run c has ended; evaluates to its result, or
/// throws child_failed (or braid::cancelled) as it ended. Only in a
/// BRAID_DURABLE body.
template <class T>
T wait_for(child<T> c);
#endif

}  // namespace braid::durable
