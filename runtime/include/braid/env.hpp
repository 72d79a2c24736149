// SPDX-License-Identifier: MIT
#pragma once

/// Time and places to run work: the environment every primitive consults
/// *when it runs* (not when its task was built). In production it is the
/// process-wide real environment (a timer thread, the cpu and blk pools, the
/// steady clock); a braid::sim::scheduler installs itself as the environment
/// of the thread it drives, which virtualizes every task it runs, wherever
/// that task was built ([design.5]).

#include <cstdint>

namespace braid {

namespace detail {

/// A unit of work for an executor: intrusive, owned by whoever posts it.
/// run() is called exactly once, on some thread of the executor.
struct job {
  virtual void run() noexcept = 0;
  job* next_job = nullptr;  // free for the executor's queue

 protected:
  ~job() = default;
};

/// A timer request, intrusive: lives inside the process that sleeps.
struct timer_node {
  std::int64_t deadline_ms = 0;  // absolute, on the environment's clock
  std::uint64_t seq = 0;         // set by the environment: ties fire in schedule order
  std::int64_t heap_index = -1;  // owned by the environment
  const char* label = "sleep";   // shown by traces
  virtual void fire() noexcept = 0;

 protected:
  ~timer_node() = default;
};

enum class lane : std::uint8_t { cpu, blk };

/// Where time and work come from. See the file comment.
class environment {
 public:
  virtual ~environment() = default;
  /// Milliseconds on this environment's monotonic clock.
  virtual std::int64_t now_ms() noexcept = 0;
  /// Schedules n->fire() at n->deadline_ms (at once when it is past).
  virtual void schedule(timer_node* n) noexcept = 0;
  /// Removes a scheduled timer. True when it was removed before firing;
  /// false when it already fired or is firing now.
  virtual bool unschedule(timer_node* n) noexcept = 0;
  /// Runs j on the given lane's pool.
  virtual void post(lane l, job* j) noexcept = 0;
  /// A scheduling point (braid::yield): runs j after other ready work.
  /// Production: runs j at once on the calling thread.
  virtual void yield(job* j) noexcept { j->run(); }
};

/// The environment of the calling thread: the one installed by an
/// env_scope on this thread, else the process-wide real one.
environment& current_env() noexcept;
/// The process-wide real environment.
environment& real_env() noexcept;

/// Installs `e` as the calling thread's environment for its lifetime.
class env_scope {
 public:
  explicit env_scope(environment& e) noexcept;
  ~env_scope();
  env_scope(const env_scope&) = delete;
  env_scope& operator=(const env_scope&) = delete;

 private:
  environment* prev_;
};

}  // namespace detail

/// Something that runs work. braid::cpu() and braid::blk() are executors;
/// implement execute() to bring your own (an event loop, a GUI thread).
class executor {
 public:
  virtual ~executor() = default;
  /// Runs j->run() once, on a thread of this executor. Must not throw.
  virtual void execute(detail::job* j) noexcept = 0;
};

/// The CPU pool: fixed, one thread per core, for short non-blocking work.
/// Under a sim scheduler its work runs as microtasks on the cpu lane.
executor& cpu() noexcept;
/// The blocking pool: grows on demand, idle threads retire after 60 s,
/// for blocking I/O. Under a sim scheduler its work runs on the blk lane.
executor& blk() noexcept;

/// Milliseconds on the current environment's monotonic clock: the steady
/// clock in production, virtual time under a sim scheduler.
std::int64_t clock() noexcept;

}  // namespace braid
