// SPDX-License-Identifier: MIT
#pragma once

/// Where durable runs live ([design.6], docs/durable.md "The store").
///
/// Users construct a store and pass it to the run functions
/// (<braid/durable/runs.hpp>); they never call its members. The members are
/// the interface a backend implements (sqlite_store here; postgres_store in
/// <braid/durable/postgres_store.hpp>, library braid::durable_pg):
/// a few reads and one `commit` per step that applies everything the step
/// did (the run row, the event, outputs, index entries, new child runs,
/// the wake-up of a waiting parent) in one transaction, or nothing.
///
/// Concurrency is optimistic: a step loads the run (with its version),
/// runs in memory without holding any lock, then commits only if the
/// version is still the one it loaded. See commit().

#include <braid/durable/run.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace braid::durable {

/// A run's row, as stored.
struct stored_run {
  run_id id{};
  std::string key;
  std::string function;
  std::string call;    ///< encoded: {"function", "signature", "args"}
  /// running, waiting or ended; never blocked_by_version: a blocked run
  /// keeps the state it was stored in (so the code that stored it can
  /// still continue it), and `blocked` says why this program would not.
  run_status status = run_status::running;
  std::string stack;   ///< encoded frames, bottom first; empty when ended or not started
  std::string waiting_for;
  std::optional<run_id> waiting_child;
  std::string event_type;
  std::string result;
  std::string error;
  std::string error_type;
  std::string blocked;
  std::optional<run_id> parent;
  std::uint64_t version = 0;  ///< committed steps
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

/// A durable timer a step scheduled (braid::durable::after / at): at
/// `due_ms` (milliseconds since the epoch of the durable clock) `ev` is
/// delivered to the run. An empty ev.id is named "timer-<timer id>".
struct timer_request {
  std::int64_t due_ms = 0;
  event ev;
};

/// A stored timer (braid_timers).
struct stored_timer {
  std::int64_t id = 0;      ///< the store's timer id (1, 2, ... per store)
  run_id run{};
  std::int64_t due_ms = 0;
  event ev;                 ///< ev.id: the given one, or "timer-<id>"
  std::uint64_t step = 0;   ///< the step that scheduled it
};

/// A subscription change a step made, applied in order: subscribe (context
/// set), unsubscribe one topic (context nullopt), or every topic of the run
/// (topic empty, context nullopt).
struct subscription_change {
  std::string topic;
  std::optional<std::string> context;
};

/// A stored subscription (braid_subscriptions): messages published to
/// `topic` reach `run` as events of `context`.
struct stored_subscription {
  run_id run{};
  std::string topic;
  std::string context;
};

/// A published message waiting in the outbox (braid_outbox) for one
/// subscriber: delivered as `ev` (id "topic:<topic>#<message id>").
struct stored_message {
  std::int64_t id = 0;       ///< the outbox row
  std::int64_t message = 0;  ///< the message (one per publish)
  run_id run{};
  std::string topic;
  event ev;
};

/// What publish stored.
struct publish_record {
  std::int64_t message = 0;
  std::size_t targeted = 0;  ///< outbox rows: one per subscription of the topic
};

/// A pending-flow baton (braid_pending): the run to start when `id` is
/// first connected to.
struct stored_pending {
  std::string id;
  std::string function;
  std::string call;  ///< encoded, as braid_runs.call
  std::int64_t created_ms = 0;
};

/// A child run a step started: inserted as `running` with no stack.
struct new_run {
  run_id id{};
  std::string function;
  std::string call;
};

/// Everything one step changes, applied by commit() in one transaction.
struct step_record {
  run_id id{};
  /// A new run (start_run's first step): inserted, not updated.
  bool create = false;
  std::string key;                ///< create only
  std::string function;           ///< create only
  std::string call;               ///< create only
  std::optional<run_id> parent;   ///< create only
  /// Update only: the version the step loaded.
  std::uint64_t expected_version = 0;

  run_status status = run_status::waiting;
  std::string stack;
  std::string waiting_for;
  std::optional<run_id> waiting_child;
  std::string event_type;
  std::string result;
  std::string error;
  std::string error_type;

