// SPDX-License-Identifier: MIT
#pragma once

/// The registries that live beside durable runs ([design.6], docs/durable.md
/// "Timers", "Topics", "The pending-flow baton", "Delivery"): durable
/// timers, topics, the pending-flow baton, and the one dispatch function
/// through which timers and topics deliver their events to runs.
///
///     BRAID_DURABLE braid::run<std::string> remind(std::string user) {
///       braid::durable::after(std::chrono::hours(24), braid::durable::make_event("", "answer:" + user, std::string("(none)")));
///       braid::durable::subscribe("news", "answer:" + user);
///       return braid::listen<std::string>("answer:" + user);   // an answer, a message on "news", or the timer
///     }
///     braid::durable::install_dispatch(braid::durable::continue_dispatch);
///     braid::durable::registry_worker worker(store);  // fires timers, delivers messages
///     worker.start();
///     braid::durable::publish(store, "news", std::string("hello"));   // -> 1
///
/// Everything a step schedules (timers, subscriptions) is stored with the
/// step, in its transaction; a run that ends (completes, fails, is
/// cancelled) loses its timers, subscriptions and queued messages in the
/// transaction of its last step.
///
/// Delivery is one-way: the registries never call continue_run themselves;
/// they call the dispatch function installed with install_dispatch (a
/// server installs one that also tells its clients; tests install their
/// own). The registries do not depend on whoever installs it.

#include <braid/durable/run.hpp>
#include <braid/durable/store.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace braid::durable {

// ---- the durable clock ------------------------------------------------------

/// Wall-clock time as durable timers see it (stored as milliseconds since
/// the epoch).
using time_point = std::chrono::system_clock::time_point;
/// Where "now" comes from: the system clock by default; tests inject
/// braid_clock(epoch) to run timers in braid::sim's virtual time.
using clock_fn = std::function<time_point()>;

/// Installs the process's durable clock (used by after() and by the
/// registry worker); an empty function restores the system clock. Returns
/// the previous one. Not thread-safe against concurrent now() calls:
/// install it before starting workers.
clock_fn set_clock(clock_fn c);
/// The durable clock's now.
time_point now();
/// A clock that reads braid::clock() (the current environment's
/// milliseconds: virtual time on a thread a braid::sim::scheduler drives)
/// as `epoch + that many milliseconds`.
clock_fn braid_clock(time_point epoch);

