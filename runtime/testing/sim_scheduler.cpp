// SPDX-License-Identifier: MIT
// braid::sim::scheduler: the virtual-time environment ([design.5], [spec.sim]).
//
// Locking: m_ guards the queues, the trace and the decision state. It is
// never held while a microtask runs (a job, a timer firing): those call back
// into post/schedule/unschedule/yield, which take m_. Lock order when both
// are needed: a job's mutex, then m_ (end_job is the only place).
#include <braid/op/yield.hpp>
#include <braid/sim/scheduler.hpp>

#include <algorithm>
#include <sstream>

namespace braid::sim {

namespace {

using job_t = braid::detail::job;
using braid::detail::labelled_job;
using braid::detail::lane;
using braid::detail::timer_node;

std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// An index in [0, n), from a 64-bit draw, the same on every platform.
std::size_t bounded(std::uint64_t x, std::size_t n) noexcept {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(x) * n) >> 64);
}

std::string thread_name(std::thread::id id) {
  std::ostringstream o;
  o << id;
  return o.str();
}

std::string ids(const std::vector<std::uint64_t>& v) {
  std::string s;
  for (auto id : v) {
    if (!s.empty()) s += ' ';
    s += '#' + std::to_string(id);
  }
  return s;
}

const char* lbl(const char* l) noexcept { return l ? l : ""; }

// Cleanup (the destructor) runs at most this many microtasks.
constexpr std::size_t cleanup_step_limit = 100'000;

}  // namespace

const char* to_string(error_kind k) noexcept {
  switch (k) {
    case error_kind::deadlock: return "deadlock";
    case error_kind::step_budget: return "step_budget";
    case error_kind::time_budget: return "time_budget";
    case error_kind::off_thread: return "off_thread";
    case error_kind::schedule_exhausted: return "schedule_exhausted";
    case error_kind::unknown_task_id: return "unknown_task_id";
    case error_kind::misuse: return "misuse";
  }
  return "?";
}

const char* to_string(task_kind k) noexcept {
  switch (k) {
    case task_kind::cpu: return "cpu";
    case task_kind::blk: return "blk";
    case task_kind::yield: return "yield";
    case task_kind::timer: return "timer";
  }
  return "?";
}

std::string step_result::why() const {
  switch (status) {
    case step_status::ran: return "ran #" + std::to_string(id);
    case step_status::nothing_pending: return "idle: nothing pending";
    case step_status::waiting_for_time:
      return "idle: waiting for time advance; next event at " + std::to_string(next_event_ms.value_or(0)) +
             " ms";
  }
  return "?";
}

scheduler_base::scheduler_base(options o, detail::chooser* c)
    : opts_(std::move(o)),
      chooser_(c),
      driver_(std::this_thread::get_id()),
      now_(opts_.initial_ms),
      rng_(opts_.seed.value_or(0)),
      scope_(*this) {}

scheduler_base::~scheduler_base() { cleanup(); }

void scheduler_base::cleanup() noexcept {
  // Cancel what is still running and run what that causes, so that
  // well-behaved processes complete and free themselves. Time moves only
  // while a cancelled job still waits on a timer (one that ignores
  // cancellation); everything is bounded.
  std::vector<std::shared_ptr<detail::job_core>> jobs;
  {
    std::lock_guard<std::mutex> g(m_);
    jobs = jobs_;
  }
  for (auto& j : jobs) {
    canceller c;
    {
      std::lock_guard<std::mutex> g(j->m);
      if (!j->done) c = j->cancel;
    }
    c();
  }
  auto all_done = [&] {
    return std::all_of(jobs.begin(), jobs.end(), [](auto& j) { return j->is_done(); });
  };
  std::size_t steps = 0;
  try {
    for (;;) {
      while (steps < cleanup_step_limit && step_impl(std::nullopt, true)) ++steps;
      if (steps >= cleanup_step_limit || all_done()) break;
      std::optional<std::int64_t> next;
      {
        std::lock_guard<std::mutex> g(m_);
        if (!timers_.empty()) next = timers_.begin()->first.first;
      }
      if (!next) break;
      jump_to(*next);
    }
  } catch (...) {
    // A harness error during cleanup (an off-thread callback) has nowhere to
    // go from a destructor; what is left is left.
  }
  for (auto& j : jobs) {
    std::lock_guard<std::mutex> g(j->m);
    j->owner = nullptr;
  }
}

