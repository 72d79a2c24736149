// SPDX-License-Identifier: MIT
#include <braid/op/via.hpp>
#include <braid/run_blocking.hpp>

#include <manual_env.hpp>
#include <script.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_env;
using braid::testing::run_logged;

namespace {

// An executor that keeps jobs until the test runs them.
class held_executor final : public executor {
 public:
  void execute(detail::job* j) noexcept override { jobs_.push_back(j); }
  std::size_t run_all() {
    std::size_t n = 0;
    while (!jobs_.empty()) {
      detail::job* j = jobs_.front();
      jobs_.erase(jobs_.begin());
      j->run();
      ++n;
    }
    return n;
  }

 private:
  std::vector<detail::job*> jobs_;
};

}  // namespace

TEST_SUITE("via") {
  TEST_CASE("f runs when the executor runs the job, and the task succeeds with its result") {
    event_log log;
    held_executor ex;
    canceller c = run_logged(via(ex, [&log] {
                               log("f runs");
                               return 6;
                             }),
                             log);
    CHECK(log.take().empty());
    CHECK(ex.run_all() == 1);
    CHECK(log.take() == events{"f runs", "ok 6"});
    c();  // after the end
    CHECK(log.take().empty());
  }

  TEST_CASE("f throwing fails the task with that exception") {
    event_log log;
    held_executor ex;
    run_logged(via(ex, []() -> int { throw std::runtime_error("f failed"); }), log);
    ex.run_all();
    CHECK(log.take() == events{"err f failed"});
  }

  TEST_CASE("cancel before f started: f still runs, with stop already requested") {
    event_log log;
    held_executor ex;
    canceller c = run_logged(via(ex,
                                 [&log](std::stop_token st) {
                                   log(st.stop_requested() ? "f sees stop" : "f runs free");
                                   if (st.stop_requested()) throw braid::cancelled("f interrupted");
                                   return 1;
                                 }),
                             log);
    c();
    CHECK(log.take().empty());  // nothing completes inside the cancel
    ex.run_all();
    CHECK(log.take() == events{"f sees stop", "err cancelled: f interrupted"});
  }

  TEST_CASE("cancel while f runs requests stop; the result f returns is still delivered") {
    event_log log;
    held_executor ex;
    canceller c;
    c = run_logged(via(ex,
                       [&](std::stop_token st) {
                         log("f starts");
                         c();  // a cancel arriving while f runs
                         log(st.stop_requested() ? "stop requested" : "no stop");
                         return 2;
                       }),
                   log);
    ex.run_all();
    CHECK(log.take() == events{"f starts", "stop requested", "ok 2"});
  }

  TEST_CASE("a plain f cannot be interrupted: cancel has no effect") {
    event_log log;
    held_executor ex;
    canceller c = run_logged(via(ex, [] { return std::string("done"); }), log);
    c();
    ex.run_all();
    CHECK(log.take() == events{"ok done"});
  }

  TEST_CASE("each run calls its own copy of f") {
    event_log log;
    held_executor ex;
    task<int> t = via(ex, [n = 0]() mutable { return ++n; });
    run_logged(t, log);
    run_logged(t, log);
    ex.run_all();
    CHECK(log.take() == events{"ok 1", "ok 1"});
  }

  TEST_CASE("a void f makes a task<void>") {
    event_log log;
    held_executor ex;
    int hits = 0;
    run_logged(via(ex, [&hits] { ++hits; }), log);
    ex.run_all();
    CHECK(log.take() == events{"ok"});
    CHECK(hits == 1);
  }

  TEST_CASE("under manual_env, cpu() and blk() post to their lanes when the task runs") {
    event_log log;
    task<int> on_cpu = via(cpu(), [] { return 1; });  // built before the environment exists
    manual_env env;
    run_logged(on_cpu, log);
    CHECK(env.posted() == 1);
    CHECK(log.take().empty());
    env.run_posted();
    CHECK(env.last_lane() == detail::lane::cpu);
    CHECK(log.take() == events{"ok 1"});
    run_logged(via(blk(), [] { return 2; }), log);
    env.run_posted();
    CHECK(env.last_lane() == detail::lane::blk);
    CHECK(log.take() == events{"ok 2"});
  }

  // Real threads: the cpu and blk pools.
  TEST_CASE("real pools: cpu() and blk() run f on another thread; run_blocking joins") {
    const auto here = std::this_thread::get_id();
    CHECK(run_blocking(via(cpu(), [here] { return std::this_thread::get_id() != here; })));
    CHECK(run_blocking(via(blk(), [here] { return std::this_thread::get_id() != here; })));
    CHECK_THROWS_WITH(run_blocking(via(blk(), []() -> int { throw std::runtime_error("on blk"); })), "on blk");
  }

  // Real threads: a cancel from another thread interrupts a long f on blk().
  TEST_CASE("real pools: cancel from another thread stops a stop-aware f") {
    std::atomic<bool> started{false};
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    std::string outcome;
    canceller c = via(blk(),
                      [&](std::stop_token st) {
                        started = true;
                        while (!st.stop_requested()) std::this_thread::yield();
                        return 0;
                      })
                      .run(
                          [&](int) {
                            std::lock_guard<std::mutex> g(m);
                            outcome = "ok";
                            finished = true;
                            cv.notify_one();
                          },
                          [&](std::exception_ptr) {
                            std::lock_guard<std::mutex> g(m);
                            outcome = "err";
                            finished = true;
                            cv.notify_one();
                          });
    while (!started) std::this_thread::yield();
    std::thread th([c] { c(); });
    th.join();
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [&] { return finished; });
    CHECK(outcome == "ok");
  }
}
