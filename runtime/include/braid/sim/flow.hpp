// SPDX-License-Identifier: MIT
#pragma once

/// Flow sources and tools for tests ([spec.sim.flow]): subject<T> (a
/// discrete source fed by the test), state<T> (a continuous source the test
/// sets), spawn_flow (drive a flow's protocol by hand) and collect (a flow's
/// values as a task). They speak braid/flow.hpp's protocol and work with or
/// without a scheduler; under one, an emit completes as a microtask, so the
/// producer's progress is a scheduling point.

#include <braid/cancelled.hpp>
#include <braid/env.hpp>
#include <braid/flow.hpp>
#include <braid/op/yield.hpp>
#include <braid/sim/scheduler.hpp>
#include <braid/task.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace braid::sim {

namespace detail {

template <class T>
struct subject_core;

/// One run of subject::emit: waits in the subject's queue until its value
/// is transferred, then completes as a job on the current environment.
template <class T>
class emit_process final : public braid::detail::process, public braid::detail::labelled_job {
 public:
  emit_process(std::shared_ptr<subject_core<T>> c, braid::detail::sink<void> out) noexcept
      : process(2), core_(std::move(c)), out_(out) {
    label = "emit";
  }
  void cancel() noexcept override;
  /// The job: completes the emit (the value was transferred).
  void run() noexcept override {
    out_.value(unit{});
    release();
  }
  void fail(std::exception_ptr e) noexcept {
    out_.error(std::move(e));
    release();
  }

 private:
  std::shared_ptr<subject_core<T>> core_;
  braid::detail::sink<void> out_;
};

template <class T>
class subject_process;

template <class T>
struct subject_core : std::enable_shared_from_this<subject_core<T>> {
  struct entry {
    T value;
    emit_process<T>* waiter;  // null for offer
  };
  std::mutex m;
  subject_process<T>* proc = nullptr;  // set while a consumer runs
  braid::detail::flow_listener l;
  bool spawned = false;
  bool notified = false;  // a notification not yet transferred
  bool cancelled = false;
  bool terminated = false;
  bool ended = false;  // close() or fail() was called
  std::exception_ptr end_error;
  std::deque<entry> queue;

  /// After a state change (lock held): what to do once the lock is released.
  enum class action { none, notify, terminate };
  action next_locked() {
    if (!spawned || terminated || notified) return action::none;
    if (cancelled || !queue.empty() || (ended && end_error)) {
      notified = true;
      return action::notify;
    }
    if (ended) {
      terminated = true;
      return action::terminate;
    }
    return action::none;
  }
  void act(action a, subject_process<T>* p, braid::detail::flow_listener lis) noexcept;
};

// [spec.flow] A discrete source: one notification per queued value, an
// error end is a notification whose transfer throws, a normal end
// terminates as soon as nothing is queued (inside the last transfer when
// values were pending).
template <class T>
class subject_process final : public braid::detail::flow_process<T> {
 public:
  explicit subject_process(std::shared_ptr<subject_core<T>> c) noexcept
      : braid::detail::flow_process<T>(2), core_(std::move(c)) {}

  void cancel() noexcept override {
    typename subject_core<T>::action a;
    braid::detail::flow_listener l;
    {
      std::lock_guard<std::mutex> g(core_->m);
      if (core_->terminated || core_->cancelled) return;
      core_->cancelled = true;
      a = core_->next_locked();
      l = core_->l;
    }
    core_->act(a, this, l);
  }

