// SPDX-License-Identifier: MIT
// The registries beside durable runs: timers, topics, the pending-flow
// baton, the dispatch function, and the worker that fires timers and
// delivers messages. [design.6] docs/durable.md "Timers", "Topics",
// "The pending-flow baton", "Delivery".
//
// What is stored is stored by the store (with a step, or in publish's own
// transaction); this file decides what to deliver and hands it to the one
// dispatch function. Exactly once comes from the event ids: a delivery that
// committed but whose row was not removed yet (a crash in between) is
// delivered again, and continue_run reports it as a duplicate.
#include "engine.hpp"

#include <braid/durable/registries.hpp>
#include <braid/durable/runs.hpp>
#include <braid/op/mbx.hpp>
#include <braid/op/race.hpp>
#include <braid/op/sleep.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace braid::durable {

// ---- the clock and the dispatch function ---------------------------------------

namespace {

std::mutex g_clock_m;
clock_fn g_clock;

std::mutex g_dispatch_m;
dispatch_fn g_dispatch;

dispatch_fn dispatch_or_throw(const char* what) {
  std::lock_guard<std::mutex> g(g_dispatch_m);
  if (!g_dispatch)
    throw error(error_kind::misuse, std::string("braid: ") + what +
                                        ": no dispatch function is installed; call "
                                        "braid::durable::install_dispatch first (continue_dispatch delivers with "
                                        "continue_run)");
  return g_dispatch;
}

delivery call(const dispatch_fn& d, store& s, run_id id, const event& ev) noexcept {
  try {
    return d(s, id, ev);
  } catch (...) {
    return delivery::retry;
  }
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

clock_fn set_clock(clock_fn c) {
  std::lock_guard<std::mutex> g(g_clock_m);
  std::swap(g_clock, c);
  return c;
}

time_point now() {
  clock_fn c;
  {
    std::lock_guard<std::mutex> g(g_clock_m);
    c = g_clock;
  }
  return c ? c() : std::chrono::system_clock::now();
}

clock_fn braid_clock(time_point epoch) {
  return [epoch] { return epoch + std::chrono::milliseconds(braid::clock()); };
}

std::string_view to_string(delivery d) noexcept {
  switch (d) {
    case delivery::delivered: return "delivered";
    case delivery::duplicate: return "duplicate";
    case delivery::moved_on: return "moved-on";
    case delivery::rejected: return "rejected";
    case delivery::retry: return "retry";
  }
  return "?";
}

dispatch_fn install_dispatch(dispatch_fn f) {
  std::lock_guard<std::mutex> g(g_dispatch_m);
  std::swap(g_dispatch, f);
  return f;
}

delivery continue_dispatch(store& s, run_id id, const event& ev) {
  try {
    return continue_run(s, id, ev).duplicate ? delivery::duplicate : delivery::delivered;
  } catch (const error& e) {
    switch (e.kind()) {
      case error_kind::not_waiting:
      case error_kind::wrong_context: return delivery::moved_on;
      case error_kind::unknown_run:
      case error_kind::bad_event:
      case error_kind::corrupt:
      case error_kind::codec: return delivery::rejected;
      default: return delivery::retry;
    }
  } catch (...) {
    return delivery::retry;
  }
}

// ---- inside a durable body -------------------------------------------------------

void at(time_point when, event ev) {
  detail::engine& e = detail::current_engine_or_throw("braid::durable::at");
  if (ev.context.empty())
    throw error(error_kind::misuse, "braid: braid::durable::at/after: the timer's event has an empty context; give "
                                    "it the context of the listen it is for");
  e.timers_.push_back(timer_request{to_ms(when), std::move(ev)});
}

void after(std::chrono::milliseconds delay, event ev) {
  detail::current_engine_or_throw("braid::durable::after");
  if (delay.count() < 0)
    throw error(error_kind::misuse, "braid: braid::durable::after: the delay is negative (" +
                                        std::to_string(delay.count()) + " ms); use at() for a point in time");
  at(now() + delay, std::move(ev));
}

void cancel_timer(std::string event_id) {
  detail::current_engine_or_throw("braid::durable::cancel_timer").timer_cancels_.push_back(std::move(event_id));
}

void subscribe(std::string topic, std::string context) {
  detail::engine& e = detail::current_engine_or_throw("braid::durable::subscribe");
  if (topic.empty() || context.empty())
    throw error(error_kind::misuse, std::string("braid: braid::durable::subscribe: the ") +
                                        (topic.empty() ? "topic" : "context") + " is empty");
  e.subscriptions_.push_back({std::move(topic), std::move(context)});
}

void unsubscribe(std::string topic) {
  detail::engine& e = detail::current_engine_or_throw("braid::durable::unsubscribe");
  if (topic.empty())
    throw error(error_kind::misuse, "braid: braid::durable::unsubscribe: the topic is empty (unsubscribe_all() "
                                    "ends every subscription)");
  e.subscriptions_.push_back({std::move(topic), std::nullopt});
}

void unsubscribe_all() {
  detail::current_engine_or_throw("braid::durable::unsubscribe_all").subscriptions_.push_back({{}, std::nullopt});
}

// ---- topics ------------------------------------------------------------------------

std::size_t publish_encoded(store& s, std::string_view topic, std::string_view encoded) {
  if (topic.empty()) throw error(error_kind::misuse, "braid: publish: the topic is empty");
  const publish_record r = s.publish(topic, encoded);
  if (r.targeted) detail::wake_workers(s);
  return r.targeted;
}

namespace {
void require_run(store& s, run_id id) {
  if (!s.load(id))
    throw error(error_kind::unknown_run, "braid: no run " + to_string(id) + " in " + s.describe() +
                                             " (braid-runs list <store> shows the runs there)");
}
}  // namespace

std::vector<stored_subscription> get_subscribers(store& s, std::string_view topic) { return s.subscribers(topic); }

std::vector<stored_subscription> get_subscriptions(store& s, run_id id) {
  require_run(s, id);
  return s.subscriptions(id);
}

std::vector<stored_timer> get_timers(store& s, run_id id) {
  require_run(s, id);
  return s.timers(id);
}

std::vector<stored_message> get_queued_messages(store& s, run_id id) {
  require_run(s, id);
  return s.queued_messages(id);
}

// ---- the pending-flow baton ----------------------------------------------------------

namespace {
std::string pending_key(std::string_view id) { return "pending:" + std::string(id); }

void require_pending_id(std::string_view id, const char* what) {
  if (id.empty()) throw error(error_kind::misuse, std::string("braid: ") + what + ": the pending id is empty");
}
}  // namespace

void detail::put_pending_call(store& s, std::string_view id, const durable_table& t, const std::string& args) {
  require_pending_id(id, "put_pending");
  if (auto r = s.find_key(pending_key(id)))
    throw error(error_kind::conflict, "braid: put_pending: a run was already started for pending id " + quoted(id) +
                                          " (run " + to_string(*r) + "); nothing was recorded");
  s.put_pending(stored_pending{std::string(id), t.function, encode_call(t, args), 0});
}

std::optional<run_id> pop_pending(store& s, std::string_view id) {
  require_pending_id(id, "pop_pending");
  const std::string key = pending_key(id);
  const auto p = s.pending(id);
  if (!p) return s.find_key(key);  // popped before (or never put)
  // Start first, remove after: a crash in between leaves the entry, and
  // the next pop finds the run by its key (start_run starts nothing then).
  const detail::stored_call c = detail::parse_call(p->call, run_id{});
  const detail::durable_table* t = detail::find_table(c.function);
  if (!t)
    throw error(error_kind::unknown_function, "braid: pending id " + quoted(id) + " is to start " +
                                                  quoted(c.function) +
                                                  ", a durable function this program does not contain; pop it "
                                                  "with a program that has it (the entry was kept)");
  if (t->signature_hash != c.signature)
    throw error(error_kind::version_blocked, "braid: pending id " + quoted(id) + " is to start " + quoted(c.function) +
                                                 " with a signature other than this program's; pop it with the "
                                                 "program that recorded it (the entry was kept)");
  const run_id run = detail::start(s, *t, c.args, start_options{key});
  s.remove_pending(id);
  return run;
}

bool forget_pending(store& s, std::string_view id) {
  require_pending_id(id, "forget_pending");
  return s.remove_pending(id);
}

bool has_pending(store& s, std::string_view id) { return s.pending(id).has_value(); }

// ---- delivery passes ---------------------------------------------------------------------

delivery_counts fire_timers(store& s, time_point now_tp, std::chrono::milliseconds retry_delay) {
  const dispatch_fn d = dispatch_or_throw("fire_timers");
  const std::int64_t now_ms = to_ms(now_tp);
  delivery_counts c;
  // Every timer of a batch is removed or delayed past now: the loop ends.
  for (;;) {
    const auto due = s.due_timers(now_ms, 256);
    if (due.empty()) break;
    for (const auto& t : due) {
      const auto r = s.load(t.run);
      const bool listens = r && r->status == run_status::waiting && !r->waiting_child && r->waiting_for == t.ev.context;
      if (!listens) {  // the run moved on or ended: a no-op
        s.remove_timer(t.id);
        ++c.dropped;
        continue;
      }
      const delivery out = call(d, s, t.run, t.ev);
      switch (out) {
        case delivery::delivered: ++c.delivered; break;
        case delivery::duplicate: ++c.duplicate; break;
        case delivery::moved_on:
        case delivery::rejected: ++c.dropped; break;
        case delivery::retry:
          ++c.kept;
          s.delay_timer(t.id, now_ms + retry_delay.count());
          continue;
      }
      s.remove_timer(t.id);
    }
  }
  return c;
}

delivery_counts deliver_messages(store& s) {
  const dispatch_fn d = dispatch_or_throw("deliver_messages");
  delivery_counts c;
  std::set<std::int64_t> kept;  // rows left for a later pass
  std::set<run_id> held;        // runs with a kept row: their later messages wait (publish order)
  for (;;) {
    const auto batch = s.deliverable_messages(1024);
    bool progress = false;
    for (const auto& m : batch) {
      if (kept.count(m.id)) continue;
      if (held.count(m.run)) {
        kept.insert(m.id);
        ++c.kept;
        continue;
      }
      progress = true;
      const delivery out = call(d, s, m.run, m.ev);
      switch (out) {
        case delivery::delivered: ++c.delivered; break;
        case delivery::duplicate: ++c.duplicate; break;
        case delivery::rejected: ++c.dropped; break;
        case delivery::moved_on:
        case delivery::retry:
          kept.insert(m.id);
          held.insert(m.run);
          ++c.kept;
          continue;
      }
      s.remove_message(m.id);
      // The run took a step: what it listens for now decides the rest.
      break;
    }
    if (!progress) break;
  }
  return c;
}

std::optional<time_point> next_timer(store& s) {
  const auto ms = s.next_timer_due();
  if (!ms) return std::nullopt;
  return time_point(std::chrono::milliseconds(*ms));
}

// ---- the registry worker ---------------------------------------------------------------------

namespace detail {

// One pass at a time, chained: a pass (a job on blk) ends by starting a
// wait (race of a sleep until the next timer and a wake-up fetch); the
// wait's completion posts the next pass. `queued` and `in_pass` are under
// m; the wait is started outside it (a wake-up already queued completes it
// inside run(), which posts the next pass, which takes m).
struct worker_state final : std::enable_shared_from_this<worker_state>, braid::detail::job {
  worker_state(store& s, registry_worker::options o) : st(s), opts(o) {}

  store& st;
  registry_worker::options opts;
  braid::mbx<int> box;
  std::atomic<bool> wake_posted{false};

  mutable std::mutex m;
  std::condition_variable cv;
  bool started = false, stopping = false, queued = false, in_pass = false;
  std::thread::id pass_thread;
  braid::canceller wait;
  std::shared_ptr<worker_state> keep;  // while a pass is queued on blk
  std::uint64_t passes = 0;
  delivery_counts last;
  std::string last_error;

  void post_pass() {
    {
      std::lock_guard<std::mutex> g(m);
      if (stopping || queued) return;
      queued = true;
      keep = shared_from_this();
    }
    braid::blk().execute(this);
  }

  void wake() noexcept {
    if (!wake_posted.exchange(true)) {
      try {
        box.post(1);
      } catch (...) {
        wake_posted = false;
      }
    }
  }

  void run() noexcept override {
    std::shared_ptr<worker_state> self;
    {
      std::lock_guard<std::mutex> g(m);
      self = std::move(keep);
      queued = false;
      if (stopping) return;
      in_pass = true;
      pass_thread = std::this_thread::get_id();
    }
    wake_posted = false;
    delivery_counts c;
    std::string err;
    std::optional<std::int64_t> next;
    try {
      const delivery_counts a = deliver_messages(st);
      const delivery_counts b = fire_timers(st, now(), opts.retry_delay);
      c = {a.delivered + b.delivered, a.duplicate + b.duplicate, a.dropped + b.dropped, a.kept + b.kept};
      next = st.next_timer_due();
      if (a.kept && opts.retry_delay.count() > 0) {
        const std::int64_t retry = to_ms(now()) + opts.retry_delay.count();
        next = next ? std::min(*next, retry) : retry;
      }
    } catch (const std::exception& x) {
      err = x.what();
      next = to_ms(now()) + opts.retry_delay.count();  // the store failed: try again later
    }
    std::int64_t delay = -1;  // -1: until woken
    if (next) delay = std::max<std::int64_t>(0, *next - to_ms(now()));
    if (opts.rescan.count() > 0) delay = delay < 0 ? opts.rescan.count() : std::min(delay, opts.rescan.count());
    {
      std::lock_guard<std::mutex> g(m);
      ++passes;
      last = c;
      if (!err.empty()) last_error = err;
      in_pass = false;
      if (stopping) {
        cv.notify_all();
        return;
      }
    }
    cv.notify_all();
    braid::task<int> t = delay < 0 ? box.fetch() : braid::race(braid::sleep(delay, 0), box.fetch());
    braid::canceller w = std::move(t).run([self](int) { self->post_pass(); },
                                          [self](std::exception_ptr) { self->post_pass(); });
    bool cancel_now = false;
    {
      std::lock_guard<std::mutex> g(m);
      wait = w;
      cancel_now = stopping;
    }
    if (cancel_now) w();
  }
};

namespace {
std::mutex g_workers_m;
std::vector<std::pair<store*, std::weak_ptr<worker_state>>> g_workers;
}  // namespace

void wake_workers(store& s) noexcept {
  std::vector<std::shared_ptr<worker_state>> ws;
  {
    std::lock_guard<std::mutex> g(g_workers_m);
    for (auto& [p, w] : g_workers)
      if (p == &s)
        if (auto sp = w.lock()) ws.push_back(std::move(sp));
  }
  for (auto& w : ws) w->wake();
}

}  // namespace detail

registry_worker::registry_worker(store& s, options o) : st_(std::make_shared<detail::worker_state>(s, o)) {}

registry_worker::~registry_worker() { stop(); }

void registry_worker::start() {
  dispatch_or_throw("registry_worker::start");
  // Other processes' timers and publishes: a store with notifications
  // wakes this worker for them too (postgres_store: LISTEN/NOTIFY).
  st_->st.watch();
  {
    std::lock_guard<std::mutex> g(st_->m);
    if (st_->started) throw error(error_kind::misuse, "braid: registry_worker::start: the worker was started before");
    st_->started = true;
  }
  {
    std::lock_guard<std::mutex> g(detail::g_workers_m);
    detail::g_workers.emplace_back(&st_->st, st_);
  }
  st_->post_pass();
}

void registry_worker::stop() noexcept {
  braid::canceller w;
  {
    std::lock_guard<std::mutex> g(st_->m);
    if (!st_->started || st_->stopping) return;
    st_->stopping = true;
    w = st_->wait;
  }
  w();  // a wait in progress ends (its callback sees stopping)
  {
    std::lock_guard<std::mutex> g(detail::g_workers_m);
    auto& v = detail::g_workers;
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](const auto& e) { return e.second.expired() || e.second.lock() == st_; }),
            v.end());
  }
  std::unique_lock<std::mutex> g(st_->m);
  if (st_->in_pass && st_->pass_thread == std::this_thread::get_id()) return;  // stopped by its own pass
  st_->cv.wait(g, [&] { return !st_->in_pass; });
}

void registry_worker::wake() noexcept { st_->wake(); }

std::uint64_t registry_worker::passes() const noexcept {
  std::lock_guard<std::mutex> g(st_->m);
  return st_->passes;
}

delivery_counts registry_worker::last_pass() const {
  std::lock_guard<std::mutex> g(st_->m);
  return st_->last;
}

std::string registry_worker::last_error() const {
  std::lock_guard<std::mutex> g(st_->m);
  return st_->last_error;
}

}  // namespace braid::durable