  std::optional<event> delivered;   ///< the event this step consumed
  std::vector<std::string> outputs;  ///< encoded values, in order
  std::vector<std::pair<std::string, std::optional<std::string>>> index;  ///< set (or, nullopt, clear) in order
  std::vector<new_run> children;
  /// Timers this step scheduled, and the event ids of this run's timers it
  /// cancelled (applied first). A step that ends the run deletes all of
  /// its timers, subscriptions and queued messages instead.
  std::vector<timer_request> timers;
  std::vector<std::string> timer_cancels;
  std::vector<subscription_change> subscriptions;
};

enum class commit_status {
  committed,
  conflict,         ///< the run's version is not the expected one: another step committed first
  duplicate_event,  ///< the run already received this event id
  duplicate_key,    ///< a run with this start key exists (existing)
};

struct commit_result {
  commit_status status = commit_status::committed;
  /// duplicate_key: the run that has the key.
  run_id existing{};
  /// Runs this commit made runnable (status running): new children, a
  /// parent woken because this run ended, this run if the child it now
  /// waits for had already ended.
  std::vector<run_id> runnable;
  /// This step added a timer (a timer worker may need to wake earlier).
  bool timers_added = false;
  /// The run now listens for a context some queued message of it has (a
  /// registry worker should deliver it).
  bool deliverable = false;
};

/// A step about to be written, inside its transaction, just written:
/// the points the crash harness stops a worker at (testing::set_step_hook).
enum class step_point { before_write, in_transaction, after_commit };

class store {
 public:
  virtual ~store() = default;

  /// A new run id (ids are never reused; an id whose run was never
  /// committed is a harmless gap).
  virtual run_id allocate_id() = 0;
  virtual std::optional<stored_run> load(run_id id) = 0;
  virtual std::optional<run_id> find_key(std::string_view key) = 0;
  virtual bool has_event(run_id id, std::string_view event_id) = 0;
  /// Applies `r` in one transaction, all or nothing, clearing `blocked`.
  /// For an update: the
  /// run must exist (else error unknown_run); if `r.delivered` names an
  /// event the run already has, nothing changes (duplicate_event); if the
  /// version is not `expected_version`, nothing changes (conflict);
  /// otherwise the row is written with version + 1, the event recorded,
  /// outputs appended (seq after the last), index entries set, children
  /// inserted (running, version 0). A run that ended wakes its parent when
  /// the parent waits for it (waiting -> running, version + 1). A run that
  /// now waits for a child that has ended is stored running instead. Calls
  /// the step hook (step_point::in_transaction) before committing.
  virtual commit_result commit(const step_record& r) = 0;
  /// Marks a run blocked-by-version with `why` (sets `blocked`), if its
  /// version is still `version`; its status and stack are kept, so the code
  /// that stored it can still continue it (whose commit clears `blocked`).
  /// Returns false when the run moved on.
  virtual bool mark_blocked(run_id id, std::uint64_t version, std::string_view why) = 0;
  virtual std::vector<run_id> children(run_id id) = 0;
  virtual std::map<std::string, std::string> index(run_id id) = 0;
  virtual std::vector<output_record> outputs(run_id id, std::uint64_t after_seq) = 0;
  virtual std::vector<event_record> events(run_id id) = 0;
  virtual std::vector<run_id> find(const run_query& q) = 0;
  /// Runs with status running (blocked or not), in id order.
  virtual std::vector<run_id> runnable() = 0;
  /// For messages: "the store 'runs.db'".
  virtual std::string describe() const = 0;

  // ---- registries (docs/durable.md "Timers", "Topics", "The pending-flow baton")
  /// The earliest due time of any timer, or nullopt.
  virtual std::optional<std::int64_t> next_timer_due() = 0;
  /// Timers due at `now_ms` (due_ms <= now_ms), by (due_ms, id), at most `limit`.
  virtual std::vector<stored_timer> due_timers(std::int64_t now_ms, std::size_t limit) = 0;
  /// The run's timers, by (due_ms, id).
  virtual std::vector<stored_timer> timers(run_id id) = 0;
  /// Deletes a timer; false when it was not there (fired or cancelled).
  virtual bool remove_timer(std::int64_t timer) = 0;
  /// Moves a timer's due time (a delivery to retry later).
  virtual void delay_timer(std::int64_t timer, std::int64_t due_ms) = 0;
  /// Subscriptions of a topic (by run), or of a run (by topic).
  virtual std::vector<stored_subscription> subscribers(std::string_view topic) = 0;
  virtual std::vector<stored_subscription> subscriptions(run_id id) = 0;
  /// Stores a message and one outbox row per subscription of `topic`, in
  /// one transaction.
  virtual publish_record publish(std::string_view topic, std::string_view payload) = 0;
  /// Outbox rows whose run is waiting at a listen for their context, by id,
  /// at most `limit`.
  virtual std::vector<stored_message> deliverable_messages(std::size_t limit) = 0;
  /// Every outbox row of a run, by id.
  virtual std::vector<stored_message> queued_messages(run_id id) = 0;
  /// Deletes an outbox row; false when it was not there.
  virtual bool remove_message(std::int64_t row) = 0;
  /// Stores a baton (replacing one with the same id).
  virtual void put_pending(const stored_pending& p) = 0;
  virtual std::optional<stored_pending> pending(std::string_view id) = 0;
  /// Deletes a baton; false when it was not there.
  virtual bool remove_pending(std::string_view id) = 0;

