// SPDX-License-Identifier: MIT
#pragma once

/// Interleaving exploration ([spec.sim.explore]): run a task under many
/// schedules, find one that breaks a property, shrink it, replay it.

#include <braid/sim/scheduler.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid::sim {

/// How schedules are chosen.
struct strategy {
  enum class kind_t : std::uint8_t {
    /// Each run draws every decision from a stream seeded per run.
    random,
    /// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010):
    /// each logical thread (chain of microtasks) gets a random priority, the
    /// highest-priority ready one runs, and at depth-1 random decision points
    /// the running chain drops below all others. A bug of depth d is found
    /// by one run with probability at least 1/(n k^(d-1)).
    pct,
    /// Every schedule with at most preemption_bound preemptions (switching
    /// away from a chain that could go on), depth first, as CHESS and loom
    /// do; stops after num_tests runs or when the space is exhausted.
    exhaustive,
  };
  kind_t kind = kind_t::random;
  int depth = 3;
  int preemption_bound = 2;

  static strategy random() { return {}; }
  static strategy pct(int depth = 3) { return {kind_t::pct, depth, 2}; }
  static strategy exhaustive(int preemption_bound = 2) { return {kind_t::exhaustive, 3, preemption_bound}; }
};
/// "random", "pct depth 3", "exhaustive preemption bound 2".
std::string to_text(const strategy& s);

/// Why a run counts as failing.
enum class failure_kind : std::uint8_t {
  property,   ///< the task succeeded with a value the property rejects
  exception,  ///< the task failed (or the property threw)
  harness,    ///< a sim::error: deadlock, budget, off_thread, ...
};
const char* to_string(failure_kind k) noexcept;

/// A failing run, found, shrunk and ready to replay. The schedules are nth
/// decisions; replaying one goes on in FIFO order after its last decision.
struct failure_info {
  failure_kind kind = failure_kind::property;
  std::optional<error_kind> harness;  ///< for failure_kind::harness
  std::string message;                ///< what failed, in words
  std::exception_ptr error;           ///< the task's (or harness's) exception, if any
  std::uint64_t seed = 0;             ///< check_options::seed
  std::size_t iteration = 0;          ///< which run (0-based) failed
  sim::strategy strategy;
  run_options limits;                 ///< the budgets the runs had
  schedule original;                  ///< the decisions of the failing run
  trace_log trace;                    ///< its trace
  schedule shrunk;                    ///< a minimal schedule that still fails the same way
  trace_log shrunk_trace;             ///< the trace of the shrunk run
  std::size_t shrink_runs = 0;        ///< runs spent shrinking
  /// A readable report: what failed, the shrunk schedule, how to replay, the trace.
  std::string to_text() const;
};

template <class T>
struct failure : failure_info {
  std::optional<braid::detail::stored_t<T>> value;  ///< the rejected value (property failures)
};

template <class T>
struct check_result {
  bool ok = true;
  std::uint64_t seed = 0;
  std::size_t runs = 0;
  bool complete = false;  ///< exhaustive: every schedule within the bound was run
  std::optional<failure<T>> fail;
  explicit operator bool() const noexcept { return ok; }
};

template <class T>
struct check_options {
  std::size_t num_tests = 100;
  std::uint64_t seed = 0;
  /// True when the value is acceptable; absent: every value is. A failed
  /// task always fails the check.
  std::function<bool(const braid::detail::stored_t<T>&)> property{};
  std::size_t max_steps = 100'000;
  std::optional<std::int64_t> max_time_ms{};
  sim::strategy strategy = sim::strategy::random();
  bool shrink = true;
  std::size_t max_shrink_runs = 1000;
};

struct explore_options {
  std::size_t num_samples = 100;
  std::uint64_t seed = 0;
  std::size_t max_steps = 100'000;
  std::optional<std::int64_t> max_time_ms{};
  sim::strategy strategy = sim::strategy::random();
};

/// One distinct outcome seen by explore_interleavings.
template <class T>
struct outcome {
  std::optional<braid::detail::stored_t<T>> value;  ///< when the task succeeded
  std::string error;                                 ///< otherwise: the failure's message
  std::optional<error_kind> harness;                 ///< when the failure was a sim::error
  std::size_t count = 0;                             ///< runs that ended this way
  schedule example;                                  ///< the decisions of the first such run
};

template <class T>
struct explore_result {
  std::vector<outcome<T>> outcomes;  ///< in order of first appearance
  std::size_t runs = 0;
  bool complete = false;
};

