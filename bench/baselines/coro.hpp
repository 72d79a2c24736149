// SPDX-License-Identifier: MIT
// The C++20 coroutine baseline: what a C++ user would write instead of
// braid, kept minimal and written here (no external library).
//
// - task<T>: a lazy task; `co_await` starts it and resumes the awaiter by
//   symmetric transfer when it ends, so chains of synchronous completions
//   run in constant stack (the awaiting side never recurses).
// - sync_wait(task): runs a task that completes synchronously.
// - detached: an eager fire-and-forget coroutine (the root of a process).
// - when_all(vector<task<T>>): every child at once, their values in order.
// - cancellation: std::stop_token passed by the caller, as C++ code does;
//   never(token) ends only with `cancelled` when the token is stopped;
//   race(a, b): the first value wins and stops the loser, and the race ends
//   only after both children have ended (structured, like braid's race).
// - async_generator<T>: co_yield hands one value to a consumer that awaits
//   next(); the producer stays suspended until the consumer asks again
//   (backpressure), control moves by symmetric transfer both ways.
// - single_assign<T>: a thread-safe single-assignment variable whose
//   deref(token) waits until it is assigned or the token is stopped.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <utility>
#include <variant>
#include <vector>

namespace coro {

/// What a cancelled wait throws (like braid::cancelled, not a std::exception).
struct cancelled {};

template <class T>
class task;

namespace detail {

struct final_transfer {
  bool await_ready() const noexcept { return false; }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
    return h.promise().continuation;
  }
  void await_resume() const noexcept {}
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  struct promise_type {
    std::coroutine_handle<> continuation = std::noop_coroutine();
    std::variant<std::monostate, T, std::exception_ptr> result;

    task get_return_object() noexcept { return task(handle::from_promise(*this)); }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    detail::final_transfer final_suspend() const noexcept { return {}; }
    template <class U>
    void return_value(U&& v) {
      result.template emplace<1>(std::forward<U>(v));
    }
    void unhandled_exception() noexcept { result.template emplace<2>(std::current_exception()); }

    T take() {
      if (result.index() == 2) std::rethrow_exception(std::get<2>(result));
      return std::move(std::get<1>(result));
    }
  };
  using handle = std::coroutine_handle<promise_type>;

  task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~task() {
    if (h_) h_.destroy();
  }

  auto operator co_await() && noexcept {
    struct awaiter {
      handle h;
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> c) noexcept {
        h.promise().continuation = c;
        return h;  // symmetric transfer: start the child without growing the stack
      }
      T await_resume() { return h.promise().take(); }
    };
    return awaiter{h_};
  }

  handle get() const noexcept { return h_; }

 private:
  explicit task(handle h) noexcept : h_(h) {}
  handle h_;
};

/// Runs `t` on the calling thread; it must complete before this returns.
template <class T>
T sync_wait(task<T> t) {
  auto h = t.get();
  h.resume();
  if (!h.done()) throw std::logic_error("coro::sync_wait: the task did not complete synchronously");
  return h.promise().take();
}

/// An eager coroutine that nobody awaits: it frees itself when it ends.
struct detached {
  struct promise_type {
    detached get_return_object() const noexcept { return {}; }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }
  };
};

// ---- when_all --------------------------------------------------------------

namespace detail {

// The shared state of one when_all: the children count down; the one that
// reaches zero resumes the awaiting coroutine (by symmetric transfer).
struct when_all_state {
  std::atomic<std::size_t> remaining;
  std::coroutine_handle<> parent;
};

// A wrapper coroutine per child: awaits it, stores its value, counts down.
struct when_all_child {
  struct promise_type {
    when_all_state* state = nullptr;
    when_all_child get_return_object() noexcept { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    auto final_suspend() const noexcept {
      struct last {
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) const noexcept {
          when_all_state* s = h.promise().state;
          if (s->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) return s->parent;
          return std::noop_coroutine();
        }
        void await_resume() const noexcept {}
      };
      return last{};
    }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }  // the body catches
  };
  std::coroutine_handle<promise_type> h;
};

template <class T>
when_all_child when_all_one(task<T>& t, std::optional<T>& out, std::exception_ptr& err) {
  try {
    out.emplace(co_await std::move(t));
  } catch (...) {
    err = std::current_exception();
  }
}

}  // namespace detail

