// SPDX-License-Identifier: MIT
// Scripted flow source and consumer for operator tests, in the style of
// Missionary's own tests: the test decides when a spawned source notifies,
// what each transfer returns or throws, and when it terminates; the source
// logs what the operator under test does to it ("<name> spawn",
// "<name> cancel", "<name> transfer") into an event_log. The consumer side
// (spawn_logged) logs "<name> notify" and "<name> terminate".
//
//   event_log log;
//   manual_flow<int> in(log, "in");
//   auto it = spawn_logged(eduction(xf::map(inc), in.get()), log, "out");
//   CHECK(log.take() == events{"in spawn"});
//   in.emit(1);                       // queue 1, notify
//   CHECK(log.take() == events{"in transfer", "out notify"});
//
// Protocol misuse by the operator under test (a transfer without a pending
// notification, a transfer after termination) fails the test with a message.
// Drive methods act on the most recent spawn unless given a run index.
#pragma once

#include <braid/flow.hpp>
#include <braid/op/reduce.hpp>
#include <braid/run_blocking.hpp>

#include <script.hpp>

#include <doctest/doctest.h>

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

namespace braid::testing {

template <class T>
class manual_flow {
  // What the next transfer does: return a value or throw, then run `then`
  // (still inside the transfer: a synchronous re-notification or termination).
  struct step {
    std::optional<T> value;
    std::exception_ptr error;
  };

  struct run_state final : detail::flow_process<T> {
    run_state(detail::flow_listener l, event_log* log, std::string name)
        : detail::flow_process<T>(2), l_(l), log_(log), name_(std::move(name)) {}

    void cancel() noexcept override {
      {
        std::lock_guard<std::mutex> g(m_);
        ++cancels_;
      }
      (*log_)(name_ + " cancel");
    }

    T transfer() override {
      (*log_)(name_ + " transfer");
      step s;
      std::vector<std::function<void()>> then;
      {
        std::lock_guard<std::mutex> g(m_);
        if (terminated_) {
          FAIL_CHECK("'" << name_ << "' was transferred after it terminated");
          throw std::logic_error("manual_flow: transfer after termination");
        }
        if (!pending_) {
          FAIL_CHECK("'" << name_ << "' was transferred without a pending notification");
          throw std::logic_error("manual_flow: transfer without notification");
        }
        pending_ = false;
        if (steps_.empty()) {
          FAIL_CHECK("'" << name_ << "' was transferred but the test queued no value");
          throw std::logic_error("manual_flow: no value queued");
        }
        s = std::move(steps_.front());
        steps_.pop_front();
        then.swap(then_);
      }
      // Actions run inside the transfer, after the value was taken, as a
      // source that re-notifies or terminates synchronously does.
      for (auto& f : then) f();
      if (s.error) std::rethrow_exception(s.error);
      return std::move(*s.value);
    }

    // Test side.
    void push(std::optional<T> v, std::exception_ptr e) {
      std::lock_guard<std::mutex> g(m_);
      steps_.push_back(step{std::move(v), std::move(e)});
    }
    void notify() {
      {
        std::lock_guard<std::mutex> g(m_);
        REQUIRE_MESSAGE(!terminated_, "test bug: '" << name_ << "' notified after terminating");
        REQUIRE_MESSAGE(!pending_, "test bug: '" << name_ << "' notified twice without a transfer");
        pending_ = true;
      }
      l_.notify();
    }
    void terminate() {
      {
        std::lock_guard<std::mutex> g(m_);
        REQUIRE_MESSAGE(!terminated_, "test bug: '" << name_ << "' terminated twice");
        REQUIRE_MESSAGE(!pending_,
                        "test bug: '" << name_ << "' terminated with a transfer pending");
        terminated_ = true;
      }
      detail::flow_listener l = l_;
      this->release();  // the run's reference, before the terminator (protocol)
      l.terminate();
    }
    void on_transfer(std::function<void()> f) {
      std::lock_guard<std::mutex> g(m_);
      then_.push_back(std::move(f));
    }

    detail::flow_listener l_;
    event_log* log_;
    std::string name_;
    std::mutex m_;
    std::deque<step> steps_;
    std::vector<std::function<void()>> then_;
    bool pending_ = false;
    bool terminated_ = false;
    int cancels_ = 0;
  };

  struct shared {
    event_log* log;
    std::string name;
    std::mutex m;
    std::vector<detail::process_ref> runs;
  };

  struct impl final : detail::flow_impl<T> {
    std::shared_ptr<shared> s;
    detail::flow_process<T>* spawn(detail::flow_listener l) const noexcept override {
      auto* r = new run_state(l, s->log, s->name);
      {
        std::lock_guard<std::mutex> g(s->m);
        r->retain();
        s->runs.emplace_back(r);
      }
      (*s->log)(s->name + " spawn");
      return r;
    }
  };

 public:
  manual_flow(event_log& log, std::string name) : s_(std::make_shared<shared>()) {
    s_->log = &log;
    s_->name = std::move(name);
  }

