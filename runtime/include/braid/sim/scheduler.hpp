// SPDX-License-Identifier: MIT
#pragma once

/// braid::sim::scheduler: deterministic virtual time and controllable
/// scheduling for testing braid code ([design.5], [spec.sim]).

#include <braid/env.hpp>
#include <braid/task.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid::sim {

/// What went wrong, for code that reacts to harness errors.
enum class error_kind : std::uint8_t {
  deadlock,            ///< run(): the task waits, and nothing the scheduler holds can wake it
  step_budget,         ///< run(): one more microtask would exceed max_steps
  time_budget,         ///< run(): the next event lies beyond max_time_ms
  off_thread,          ///< a callback or call from a thread that is not the driving thread
  schedule_exhausted,  ///< a strict micro_schedule ran out of decisions
  unknown_task_id,     ///< step(id) or a by_id / by_label decision names no ready microtask
  misuse,              ///< any other wrong use (the message says what to do)
};
/// "deadlock", "step_budget", ...
const char* to_string(error_kind k) noexcept;

/// A harness error: a kind and a message naming the numbers a user needs.
class error : public std::runtime_error {
 public:
  error(error_kind k, const std::string& what) : std::runtime_error(what), kind_(k) {}
  error_kind kind() const noexcept { return kind_; }

 private:
  error_kind kind_;
};

/// One scheduling decision, consumed only when more than one microtask is
/// ready ([spec.sim.schedule]).
struct decision {
  enum class kind_t : std::uint8_t { fifo, lifo, random, nth, by_id, by_label };
  kind_t kind = kind_t::fifo;
  std::uint64_t n = 0;  ///< nth: index among the ready microtasks in FIFO order; by_id: the id
  std::string label;    ///< by_label: the first ready microtask with this label

  static decision fifo() { return {}; }
  static decision lifo() { return {kind_t::lifo, 0, {}}; }
  /// Draws from the scheduler's seeded selection stream (options::seed, 0 when absent).
  static decision random() { return {kind_t::random, 0, {}}; }
  static decision nth(std::uint64_t i) { return {kind_t::nth, i, {}}; }
  static decision by_id(std::uint64_t id) { return {kind_t::by_id, id, {}}; }
  static decision by_label(std::string l) { return {kind_t::by_label, 0, std::move(l)}; }
  friend bool operator==(const decision&, const decision&) = default;
};
/// A list of decisions. Prints as text (one decision a line: `fifo`, `lifo`,
/// `random`, `nth 2`, `id 17`, `label name`) and as JSON; parse_schedule
/// reads the text form back.
using schedule = std::vector<decision>;

/// What a microtask or timer is.
enum class task_kind : std::uint8_t {
  cpu,    ///< work posted to braid::cpu()
  blk,    ///< work posted to braid::blk()
  yield,  ///< a braid::yield() scheduling point
  timer,  ///< a timer (sleep, timeout) firing
};
const char* to_string(task_kind k) noexcept;

/// A queued microtask or a pending timer, as pending()/next_tasks() show it.
struct task_info {
  std::uint64_t id = 0;
  task_kind kind = task_kind::cpu;
  std::string label;
  std::int64_t at_ms = 0;        ///< timers: the deadline; microtasks: when queued
  std::uint64_t chain = 0;       ///< logical thread: the chain of the microtask that queued it
  friend bool operator==(const task_info&, const task_info&) = default;
};

struct pending_work {
  std::vector<task_info> microtasks;  ///< ready, in FIFO order
  std::vector<task_info> timers;      ///< in firing order (deadline, id)
};

enum class event_kind : std::uint8_t {
  enqueue,        ///< a microtask was queued (post, yield)
  enqueue_timer,  ///< a timer was scheduled (at_ms: its deadline)
  cancel_timer,   ///< a timer was removed before firing
  promote_timer,  ///< a due timer became a ready microtask
  advance,        ///< virtual time moved (at_ms: the new time)
  select,         ///< a decision chose among several ready microtasks
  run,            ///< a microtask ran
  job_start,      ///< start()/run() began a job
  job_done,       ///< a job ended (label: "ok" or "error")
};
const char* to_string(event_kind k) noexcept;

/// One trace line.
struct trace_event {
  std::int64_t time_ms = 0;
  event_kind kind = event_kind::run;
  std::uint64_t id = 0;  ///< the microtask, timer or job
  task_kind task = task_kind::cpu;
  std::string label;  ///< timer_node::label, a yield label, the lane, a job label
  std::int64_t at_ms = 0;
  std::uint64_t chain = 0;
  std::string decision;             ///< select: the decision that chose (e.g. "nth 1")
  std::vector<std::uint64_t> ready;  ///< select: the ready ids, FIFO order
  friend bool operator==(const trace_event&, const trace_event&) = default;
};
using trace_log = std::vector<trace_event>;

