// SPDX-License-Identifier: MIT
// Scripted-test helpers: an event log whose contents a test takes and
// compares after each step (anything unexpected fails the comparison), and a
// manual task whose runs the test starts, completes and observes.
#pragma once

#include <braid/task.hpp>

#include <doctest/doctest.h>

#include <pthread.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace braid::testing {

/// Thread-safe list of events.
class event_log {
 public:
  void operator()(std::string e) {
    std::lock_guard<std::mutex> g(m_);
    ev_.push_back(std::move(e));
  }
  /// The events since the last take, in order; clears them.
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> g(m_);
    return std::exchange(ev_, {});
  }

 private:
  std::mutex m_;
  std::vector<std::string> ev_;
};

using events = std::vector<std::string>;

/// The message of an exception_ptr: what() for std::exception and
/// braid::cancelled, "?" otherwise; "" for null.
inline std::string message(const std::exception_ptr& e) {
  if (!e) return "";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (const braid::cancelled& c) {
    return std::string("cancelled: ") + c.what();
  } catch (...) {
    return "?";
  }
}

inline std::string show(int v) { return std::to_string(v); }
inline std::string show(const std::string& v) { return v; }
inline std::string show(braid::unit) { return "()"; }

/// A task whose processes are driven by the test. Every run logs
/// "<name> start", every cancel "<name> cancel"; succeed/fail complete the
/// oldest pending run (or run i). Completion calls the run's sink
/// synchronously, from the calling thread.
template <class T>
class manual_task {
  using stored = detail::stored_t<T>;

  struct run_state final : detail::process {
    run_state(detail::sink<T> s, event_log* log, std::string name)
        : detail::process(2), out(s), log(log), name(std::move(name)) {}
    detail::sink<T> out;
    event_log* log;
    std::string name;
    std::mutex m;
    bool done = false;
    bool cancelled = false;
    /// When set, cancel completes the run with braid::cancelled (as the
    /// built-in tasks do).
    bool fail_on_cancel = false;
    void cancel() noexcept override {
      bool fail_now = false;
      {
        std::lock_guard<std::mutex> g(m);
        if (cancelled) return;
        cancelled = true;
        if (!done && fail_on_cancel) {
          done = true;
          fail_now = true;
        }
      }
      (*log)(name + " cancel");
      if (fail_now) {
        out.error(braid::cancelled_error("manual task cancelled"));
        release();
      }
    }
    bool claim() {
      std::lock_guard<std::mutex> g(m);
      if (done) return false;
      done = true;
      return true;
    }
  };

  struct shared {
    event_log* log;
    std::string name;
    bool fail_on_cancel;
    std::mutex m;
    std::vector<detail::process_ref> runs;
  };

  struct impl final : detail::task_impl<T> {
    std::shared_ptr<shared> s;
    canceller start(detail::sink<T> out) const noexcept override {
      auto* r = new run_state(out, s->log, s->name);
      r->fail_on_cancel = s->fail_on_cancel;
      {
        std::lock_guard<std::mutex> g(s->m);
        r->retain();
        s->runs.emplace_back(r);
      }
      (*s->log)(s->name + " start");
      return canceller(static_cast<detail::process*>(r));
    }
  };

 public:
  /// `fail_on_cancel`: cancelling a pending run fails it with cancelled at once.
  manual_task(event_log& log, std::string name, bool fail_on_cancel = true)
      : s_(std::make_shared<shared>()) {
    s_->log = &log;
    s_->name = std::move(name);
    s_->fail_on_cancel = fail_on_cancel;
  }

  braid::task<T> get() const {
    auto i = std::make_shared<impl>();
    i->s = s_;
    return braid::task<T>(std::shared_ptr<const detail::task_impl<T>>(std::move(i)));
  }
  operator braid::task<T>() const { return get(); }

  std::size_t runs() const {
    std::lock_guard<std::mutex> g(s_->m);
    return s_->runs.size();
  }
  bool cancelled(std::size_t i = 0) const {
    auto* r = run(i);
    std::lock_guard<std::mutex> g(r->m);
    return r->cancelled;
  }
  bool done(std::size_t i = 0) const {
    auto* r = run(i);
    std::lock_guard<std::mutex> g(r->m);
    return r->done;
  }

  template <class... A>
  void succeed_run(std::size_t i, A&&... a) {
    auto* r = run(i);
    REQUIRE_MESSAGE(r->claim(), "manual task '" << s_->name << "' run " << i << " completed twice");
    r->out.value(stored(std::forward<A>(a)...));
    r->release();
  }
  void fail_run(std::size_t i, std::exception_ptr e) {
    auto* r = run(i);
    REQUIRE_MESSAGE(r->claim(), "manual task '" << s_->name << "' run " << i << " completed twice");
    r->out.error(std::move(e));
    r->release();
  }
  template <class... A>
  void succeed(A&&... a) {
    succeed_run(pending_index(), std::forward<A>(a)...);
  }
  void fail(std::exception_ptr e) { fail_run(pending_index(), std::move(e)); }
  void fail(const char* msg) { fail(std::make_exception_ptr(std::runtime_error(msg))); }

 private:
  run_state* run(std::size_t i) const {
    std::lock_guard<std::mutex> g(s_->m);
    REQUIRE_MESSAGE(i < s_->runs.size(), "manual task '" << s_->name << "' has no run " << i);
    return static_cast<run_state*>(s_->runs[i].get());
  }
  std::size_t pending_index() const {
    std::lock_guard<std::mutex> g(s_->m);
    for (std::size_t i = 0; i < s_->runs.size(); ++i) {
      auto* r = static_cast<run_state*>(s_->runs[i].get());
      std::lock_guard<std::mutex> g2(r->m);
      if (!r->done) return i;
    }
    FAIL("manual task '" << s_->name << "' has no pending run");
    return 0;
  }
  std::shared_ptr<shared> s_;
};

/// Runs f on a new thread whose stack has `bytes` bytes, and joins it.
inline void run_on_small_stack(std::function<void()> f, std::size_t bytes) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t th;
  auto body = [](void* p) -> void* {
    (*static_cast<std::function<void()>*>(p))();
    return nullptr;
  };
  REQUIRE(pthread_create(&th, &attr, body, &f) == 0);
  pthread_join(th, nullptr);
  pthread_attr_destroy(&attr);
}

/// Runs `t` and logs "ok <value>" or "err <message>" on completion.
template <class T>
canceller run_logged(const braid::task<T>& t, event_log& log, std::string prefix = "") {
  return t.run(
      [&log, prefix](auto&&... v) {
        if constexpr (sizeof...(v) == 0)
          log(prefix + "ok");
        else
          log(prefix + "ok " + show(v...));
      },
      [&log, prefix](std::exception_ptr e) { log(prefix + "err " + message(e)); });
}

/// One manual task per value x, named "w<x>", made on first use: the
/// `std::function<task<int>(int)>` an ap or sp body under test parks on.
class task_bank {
 public:
  explicit task_bank(event_log& log) : log_(&log) {}
  std::function<braid::task<int>(int)> fn() {
    return [this](int x) -> braid::task<int> {
      auto& t = tasks_[x];
      if (!t) t = std::make_unique<manual_task<int>>(*log_, "w" + std::to_string(x));
      return t->get();
    };
  }
  manual_task<int>& operator[](int x) { return *tasks_.at(x); }

 private:
  event_log* log_;
  std::map<int, std::unique_ptr<manual_task<int>>> tasks_;
};

}  // namespace braid::testing