/// Milliseconds since the epoch (what the store keeps).
inline std::int64_t to_ms(time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// ---- inside a durable body (during a step): timers and subscriptions ---------
// Ordinary calls, stored with the step; each throws error(misuse) outside
// a step.

/// Schedules `ev` for this run at `when` (stored with this step). At its
/// due time the registry worker delivers it through the dispatch function
/// — if the run still listens for ev.context then; a run that has moved on
/// (listens for another context, waits for a child) or ended drops it. An
/// empty ev.id is replaced by "timer-<timer id>" (unique in the store): the
/// event's id makes its delivery exactly once across crashes. A timer due
/// while no worker ran fires when one starts. Throws error(misuse) for an
/// empty context.
void at(time_point when, event ev);
/// at(now() + delay, ev). A negative delay is error(misuse).
void after(std::chrono::milliseconds delay, event ev);
/// Cancels this run's timers whose event id is `event_id` (also a
/// "timer-<id>" one), with this step.
void cancel_timer(std::string event_id);

/// Subscribes this run to `topic` (replacing its subscription to that
/// topic): every message published there afterwards reaches the run as an
/// event of context `context` (whose value is the message), exactly once.
/// Throws error(misuse) for an empty topic or context.
void subscribe(std::string topic, std::string context);
/// Ends this run's subscription to `topic` (messages already published
/// to it stay queued for the run).
void unsubscribe(std::string topic);
/// Ends every subscription of this run.
void unsubscribe_all();

// ---- topics -----------------------------------------------------------------

/// Publishes `msg` (encoded) to `topic`: one transaction stores it in the
/// outbox once per subscription, and returns how many subscribers that
/// targeted. Each is delivered (by a registry worker, through the dispatch
/// function) when its run listens for its subscription's context: at once
/// if it does, else when it next does; never twice (the event id is
/// "topic:<topic>#<message id>"), also across a crash between the publish
/// and the delivery. Messages to one run arrive in publish order.
std::size_t publish_encoded(store& s, std::string_view topic, std::string_view encoded);
template <class T>
std::size_t publish(store& s, std::string_view topic, const T& msg) {
  return publish_encoded(s, topic, encode(msg));
}

/// The runs subscribed to a topic, and a run's subscriptions.
std::vector<stored_subscription> get_subscribers(store& s, std::string_view topic);
std::vector<stored_subscription> get_subscriptions(store& s, run_id id);
/// A run's timers (by due time) and its queued messages.
std::vector<stored_timer> get_timers(store& s, run_id id);
std::vector<stored_message> get_queued_messages(store& s, run_id id);

// ---- the pending-flow baton ---------------------------------------------------

namespace detail {
void put_pending_call(store& s, std::string_view id, const durable_table& t, const std::string& args);
}

/// Records that the run `root` is to start when `id` is first connected
/// to (pop_pending), replacing an entry of that id. Throws error(conflict)
/// when a run was already started for `id` (its id is in the message), and
/// error(misuse) for an empty id.
template <class T>
void put_pending(store& s, std::string_view id, const braid::run<T>& root) {
  detail::put_pending_call(s, id, root.table(), root.arguments());
}

/// The first connection's pop: starts the run recorded for `id` (its first
/// step, exactly once: a second pop, concurrent or after a crash, returns
/// the same run and starts nothing) and removes the entry. nullopt when
/// there is no entry for `id` and no run was started for it. The run's
/// start key is "pending:<id>".
std::optional<run_id> pop_pending(store& s, std::string_view id);

/// Drops the entry for `id` (its owner ended before anyone connected).
/// True when there was one.
bool forget_pending(store& s, std::string_view id);

/// Whether an entry for `id` waits to be popped.
bool has_pending(store& s, std::string_view id);

// ---- delivery -----------------------------------------------------------------

/// What a dispatch function did with an event.
enum class delivery {
  delivered,  ///< the run received it (a step was committed)
  duplicate,  ///< the run had already received this event id
  moved_on,   ///< the run does not listen for the event's context now (or has ended)
  rejected,   ///< it can never be delivered (unknown run, a payload the listen cannot decode, a corrupt run)
  retry,      ///< not now (another process's step won, the store failed, the run's code is not here)
};

/// "delivered", "duplicate", "moved-on", "rejected", "retry".
std::string_view to_string(delivery d) noexcept;

/// Delivers an event to a run. Must not throw (an exception counts as retry).
using dispatch_fn = std::function<delivery(store&, run_id, const event&)>;

/// Installs the process's dispatch function (an empty one uninstalls it);
/// returns the previous one. Install it before starting a registry worker.
dispatch_fn install_dispatch(dispatch_fn f);

/// The plain dispatch: continue_run, with its outcome and error kinds mapped
/// (not_waiting and wrong_context: moved_on; unknown_run, bad_event,
/// corrupt: rejected; the rest: retry).
delivery continue_dispatch(store& s, run_id id, const event& ev);

/// What a delivery pass did.
struct delivery_counts {
  std::size_t delivered = 0;
  std::size_t duplicate = 0;
  std::size_t dropped = 0;  ///< moved_on or rejected: removed without a delivery (timers; rejected messages)
  std::size_t kept = 0;     ///< retry (and messages whose run moved on): left for a later pass
  friend bool operator==(const delivery_counts&, const delivery_counts&) = default;
};

/// Fires every timer due at `now` (by due time, then id) through the
/// dispatch function: a run that ended or listens for another context
/// drops it (no dispatch); delivered, duplicate, moved_on and rejected
/// remove the timer; retry moves it `retry_delay` later. Throws
/// error(misuse) when no dispatch function is installed.
delivery_counts fire_timers(store& s, time_point now,
                            std::chrono::milliseconds retry_delay = std::chrono::seconds(1));

/// Delivers every queued message whose run now listens for its context,
/// in publish order, through the dispatch function: delivered, duplicate
/// and rejected remove it; moved_on and retry keep it. Throws
/// error(misuse) when no dispatch function is installed.
delivery_counts deliver_messages(store& s);

/// The due time of the earliest timer of the store, or nullopt.
std::optional<time_point> next_timer(store& s);

// ---- the registry worker ---------------------------------------------------------

namespace detail {
struct worker_state;
/// Wakes this process's registry workers of `s` (after a commit that
/// added a timer or made a message deliverable, after a publish).
void wake_workers(store& s) noexcept;
}  // namespace detail

/// Fires a store's timers at their due time and delivers its messages,
/// without polling: between passes it sleeps (braid::sleep) until the
/// earliest timer, and is woken early when this process commits a step
/// that adds a timer or makes a message deliverable, or publishes. A pass
/// runs on braid::blk() (under a braid::sim scheduler: a blk microtask of
/// the driving thread, and the sleep is in virtual time).
///
/// Other processes' timers and publishes: on a store with notifications
/// (postgres_store: LISTEN/NOTIFY; start() calls store::watch()) they wake
/// the worker as this process's do; on the SQLite store they are seen at
/// the next pass (SQLite has no cross-process notification; `rescan`
/// bounds the wait).
class registry_worker {
 public:
  struct options {
    std::chrono::milliseconds retry_delay{1000};
    /// 0: no bound (sleep until the earliest timer or a wake-up); else the
    /// longest sleep between passes (to see other processes' work).
    std::chrono::milliseconds rescan{0};
  };

  explicit registry_worker(store& s) : registry_worker(s, options{}) {}
  registry_worker(store& s, options o);
  /// Stops (see stop()).
  ~registry_worker();
  registry_worker(const registry_worker&) = delete;
  registry_worker& operator=(const registry_worker&) = delete;

  /// Starts: a first pass at once (posted to blk), then as described.
  /// Throws error(misuse) when no dispatch function is installed, or when
  /// started twice.
  void start();
  /// Stops: cancels the sleep and waits for a pass running on another
  /// thread. No pass starts afterwards.
  void stop() noexcept;
  /// Requests a pass now.
  void wake() noexcept;
  /// Passes completed so far.
  std::uint64_t passes() const noexcept;
  /// The last pass's counts (timers + messages).
  delivery_counts last_pass() const;
  /// The message of the last error a pass caught (the store failed), or empty.
  std::string last_error() const;

 private:
  std::shared_ptr<detail::worker_state> st_;
};

}  // namespace braid::durable
