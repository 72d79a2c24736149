// SPDX-License-Identifier: MIT
#pragma once

/// The PostgreSQL run store ([design.6], docs/durable.md "PostgreSQL"):
/// many worker processes, on many machines, share one database. Library
/// braid::durable_pg (it links libpq; braid::durable does not).
///
///     braid::durable::postgres_store store("host=/run/postgresql dbname=braid");
///     auto id = braid::durable::start_run(store, survey("ann"));
///     // a worker process:
///     braid::durable::postgres_store st("host=db.internal dbname=braid user=worker");
///     st.listen();                                  // before the first scan: no commit is missed
///     for (;;) {
///       braid::durable::resume_runs(st);            // claims each due run (FOR UPDATE SKIP LOCKED)
///       st.wait_for_work(std::chrono::minutes(1));  // woken by other connections' commits (NOTIFY)
///     }
///
/// Everything sqlite_store does, with the same semantics (the same
/// interface, the same errors, the same tables): each step's commit is one
/// transaction, checked against the version the step loaded. Beyond it:
/// - **claims**: claim_run / claim_runnable lock a runnable run's row
///   (`SELECT ... FOR UPDATE SKIP LOCKED`) in a transaction that stays open
///   for the whole step and ends with the step's commit; resume_runs uses
///   them, so two workers never step the same run at the same time (a
///   worker skips the runs others hold);
/// - **notifications**: a commit that makes a run runnable, adds a timer or
///   makes a message deliverable, and a publish that queued messages,
///   NOTIFY the store's channel ("braid:<schema>") with their commit;
///   wait_for_work waits for them, and registry workers are woken by them.
///
/// One postgres_store object is one connection (plus, once listen() or
/// watch() was called, a second one that only listens, read by a thread of
/// its own); calls are serialized, so it may be shared by threads. During a
/// claimed step the connection belongs to the claiming thread: other
/// threads' calls wait for the step's commit.

#include <braid/durable/store.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace braid::durable {

struct postgres_options {
  /// The schema braid's tables are in (created with them when missing).
  /// At most 57 bytes (the notification channel is "braid:<schema>").
  std::string schema = "public";
  /// Create braid's tables when the schema has none; when false, a schema
  /// without them is an error (what a tool that only inspects wants).
  bool create = true;
  /// libpq's connect_timeout (seconds), unless the connection string sets one.
  int connect_timeout_s = 10;
};

/// What other connections' commits made to do (wait_for_work).
struct work_notice {
  bool runnable = false;  ///< a run became due (children started, a parent woken, ...)
  bool timers = false;    ///< a timer was added
  bool messages = false;  ///< a message was queued or became deliverable
  explicit operator bool() const noexcept { return runnable || timers || messages; }
};

/// Opening fails with error(store) when the connection string does not
/// parse, the server cannot be reached or refuses the connection (the
/// message is libpq's, with what to check), the server is older than 9.5,
/// the schema has tables named like braid's but no braid_meta (nothing is
/// written to it), or braid_meta names another schema version than this
/// program's. Messages name the store by its connection string, password
/// masked ("the PostgreSQL run store 'host=db dbname=braid' (schema s)").
///
/// Strings braid stores as text (contexts, keys, event ids, index entries,
/// error messages) must be valid in the database's encoding and hold no NUL
/// byte: PostgreSQL refuses others, and the commit fails with error(store).
class postgres_store final : public store {
 public:
  explicit postgres_store(const std::string& conninfo, postgres_options options = {});
  /// Stops listening; a claim still held is rolled back.
  ~postgres_store() override;
  postgres_store(const postgres_store&) = delete;
  postgres_store& operator=(const postgres_store&) = delete;

  const std::string& schema() const noexcept;

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

  /// Claims (store::claims): a claim is a transaction of this connection,
  /// begun by `SELECT ... FOR UPDATE SKIP LOCKED` on the run's row and
  /// ended by the step's commit() (or release_claim, or mark_blocked of
  /// that run, which commits the mark). claim_runnable skips rows other
  /// transactions hold; claim_run (a run a commit of this process just made
  /// due) waits up to a second for a held row, since a commit in progress
  /// holds it only for a moment, and then leaves it to the worker stepping
  /// it (false). While a claim is held, other writes on
  /// this connection are refused with error(misuse) (they would become part
  /// of the step's transaction): use another postgres_store for them.
  bool claims() const noexcept override { return true; }
  bool claim_run(run_id id) override;
  std::optional<run_id> claim_runnable(run_id after) override;
  void release_claim() noexcept override;
  /// listen(): registry workers of this store are woken by other
  /// connections' timers and messages.
  void watch() override;

  /// Starts listening (LISTEN on a connection of its own, read by a thread
  /// of its own) for other connections' notifications; returns once the
  /// LISTEN is active, so that a scan made afterwards misses no commit.
  /// Idempotent. Throws error(store) when the connection fails.
  void listen();
  /// Waits up to `timeout` for another connection's commit or publish
  /// that made work (this connection's own are left out: the caller
  /// handles them in-process), and returns what it made; an empty notice
  /// on timeout or interrupt(). What arrived since the previous call is
  /// returned at once. When it has to start listening itself, it returns
  /// at once with every flag set (rescan: the LISTEN has just begun). A
  /// lost listening connection is re-established and also reported as a
  /// rescan. Meant for one waiting thread per store object.
  work_notice wait_for_work(std::chrono::milliseconds timeout);
  /// Makes a wait_for_work in progress (or the next one) return at once.
  void interrupt() noexcept;

  struct impl;  // internal (postgres_store.cpp)

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace braid::durable