void scheduler_base::check_driver(const char* op, bool allow_in_microtask) const {
  if (std::this_thread::get_id() != driver_)
    throw error(error_kind::off_thread,
                std::string("braid::sim: scheduler::") + op + " called from thread " +
                    thread_name(std::this_thread::get_id()) + ", not the driving thread " +
                    thread_name(driver_) + " (the one that constructed the scheduler); drive it from that thread");
  if (!allow_in_microtask && in_microtask_)
    throw error(error_kind::misuse, std::string("braid::sim: scheduler::") + op +
                                        " called from inside a microtask; drive the scheduler from the test, "
                                        "not from the code it runs");
}

void scheduler_base::note_off_thread(const char* what) noexcept {
  try {
    std::string msg = std::string("braid::sim: off-thread callback: ") + what + " arrived on thread " +
                      thread_name(std::this_thread::get_id()) + ", not the driving thread " +
                      thread_name(driver_) +
                      "; some work ran on a thread the scheduler does not drive (a real pool, a thread of "
                      "your own): complete it from the test thread instead";
    std::lock_guard<std::mutex> g(m_);
    if (!off_thread_) off_thread_ = std::move(msg);
  } catch (...) {
  }
}

void scheduler_base::throw_pending_off_thread() {
  std::optional<std::string> msg;
  {
    std::lock_guard<std::mutex> g(m_);
    msg = std::exchange(off_thread_, std::nullopt);
  }
  if (msg) throw error(error_kind::off_thread, *msg);
}

void scheduler_base::trace_locked(trace_event e) {
  if (!opts_.trace) return;
  e.time_ms = now_.load(std::memory_order_relaxed);
  trace_.push_back(std::move(e));
}

std::uint64_t scheduler_base::chain_for_new_work_locked() noexcept {
  // Work queued by a running microtask continues its logical thread; work
  // queued from outside (the test, a job's synchronous start) starts a new
  // one. PCT and the preemption bound reason about these chains.
  if (in_microtask_ && std::this_thread::get_id() == driver_) return current_chain_;
  return next_chain_++;
}

task_info scheduler_base::info(const microtask& m) {
  return task_info{m.id, m.kind, m.label ? m.label : "", m.at_ms, m.chain};
}

void scheduler_base::enqueue(task_kind k, const char* label, job_t* j) noexcept {
  if (std::this_thread::get_id() != driver_) note_off_thread(k == task_kind::yield ? "a yield" : "a post");
  try {
    std::lock_guard<std::mutex> g(m_);
    microtask m{next_id_++, k, label, now_.load(std::memory_order_relaxed), chain_for_new_work_locked(), j, nullptr};
    ready_.push_back(m);
    trace_locked(trace_event{0, event_kind::enqueue, m.id, k, label, m.at_ms, m.chain, {}, {}});
  } catch (...) {
    // Out of memory while queueing: nothing better than losing determinism
    // and running the job here.
    j->run();
  }
}

void scheduler_base::post(lane l, job_t* j) noexcept {
  const char* label = l == lane::cpu ? "cpu" : "blk";
  if (auto* lj = dynamic_cast<labelled_job*>(j); lj && lj->label) label = lj->label;
  enqueue(l == lane::cpu ? task_kind::cpu : task_kind::blk, label, j);
}

void scheduler_base::yield(job_t* j) noexcept {
  const char* label = "yield";
  if (auto* lj = dynamic_cast<labelled_job*>(j); lj && lj->label) label = lj->label;
  enqueue(task_kind::yield, label, j);
}

void scheduler_base::schedule(timer_node* n) noexcept {
  if (std::this_thread::get_id() != driver_) note_off_thread("a timer schedule");
  try {
    std::lock_guard<std::mutex> g(m_);
    const std::uint64_t id = next_id_++;
    n->seq = id;
    n->heap_index = static_cast<std::int64_t>(id);
    microtask m{id, task_kind::timer, lbl(n->label), n->deadline_ms, chain_for_new_work_locked(), nullptr, n};
    trace_locked(trace_event{0, event_kind::enqueue_timer, id, task_kind::timer, lbl(n->label), n->deadline_ms, m.chain, {}, {}});
    timers_.emplace(std::make_pair(n->deadline_ms, id), m);
    promote_due_locked();  // a deadline not in the future is due at once
  } catch (...) {
    n->heap_index = -1;
    n->fire();
  }
}