  T transfer() override {
    auto c = core_;  // the process may be freed by the termination below
    std::unique_lock<std::mutex> lk(c->m);
    if (!c->notified)
      throw std::logic_error("braid::sim::subject: transfer without a notification; transfer once per notification");
    c->notified = false;
    braid::detail::flow_listener l = c->l;
    if (c->cancelled) {
      std::vector<emit_process<T>*> waiters;
      for (auto& e : c->queue)
        if (e.waiter) waiters.push_back(e.waiter);
      c->queue.clear();
      c->terminated = true;
      c->proc = nullptr;
      lk.unlock();
      for (auto* w : waiters) w->fail(cancelled_error("braid::sim::subject: consumer cancelled"));
      this->release();
      l.terminate();
      throw cancelled("braid::sim::subject: consumer cancelled");
    }
    if (c->queue.empty()) {  // an error end
      std::exception_ptr e = c->end_error;
      c->terminated = true;
      c->proc = nullptr;
      lk.unlock();
      this->release();
      l.terminate();
      std::rethrow_exception(e);
    }
    entry_t head = std::move(c->queue.front());
    c->queue.pop_front();
    auto a = c->next_locked();
    if (a == subject_core<T>::action::terminate) c->proc = nullptr;
    lk.unlock();
    // The emit completes as a microtask under a scheduler (at once otherwise).
    if (head.waiter) braid::detail::current_env().yield(head.waiter);
    c->act(a, this, l);
    return std::move(head.value);
  }

 private:
  using entry_t = typename subject_core<T>::entry;
  std::shared_ptr<subject_core<T>> core_;
};

template <class T>
void subject_core<T>::act(action a, subject_process<T>* p, braid::detail::flow_listener lis) noexcept {
  if (a == action::notify) {
    lis.notify();
  } else if (a == action::terminate) {
    p->release();  // the run's reference: resources go before the terminator
    lis.terminate();
  }
}

template <class T>
void emit_process<T>::cancel() noexcept {
  // [spec.sim.flow] A value not yet transferred is withdrawn and the emit
  // fails with cancelled; once transferred, the emit succeeds regardless.
  bool withdrawn = false;
  {
    std::lock_guard<std::mutex> g(core_->m);
    for (auto it = core_->queue.begin(); it != core_->queue.end(); ++it)
      if (it->waiter == this) {
        // The head may already be announced; withdrawing it would leave the
        // consumer a notification without a value, so it stays.
        if (it == core_->queue.begin() && core_->notified) break;
        core_->queue.erase(it);
        withdrawn = true;
        break;
      }
  }
  if (withdrawn) fail(cancelled_error("braid::sim::subject: emit cancelled"));
}

template <class T>
class emit_task final : public braid::detail::task_impl<void> {
 public:
  emit_task(std::shared_ptr<subject_core<T>> c, T v) : core_(std::move(c)), v_(std::move(v)) {}
  canceller start(braid::detail::sink<void> s) const noexcept override {
    std::exception_ptr refused;
    emit_process<T>* p = nullptr;
    typename subject_core<T>::action a = subject_core<T>::action::none;
    braid::detail::flow_listener l;
    subject_process<T>* proc = nullptr;
    try {
      p = new emit_process<T>(core_, s);
      std::lock_guard<std::mutex> g(core_->m);
      if (core_->ended)
        refused = std::make_exception_ptr(
            std::logic_error("braid::sim::subject: emit after close or fail; the subject has ended"));
      else if (core_->cancelled || core_->terminated)
        refused = cancelled_error("braid::sim::subject: consumer cancelled");
      else {
        core_->queue.push_back({v_, p});
        a = core_->next_locked();
        l = core_->l;
        proc = core_->proc;
      }
    } catch (...) {
      refused = std::current_exception();
    }
    if (refused) {
      if (p) {
        p->fail(refused);  // drops the run's reference
        p->release();      // and the canceller's: nobody gets one
      } else {
        s.error(refused);
      }
      return {};
    }
    canceller c(static_cast<braid::detail::process*>(p));
    core_->act(a, proc, l);
    return c;
  }

