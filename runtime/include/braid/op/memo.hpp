// SPDX-License-Identifier: MIT
#pragma once

#include <braid/cancelled.hpp>
#include <braid/task.hpp>

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {

template <class T>
class memo_state;

/// One subscription: the process behind a subscriber's canceller.
template <class T>
class memo_subscriber final : public process {
 public:
  memo_subscriber(sink<T> out, std::shared_ptr<memo_state<T>> state)
      : process(2), out_(out), state_(std::move(state)) {}  // the run + the canceller

  void cancel() noexcept override { state_->unsubscribe(this); }

 private:
  friend class memo_state<T>;
  sink<T> out_;
  std::shared_ptr<memo_state<T>> state_;  // the state's mutex must outlive our cancel
  // The list of the run we wait for; guarded by the state's mutex.
  memo_subscriber* prev_ = nullptr;
  memo_subscriber* next_ = nullptr;
  bool linked_ = false;
};

/// One run of the memoized task: the context of its sink, alive until the
/// child ended and its starter stored the canceller (two references).
template <class T>
struct memo_run {
  std::shared_ptr<memo_state<T>> state;
  process* child = nullptr;  // guarded by the state's mutex
  memo_subscriber<T>* head = nullptr;
  memo_subscriber<T>* tail = nullptr;
  bool ended = false;      // the child has completed
  bool finishing = false;  // ended on its own: its outcome is being stored
  bool detached = false;   // every subscriber left: the outcome is discarded
  std::atomic<int> refs{2};

  void release() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  ~memo_run() {
    if (child) child->release();
  }
};

// [spec.task.memo] All shared state behind one mutex. The critical sections
// only link, unlink and take lists; every sink, every child start and every
// child cancel happens after the lock is released.
template <class T>
class memo_state : public std::enable_shared_from_this<memo_state<T>> {
  using stored = stored_t<T>;
  using subscriber = memo_subscriber<T>;
  using run_t = memo_run<T>;

 public:
  explicit memo_state(task<T> t) : t_(std::move(t)) {}

  canceller subscribe(sink<T> s) noexcept {
    subscriber* sub = nullptr;
    std::exception_ptr failed;
    try {
      sub = new subscriber(s, this->shared_from_this());
    } catch (...) {
      failed = std::current_exception();
    }
    if (failed) {  // delivered outside the handler: see detail::deliver_call
      s.error(std::move(failed));
      return {};
    }
    canceller c(static_cast<process*>(sub));
    run_t* starting = nullptr;
    {
      std::unique_lock<std::mutex> g(m_);
      if (done_) {
        g.unlock();
        deliver(sub);  // the stored outcome, at once
        return c;
      }
      if (!current_) {
        starting = new (std::nothrow) run_t{};
        if (!starting) {
          g.unlock();
          sub->out_.error(std::make_exception_ptr(std::bad_alloc()));
          sub->release();
          return c;
        }
        starting->state = this->shared_from_this();
        current_ = starting;
      }
      link(current_, sub);
    }
    if (starting) start(starting);
    return c;
  }

  void unsubscribe(subscriber* sub) noexcept {
    process* to_cancel = nullptr;
    {
      std::lock_guard<std::mutex> g(m_);
      if (!sub->linked_) return;  // already served, or cancelled before
      run_t* r = current_;
      unlink(r, sub);
      if (!r->head && !r->finishing) {
        // The last subscriber left: the run is cancelled and forgotten; the
        // next subscription starts a new one.
        r->detached = true;
        current_ = nullptr;
        if (r->child) {
          to_cancel = r->child;
          to_cancel->retain();  // the run may end (and drop its ref) once we unlock
        }
      }
    }
    sub->out_.error(cancelled_error("braid::memo subscription cancelled"));
    sub->release();  // its run is over
    if (to_cancel) {
      to_cancel->cancel();
      to_cancel->release();
    }
  }

 private:
  void start(run_t* r) noexcept {
    canceller c = t_.start(sink<T>::template to<&on_value, &on_error>(r));
    process* to_cancel = nullptr;
    {
      std::lock_guard<std::mutex> g(m_);
      if (!r->ended) {
        r->child = c.release();
        // Every subscriber may have left while the child was starting (from
        // other threads): the cancel they could not make is ours to make.
        if (r->detached) {
          to_cancel = r->child;
          to_cancel->retain();
        }
      }
    }
    if (to_cancel) {
      to_cancel->cancel();
      to_cancel->release();
    }
    r->release();  // the starter's reference
  }

  static void on_value(void* ctx, stored&& v) noexcept {
    auto* r = static_cast<run_t*>(ctx);
    r->state->finish(r, [&](memo_state& st) {
      try {
        st.value_.emplace(std::move(v));
      } catch (...) {  // a throwing move of the value: the outcome is that failure
        st.error_ = std::current_exception();
      }
    });
  }
  static void on_error(void* ctx, std::exception_ptr e) noexcept {
    auto* r = static_cast<run_t*>(ctx);
    r->state->finish(r, [&](memo_state& st) { st.error_ = std::move(e); });
  }

  // Two short critical sections around storing the outcome, so that a
  // throwing move never happens under the lock: the first marks the run
  // finishing (it stays current_, and can no longer be detached: a last
  // subscriber leaving now just leaves), the outcome is stored (only this
  // run writes it: the current run is the only one not detached), and the
  // second publishes it (done_) and takes the waiting subscribers.
  template <class Store>
  void finish(run_t* r, Store&& store) noexcept {
    bool mine;
    {
      std::lock_guard<std::mutex> g(m_);
      r->ended = true;
      mine = !r->detached;
      r->finishing = mine;
    }
    subscriber* served = nullptr;
    if (mine) {
      store(*this);
      std::lock_guard<std::mutex> g(m_);
      done_ = true;
      current_ = nullptr;
      served = r->head;
      for (subscriber* s = served; s; s = s->next_) s->linked_ = false;
      r->head = r->tail = nullptr;
    }
    // After done_ is set, value_/error_ are never written again: reading
    // them without the lock is safe.
    while (served) {
      subscriber* next = served->next_;
      deliver(served);
      served = next;
    }
    r->release();  // the child's reference; may destroy this state (r owned a reference)
  }

  void deliver(subscriber* s) noexcept {
    if (error_) {
      s->out_.error(error_);
    } else {
      std::exception_ptr e;
      try {
        s->out_.value(stored(*value_));  // each subscriber gets its own copy
      } catch (...) {
        e = std::current_exception();
      }
      if (e) s->out_.error(std::move(e));
    }
    s->release();  // the subscription's run is over
  }

  static void link(run_t* r, subscriber* s) noexcept {
    s->linked_ = true;
    s->prev_ = r->tail;
    s->next_ = nullptr;
    if (r->tail)
      r->tail->next_ = s;
    else
      r->head = s;
    r->tail = s;
  }
  static void unlink(run_t* r, subscriber* s) noexcept {
    s->linked_ = false;
    (s->prev_ ? s->prev_->next_ : r->head) = s->next_;
    (s->next_ ? s->next_->prev_ : r->tail) = s->prev_;
    s->prev_ = s->next_ = nullptr;
  }

  std::mutex m_;
  task<T> t_;
  run_t* current_ = nullptr;  // the run subscribers wait for, if any
  bool done_ = false;
  std::optional<stored> value_;
  std::exception_ptr error_;
};

template <class T>
class memo_task final : public task_impl<T> {
 public:
  explicit memo_task(task<T> t) : state_(std::make_shared<memo_state<T>>(std::move(t))) {}
  canceller start(sink<T> s) const noexcept override { return state_->subscribe(s); }

 private:
  std::shared_ptr<memo_state<T>> state_;
};

}  // namespace detail