namespace detail {

/// What one run produced, independent of T.
struct iteration {
  bool failed = false;
  failure_kind kind = failure_kind::property;
  std::optional<error_kind> harness;
  std::exception_ptr error;
  std::string message;
  std::shared_ptr<void> value;  ///< a stored_t<T> when the task succeeded
  schedule taken;
  trace_log trace;
};

/// Runs the task once in the given scheduler (value, error, property).
using run_fn = std::function<iteration(scheduler&)>;

struct explore_config {
  std::size_t runs = 100;
  std::uint64_t seed = 0;
  sim::strategy strategy;
  bool trace = true;
};

struct explore_stats {
  std::size_t runs = 0;
  bool complete = false;
};

/// Runs the strategy's schedules; `visit(index, report)` after each, stop
/// when it returns false.
explore_stats explore(const explore_config& cfg, const run_fn& run,
                      const std::function<bool(std::size_t, iteration&)>& visit);
/// Replays `s` (FIFO after its last decision).
iteration replay(const schedule& s, const run_fn& run, bool trace);
/// Fills f.shrunk, f.shrunk_trace, f.shrink_runs from the failing report.
void shrink(failure_info& f, const iteration& failing, const run_fn& run, std::size_t max_runs);
/// what() of a std::exception or braid::cancelled, else a placeholder.
std::string describe(const std::exception_ptr& e);

template <class T, class F>
run_fn make_runner(F& make, std::function<bool(const braid::detail::stored_t<T>&)> property, run_options limits) {
  return [&make, property = std::move(property), limits](scheduler& s) {
    using stored = braid::detail::stored_t<T>;
    iteration it;
    try {
      task<T> t = make();
      std::shared_ptr<stored> v;
      if constexpr (std::is_void_v<T>) {
        s.run(std::move(t), limits);
        v = std::make_shared<stored>();
      } else {
        v = std::make_shared<stored>(s.run(std::move(t), limits));
      }
      it.value = v;
      if (property && !property(*v)) {
        it.failed = true;
        it.kind = failure_kind::property;
        it.message = "the property does not hold for the task's value";
      }
    } catch (const error& e) {
      it.failed = true;
      it.kind = failure_kind::harness;
      it.harness = e.kind();
      it.error = std::current_exception();
      it.message = e.what();
    } catch (...) {
      it.failed = true;
      it.kind = failure_kind::exception;
      it.error = std::current_exception();
      it.message = "the task failed: " + describe(it.error);
    }
    return it;
  };
}

template <class T>
failure<T> to_failure(const iteration& it, std::size_t index, std::uint64_t seed, const sim::strategy& st,
                      run_options limits) {
  failure<T> f;
  f.kind = it.kind;
  f.harness = it.harness;
  f.message = it.message;
  f.error = it.error;
  f.seed = seed;
  f.iteration = index;
  f.strategy = st;
  f.limits = limits;
  f.original = it.taken;
  f.trace = it.trace;
  f.shrunk = it.taken;
  f.shrunk_trace = it.trace;
  if (it.value) f.value = *static_cast<const braid::detail::stored_t<T>*>(it.value.get());
  return f;
}

}  // namespace detail

/// Runs `make()` (a callable returning task<T>, called once per run so each
/// run has fresh state) under many schedules chosen by `o.strategy`, and
/// checks `o.property` on each value. Returns ok with the seed, or the first
/// failure, shrunk (unless o.shrink is false) to a minimal schedule that
/// still fails the same way; the failure carries both schedules and traces.
template <class F, class T = typename std::invoke_result_t<F&>::value_type>
check_result<T> check_interleavings(F make, check_options<T> o = {}) {
  run_options limits{true, o.max_steps, o.max_time_ms};
  detail::run_fn run = detail::make_runner<T>(make, o.property, limits);
  check_result<T> r;
  r.seed = o.seed;
  std::optional<detail::iteration> bad;
  std::size_t bad_index = 0;
  auto stats = detail::explore({o.num_tests, o.seed, o.strategy, true}, run, [&](std::size_t i, detail::iteration& it) {
    if (!it.failed) return true;
    bad = std::move(it);
    bad_index = i;
    return false;
  });
  r.runs = stats.runs;
  r.complete = stats.complete;
  if (!bad) return r;
  r.ok = false;
  r.fail = detail::to_failure<T>(*bad, bad_index, o.seed, o.strategy, limits);
  if (o.shrink) detail::shrink(*r.fail, *bad, run, o.max_shrink_runs);
  return r;
}

/// Runs `make()` under many schedules and collects the distinct outcomes
/// (values compared with ==, failures by message).
template <class F, class T = typename std::invoke_result_t<F&>::value_type>
explore_result<T> explore_interleavings(F make, explore_options o = {}) {
  using stored = braid::detail::stored_t<T>;
  detail::run_fn run = detail::make_runner<T>(make, nullptr, run_options{true, o.max_steps, o.max_time_ms});
  explore_result<T> r;
  auto stats = detail::explore({o.num_samples, o.seed, o.strategy, false}, run, [&](std::size_t, detail::iteration& it) {
    for (auto& out : r.outcomes) {
      bool same = it.value ? (out.value && *out.value == *static_cast<const stored*>(it.value.get()))
                           : (!out.value && out.error == it.message);
      if (same) {
        ++out.count;
        return true;
      }
    }
    outcome<T> n;
    if (it.value)
      n.value = *static_cast<const stored*>(it.value.get());
    else
      n.error = it.message;
    n.harness = it.harness;
    n.count = 1;
    n.example = it.taken;
    r.outcomes.push_back(std::move(n));
    return true;
  });
  r.runs = stats.runs;
  r.complete = stats.complete;
  return r;
}

/// Runs `t` under `s` (FIFO after its last decision): the value, or rethrows.
template <class T>
T replay_schedule(task<T> t, schedule s, run_options limits = {}) {
  scheduler sch({.micro_schedule = std::move(s), .strict_schedule = false});
  return sch.run(std::move(t), limits);
}

/// Replays a failure's shrunk schedule with a fresh `make()`: returns the
/// value (a property failure returns the rejected value) or rethrows.
template <class F, class T = typename std::invoke_result_t<F&>::value_type>
T replay(F make, const failure<T>& f) {
  return replay_schedule<T>(make(), f.shrunk, f.limits);
}

}  // namespace braid::sim