/// Runs every child at once and returns their values in order; if some
/// fail, rethrows one failure after all of them have ended.
template <class T>
task<std::vector<T>> when_all(std::vector<task<T>> ts) {
  const std::size_t n = ts.size();
  std::vector<std::optional<T>> values(n);
  std::vector<std::exception_ptr> errors(n);
  std::vector<detail::when_all_child> children;
  children.reserve(n);
  detail::when_all_state state{{n + 1}, {}};
  for (std::size_t i = 0; i < n; ++i) {
    children.push_back(detail::when_all_one(ts[i], values[i], errors[i]));
    children.back().h.promise().state = &state;
  }
  struct start_all {
    std::vector<detail::when_all_child>& children;
    detail::when_all_state& state;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
      state.parent = h;
      for (auto& c : children) c.h.resume();
      // The +1 is ours: whoever brings the count to zero continues.
      return state.remaining.fetch_sub(1, std::memory_order_acq_rel) != 1;
    }
    void await_resume() const noexcept {}
  };
  co_await start_all{children, state};
  for (auto& c : children) c.h.destroy();
  std::vector<T> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (errors[i]) std::rethrow_exception(errors[i]);
    out.push_back(std::move(*values[i]));
  }
  co_return out;
}

// ---- cancellation: never, race -----------------------------------------------

/// Waits until `tok` is stopped, then throws cancelled.
template <class T>
task<T> never(std::stop_token tok) {
  // The stop callback may fire while await_suspend is still registering it
  // (on this thread, or another): resuming the coroutine then would run it
  // while await_suspend still touches the awaiter. So whichever of the two
  // comes second continues the coroutine: await_suspend by not suspending,
  // the callback by resuming it.
  struct wait_for_stop {
    explicit wait_for_stop(std::stop_token t) noexcept : tok(std::move(t)) {}
    std::stop_token tok;
    struct resume_fn {
      wait_for_stop* w;
      void operator()() const noexcept {
        if (w->second.exchange(true, std::memory_order_acq_rel)) w->h.resume();
      }
    };
    std::coroutine_handle<> h{};
    std::atomic<bool> second{false};
    std::optional<std::stop_callback<resume_fn>> cb;
    bool await_ready() const noexcept { return tok.stop_requested(); }
    bool await_suspend(std::coroutine_handle<> c) {
      h = c;
      cb.emplace(tok, resume_fn{this});
      return !second.exchange(true, std::memory_order_acq_rel);
    }
    void await_resume() const noexcept {}
  };
  // A named awaiter: g++ 12 destroys a temporary operand of co_await built
  // in place (`co_await wait_for_stop{tok}`) twice, here freeing the stop
  // state early.
  wait_for_stop w(tok);
  co_await w;
  throw cancelled{};
}

namespace detail {

template <class T>
struct race_state {
  std::stop_source stop;
  std::atomic<bool> decided{false};
  std::optional<T> value;
  std::exception_ptr last_error;
  std::coroutine_handle<> parent;
};

template <class T>
when_all_child race_one(task<T> t, race_state<T>& s) {
  try {
    T v = co_await std::move(t);
    if (!s.decided.exchange(true, std::memory_order_acq_rel)) {
      s.value.emplace(std::move(v));
      s.stop.request_stop();  // the loser sees its token stopped
    }
  } catch (...) {
    s.last_error = std::current_exception();
  }
}

}  // namespace detail

/// The first child to succeed gives the value and the other one's token is
/// stopped; the race ends after both have ended. If both fail, rethrows the
/// last failure. Each child is built from the race's token.
template <class T, class A, class B>
task<T> race(A make_a, B make_b) {
  detail::race_state<T> s;
  detail::when_all_state ws{{3}, {}};
  detail::when_all_child a = detail::race_one<T>(make_a(s.stop.get_token()), s);
  detail::when_all_child b = detail::race_one<T>(make_b(s.stop.get_token()), s);
  a.h.promise().state = &ws;
  b.h.promise().state = &ws;
  struct start_both {
    detail::when_all_child a, b;
    detail::when_all_state& ws;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
      ws.parent = h;
      a.h.resume();
      b.h.resume();
      return ws.remaining.fetch_sub(1, std::memory_order_acq_rel) != 1;
    }
    void await_resume() const noexcept {}
  };
  co_await start_both{a, b, ws};
  a.h.destroy();
  b.h.destroy();
  if (!s.value) std::rethrow_exception(s.last_error);
  co_return std::move(*s.value);
}

// ---- async generator -------------------------------------------------------------

template <class T>
class [[nodiscard]] async_generator {
 public:
  struct promise_type {
    std::coroutine_handle<> continuation = std::noop_coroutine();  // the waiting consumer
    T* current = nullptr;
    std::exception_ptr error;