 private:
  std::shared_ptr<subject_core<T>> core_;
  T v_;
};

template <class T>
class subject_flow final : public braid::detail::flow_impl<T> {
 public:
  explicit subject_flow(std::shared_ptr<subject_core<T>> c) : core_(std::move(c)) {}
  braid::detail::flow_process<T>* spawn(braid::detail::flow_listener l) const noexcept override {
    subject_process<T>* p = nullptr;
    typename subject_core<T>::action a;
    {
      std::lock_guard<std::mutex> g(core_->m);
      if (!core_->spawned) {
        p = new (std::nothrow) subject_process<T>(core_);
        if (p) {
          core_->spawned = true;
          core_->proc = p;
          core_->l = l;
          a = core_->next_locked();
        }
      }
    }
    if (!p)
      return braid::detail::failing_flow<T>(std::make_exception_ptr(std::logic_error(
                                                "braid::sim::subject: flow spawned twice; a subject has one "
                                                "consumer, make one subject per consumer")))
          ->spawn(l);
    core_->act(a, p, l);
    return p;  // with the iterator's reference (the constructor counted it)
  }

 private:
  std::shared_ptr<subject_core<T>> core_;
};

}  // namespace detail

/// A discrete flow source driven by the test (missionary-testkit's subject).
///
/// flow() is the flow; it has one consumer (spawning it again gives a flow
/// that fails with std::logic_error saying so). emit(v) is a task that
/// queues v and succeeds once the consumer transferred it (backpressure);
/// under a scheduler that success is a microtask. offer(v) queues v only if
/// the consumer waits for a value right now, and says whether it did.
/// close() ends the flow once the queued values are transferred; fail(e)
/// ends it with e after them.
///
/// **cancellation**: cancelling the consumer's iterator notifies (unless a
/// transfer is pending); that transfer fails every queued emit with
/// cancelled, terminates, and throws cancelled. Cancelling an emit whose
/// value is not yet announced withdraws the value and fails the emit with
/// cancelled; an announced or transferred value stays and the emit succeeds.
///
/// **failure**: emit after close/fail fails with std::logic_error; emit
/// after the consumer was cancelled fails with cancelled.
///
/// Ordering / thread-safety: values arrive in emit order; every member may
/// be called from any thread; callbacks run outside the lock.
///
/// Example:
///     sim::subject<int> s;
///     sim::scheduler sch;
///     auto got = sch.start(sim::collect(s.flow()));
///     sch.start(s.emit(1)); sch.tick();
///     s.close(); sch.tick();   // got.result() == std::vector{1}
template <class T>
class subject {
 public:
  subject() : core_(std::make_shared<detail::subject_core<T>>()) {}

  braid::flow<T> flow() const { return braid::flow<T>(std::make_shared<const detail::subject_flow<T>>(core_)); }

  task<void> emit(T v) const { return task<void>(std::make_shared<const detail::emit_task<T>>(core_, std::move(v))); }

  bool offer(T v) const {
    typename detail::subject_core<T>::action a;
    braid::detail::flow_listener l;
    detail::subject_process<T>* p;
    {
      std::lock_guard<std::mutex> g(core_->m);
      if (!core_->spawned || core_->notified || !core_->queue.empty() || core_->ended || core_->cancelled ||
          core_->terminated)
        return false;
      core_->queue.push_back({std::move(v), nullptr});
      a = core_->next_locked();
      l = core_->l;
      p = core_->proc;
    }
    core_->act(a, p, l);
    return true;
  }

  void close() const { end(nullptr); }
  void fail(std::exception_ptr e) const { end(e ? e : std::make_exception_ptr(std::logic_error("braid::sim::subject: failed"))); }

 private:
  void end(std::exception_ptr e) const {
    typename detail::subject_core<T>::action a;
    braid::detail::flow_listener l;
    detail::subject_process<T>* p;
    {
      std::lock_guard<std::mutex> g(core_->m);
      if (core_->ended) return;  // the first end counts
      core_->ended = true;
      core_->end_error = e;
      a = core_->next_locked();
      l = core_->l;
      p = core_->proc;
      if (a == detail::subject_core<T>::action::terminate) core_->proc = nullptr;
    }
    core_->act(a, p, l);
  }

  std::shared_ptr<detail::subject_core<T>> core_;
};