  // ---- claims and wake-ups (docs/durable.md "PostgreSQL") -----------------
  // Optional. The defaults are those of a store without them (sqlite_store):
  // between two processes the version check of commit() alone decides, and
  // a process sees other processes' work when it next looks.

  /// Whether this store claims runs: claim_run and claim_runnable lock a
  /// runnable run for the whole of its next step (until that step's
  /// commit, or release_claim), so that two workers never step the same
  /// run at the same time. The version check stays: a claim spares the
  /// losing worker its step, the check is what makes a second commit
  /// impossible.
  virtual bool claims() const noexcept { return false; }
  /// Claims run `id` for this connection's next step: true when it is
  /// runnable (status running) and no other connection holds it, or this
  /// one already does. The step's commit() ends the claim (also when it
  /// writes nothing), as does release_claim(). Without claims: true.
  virtual bool claim_run(run_id) { return true; }
  /// Claims the runnable run with the smallest id above `after` that no
  /// other connection holds (others are skipped, not waited for; one this
  /// connection holds counts); nullopt when there is none. Without claims:
  /// nullopt (use runnable()).
  virtual std::optional<run_id> claim_runnable(run_id) { return std::nullopt; }
  /// Ends this connection's claim without a step (nothing is written);
  /// nothing when it holds none.
  virtual void release_claim() noexcept {}
  /// Makes this process's registry workers of this store hear other
  /// connections' commits and publishes (timers added, messages that became
  /// deliverable), as they hear this process's own: registry_worker::start
  /// calls it. Without notifications: nothing.
  virtual void watch() {}
};

struct sqlite_options {
  /// Create the database file (and braid's tables) when missing; when
  /// false, a missing file is an error (what braid-runs uses, so that a
  /// mistyped path does not make an empty store).
  bool create = true;
  /// How long a writer waits for another process's transaction.
  int busy_timeout_ms = 30000;
};

/// The embedded default store: one SQLite database file, shared by every
/// process that opens it (WAL journal, synchronous=FULL: a committed step
/// survives a crash of the process and of the machine). One sqlite_store
/// object is one connection; it may be used from several threads (calls
/// are serialized), and every process opens its own.
///
/// Opening fails with error(store) when the path cannot be opened, is not
/// an SQLite database, is an SQLite database that is not a braid store
/// (it has tables, but not braid's: nothing is written to it), or was made
/// by a newer braid (schema version).
class sqlite_store final : public store {
 public:
  explicit sqlite_store(const std::string& path, sqlite_options options = {});
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  const std::string& path() const noexcept;

  run_id allocate_id() override;
  std::optional<stored_run> load(run_id id) override;
  std::optional<run_id> find_key(std::string_view key) override;
  bool has_event(run_id id, std::string_view event_id) override;
  commit_result commit(const step_record& r) override;
  bool mark_blocked(run_id id, std::uint64_t version, std::string_view why) override;
  std::vector<run_id> children(run_id id) override;
  std::map<std::string, std::string> index(run_id id) override;
  std::vector<output_record> outputs(run_id id, std::uint64_t after_seq) override;
  std::vector<event_record> events(run_id id) override;
  std::vector<run_id> find(const run_query& q) override;
  std::vector<run_id> runnable() override;
  std::string describe() const override;
  std::optional<std::int64_t> next_timer_due() override;
  std::vector<stored_timer> due_timers(std::int64_t now_ms, std::size_t limit) override;
  std::vector<stored_timer> timers(run_id id) override;
  bool remove_timer(std::int64_t timer) override;
  void delay_timer(std::int64_t timer, std::int64_t due_ms) override;
  std::vector<stored_subscription> subscribers(std::string_view topic) override;
  std::vector<stored_subscription> subscriptions(run_id id) override;
  publish_record publish(std::string_view topic, std::string_view payload) override;
  std::vector<stored_message> deliverable_messages(std::size_t limit) override;
  std::vector<stored_message> queued_messages(run_id id) override;
  bool remove_message(std::int64_t row) override;
  void put_pending(const stored_pending& p) override;
  std::optional<stored_pending> pending(std::string_view id) override;
  bool remove_pending(std::string_view id) override;

  struct impl;  // internal (sqlite_store.cpp)

 private:
  std::unique_ptr<impl> impl_;
};

namespace testing {
/// Called at each step_point of every step of this process (the crash
/// harness installs one that stops or kills the process there). Returns
/// the previous hook. Not for production use: one global hook.
using step_hook = void (*)(step_point, run_id);
step_hook set_step_hook(step_hook h) noexcept;
}  // namespace testing

namespace detail {
void call_step_hook(step_point p, run_id id) noexcept;
}

}  // namespace braid::durable
