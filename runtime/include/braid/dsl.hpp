// SPDX-License-Identifier: MIT
#pragma once

/// The annotations and suspension points users write in annotated sources.
/// braidc rewrites every annotated function into a frame (see sp.hpp); what
/// is declared here only lets the annotated source type-check (in braidc,
/// clangd or any IDE).
///
/// In the generated file (which defines BRAID_GENERATED) any park left over
/// stands outside an annotated function, and using it is a compile error
/// with a message saying so. braidc itself reports the same mistake first.

#include <braid/task.hpp>

#if defined(__clang__)
#define BRAID_SP [[clang::annotate("braid.sp")]]
/// A durable function: `BRAID_DURABLE braid::run<T> f(args)`, whose frames
/// are stored at each braid::listen (<braid/durable.hpp>, docs/durable.md).
#define BRAID_DURABLE [[clang::annotate("braid.durable")]]
#else
#define BRAID_SP
#define BRAID_DURABLE
#endif

namespace braid {

namespace detail {
template <class T>
inline constexpr bool park_outside_sp = false;
}

#if defined(BRAID_GENERATED)
template <class T>
T park(task<T>) {
  static_assert(detail::park_outside_sp<T>,
                "braid::park is used outside a BRAID_SP function; mark the enclosing "
                "function BRAID_SP (it must return braid::task<T>) or run the task "
                "with run_blocking/run");
}
#else
/// Suspends the enclosing BRAID_SP function until `t` ends; evaluates to
/// its value or throws its failure there (Missionary's `m/?` in `sp`).
template <class T>
T park(task<T> t);
#endif

}  // namespace braid