namespace detail {

template <class T>
class state_process;

template <class T>
struct state_core {
  std::mutex m;
  T value;
  bool closed = false;
  std::vector<state_process<T>*> consumers;
  explicit state_core(T v) : value(std::move(v)) {}
};

// [spec.flow] A continuous source: ready at spawn; a notification says
// "changed" and the transfer reads the current value; after close, the next
// transfer (or close itself, when none is pending) terminates.
template <class T>
class state_process final : public braid::detail::flow_process<T> {
 public:
  state_process(std::shared_ptr<state_core<T>> c, braid::detail::flow_listener l) noexcept
      : braid::detail::flow_process<T>(2), core_(std::move(c)), l_(l) {}

  void cancel() noexcept override {
    {
      std::lock_guard<std::mutex> g(core_->m);
      if (terminated_ || cancelled_) return;
      cancelled_ = true;
      if (notified_) return;
      notified_ = true;
    }
    l_.notify();
  }

  T transfer() override {
    auto c = core_;
    std::unique_lock<std::mutex> lk(c->m);
    if (!notified_)
      throw std::logic_error("braid::sim::state: transfer without a notification; transfer once per notification");
    notified_ = false;
    if (cancelled_ || c->closed) {
      const bool was_cancelled = cancelled_;
      std::optional<T> last;
      if (!was_cancelled) last.emplace(c->value);
      end_locked();
      lk.unlock();
      braid::detail::flow_listener l = l_;
      this->release();
      l.terminate();
      if (was_cancelled) throw cancelled("braid::sim::state: consumer cancelled");
      return std::move(*last);
    }
    return c->value;
  }

  /// Lock held. True when the caller must call l_.notify().
  bool mark_changed_locked() {
    if (notified_ || terminated_) return false;
    notified_ = true;
    return true;
  }
  /// Lock held, on close: true when the caller must terminate it now.
  bool close_locked() {
    if (notified_ || terminated_) return false;
    end_locked();
    return true;
  }
  void terminate_now() noexcept {
    braid::detail::flow_listener l = l_;
    this->release();
    l.terminate();
  }
  braid::detail::flow_listener listener() const noexcept { return l_; }
  void start_notified_locked() { notified_ = true; }

 private:
  void end_locked() {
    terminated_ = true;
    std::erase(core_->consumers, this);
  }
  std::shared_ptr<state_core<T>> core_;
  braid::detail::flow_listener l_;
  bool notified_ = false;
  bool cancelled_ = false;
  bool terminated_ = false;
};

template <class T>
class state_flow final : public braid::detail::flow_impl<T> {
 public:
  explicit state_flow(std::shared_ptr<state_core<T>> c) : core_(std::move(c)) {}
  braid::detail::flow_process<T>* spawn(braid::detail::flow_listener l) const noexcept override {
    auto* p = new (std::nothrow) state_process<T>(core_, l);
    if (!p) return braid::detail::failing_flow<T>(std::make_exception_ptr(std::bad_alloc()))->spawn(l);
    {
      std::lock_guard<std::mutex> g(core_->m);
      core_->consumers.push_back(p);
      p->start_notified_locked();
    }
    l.notify();  // continuous: ready at spawn
    return p;    // with the iterator's reference (the constructor counted it)
  }

 private:
  std::shared_ptr<state_core<T>> core_;
};

}  // namespace detail

/// A continuous flow source driven by the test (missionary-testkit's state):
/// a current value every consumer can read.
///
/// flow() may be spawned any number of times; each consumer is ready at
/// spawn (it notifies inside spawn) and reads the current value on
/// transfer. set(v) replaces the value and notifies every consumer that has
/// no notification pending (values set in between are skipped: consumers
/// see the latest). close() ends every consumer: one with a pending
/// notification reads the last value and terminates in that transfer; the
/// others terminate at once.
///
/// **cancellation**: a cancelled consumer notifies (if nothing is pending);
/// its next transfer terminates and throws cancelled.
///
/// **failure**: none; set after close only changes the value.
///
/// Ordering / thread-safety: any member, any thread; callbacks outside the lock.
///
/// Example:
///     sim::state<int> st(0);
///     auto h = sim::spawn_flow(st.flow());   // h.ready()
///     h.transfer();                          // 0
///     st.set(1); h.transfer();               // 1
template <class T>
class state {
 public:
  explicit state(T initial) : core_(std::make_shared<detail::state_core<T>>(std::move(initial))) {}