/// Readable text, one event a line: time, kind, id, label, chain.
std::string to_text(const trace_event& e);
std::string to_text(const trace_log& t);
std::string to_json(const trace_log& t);
std::string to_text(const decision& d);
std::string to_text(const schedule& s);
std::string to_json(const schedule& s);
/// Reads the text form of a schedule (whitespace-separated; `#` starts a
/// comment to the end of the line). Throws error(misuse) naming the bad token.
schedule parse_schedule(std::string_view text);

/// The by_id decisions that replay the selections recorded in a trace
/// (with the same program, ids repeat exactly).
schedule trace_to_schedule(const trace_log& t);
/// `n` decisions drawn from {fifo, lifo, random} by a stream seeded with `seed`.
schedule seed_to_schedule(std::uint64_t seed, std::size_t n);

/// Why step() ran nothing.
enum class step_status : std::uint8_t { ran, nothing_pending, waiting_for_time };

struct step_result {
  step_status status = step_status::nothing_pending;
  std::uint64_t id = 0;                      ///< ran: the microtask
  std::optional<std::int64_t> next_event_ms;  ///< waiting_for_time: the next timer
  explicit operator bool() const noexcept { return status == step_status::ran; }
  /// "ran #3", "idle: nothing pending", "idle: waiting for time advance; next event at 100 ms".
  std::string why() const;
};

struct options {
  std::int64_t initial_ms = 0;
  /// Absent: FIFO. Present: seeded random choice among ready microtasks
  /// (equal-time timers included: a due timer is a ready microtask).
  std::optional<std::uint64_t> seed{};
  bool trace = false;
  /// Explicit decisions, consumed one per choice among several ready microtasks.
  std::optional<schedule> micro_schedule{};
  /// true: running out of micro_schedule is error(schedule_exhausted).
  /// false: afterwards the default order applies (seeded random, else FIFO).
  bool strict_schedule = true;
};

struct run_options {
  /// Jump virtual time to the next timer when no microtask is ready. When
  /// false, that situation is error(deadlock) saying what to advance to.
  bool auto_advance = true;
  /// At most this many microtasks in this run (checked before each one).
  std::size_t max_steps = 100'000;
  /// Virtual time this run may consume (from its start); absent: unbounded.
  std::optional<std::int64_t> max_time_ms{};
};

class scheduler_base;

namespace detail {

/// A ready microtask as a chooser sees it.
struct ready_entry {
  std::uint64_t id;
  std::uint64_t chain;
  task_kind kind;
  const char* label;
};

/// Internal: the exploration strategies (PCT, bounded-exhaustive) plug in
/// here. choose() returns an index into `ready` (size >= 2); it runs on the
/// driving thread with no scheduler lock held.
class chooser {
 public:
  virtual ~chooser() = default;
  virtual std::size_t choose(std::span<const ready_entry> ready, std::uint64_t last_chain) = 0;
};

/// The state of one started task; shared by the scheduler and the job handle.
struct job_core {
  std::uint64_t id = 0;
  std::string label;
  std::thread::id driver;
  std::mutex m;
  bool done = false;
  std::exception_ptr error;
  canceller cancel;
  // done, readable without m: the scheduler prunes its job list under its
  // own lock, which must not nest the job's (lock order: job, then scheduler).
  std::atomic<bool> finished{false};
  scheduler_base* owner = nullptr;  // null once the scheduler is gone

  bool is_done() {
    std::lock_guard<std::mutex> g(m);
    return done;
  }
};

template <class T>
struct job_state final : job_core {
  std::optional<braid::detail::stored_t<T>> value;
};

/// Marks `j` done (called by its sink, on any thread): checks the thread,
/// records the trace event.
void end_job(job_core& j, bool ok) noexcept;

}  // namespace detail

template <class T>
class job;