    async_generator get_return_object() noexcept { return async_generator(handle::from_promise(*this)); }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    detail::final_transfer final_suspend() const noexcept { return {}; }
    auto yield_value(T& v) noexcept {
      current = &v;
      return yield_to_consumer{};
    }
    auto yield_value(T&& v) noexcept {
      current = &v;  // lives in the producer's frame until it is resumed
      return yield_to_consumer{};
    }
    void return_void() noexcept { current = nullptr; }
    void unhandled_exception() noexcept {
      current = nullptr;
      error = std::current_exception();
    }

    struct yield_to_consumer {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) const noexcept {
        return h.promise().continuation;
      }
      void await_resume() const noexcept {}
    };
  };
  using handle = std::coroutine_handle<promise_type>;

  async_generator(async_generator&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  ~async_generator() {
    if (h_) h_.destroy();
  }

  /// Awaits the next value: a pointer to it (valid until the next call), or
  /// null at the end; rethrows the producer's failure.
  auto next() noexcept {
    struct awaiter {
      handle h;
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> c) noexcept {
        h.promise().continuation = c;
        return h;
      }
      T* await_resume() {
        if (h.promise().error) std::rethrow_exception(h.promise().error);
        return h.promise().current;
      }
    };
    return awaiter{h_};
  }

 private:
  explicit async_generator(handle h) noexcept : h_(h) {}
  handle h_;
};

// ---- single-assignment variable ----------------------------------------------------

template <class T>
class single_assign {
 public:
  single_assign() = default;
  single_assign(const single_assign&) = delete;

  /// First assignment wins; wakes every waiter (in arrival order).
  bool assign(T v) {
    waiter* list;
    {
      std::lock_guard<std::mutex> g(m_);
      if (value_) return false;
      value_.emplace(std::move(v));
      list = std::exchange(head_, nullptr);
      tail_ = nullptr;
    }
    while (list) {
      waiter* w = list;
      list = w->next;
      w->state = waiter::assigned;
      w->wake();
    }
    return true;
  }

  /// Awaits the value, or throws cancelled when `tok` is stopped first.
  /// (Returned as a prvalue, which g++ 12 handles; never write the awaiter
  /// as a braced temporary inside co_await, see never().)
  auto deref(std::stop_token tok) noexcept { return waiter{this, std::move(tok)}; }

 private:
  struct waiter {
    enum st { waiting, assigned, stopped };
    waiter(single_assign* v, std::stop_token t) noexcept : var(v), tok(std::move(t)) {}
    single_assign* var;
    std::stop_token tok;
    std::coroutine_handle<> h{};
    waiter* next = nullptr;
    waiter* prev = nullptr;
    st state = waiting;
    // Whichever comes second continues the coroutine: await_suspend (which
    // then does not suspend) or the waker (assign or the stop callback),
    // which may run while await_suspend is still registering the callback.
    std::atomic<bool> second{false};
    void wake() noexcept {
      if (second.exchange(true, std::memory_order_acq_rel)) h.resume();
    }
    struct on_stop {
      waiter* w;
      void operator()() const noexcept { w->var->stop(w); }
    };
    std::optional<std::stop_callback<on_stop>> cb;

    bool await_ready() noexcept {
      std::lock_guard<std::mutex> g(var->m_);
      return var->value_.has_value();
    }
    bool await_suspend(std::coroutine_handle<> c) {
      h = c;
      {
        std::lock_guard<std::mutex> g(var->m_);
        if (var->value_) return false;
        prev = var->tail_;
        (prev ? prev->next : var->head_) = this;
        var->tail_ = this;
      }
      cb.emplace(tok, on_stop{this});  // may run stop() at once
      return !second.exchange(true, std::memory_order_acq_rel);
    }
    T await_resume() {
      cb.reset();
      if (state == stopped) throw cancelled{};
      std::lock_guard<std::mutex> g(var->m_);
      return *var->value_;
    }
  };

  void stop(waiter* w) {
    {
      std::lock_guard<std::mutex> g(m_);
      // Once value_ is set, assign() owns every listed waiter (and writes
      // its state outside the lock): test value_ first.
      if (value_ || w->state != waiter::waiting) return;
      (w->prev ? w->prev->next : head_) = w->next;
      (w->next ? w->next->prev : tail_) = w->prev;
      w->state = waiter::stopped;
    }
    w->wake();
  }

  std::mutex m_;
  std::optional<T> value_;
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
};

}  // namespace coro