  braid::flow<T> flow() const { return braid::flow<T>(std::make_shared<const detail::state_flow<T>>(core_)); }

  void set(T v) const {
    std::vector<braid::detail::flow_listener> notify;
    {
      std::lock_guard<std::mutex> g(core_->m);
      core_->value = std::move(v);
      for (auto* p : core_->consumers)
        if (p->mark_changed_locked()) notify.push_back(p->listener());
    }
    for (auto& l : notify) l.notify();
  }

  void close() const {
    std::vector<detail::state_process<T>*> ending;
    {
      std::lock_guard<std::mutex> g(core_->m);
      if (core_->closed) return;
      core_->closed = true;
      auto consumers = core_->consumers;
      for (auto* p : consumers)
        if (p->close_locked()) ending.push_back(p);
    }
    for (auto* p : ending) p->terminate_now();
  }

 private:
  std::shared_ptr<detail::state_core<T>> core_;
};

/// A flow spawned for manual driving (missionary-testkit's spawn-flow!):
/// ready() says a notification awaits its transfer, terminated() that the
/// terminator ran; transfer() and cancel() act on the iterator.
template <class T>
class spawned_flow {
  struct shared {
    std::mutex m;
    bool ready = false;
    bool terminated = false;
    std::size_t notifications = 0;
  };

 public:
  explicit spawned_flow(const flow<T>& f) : s_(std::make_shared<shared>()) {
    auto s = s_;
    it_ = f.spawn(
        [s] {
          std::lock_guard<std::mutex> g(s->m);
          s->ready = true;
          ++s->notifications;
        },
        [s] {
          std::lock_guard<std::mutex> g(s->m);
          s->terminated = true;
        });
  }
  spawned_flow(const spawned_flow&) = delete;
  spawned_flow& operator=(const spawned_flow&) = delete;
  /// Cancels the flow and transfers (discarding) whatever it still
  /// announces, so that it can terminate and free itself.
  ~spawned_flow() {
    it_.cancel();
    for (int guard = 0; ready() && !terminated() && guard < 1'000'000; ++guard) {
      try {
        transfer();
      } catch (...) {
      }
    }
  }

  bool ready() const {
    std::lock_guard<std::mutex> g(s_->m);
    return s_->ready;
  }
  bool terminated() const {
    std::lock_guard<std::mutex> g(s_->m);
    return s_->terminated;
  }
  /// Notifications received so far.
  std::size_t notifications() const {
    std::lock_guard<std::mutex> g(s_->m);
    return s_->notifications;
  }
  /// Takes the announced value (or throws the flow's error). error(misuse)
  /// when no notification is pending.
  T transfer() {
    {
      std::lock_guard<std::mutex> g(s_->m);
      if (!s_->ready)
        throw error(error_kind::misuse,
                    "braid::sim: spawned_flow::transfer without a notification; the flow has not announced a "
                    "value: drive the scheduler (tick, advance) until ready()");
      s_->ready = false;  // before the transfer: it may notify again inside
    }
    return it_.transfer();
  }
  void cancel() const { it_.cancel(); }

 private:
  std::shared_ptr<shared> s_;
  flow_iterator<T> it_;
};

/// Spawns `f` for manual driving; see spawned_flow.
template <class T>
std::unique_ptr<spawned_flow<T>> spawn_flow(const flow<T>& f) {
  return std::make_unique<spawned_flow<T>>(f);
}

