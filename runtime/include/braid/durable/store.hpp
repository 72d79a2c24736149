// SPDX-License-Identifier: MIT
#pragma once

/// Where durable runs live ([design.6], docs/durable.md "The store").
///
/// Users construct a store and pass it to the run functions
/// (<braid/durable/runs.hpp>); they never call its members. The members are
/// the interface a backend implements (sqlite_store here; PostgreSQL next):
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