/// The virtual-time scheduler (missionary-testkit's TestScheduler, with
/// PCT/exhaustive exploration and shrinking in braid/sim/explore.hpp).
///
/// It is a detail::environment and installs itself on the thread that
/// constructs it, for its whole lifetime: while it lives, braid::sleep,
/// timeout, cpu(), blk(), clock() and yield() running on that thread use
/// virtual time and queue their work as microtasks here, whenever the task
/// was built. That thread is the driving thread: every driving call
/// (step, tick, advance, advance_to, run, start) must come from it.
///
/// Model: virtual time moves only when asked (advance, advance_to, or
/// run's auto_advance). Timers are ordered by (deadline, id); a due timer
/// becomes a ready microtask. A step runs one ready microtask to completion;
/// when several are ready, a decision picks one (micro_schedule, else a
/// seeded random choice, else FIFO). Lanes: cpu and blk work and yields are
/// all microtasks; each runs to completion within one step, so no lane is
/// ever busy (no simulated durations).
///
/// Off-thread detection: the scheduler sees only calls made to it. A post,
/// yield, schedule or unschedule arriving from another thread (through a
/// pointer to this environment a process captured), a job completing on
/// another thread, or a driving call from another thread is an
/// error(off_thread), raised at the next step (or as the job's failure).
/// Work a process hands to threads of its own, or real-time primitives used
/// on other threads (they see the real environment there), cannot be seen.
///
/// Destroy schedulers on their thread in reverse order of construction (as
/// locals are). The destructor cancels every unfinished job and runs what
/// that causes (bounded), so well-behaved processes release what they hold.
class scheduler_base : public braid::detail::environment {
 public:
  explicit scheduler_base(options o = {}, detail::chooser* c = nullptr);
  ~scheduler_base() override;
  scheduler_base(const scheduler_base&) = delete;
  scheduler_base& operator=(const scheduler_base&) = delete;

  /// Runs one ready microtask (chosen by the schedule); says why when idle.
  step_result step();
  /// Runs the ready microtask with this id; error(unknown_task_id) otherwise.
  step_result step(std::uint64_t id);
  /// Runs microtasks until none is ready at the current time; returns how many.
  std::size_t tick();
  /// advance_to(now_ms() + dt).
  std::size_t advance(std::int64_t dt_ms);
  /// Ticks, then moves time to each due timer's deadline in turn (ticking at
  /// each, so a woken process reads its own deadline from clock()), then to
  /// t, and ticks. Returns how many microtasks ran. t < now is error(misuse).
  std::size_t advance_to(std::int64_t t_ms);

  std::int64_t now_ms() noexcept override { return now_.load(std::memory_order_acquire); }
  pending_work pending() const;
  /// The first ready microtask in FIFO order, else the first timer; empty when idle.
  std::optional<task_info> next_event() const;
  /// The ready microtasks, FIFO order (ids for step(id) and by_id decisions).
  std::vector<task_info> next_tasks() const;
  /// The trace so far (empty unless options::trace).
  trace_log trace() const;
  /// The choices made so far, as nth decisions (replays this run exactly).
  sim::schedule taken() const;
  /// Microtasks run so far.
  std::size_t steps() const noexcept { return steps_total_; }

  // detail::environment
  void schedule(braid::detail::timer_node* n) noexcept override;
  bool unschedule(braid::detail::timer_node* n) noexcept override;
  void post(braid::detail::lane l, braid::detail::job* j) noexcept override;
  void yield(braid::detail::job* j) noexcept override;

 protected:
  /// Registers a job about to start; returns its id.
  void begin_job(std::shared_ptr<detail::job_core> j, std::string label);
  /// run()'s loop: drives until `j` is done, within the budgets.
  void drive(detail::job_core& j, const run_options& o);
  void check_driver(const char* op, bool allow_in_microtask = false) const;
  friend void detail::end_job(detail::job_core& j, bool ok) noexcept;

 private:
  struct microtask {
    std::uint64_t id;
    task_kind kind;
    const char* label;
    std::int64_t at_ms;
    std::uint64_t chain;
    braid::detail::job* job;
    braid::detail::timer_node* timer;
  };

  step_result step_impl(std::optional<std::uint64_t> id, bool fifo_only);
  std::size_t pick(std::unique_lock<std::mutex>& lk);
  void enqueue(task_kind k, const char* label, braid::detail::job* j) noexcept;
  void promote_due_locked();
  void jump_to(std::int64_t t);
  void note_off_thread(const char* what) noexcept;
  void trace_locked(trace_event e);
  std::uint64_t chain_for_new_work_locked() noexcept;
  void throw_pending_off_thread();
  void cleanup() noexcept;
  static task_info info(const microtask& m);

  options opts_;
  detail::chooser* chooser_;
  std::thread::id driver_;
  mutable std::mutex m_;
  std::atomic<std::int64_t> now_;
  std::uint64_t next_id_ = 1;
  std::uint64_t next_chain_ = 1;
  std::vector<microtask> ready_;
  std::map<std::pair<std::int64_t, std::uint64_t>, microtask> timers_;
  trace_log trace_;
  sim::schedule taken_;
  std::size_t schedule_pos_ = 0;
  std::uint64_t rng_;
  std::optional<std::string> off_thread_;
  std::vector<std::shared_ptr<detail::job_core>> jobs_;
  std::size_t steps_total_ = 0;
  bool in_microtask_ = false;
  std::uint64_t current_chain_ = 0;
  std::uint64_t last_chain_ = 0;
  braid::detail::env_scope scope_;
};