template <class T>
struct collect_options {
  /// Called with the values so far and each new value; appends what it
  /// wants to keep and returns false to stop (the flow is then cancelled and
  /// the task succeeds with what was kept). Absent: keep everything.
  std::function<bool(std::vector<T>&, T)> transform{};
  /// Fail with error(time_budget) when the flow has not ended this many
  /// milliseconds (on the current environment's clock) after the start.
  std::optional<std::int64_t> timeout_ms{};
};

namespace detail {

// [spec.sim.flow] collect: a consumer that transfers on every notification
// in a drain loop (a notification arriving inside a transfer is picked up by
// the loop, never by recursion), and ends when the flow terminated and its
// timer (if any) is resolved.
template <class T>
class collect_process final : public braid::detail::process, private braid::detail::timer_node {
 public:
  collect_process(braid::detail::sink<std::vector<T>> out, collect_options<T> o)
      : process(2), out_(out), opts_(std::move(o)) {}

  void begin(const flow<T>& f) noexcept {
    {
      std::lock_guard<std::mutex> g(m_);
      in_loop_ = true;  // notifications during spawn wait for the iterator
    }
    it_ = f.spawn(braid::detail::flow_listener{this, &on_notify, &on_terminate});
    if (opts_.timeout_ms) {
      std::lock_guard<std::mutex> g(m_);
      if (!terminated_) {
        env_ = &braid::detail::current_env();
        label = "collect timeout";
        deadline_ms = env_->now_ms() + *opts_.timeout_ms;
        timer_ = timer_armed;
        env_->schedule(this);
      }
    }
    drain();
  }

  void cancel() noexcept override {
    {
      std::lock_guard<std::mutex> g(m_);
      if (terminated_ || stopping_) return;
      stopping_ = true;
      cancelled_ = true;
    }
    it_.cancel();
  }

 private:
  static constexpr int timer_none = 0, timer_armed = 1, timer_done = 2;

  static void on_notify(void* ctx) noexcept {
    auto* self = static_cast<collect_process*>(ctx);
    {
      std::lock_guard<std::mutex> g(self->m_);
      self->pending_ = true;
      if (self->in_loop_) return;
      self->in_loop_ = true;
    }
    self->drain();
  }
  static void on_terminate(void* ctx) noexcept {
    auto* self = static_cast<collect_process*>(ctx);
    {
      std::lock_guard<std::mutex> g(self->m_);
      self->terminated_ = true;
      if (self->in_loop_) return;  // the loop finishes
      self->in_loop_ = true;
    }
    self->drain();
  }

  // The timeout. Races with termination are settled under m_: whoever
  // comes second (drain waiting for a firing timer, or this) completes.
  void fire() noexcept override {
    bool cancel_flow = false, finish = false;
    {
      std::lock_guard<std::mutex> g(m_);
      timer_ = timer_done;
      if (!terminated_) {
        if (!stopping_) {
          stopping_ = true;
          timed_out_ = true;
          cancel_flow = true;
        }
      } else if (waiting_timer_) {
        waiting_timer_ = false;
        finish = true;
      }
    }
    if (cancel_flow) it_.cancel();
    if (finish) complete();
  }

  // Runs with in_loop_ set by the caller; transfers while notified, then
  // finishes when the flow terminated.
  void drain() noexcept {
    for (;;) {
      bool take;
      {
        std::lock_guard<std::mutex> g(m_);
        take = pending_;
        pending_ = false;
        if (!take) {
          if (!terminated_) {
            in_loop_ = false;
            return;
          }
          break;
        }
      }
      bool stop = false;
      try {
        T v = it_.transfer();
        bool keep_going;
        {
          std::lock_guard<std::mutex> g(m_);
          keep_going = !stopping_;
        }
        if (keep_going) {
          if (opts_.transform) {
            stop = !opts_.transform(out_values_, std::move(v));
          } else {
            out_values_.push_back(std::move(v));
          }
        }
      } catch (...) {
        // A throwing transfer (the flow ends by itself) or transform (we
        // end it): the first error counts unless we were already stopping.
        std::lock_guard<std::mutex> g(m_);
        if (!stopping_ && !error_) error_ = std::current_exception();
        stop = true;
      }
      if (stop) {
        {
          std::lock_guard<std::mutex> g(m_);
          stopping_ = true;
        }
        it_.cancel();  // idempotent; harmless after termination
      }
    }
    // Terminated: resolve the timer, then complete (once).
    {
      std::lock_guard<std::mutex> g(m_);
      if (timer_ == timer_armed) {
        if (env_->unschedule(this)) {
          timer_ = timer_done;
        } else {
          waiting_timer_ = true;  // firing right now: fire() completes
          in_loop_ = false;
          return;
        }
      }
    }
    complete();
  }