  braid::flow<T> get() const {
    auto i = std::make_shared<impl>();
    i->s = s_;
    return braid::flow<T>(std::shared_ptr<const detail::flow_impl<T>>(std::move(i)));
  }
  operator braid::flow<T>() const { return get(); }

  std::size_t runs() const {
    std::lock_guard<std::mutex> g(s_->m);
    return s_->runs.size();
  }

  /// Queues `v` for the next transfer and notifies.
  void emit(T v) { emit_run(last(), std::move(v)); }
  void emit_run(std::size_t i, T v) {
    run(i)->push(std::move(v), nullptr);
    run(i)->notify();
  }
  /// Queues an error for the next transfer and notifies.
  void fail(std::exception_ptr e) { fail_run(last(), std::move(e)); }
  void fail(const char* msg) { fail(std::make_exception_ptr(std::runtime_error(msg))); }
  void fail_run(std::size_t i, std::exception_ptr e) {
    run(i)->push(std::nullopt, std::move(e));
    run(i)->notify();
  }
  /// Queues without notifying (for notify() later, or a re-notification
  /// made inside a transfer through on_transfer).
  void push(T v) { run(last())->push(std::move(v), nullptr); }
  void push_error(std::exception_ptr e) { run(last())->push(std::nullopt, std::move(e)); }
  void push_error(const char* msg) { push_error(std::make_exception_ptr(std::runtime_error(msg))); }
  void notify(std::size_t i) { run(i)->notify(); }
  void notify() { notify(last()); }
  void terminate(std::size_t i) { run(i)->terminate(); }
  void terminate() { terminate(last()); }
  /// Runs `f` inside the next transfer, after its value was taken.
  void on_transfer(std::function<void()> f) { run(last())->on_transfer(std::move(f)); }
  void on_transfer_run(std::size_t i, std::function<void()> f) { run(i)->on_transfer(std::move(f)); }

  /// Conveniences for on_transfer: inside the next transfer, queue `v` and
  /// notify again / terminate.
  void emit_in_transfer(T v) {
    auto* r = run(last());
    on_transfer([r, v = std::move(v)]() mutable {
      r->push(std::move(v), nullptr);
      r->notify();
    });
  }
  void terminate_in_transfer() {
    auto* r = run(last());
    on_transfer([r] { r->terminate(); });
  }

  bool pending(std::size_t i) const {
    auto* r = run(i);
    std::lock_guard<std::mutex> g(r->m_);
    return r->pending_;
  }
  bool pending() const { return pending(last()); }
  bool terminated(std::size_t i) const {
    auto* r = run(i);
    std::lock_guard<std::mutex> g(r->m_);
    return r->terminated_;
  }
  bool terminated() const { return terminated(last()); }
  int cancels(std::size_t i) const {
    auto* r = run(i);
    std::lock_guard<std::mutex> g(r->m_);
    return r->cancels_;
  }
  int cancels() const { return cancels(last()); }

 private:
  std::size_t last() const {
    std::lock_guard<std::mutex> g(s_->m);
    REQUIRE_MESSAGE(!s_->runs.empty(), "manual flow '" << s_->name << "' was never spawned");
    return s_->runs.size() - 1;
  }
  run_state* run(std::size_t i) const {
    std::lock_guard<std::mutex> g(s_->m);
    REQUIRE_MESSAGE(i < s_->runs.size(), "manual flow '" << s_->name << "' has no run " << i);
    return static_cast<run_state*>(s_->runs[i].get());
  }
  std::shared_ptr<shared> s_;
};

/// Spawns `f`, logging "<name> notify" and "<name> terminate".
template <class T>
flow_iterator<T> spawn_logged(const braid::flow<T>& f, event_log& log, std::string name) {
  return f.spawn([&log, name] { log(name + " notify"); }, [&log, name] { log(name + " terminate"); });
}

/// Transfers from `it` and renders the outcome: show(value) or
/// "err <message>" (message() of the exception).
template <class T>
std::string transfer_shown(const flow_iterator<T>& it) {
  try {
    return show(it.transfer());
  } catch (...) {
    return "err " + message(std::current_exception());
  }
}

/// A task gathering every value of `f`, in order, into a vector.
template <class T>
task<std::vector<T>> collect_task(const flow<T>& f) {
  return reduce(
      [](std::vector<T> acc, T v) {
        acc.push_back(std::move(v));
        return acc;
      },
      std::vector<T>{}, f);
}

/// Runs collect_task(f) on this thread and returns the values.
template <class T>
std::vector<T> collect(const flow<T>& f) {
  return run_blocking(collect_task(f));
}

/// Counts live instances: checks that a process releases what it owns.
struct tracked {
  static inline int live = 0;
  tracked() { ++live; }
  tracked(const tracked&) { ++live; }
  tracked(tracked&&) noexcept { ++live; }
  tracked& operator=(const tracked&) = default;
  ~tracked() { --live; }
};

}  // namespace braid::testing

/// Lets doctest print event lists when a comparison fails.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static doctest::String convert(const std::vector<std::string>& v) {
    std::string s = "{";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
    return (s + "}").c_str();
  }
};
