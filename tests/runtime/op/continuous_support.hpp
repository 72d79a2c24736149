// SPDX-License-Identifier: MIT
// Test support for the continuous-flow operator tests: a flow source driven
// by the test (scripted_flow), and a consumer that logs its callbacks
// (logged_consumer). Every call is logged so a test can assert the exact
// events one step caused. Unlike tests/support/manual_flow.hpp (a queue of
// discrete values), scripted_flow can be ready at spawn, as continuous
// sources must be, and scripts what each transfer does (a value, an error,
// or a synchronous re-notification or termination inside the transfer).
#pragma once

#include <braid/flow.hpp>

#include <script.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace doctest {
// Prints event lists in failed CHECKs.
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string s = "{";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
    return String((s + "}").c_str());
  }
};
}  // namespace doctest

namespace braid::testing {

/// A flow whose processes the test drives. Each spawn logs "<name> spawn",
/// each cancel "<name> cancel", each transfer "<name> transfer". The test
/// notifies or terminates a run and scripts what its transfers do: each
/// transfer pops the next scripted step (a value, an error, or a function
/// that may itself notify/terminate, i.e. a synchronous re-notification).
/// A transfer with nothing scripted fails the test.
template <class T>
class scripted_flow {
  struct run_state final : detail::flow_process<T> {
    run_state(detail::flow_listener l, event_log* log, std::string name)
        : detail::flow_process<T>(2), l(l), log(log), name(std::move(name)) {}
    detail::flow_listener l;
    event_log* log;
    std::string name;
    std::mutex m;
    bool cancelled = false;
    bool terminated = false;
    std::deque<std::function<T()>> script;

    void cancel() noexcept override {
      {
        std::lock_guard<std::mutex> g(m);
        if (cancelled || terminated) return;
        cancelled = true;
      }
      (*log)(name + " cancel");
    }
    T transfer() override {
      (*log)(name + " transfer");
      std::function<T()> step;
      {
        std::lock_guard<std::mutex> g(m);
        REQUIRE_MESSAGE(!script.empty(), "scripted flow '" << name << "' transferred with nothing scripted");
        step = std::move(script.front());
        script.pop_front();
      }
      return step();
    }
    void do_terminate() {
      {
        std::lock_guard<std::mutex> g(m);
        REQUIRE_MESSAGE(!terminated, "scripted flow '" << name << "' terminated twice");
        terminated = true;
      }
      detail::flow_listener copy = l;
      this->release();
      copy.terminate();
    }
  };

  struct shared {
    event_log* log;
    std::string name;
    std::mutex m;
    std::vector<detail::process_ref> runs;
  };

  struct impl final : detail::flow_impl<T> {
    std::shared_ptr<shared> s;
    std::function<void(std::size_t)> on_spawn;
    detail::flow_process<T>* spawn(detail::flow_listener l) const noexcept override {
      auto* r = new run_state(l, s->log, s->name);
      std::size_t i;
      {
        std::lock_guard<std::mutex> g(s->m);
        r->retain();
        s->runs.emplace_back(r);
        i = s->runs.size() - 1;
      }
      (*s->log)(s->name + " spawn");
      if (on_spawn) on_spawn(i);
      return r;
    }
  };

 public:
  scripted_flow(event_log& log, std::string name) : s_(std::make_shared<shared>()) {
    s_->log = &log;
    s_->name = std::move(name);
  }

  /// The flow. `on_spawn(run)` (optional) runs inside spawn after logging,
  /// e.g. to notify at once as a continuous flow must.
  braid::flow<T> get(std::function<void(std::size_t)> on_spawn = {}) const {
    auto i = std::make_shared<impl>();
    i->s = s_;
    i->on_spawn = std::move(on_spawn);
    return braid::flow<T>(std::shared_ptr<const detail::flow_impl<T>>(std::move(i)));
  }
  /// A flow that notifies inside spawn (a continuous source that is ready).
  braid::flow<T> ready() const {
    return get([s = s_](std::size_t i) {
      detail::flow_listener l;
      {
        std::lock_guard<std::mutex> g(s->m);
        l = static_cast<run_state*>(s->runs[i].get())->l;
      }
      l.notify();
    });
  }

  std::size_t runs() const {
    std::lock_guard<std::mutex> g(s_->m);
    return s_->runs.size();
  }
  bool cancelled(std::size_t i = 0) const {
    auto* r = run(i);
    std::lock_guard<std::mutex> g(r->m);
    return r->cancelled;
  }
  bool terminated(std::size_t i = 0) const {
    auto* r = run(i);
    std::lock_guard<std::mutex> g(r->m);
    return r->terminated;
  }