/// A shared, lazy task: runs `t` at most once for all its subscribers
/// (Missionary's `memo`) [spec.task.memo].
///
/// Semantics: running the returned task (or any copy of it) subscribes. The
/// first subscription starts one run of `t`; later ones share it. When `t`
/// ends on its own, every subscriber completes with its outcome (each gets a
/// copy of the value), and so does every later subscription, at once,
/// inside its run: `t` never runs again.
///
/// **Cancellation**: cancelling a subscription fails that subscriber at once,
/// inside the cancel call, with braid::cancelled("braid::memo subscription
/// cancelled"); the others are unaffected. When the last waiting subscriber
/// cancels, the run of `t` is cancelled and forgotten (its outcome is
/// discarded); the next subscription starts a new run. Cancelling after the
/// end is a no-op.
///
/// **Failure**: `t`'s failure is the shared outcome: every subscriber fails
/// with it (the same exception object).
///
/// Ordering / thread-safety: subscribe and cancel from any threads.
/// Subscribers waiting for a run complete in subscription order, on the
/// thread where `t` ended. No callback runs under the internal lock. T must
/// be copyable. Per run of `t`: one allocation; per subscription: one.
///
/// Example:
///     task<config> cfg = braid::memo(load_config(path));  // loaded once, shared by all
template <class T>
task<T> memo(task<T> t) {
  static_assert(std::is_copy_constructible_v<detail::stored_t<T>>,
                "braid::memo: the value type must be copyable (every subscriber gets its own copy)");
  return task<T>(std::make_shared<const detail::memo_task<T>>(std::move(t)));
}

}  // namespace braid