bool scheduler_base::unschedule(timer_node* n) noexcept {
  if (std::this_thread::get_id() != driver_) note_off_thread("a timer cancellation");
  std::lock_guard<std::mutex> g(m_);
  if (n->heap_index < 0) return false;  // fired or firing
  const auto id = static_cast<std::uint64_t>(n->heap_index);
  if (timers_.erase(std::make_pair(n->deadline_ms, id)) == 0) {
    auto it = std::find_if(ready_.begin(), ready_.end(), [&](const microtask& m) { return m.id == id; });
    if (it == ready_.end()) return false;
    ready_.erase(it);
  }
  n->heap_index = -1;
  try {
    trace_locked(trace_event{0, event_kind::cancel_timer, id, task_kind::timer, lbl(n->label), n->deadline_ms, 0, {}, {}});
  } catch (...) {
  }
  return true;
}

void scheduler_base::promote_due_locked() {
  const std::int64_t now = now_.load(std::memory_order_relaxed);
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    microtask m = timers_.begin()->second;
    timers_.erase(timers_.begin());
    ready_.push_back(m);
    trace_locked(trace_event{0, event_kind::promote_timer, m.id, task_kind::timer, m.label, m.at_ms, m.chain, {}, {}});
  }
}

void scheduler_base::jump_to(std::int64_t t) {
  std::lock_guard<std::mutex> g(m_);
  if (t > now_.load(std::memory_order_relaxed)) {
    now_.store(t, std::memory_order_release);
    trace_locked(trace_event{0, event_kind::advance, 0, task_kind::timer, {}, t, 0, {}, {}});
  }
  promote_due_locked();
}

std::size_t scheduler_base::pick(std::unique_lock<std::mutex>&) {
  // [spec.sim.schedule] A decision is consumed only here, when more than one
  // microtask is ready.
  const std::size_t n = ready_.size();
  std::size_t idx = 0;
  std::string how;
  auto find = [&](auto pred, const std::string& what) {
    for (std::size_t i = 0; i < n; ++i)
      if (pred(ready_[i])) return i;
    std::vector<std::uint64_t> v;
    for (auto& m : ready_) v.push_back(m.id);
    throw error(error_kind::unknown_task_id, "braid::sim: decision " + std::to_string(taken_.size() + 1) + " (" +
                                                 what + ") names no ready microtask; ready: " + ids(v) +
                                                 " (see next_tasks())");
  };
  if (opts_.micro_schedule && schedule_pos_ < opts_.micro_schedule->size()) {
    const decision& d = (*opts_.micro_schedule)[schedule_pos_];
    how = to_text(d);
    switch (d.kind) {
      case decision::kind_t::fifo: idx = 0; break;
      case decision::kind_t::lifo: idx = n - 1; break;
      case decision::kind_t::random: idx = bounded(splitmix64(rng_), n); break;
      case decision::kind_t::nth:
        if (d.n >= n)
          throw error(error_kind::unknown_task_id,
                      "braid::sim: decision " + std::to_string(schedule_pos_ + 1) + " (" + how +
                          ") is out of range: only " + std::to_string(n) + " microtasks are ready");
        idx = static_cast<std::size_t>(d.n);
        break;
      case decision::kind_t::by_id: idx = find([&](const microtask& m) { return m.id == d.n; }, how); break;
      case decision::kind_t::by_label:
        idx = find([&](const microtask& m) { return m.label && d.label == m.label; }, how);
        break;
    }
    ++schedule_pos_;
  } else if (opts_.micro_schedule && opts_.strict_schedule) {
    std::vector<std::uint64_t> v;
    for (auto& m : ready_) v.push_back(m.id);
    throw error(error_kind::schedule_exhausted,
                "braid::sim: schedule exhausted: all " + std::to_string(opts_.micro_schedule->size()) +
                    " decisions were used and " + std::to_string(n) + " microtasks are ready (" + ids(v) +
                    "); give a longer micro_schedule, or set options::strict_schedule = false to go on in "
                    "the default order");
  } else if (chooser_) {
    std::vector<detail::ready_entry> entries;
    entries.reserve(n);
    for (auto& m : ready_) entries.push_back({m.id, m.chain, m.kind, m.label ? m.label : ""});
    idx = chooser_->choose(entries, last_chain_);
    if (idx >= n) idx = n - 1;
    how = "nth " + std::to_string(idx);
  } else if (opts_.seed) {
    idx = bounded(splitmix64(rng_), n);
    how = "random";
  } else {
    how = "fifo";
  }
  taken_.push_back(decision::nth(idx));
  if (opts_.trace) {
    trace_event e{0, event_kind::select, ready_[idx].id, ready_[idx].kind, ready_[idx].label ? ready_[idx].label : "",
                  0, ready_[idx].chain, how, {}};
    for (auto& m : ready_) e.ready.push_back(m.id);
    trace_locked(std::move(e));
  }
  return idx;
}