  void notify(std::size_t i = 0) const { run(i)->l.notify(); }
  void terminate(std::size_t i = 0) const { run(i)->do_terminate(); }

  /// Scripts the next transfer of run i to return v.
  void then_value(T v, std::size_t i = 0) const {
    push(i, [v]() -> T { return v; });
  }
  /// Scripts the next transfer of run i to throw.
  void then_error(const char* msg, std::size_t i = 0) const {
    push(i, [msg]() -> T { throw std::runtime_error(msg); });
  }
  void then_cancelled(std::size_t i = 0) const {
    push(i, []() -> T { throw braid::cancelled("scripted flow cancelled"); });
  }
  /// Scripts the next transfer of run i to run f (which may notify or
  /// terminate this run or others) and return its result.
  void then(std::function<T()> f, std::size_t i = 0) const { push(i, std::move(f)); }
  /// Scripts: return v and terminate inside the transfer (the last value).
  void then_last(T v, std::size_t i = 0) const {
    push(i, [this, v, i]() -> T {
      terminate(i);
      return v;
    });
  }
  /// Scripts: terminate inside the transfer and throw braid::cancelled (how
  /// a cancelled upstream ends).
  void then_cancelled_last(std::size_t i = 0) const {
    push(i, [this, i]() -> T {
      terminate(i);
      throw braid::cancelled("scripted flow cancelled");
    });
  }
  /// Scripts: return v and notify again inside the transfer.
  void then_renotify(T v, std::size_t i = 0) const {
    push(i, [this, v, i]() -> T {
      notify(i);
      return v;
    });
  }

 private:
  void push(std::size_t i, std::function<T()> f) const {
    auto* r = run(i);
    std::lock_guard<std::mutex> g(r->m);
    r->script.push_back(std::move(f));
  }
  run_state* run(std::size_t i) const {
    std::lock_guard<std::mutex> g(s_->m);
    REQUIRE_MESSAGE(i < s_->runs.size(), "scripted flow '" << s_->name << "' has no run " << i);
    return static_cast<run_state*>(s_->runs[i].get());
  }
  std::shared_ptr<shared> s_;
};

/// A consumer that logs "<name> notify" / "<name> terminate". With `eager`
/// it transfers inside every notification (as reduce does), logging
/// "<name> got <v>" or "<name> err <message>", and keeps a list of values.
template <class T>
struct logged_consumer {
  event_log* log;
  std::string name;
  bool eager = false;
  flow_iterator<T> it;
  std::vector<T> values;
  int terminations = 0;

  // A trampoline, as a real eager consumer needs: a notification that
  // arrives inside our own transfer is handled by the loop, not by recursion.
  std::mutex m;
  bool in_transfer = false;
  bool again = false;

  logged_consumer(event_log& l, std::string n, bool eager = false) : log(&l), name(std::move(n)), eager(eager) {}

  void spawn(const braid::flow<T>& f) {
    // The iterator exists only once spawn returns: an eager consumer defers a
    // notification received inside spawn to right after it.
    {
      std::lock_guard<std::mutex> g(m);
      in_transfer = true;
    }
    // A raw listener: the terminator may run inside the notifier (an eager
    // consumer's last transfer), so no callback object is freed under it.
    it = f.spawn(detail::flow_listener{this, &notify_cb, &terminate_cb});
    bool run;
    {
      std::lock_guard<std::mutex> g(m);
      run = again;
      again = false;
      in_transfer = run;
    }
    if (run) drain();
  }
  static void notify_cb(void* c) noexcept { static_cast<logged_consumer*>(c)->on_notify(); }
  static void terminate_cb(void* c) noexcept {
    auto* self = static_cast<logged_consumer*>(c);
    ++self->terminations;
    (*self->log)(self->name + " terminate");
  }
  void on_notify() {
    (*log)(name + " notify");
    if (!eager) return;
    {
      std::lock_guard<std::mutex> g(m);
      if (in_transfer) {
        again = true;
        return;
      }
      in_transfer = true;
    }
    drain();
  }
  void drain() {
    for (;;) {
      step();
      std::lock_guard<std::mutex> g(m);
      if (!again) {
        in_transfer = false;
        return;
      }
      again = false;
    }
  }
  /// Transfers once, logging the outcome.
  void step() {
    try {
      T v = it.transfer();
      (*log)(name + " got " + show(v));
      values.push_back(v);
    } catch (...) {
      (*log)(name + " err " + message(std::current_exception()));
    }
  }
};

}  // namespace braid::testing
