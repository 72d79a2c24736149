// SPDX-License-Identifier: MIT
#pragma once

#include <braid/env.hpp>
#include <braid/task.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {

template <class F>
inline constexpr bool takes_stop_token_v = std::is_invocable_v<F&, std::stop_token>;

template <class F>
using via_result_t = std::decay_t<
    typename std::conditional_t<takes_stop_token_v<F>, std::invoke_result<F&, std::stop_token>,
                                std::invoke_result<F&>>::type>;

// [spec.task.via] One object per run: the process behind the canceller and
// the job handed to the executor. The run's reference is the job's: it is
// released after the result was delivered, when the executor is done with us.
template <class T, class F>
class via_process final : public process, private job {
 public:
  via_process(sink<T> out, const F& f) : process(2), out_(out), f_(f) {}  // the run + the canceller

  void post(executor& e) noexcept { e.execute(this); }

  // Missionary interrupts the thread running the thunk; braid requests stop
  // on the token f received. The request is sticky: when it comes before f
  // started, f still runs, with stop already requested (as a Java thread
  // interrupted before the thunk runs). stop_source is thread-safe and
  // idempotent, so no other synchronization is needed here.
  void cancel() noexcept override {
    if constexpr (takes_stop_token_v<F>) stop_.request_stop();
  }

 private:
  void run() noexcept override {
    std::exception_ptr failed;
    try {
      if constexpr (std::is_void_v<T>) {
        invoke();
        out_.value(unit{});
      } else {
        out_.value(T(invoke()));  // the sink is noexcept: only f's exception is caught
      }
    } catch (...) {
      failed = std::current_exception();
    }
    // Outside the handler (see deliver_call): the parent may rethrow the
    // exception on another thread while this handler would still hold it.
    if (failed) out_.error(std::move(failed));
    release();  // the run is over
  }

  decltype(auto) invoke() {
    if constexpr (takes_stop_token_v<F>)
      return std::invoke(f_, stop_.get_token());
    else
      return std::invoke(f_);
  }

  sink<T> out_;
  F f_;
  // Only a stop-aware f gets a stop_source (its shared state is one more
  // allocation); for a plain f there is nothing to interrupt.
  std::conditional_t<takes_stop_token_v<F>, std::stop_source, std::nullptr_t> stop_{};
};

template <class T, class F>
class via_task final : public task_impl<T> {
 public:
  via_task(executor& e, F f) : e_(&e), f_(std::move(f)) {}
  canceller start(sink<T> s) const noexcept override {
    auto* p = new_or_fail<via_process<T, F>>(s, s, f_);
    if (!p) return {};
    canceller c(static_cast<process*>(p));
    p->post(*e_);  // braid::cpu()/blk() resolve the environment now, when the task runs
    return c;
  }

 private:
  executor* e_;
  F f_;
};

}  // namespace detail

/// Runs `f()` on an executor and completes with its result (Missionary's
/// `via` / `via-call`) [spec.task.via].
///
/// Semantics: each run posts one job to `e` (braid::cpu(), braid::blk(), or
/// your own braid::executor); the job calls `f()` (or `f(std::stop_token)`)
/// on the executor's thread and the task succeeds with its result there, or
/// fails with the exception f threw. Each run calls its own copy of f.
/// braid::cpu() and braid::blk() post to the environment of the thread that
/// runs the task, so under a sim scheduler or testing::manual_env the work
/// runs on their lanes, in virtual time.
///
/// **Cancellation**: interrupts f: if f takes a std::stop_token, cancel
/// requests stop on it. A cancel before f started does not skip f: f still
/// runs, with stop already requested (as Missionary's interrupted thread
/// does). Either way the task completes with whatever f returns or throws;
/// a cancelled f typically throws braid::cancelled. A plain f() cannot be
/// interrupted: cancel has no effect on it.
///
/// **Failure**: the exception thrown by f, as is.
///
/// Ordering / thread-safety: completes once, on the executor's thread. The
/// executor must outlive every run. One allocation per run (the process is
/// the job); a stop-aware f adds std::stop_source's shared state.
///
/// Example:
///     task<std::string> body = braid::via(braid::blk(), [path] { return read_file(path); });
///     task<long> n = braid::via(braid::cpu(), [](std::stop_token st) {
///       long k = 0;
///       while (!st.stop_requested() && step(k)) ++k;
///       if (st.stop_requested()) throw braid::cancelled("count interrupted");
///       return k;
///     });
template <class F>
  requires(std::is_invocable_v<std::decay_t<F>&> || std::is_invocable_v<std::decay_t<F>&, std::stop_token>)
task<detail::via_result_t<std::decay_t<F>>> via(executor& e, F&& f) {
  using T = detail::via_result_t<std::decay_t<F>>;
  return task<T>(std::make_shared<const detail::via_task<T, std::decay_t<F>>>(e, std::forward<F>(f)));
}

}  // namespace braid