step_result scheduler_base::step_impl(std::optional<std::uint64_t> id, bool fifo_only) {
  throw_pending_off_thread();
  std::unique_lock<std::mutex> lk(m_);
  if (ready_.empty()) {
    if (id)
      throw error(error_kind::unknown_task_id, "braid::sim: step(#" + std::to_string(*id) +
                                                   "): no microtask is ready (see next_tasks(), pending())");
    step_result r;
    if (timers_.empty()) return r;
    r.status = step_status::waiting_for_time;
    r.next_event_ms = timers_.begin()->first.first;
    return r;
  }
  std::size_t idx = 0;
  if (id) {
    auto it = std::find_if(ready_.begin(), ready_.end(), [&](const microtask& m) { return m.id == *id; });
    if (it == ready_.end()) {
      std::vector<std::uint64_t> v;
      for (auto& m : ready_) v.push_back(m.id);
      throw error(error_kind::unknown_task_id, "braid::sim: step(#" + std::to_string(*id) +
                                                   "): no ready microtask has that id; ready: " + ids(v));
    }
    idx = static_cast<std::size_t>(it - ready_.begin());
  } else if (ready_.size() > 1 && !fifo_only) {
    idx = pick(lk);
  }
  microtask m = ready_[idx];
  ready_.erase(ready_.begin() + static_cast<std::ptrdiff_t>(idx));
  if (m.timer) m.timer->heap_index = -1;  // firing: unschedule now says false
  in_microtask_ = true;
  current_chain_ = m.chain;
  ++steps_total_;
  trace_locked(trace_event{0, event_kind::run, m.id, m.kind, m.label ? m.label : "", m.at_ms, m.chain, {}, {}});
  lk.unlock();
  if (m.timer)
    m.timer->fire();
  else
    m.job->run();
  lk.lock();
  in_microtask_ = false;
  last_chain_ = m.chain;
  step_result r;
  r.status = step_status::ran;
  r.id = m.id;
  return r;
}

step_result scheduler_base::step() {
  check_driver("step");
  return step_impl(std::nullopt, false);
}

step_result scheduler_base::step(std::uint64_t id) {
  check_driver("step");
  return step_impl(id, false);
}

std::size_t scheduler_base::tick() {
  check_driver("tick");
  std::size_t n = 0;
  while (step_impl(std::nullopt, false)) ++n;
  return n;
}

std::size_t scheduler_base::advance(std::int64_t dt_ms) {
  check_driver("advance");
  if (dt_ms < 0)
    throw error(error_kind::misuse,
                "braid::sim: advance(" + std::to_string(dt_ms) + "): time only moves forward; pass dt_ms >= 0");
  return advance_to(now_ms() + dt_ms);
}

std::size_t scheduler_base::advance_to(std::int64_t t) {
  check_driver("advance_to");
  if (t < now_ms())
    throw error(error_kind::misuse, "braid::sim: advance_to(" + std::to_string(t) + "): that is before now (" +
                                        std::to_string(now_ms()) + " ms); time only moves forward");
  std::size_t n = tick();
  for (;;) {
    std::optional<std::int64_t> next;
    {
      std::lock_guard<std::mutex> g(m_);
      if (!timers_.empty() && timers_.begin()->first.first <= t) next = timers_.begin()->first.first;
    }
    if (!next) break;
    jump_to(*next);
    n += tick();
  }
  jump_to(t);
  return n + tick();
}

