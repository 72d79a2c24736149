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

#include <cstddef>
#include <type_traits>

#if defined(__clang__)
#define BRAID_SP [[clang::annotate("braid.sp")]]
/// An ambiguous process: `BRAID_AP braid::flow<T> f(args)`, whose body
/// forks (braid::fork, fork_merge, fork_switch, amb, amb_merge), parks, and
/// emits each branch's `return v;` (Missionary's `ap`; docs/compiler.md).
#define BRAID_AP [[clang::annotate("braid.ap")]]
/// A continuous process: `BRAID_CP braid::flow<T> f(args)`, whose body
/// chooses with braid::fork_switch over continuous flows and is rerun from
/// the choice that changed (Missionary's `cp`).
#define BRAID_CP [[clang::annotate("braid.cp")]]
/// A durable function: `BRAID_DURABLE braid::run<T> f(args)`, whose frames
/// are stored at each braid::listen (<braid/durable.hpp>, docs/durable.md).
#define BRAID_DURABLE [[clang::annotate("braid.durable")]]
#else
#define BRAID_SP
#define BRAID_AP
#define BRAID_CP
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

template <class T>
class flow;

/// What `braid::amb()` is: no value. `return braid::amb();` converts it to
/// the function's flow type, so that an annotated source type-checks.
struct amb_nothing {
  template <class T>
  operator flow<T>() const;
};

namespace detail {
/// The value of amb(a, b, ...): the common type of the arguments, an
/// argument `amb()` (a branch with no value) left out.
template <class... A>
using amb_value_t = std::common_type_t<std::decay_t<A>...>;
}  // namespace detail
}  // namespace braid

template <class T>
struct std::common_type<T, braid::amb_nothing> {
  using type = T;
};
template <class T>
struct std::common_type<braid::amb_nothing, T> {
  using type = T;
};
template <>
struct std::common_type<braid::amb_nothing, braid::amb_nothing> {
  using type = braid::amb_nothing;
};

namespace braid {

// Fork points (Missionary's ?> ?< ?= and amb), for BRAID_AP functions
// (fork_switch also in BRAID_CP): each is the value of one branch. braidc
// rewrites them; declared here so that annotated sources type-check.
#if defined(BRAID_GENERATED)
#define BRAID_DETAIL_FORK_OUTSIDE                                                         \
  static_assert(detail::park_outside_sp<T>,                                             \
                "a braid fork point (fork, fork_merge, fork_switch, amb, amb_merge) is " \
                "used outside a BRAID_AP or BRAID_CP function; mark the enclosing "       \
                "function BRAID_AP (it must return braid::flow<T>)")
template <class T>
T fork(flow<T>) {
  BRAID_DETAIL_FORK_OUTSIDE;
}
template <class T>
T fork(std::size_t, flow<T>) {
  BRAID_DETAIL_FORK_OUTSIDE;
}
template <class T>
T fork_merge(flow<T>) {
  BRAID_DETAIL_FORK_OUTSIDE;
}
template <class T>
T fork_switch(flow<T>) {
  BRAID_DETAIL_FORK_OUTSIDE;
}
template <class A, class... B, class T = detail::amb_value_t<A, B...>>
T amb(A&&, B&&...) {
  BRAID_DETAIL_FORK_OUTSIDE;
}
template <class A, class... B, class T = detail::amb_value_t<A, B...>>
T amb_merge(A&&, B&&...) {
  BRAID_DETAIL_FORK_OUTSIDE;
}
template <class T = void>
amb_nothing amb() {
  BRAID_DETAIL_FORK_OUTSIDE;
  return {};  // never reached: the assertion fails first (a return g++ does not warn about)
}
#undef BRAID_DETAIL_FORK_OUTSIDE
#else
/// `?>`: one branch per value of `f`, one branch at a time; the value of
/// the branch's fork point.
template <class T>
T fork(flow<T> f);
/// `(?> n f)`: at most `n` branches at once.
template <class T>
T fork(std::size_t n, flow<T> f);
/// `?=`: every value's branch at once.
template <class T>
T fork_merge(flow<T> f);
/// `?<`: a new value cancels the running branch (its parks throw
/// braid::cancelled) and runs after it has ended.
template <class T>
T fork_switch(flow<T> f);
/// `amb`: one branch per argument, one at a time, each argument evaluated
/// in its own branch (lazily, and it may park or fork).
template <class A, class... B>
detail::amb_value_t<A, B...> amb(A&& a, B&&... b);
/// `amb=`: one branch per argument, all at once.
template <class A, class... B>
detail::amb_value_t<A, B...> amb_merge(A&& a, B&&... b);
/// `(amb)`: the branch ends without a value.
amb_nothing amb();
#endif

}  // namespace braid
