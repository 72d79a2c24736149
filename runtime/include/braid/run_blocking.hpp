// SPDX-License-Identifier: MIT
#pragma once

#include <braid/task.hpp>

#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>

namespace braid {

/// Runs `t` and blocks the calling thread (only it) until the process ends;
/// returns its value or rethrows its failure. Missionary's top-level `m/?`.
/// Never call it from a thread that the task needs in order to complete
/// (a cpu() worker running the task's own continuation, a sim scheduler's
/// driving thread): that deadlocks, as any blocking wait would.
template <class T>
T run_blocking(task<T> t) {
  struct state {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::optional<detail::stored_t<T>> value;
    std::exception_ptr error;
    void finish() {
      // Notify under the lock: the waiter owns `state` and may return (and
      // destroy it) as soon as it sees done.
      std::lock_guard<std::mutex> g(m);
      done = true;
      cv.notify_one();
    }
    static void on_value(void* ctx, detail::stored_t<T>&& v) noexcept {
      auto* s = static_cast<state*>(ctx);
      try {
        s->value.emplace(std::move(v));
      } catch (...) {
        s->error = std::current_exception();
      }
      s->finish();
    }
    static void on_error(void* ctx, std::exception_ptr e) noexcept {
      auto* s = static_cast<state*>(ctx);
      s->error = std::move(e);
      s->finish();
    }
  } st;
  // A local class's functions cannot be template arguments (sink::to): the
  // table is a static of its own.
  static constexpr detail::sink_ops<T> ops{{&state::on_error}, &state::on_value};
  canceller c = std::move(t).start(detail::sink<T>{&st, &ops});
  {
    std::unique_lock<std::mutex> lk(st.m);
    st.cv.wait(lk, [&] { return st.done; });
  }
  if (st.error) std::rethrow_exception(st.error);
  if constexpr (!std::is_void_v<T>) return std::move(*st.value);
}

}  // namespace braid