  void complete() noexcept {
    std::exception_ptr e;
    bool timed_out, cancelled_by_us;
    {
      std::lock_guard<std::mutex> g(m_);
      e = error_;
      timed_out = timed_out_;
      cancelled_by_us = cancelled_;
    }
    if (cancelled_by_us) {
      out_.error(cancelled_error("braid::sim::collect cancelled"));
    } else if (timed_out) {
      try {
        out_.error(std::make_exception_ptr(
            error(error_kind::time_budget, "braid::sim::collect: the flow did not end within timeout_ms = " +
                                               std::to_string(*opts_.timeout_ms) + " (" +
                                               std::to_string(out_values_.size()) +
                                               " values collected); it was cancelled")));
      } catch (...) {
        out_.error(std::current_exception());
      }
    } else if (e) {
      out_.error(e);
    } else {
      out_.value(std::move(out_values_));
    }
    release();  // the run
  }

  braid::detail::sink<std::vector<T>> out_;
  collect_options<T> opts_;
  flow_iterator<T> it_;
  std::vector<T> out_values_;
  std::mutex m_;
  bool in_loop_ = false;
  bool pending_ = false;
  bool terminated_ = false;
  bool stopping_ = false;
  bool cancelled_ = false;
  bool timed_out_ = false;
  std::exception_ptr error_;
  int timer_ = timer_none;
  bool waiting_timer_ = false;
  braid::detail::environment* env_ = nullptr;
};

template <class T>
class collect_task final : public braid::detail::task_impl<std::vector<T>> {
 public:
  collect_task(flow<T> f, collect_options<T> o) : f_(std::move(f)), o_(std::move(o)) {}
  canceller start(braid::detail::sink<std::vector<T>> s) const noexcept override {
    collect_process<T>* p;
    try {
      p = new collect_process<T>(s, o_);
    } catch (...) {
      s.error(std::current_exception());
      return {};
    }
    canceller c(static_cast<braid::detail::process*>(p));
    p->begin(f_);
    return c;
  }

 private:
  flow<T> f_;
  collect_options<T> o_;
};

}  // namespace detail

/// A task that spawns `f`, transfers every value, and succeeds with them
/// when the flow terminates (missionary-testkit's collect).
///
/// **cancellation**: cancels the flow; fails with cancelled once it ended.
///
/// **failure**: a throwing transfer fails the task with that error (after
/// the flow terminated); o.timeout_ms elapsing cancels the flow and fails
/// with error(time_budget); a transform that throws fails it likewise.
/// A transform that returns false cancels the flow and succeeds with the
/// values kept (the flow's cancelled end is not an error then).
///
/// Ordering: values in transfer order; the timer uses the environment of
/// the thread that runs the task (virtual under a scheduler).
///
/// Example:
///     // the first three values of a state flow
///     auto take3 = [](std::vector<int>& out, int v) { out.push_back(v); return out.size() < 3; };
///     task<std::vector<int>> t = sim::collect(st.flow(), {.transform = take3});
template <class T>
task<std::vector<T>> collect(flow<T> f, collect_options<T> o = {}) {
  return task<std::vector<T>>(std::make_shared<const detail::collect_task<T>>(std::move(f), std::move(o)));
}

}  // namespace braid::sim