void scheduler_base::drive(detail::job_core& j, const run_options& o) {
  check_driver("run");
  const std::int64_t start_ms = now_ms();
  std::size_t steps = 0;
  const std::string who = "job #" + std::to_string(j.id);
  for (;;) {
    if (j.is_done()) return;
    throw_pending_off_thread();
    bool have_ready;
    std::optional<std::int64_t> next;
    std::size_t ntimers, nready;
    {
      std::lock_guard<std::mutex> g(m_);
      have_ready = !ready_.empty();
      nready = ready_.size();
      ntimers = timers_.size();
      if (!timers_.empty()) next = timers_.begin()->first.first;
    }
    if (have_ready) {
      // [spec.sim.budget] Checked before every microtask: never overshoots.
      if (steps >= o.max_steps)
        throw error(error_kind::step_budget,
                    "braid::sim: step budget exceeded: " + who + " is not done after max_steps = " +
                        std::to_string(o.max_steps) + " microtasks (ready: " + std::to_string(nready) +
                        ", timers: " + std::to_string(ntimers) +
                        "); raise run_options::max_steps, or look for a loop that never waits");
      step_impl(std::nullopt, false);
      ++steps;
      continue;
    }
    if (!next)
      throw error(error_kind::deadlock,
                  "braid::sim: deadlock: " + who +
                      " is not done and nothing is pending (no ready microtask, no timer); it waits for "
                      "something the scheduler does not drive (a manual completion, another thread, a flow "
                      "nobody feeds)");
    if (!o.auto_advance)
      throw error(error_kind::deadlock,
                  "braid::sim: deadlock: " + who + " is not done; waiting for time advance; next event at " +
                      std::to_string(*next) + " ms; timers: " + std::to_string(ntimers) +
                      "; set auto_advance or advance to " + std::to_string(*next));
    if (o.max_time_ms && *next > start_ms + *o.max_time_ms)
      throw error(error_kind::time_budget,
                  "braid::sim: time budget exceeded: " + who + " is not done; the next event at " +
                      std::to_string(*next) + " ms lies beyond max_time_ms = " + std::to_string(*o.max_time_ms) +
                      " from " + std::to_string(start_ms) + " ms; raise run_options::max_time_ms");
    jump_to(*next);
  }
}

void scheduler_base::begin_job(std::shared_ptr<detail::job_core> j, std::string label) {
  std::lock_guard<std::mutex> g(m_);
  std::erase_if(jobs_, [](const auto& p) { return p->finished.load(std::memory_order_acquire); });
  j->id = next_id_++;
  j->label = std::move(label);
  j->driver = driver_;
  j->owner = this;
  trace_locked(trace_event{0, event_kind::job_start, j->id, task_kind::cpu, j->label, 0, 0, {}, {}});
  jobs_.push_back(std::move(j));
}

pending_work scheduler_base::pending() const {
  std::lock_guard<std::mutex> g(m_);
  pending_work p;
  for (auto& m : ready_) p.microtasks.push_back(info(m));
  for (auto& [k, m] : timers_) p.timers.push_back(info(m));
  return p;
}

std::optional<task_info> scheduler_base::next_event() const {
  std::lock_guard<std::mutex> g(m_);
  if (!ready_.empty()) return info(ready_.front());
  if (!timers_.empty()) return info(timers_.begin()->second);
  return std::nullopt;
}

std::vector<task_info> scheduler_base::next_tasks() const {
  std::lock_guard<std::mutex> g(m_);
  std::vector<task_info> v;
  for (auto& m : ready_) v.push_back(info(m));
  return v;
}

trace_log scheduler_base::trace() const {
  std::lock_guard<std::mutex> g(m_);
  return trace_;
}

schedule scheduler_base::taken() const {
  std::lock_guard<std::mutex> g(m_);
  return taken_;
}

namespace detail {

void end_job(job_core& j, bool ok) noexcept {
  canceller drop;  // released after the lock: it may free the process
  {
    // Held while the owner is used: the owner clears `owner` under this
    // lock before it is destroyed.
    std::lock_guard<std::mutex> g(j.m);
    scheduler_base* o = j.owner;
    if (o && std::this_thread::get_id() != j.driver) {
      o->note_off_thread(("the completion of job #" + std::to_string(j.id)).c_str());
      try {
        j.error = std::make_exception_ptr(error(
            error_kind::off_thread, "braid::sim: job #" + std::to_string(j.id) + " completed on thread " +
                                        thread_name(std::this_thread::get_id()) + ", not the driving thread " +
                                        thread_name(j.driver) +
                                        "; complete the work it waits for from the test thread"));
      } catch (...) {
        j.error = std::current_exception();
      }
      ok = false;
    }
    j.done = true;
    j.finished.store(true, std::memory_order_release);
    drop = std::move(j.cancel);
    if (o) {
      std::lock_guard<std::mutex> g2(o->m_);
      try {
        o->trace_locked(trace_event{0, event_kind::job_done, j.id, task_kind::cpu, ok ? "ok" : "error", 0, 0, {}, {}});
      } catch (...) {
      }
    }
  }
}

}  // namespace detail

}  // namespace braid::sim
