// SPDX-License-Identifier: MIT
// Helpers shared by the sim tests: a minimal timer task (a stand-in for
// braid::sleep, built directly on the environment's timer hooks, so these
// tests depend only on env.hpp) and a few logging tasks.
#pragma once

#include <braid/sim.hpp>

#include <script.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>
#include <string>

namespace sim_test {

using braid::testing::event_log;

/// Succeeds with `v` after `ms` on the current environment's clock; a
/// cancel before it fires fails it at once with cancelled.
class timer_task final : public braid::detail::task_impl<int> {
 public:
  timer_task(std::int64_t ms, int v, const char* label) : ms_(ms), v_(v), label_(label) {}

  braid::canceller start(braid::detail::sink<int> s) const noexcept override {
    auto* p = new proc(s, v_);
    p->label = label_;
    braid::canceller c(static_cast<braid::detail::process*>(p));
    p->env = &braid::detail::current_env();  // resolved when it runs
    p->deadline_ms = p->env->now_ms() + ms_;
    p->env->schedule(p);
    return c;
  }

 private:
  struct proc final : braid::detail::process, braid::detail::timer_node {
    proc(braid::detail::sink<int> s, int v) : process(2), out(s), v(v) {}
    braid::detail::sink<int> out;
    int v;
    braid::detail::environment* env = nullptr;
    std::atomic<bool> done{false};
    void fire() noexcept override {
      if (!done.exchange(true)) out.value(int(v));
      release();
    }
    void cancel() noexcept override {
      if (env->unschedule(this)) {
        if (!done.exchange(true)) out.error(braid::cancelled_error("timer cancelled"));
        release();
      }
    }
  };
  std::int64_t ms_;
  int v_;
  const char* label_;
};

inline braid::task<int> timer(std::int64_t ms, int v, const char* label = "sleep") {
  return braid::task<int>(std::make_shared<const timer_task>(ms, v, label));
}

/// A task that runs `body` when it starts and succeeds with its result.
template <class F>
auto now_task(F body) {
  using R = decltype(body());
  return braid::make_task<R>([body](auto ok, auto) { ok(body()); });
}

/// Reads *c, yields (a scheduling point labelled `label`), writes the read
/// value + 1: two of these running at once can lose an update.
inline braid::task<void> add_one(std::shared_ptr<int> c, const char* label = "between") {
  return braid::make_task<void>([c, label](auto ok, auto fail) {
    int seen = *c;
    return braid::yield(label).run(
        [c, seen, ok]() mutable {
          *c = seen + 1;
          ok();
        },
        fail);
  });
}

/// Runs two add_one processes at once and succeeds with the counter once
/// both are done. Worker b first yields ("b starts"), so in FIFO order a
/// finishes before b reads and the result is 2; picking "b starts" first
/// (one decision: nth 1) lets both read 0, and an update is lost: 1.
inline braid::task<int> lost_update() {
  return braid::make_task<int>([](auto ok, auto fail) {
    auto c = std::make_shared<int>(0);
    auto left = std::make_shared<int>(2);
    auto done = [c, left, ok]() mutable {
      if (--*left == 0) ok(*c);
    };
    braid::canceller a = add_one(c, "a").run(done, fail);
    auto b_cancel = std::make_shared<braid::canceller>();
    braid::canceller b = braid::yield("b starts").run(
        [c, done, fail, b_cancel]() mutable { *b_cancel = add_one(c, "b").run(done, fail); }, fail);
    return [a, b, b_cancel] {
      a();
      b();
      (*b_cancel)();
    };
  });
}

namespace seq_detail {
struct state : std::enable_shared_from_this<state> {
  std::vector<braid::task<void>> ts;
  std::size_t i = 0;
  std::function<void()> ok;
  std::function<void(std::exception_ptr)> fail;
  braid::canceller cur;
  void next() {
    if (i == ts.size()) {
      finish()();
      return;
    }
    auto self = shared_from_this();
    cur = ts[i++].run([self] { self->next(); }, [self](std::exception_ptr e) {
      self->fail(e);
      self->finish();
    });
  }
  // Drops what refers back to the process (its callbacks hold it, and it
  // holds us through its cancel callable): no cycle survives the end.
  std::function<void()> finish() {
    auto done = std::move(ok);
    ok = nullptr;
    fail = nullptr;
    ts.clear();
    return done;
  }
};
}  // namespace seq_detail

/// Runs the tasks one after the other (a stand-in for an sp body that parks
/// on each in turn); cancelling cancels the current one.
inline braid::task<void> seq(std::vector<braid::task<void>> ts) {
  return braid::make_task<void>([ts](auto ok, auto fail) {
    auto s = std::make_shared<seq_detail::state>();
    s->ts = ts;
    s->ok = ok;
    s->fail = fail;
    s->next();
    return [s] { s->cur(); };
  });
}

/// A task that calls f() when it runs and succeeds.
template <class F>
braid::task<void> act(F f) {
  return braid::make_task<void>([f](auto ok, auto) {
    f();
    ok();
  });
}

}  // namespace sim_test