/// The scheduler, with the typed entry points start() and run().
class scheduler final : public scheduler_base {
 public:
  using scheduler_base::scheduler_base;

  /// Starts `t` now (its synchronous part runs inside this call, under this
  /// scheduler) and returns a handle on its outcome.
  template <class T>
  job<T> start(task<T> t, std::string label = {});

  /// Starts `t` and drives until it ends: returns its value or rethrows its
  /// failure. Throws error(deadlock / step_budget / time_budget /
  /// off_thread / schedule_exhausted) when it cannot finish; the task is
  /// left as it was (inspect pending(), trace(); the destructor cleans up).
  template <class T>
  T run(task<T> t, run_options o = {});
};

/// A started task: done(), result(), cancel().
template <class T>
class job {
 public:
  job() = default;
  explicit job(std::shared_ptr<detail::job_state<T>> s) noexcept : s_(std::move(s)) {}

  std::uint64_t id() const noexcept { return s_->id; }
  bool done() const { return s_->is_done(); }
  /// The value (copied, or moved out when T is move-only), or rethrows the
  /// failure. error(misuse) while the job is not done.
  T result() const {
    std::exception_ptr e;
    {
      std::lock_guard<std::mutex> g(s_->m);
      if (!s_->done)
        throw error(error_kind::misuse, "braid::sim: job #" + std::to_string(s_->id) +
                                            " is not done yet; drive the scheduler (tick, advance, "
                                            "run) until job.done() before asking for its result");
      e = s_->error;
    }
    if (e) std::rethrow_exception(e);
    if constexpr (std::is_void_v<T>) {
      return;
    } else if constexpr (std::is_copy_constructible_v<T>) {
      return *s_->value;
    } else {
      return std::move(*s_->value);
    }
  }
  /// Requests cancellation of the task (idempotent).
  void cancel() const {
    canceller c;
    {
      std::lock_guard<std::mutex> g(s_->m);
      c = s_->cancel;
    }
    c();
  }
  const std::shared_ptr<detail::job_state<T>>& state() const noexcept { return s_; }

 private:
  std::shared_ptr<detail::job_state<T>> s_;
};

namespace detail {

/// The sink context of a job: owns a reference to its state until the
/// task completes (the task may outlive the handle).
template <class T>
struct job_sink {
  std::shared_ptr<job_state<T>> s;

  static void on_value(void* ctx, braid::detail::stored_t<T>&& v) noexcept {
    std::unique_ptr<job_sink> self(static_cast<job_sink*>(ctx));
    bool ok = true;
    {
      std::lock_guard<std::mutex> g(self->s->m);
      try {
        self->s->value.emplace(std::move(v));
      } catch (...) {
        self->s->error = std::current_exception();
        ok = false;
      }
    }
    finish(*self->s, ok);
  }
  static void on_error(void* ctx, std::exception_ptr e) noexcept {
    std::unique_ptr<job_sink> self(static_cast<job_sink*>(ctx));
    {
      std::lock_guard<std::mutex> g(self->s->m);
      self->s->error = std::move(e);
    }
    finish(*self->s, false);
  }
  static void finish(job_state<T>& s, bool ok) noexcept;
};

}  // namespace detail

}  // namespace braid::sim

namespace braid::sim::detail {
template <class T>
void job_sink<T>::finish(job_state<T>& s, bool ok) noexcept {
  end_job(s, ok);
}
}  // namespace braid::sim::detail

namespace braid::sim {

template <class T>
job<T> scheduler::start(task<T> t, std::string label) {
  check_driver("start", true);
  auto s = std::make_shared<detail::job_state<T>>();
  begin_job(s, std::move(label));
  auto* ctx = new detail::job_sink<T>{s};
  canceller c = std::move(t).start(
      braid::detail::sink<T>::template to<&detail::job_sink<T>::on_value, &detail::job_sink<T>::on_error>(ctx));
  {
    std::lock_guard<std::mutex> g(s->m);
    if (!s->done) s->cancel = std::move(c);
  }
  return job<T>(std::move(s));
}

template <class T>
T scheduler::run(task<T> t, run_options o) {
  job<T> j = start(std::move(t));
  drive(*j.state(), o);
  return j.result();
}

}  // namespace braid::sim
