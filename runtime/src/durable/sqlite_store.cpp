// SPDX-License-Identifier: MIT
// The SQLite run store: one database file shared by every process that
// opens it. WAL journal and synchronous=FULL, so that a committed step
// survives a crash of the process or of the machine; each step is one
// BEGIN IMMEDIATE transaction that first checks the run's version (the
// optimistic check: see docs/durable.md "Two processes, one run").
// [design.6]
#include <braid/durable/store.hpp>

#include <sqlite3.h>

#include <sys/stat.h>

#include <chrono>
#include <mutex>
#include <unordered_map>

namespace braid::durable {

namespace {

constexpr int schema_version = 2;

// Every table is braid_-prefixed. A database that has tables but not
// braid_meta is refused (see open_store), so braid never writes into a
// database it did not make.
constexpr const char* schema_sql = R"sql(
CREATE TABLE braid_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE braid_counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE braid_runs (
  id INTEGER PRIMARY KEY,
  key TEXT UNIQUE,
  function TEXT NOT NULL,
  call BLOB NOT NULL,
  status TEXT NOT NULL,
  stack BLOB,
  waiting_for TEXT,
  waiting_child INTEGER,
  event_type TEXT,
  result BLOB,
  error TEXT,
  error_type TEXT,
  blocked TEXT,
  parent INTEGER REFERENCES braid_runs(id),
  version INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX braid_runs_parent ON braid_runs(parent);
CREATE INDEX braid_runs_status ON braid_runs(status);
CREATE TABLE braid_events (
  run INTEGER NOT NULL REFERENCES braid_runs(id),
  id TEXT NOT NULL,
  context TEXT NOT NULL,
  payload BLOB NOT NULL,
  step INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (run, id)
) WITHOUT ROWID;
CREATE TABLE braid_outputs (
  run INTEGER NOT NULL REFERENCES braid_runs(id),
  seq INTEGER NOT NULL,
  step INTEGER NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (run, seq)
) WITHOUT ROWID;
CREATE TABLE braid_index (
  run INTEGER NOT NULL REFERENCES braid_runs(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run, key)
) WITHOUT ROWID;
CREATE INDEX braid_index_kv ON braid_index(key, value);
INSERT INTO braid_meta VALUES ('schema', '1');
INSERT INTO braid_counter VALUES ('run', 0);
)sql";

// Schema 2 (issue 14): the registries. Applied on top of schema 1, to a
// new store and to a schema-1 store when it is opened (in one
// transaction). Timer ids are AUTOINCREMENT: "timer-<id>" names a timer's
// event, so an id must never come back after its timer was deleted.
constexpr const char* schema_2_sql = R"sql(
CREATE TABLE braid_timers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run INTEGER NOT NULL REFERENCES braid_runs(id),
  due_ms INTEGER NOT NULL,
  event_id TEXT,
  context TEXT NOT NULL,
  payload BLOB NOT NULL,
  step INTEGER NOT NULL
);
CREATE INDEX braid_timers_due ON braid_timers(due_ms, id);
CREATE INDEX braid_timers_run ON braid_timers(run);
CREATE TABLE braid_subscriptions (
  run INTEGER NOT NULL REFERENCES braid_runs(id),
  topic TEXT NOT NULL,
  context TEXT NOT NULL,
  PRIMARY KEY (run, topic)
) WITHOUT ROWID;
CREATE INDEX braid_subscriptions_topic ON braid_subscriptions(topic, run);
CREATE TABLE braid_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message INTEGER NOT NULL,
  run INTEGER NOT NULL REFERENCES braid_runs(id),
  topic TEXT NOT NULL,
  context TEXT NOT NULL,
  payload BLOB NOT NULL
);
CREATE INDEX braid_outbox_run ON braid_outbox(run, context);
CREATE TABLE braid_pending (
  id TEXT PRIMARY KEY,
  function TEXT NOT NULL,
  call BLOB NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO braid_counter VALUES ('message', 0);
UPDATE braid_meta SET value = '2' WHERE key = 'schema';
)sql";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct sqlite_store::impl {
  std::string path;
  sqlite3* db = nullptr;
  std::mutex m;  // one connection: calls are serialized
  std::unordered_map<std::string, sqlite3_stmt*> cache;

  ~impl() {
    for (auto& [sql, s] : cache) sqlite3_finalize(s);
    if (db) sqlite3_close(db);
  }

  std::string where() const { return "the run store '" + path + "'"; }

  [[noreturn]] void fail(const std::string& doing) const {
    const int rc = sqlite3_extended_errcode(db);
    std::string hint;
    if ((rc & 0xff) == SQLITE_BUSY)
      hint = " (another process held the database locked longer than the busy timeout)";
    else if ((rc & 0xff) == SQLITE_READONLY)
      hint = " (the file or its directory is not writable)";
    else if ((rc & 0xff) == SQLITE_FULL)
      hint = " (the disk is full)";
    else if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
      hint = " (the database file is damaged)";
    throw error(error_kind::store, "braid: " + where() + ": " + doing + " failed: " + sqlite3_errmsg(db) + hint);
  }

  /// A cached prepared statement, reset, bindings cleared.
  sqlite3_stmt* prepare(const std::string& sql) {
    auto it = cache.find(sql);
    if (it != cache.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) fail("preparing a statement");
    cache.emplace(sql, s);
    return s;
  }

  void exec(const char* sql, const char* doing) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      sqlite3_free(msg);
      fail(doing);
    }
  }
};

namespace {

/// A statement being bound and stepped.
class query {
 public:
  query(sqlite_store::impl& s, const std::string& sql, const char* doing) : s_(s), st_(s.prepare(sql)), doing_(doing) {}
  ~query() { sqlite3_reset(st_); }

  query& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(st_, i, v));
    return *this;
  }
  query& bind(int i, run_id v) { return bind(i, static_cast<std::int64_t>(v)); }
  query& bind_text(int i, std::string_view v) {
    check(sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  query& bind_blob(int i, std::string_view v) {
    check(sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  query& bind_null(int i) {
    check(sqlite3_bind_null(st_, i));
    return *this;
  }
  query& bind_text_or_null(int i, std::string_view v, bool null) { return null ? bind_null(i) : bind_text(i, v); }
  query& bind_blob_or_null(int i, std::string_view v) { return v.empty() ? bind_null(i) : bind_blob(i, v); }

  /// True while there is a row.
  bool step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    s_.fail(doing_);
  }
  void run() {
    while (step()) {
    }
  }

  std::int64_t integer(int c) const { return sqlite3_column_int64(st_, c); }
  bool is_null(int c) const { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
  std::string text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, c))) : std::string();
  }
  std::string blob(int c) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(st_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, c))) : std::string();
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) s_.fail(doing_);
  }
  sqlite_store::impl& s_;
  sqlite3_stmt* st_;
  const char* doing_;
};

/// BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy
/// timeout) or a deferred read transaction; rolled back unless committed.
class transaction {
 public:
  transaction(sqlite_store::impl& s, bool write) : s_(s) {
    s_.exec(write ? "BEGIN IMMEDIATE" : "BEGIN", "beginning a transaction");
  }
  ~transaction() {
    if (!done_) sqlite3_exec(s_.db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    s_.exec("COMMIT", "committing");
    done_ = true;
  }
  void rollback() {
    s_.exec("ROLLBACK", "rolling back");
    done_ = true;
  }

 private:
  sqlite_store::impl& s_;
  bool done_ = false;
};

}  // namespace

sqlite_store::sqlite_store(const std::string& path, sqlite_options options) : impl_(std::make_unique<impl>()) {
  impl& s = *impl_;
  s.path = path;
  struct stat sb;
  const bool exists = ::stat(path.c_str(), &sb) == 0;
  if (!exists && !options.create)
    throw error(error_kind::store, "braid: there is no run store at '" + path + "' (the file does not exist)");
  const int flags = SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &s.db, flags, nullptr) != SQLITE_OK) {
    const std::string msg = s.db ? sqlite3_errmsg(s.db) : "out of memory";
    throw error(error_kind::store, "braid: cannot open " + s.where() + ": " + msg +
                                       " (does its directory exist, and may this process write there?)");
  }
  sqlite3_extended_result_codes(s.db, 1);
  sqlite3_busy_timeout(s.db, options.busy_timeout_ms);

  // What is this file? Read before anything is written to it.
  std::vector<std::string> tables;
  {
    sqlite3_stmt* q = nullptr;
    int rc = sqlite3_prepare_v2(s.db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &q,
                                nullptr);
    if (rc == SQLITE_OK)
      while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
      const int code = sqlite3_extended_errcode(s.db) & 0xff;
      const std::string msg = sqlite3_errmsg(s.db);
      if (code == SQLITE_NOTADB)
        throw error(error_kind::store, "braid: cannot open " + s.where() + ": " + msg +
                                           " (it is not an SQLite database; point sqlite_store at a braid store or "
                                           "a new path; the file was not changed)");
      s.fail("reading the list of tables");
    }
  }
  bool fresh = tables.empty();
  bool ours = false;
  for (const auto& t : tables) ours = ours || t == "braid_meta";
  if (!fresh && !ours) {
    std::string list;
    for (const auto& t : tables) list += (list.empty() ? "" : ", ") + t;
    throw error(error_kind::store, "braid: cannot open " + s.where() +
                                       ": it is an SQLite database but not a braid run store (its tables: " + list +
                                       "); nothing was written to it: point sqlite_store at a braid store or a new path");
  }
  if (fresh && !options.create)
    throw error(error_kind::store, "braid: " + s.where() + " is an empty database, not a braid run store");
  bool upgrade = false;
  if (ours) {
    query q(s, "SELECT value FROM braid_meta WHERE key = 'schema'", "reading the schema version");
    const std::string v = q.step() ? q.text(0) : std::string();
    upgrade = v == "1";
    if (!upgrade && v != std::to_string(schema_version))
      throw error(error_kind::store, "braid: " + s.where() + " has braid schema version '" + v +
                                         "', and this program knows version " + std::to_string(schema_version) +
                                         " (a newer braid made it?); nothing was written to it");
  }

  // WAL: readers never block the writer, and a commit is one append to
  // the log; synchronous=FULL: the log is synced at every commit, so a
  // committed step survives a power loss.
  {
    query q(s, "PRAGMA journal_mode = WAL", "switching to the WAL journal");
    if (!q.step() || q.text(0) != "wal")
      throw error(error_kind::store, "braid: " + s.where() +
                                         " cannot use a write-ahead log (journal_mode=WAL was refused; is it on a "
                                         "network file system?)");
  }
  s.exec("PRAGMA synchronous = FULL", "setting synchronous=FULL");
  s.exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
  if (fresh) {
    transaction t(s, true);
    // Another process may have created the schema meanwhile.
    query q(s, "SELECT count(*) FROM sqlite_master WHERE name = 'braid_meta'", "checking the schema");
    const bool made = q.step() && q.integer(0) > 0;
    if (!made) {
      s.exec(schema_sql, "creating braid's tables");
      s.exec(schema_2_sql, "creating braid's registry tables");
    }
    t.commit();
  } else if (upgrade) {
    // A schema-1 store (before the registries): add their tables, unless
    // another process just did.
    transaction t(s, true);
    query q(s, "SELECT value FROM braid_meta WHERE key = 'schema'", "reading the schema version");
    const bool still = q.step() && q.text(0) == "1";
    q.run();
    if (still) s.exec(schema_2_sql, "upgrading the store to schema 2 (adding the registry tables)");
    t.commit();
  }
}

sqlite_store::~sqlite_store() = default;

const std::string& sqlite_store::path() const noexcept { return impl_->path; }

std::string sqlite_store::describe() const { return impl_->where(); }

run_id sqlite_store::allocate_id() {
  std::lock_guard<std::mutex> g(impl_->m);
  impl& s = *impl_;
  transaction t(s, true);
  query q(s, "UPDATE braid_counter SET value = value + 1 WHERE name = 'run' RETURNING value", "allocating a run id");
  if (!q.step()) throw error(error_kind::store, "braid: " + s.where() + " has no run counter (a damaged store)");
  const std::int64_t id = q.integer(0);
  q.run();
  t.commit();
  return run_id(id);
}

namespace {
constexpr const char* run_columns =
    "id, key, function, call, status, stack, waiting_for, waiting_child, event_type, result, error, error_type, "
    "blocked, parent, version, created_ms, updated_ms";

stored_run read_run(query& q, const std::string& where) {
  stored_run r;
  r.id = run_id(q.integer(0));
  r.key = q.text(1);
  r.function = q.text(2);
  r.call = q.blob(3);
  const std::string status = q.text(4);
  const auto st = parse_run_status(status);
  if (!st || *st == run_status::blocked_by_version)
    throw error(error_kind::corrupt, "braid: run " + to_string(r.id) + " in " + where + " has the status '" + status +
                                         "', which is not a stored run status (a corrupt row: the run was left as "
                                         "it was)");
  r.status = *st;
  r.stack = q.blob(5);
  r.waiting_for = q.text(6);
  if (!q.is_null(7)) r.waiting_child = run_id(q.integer(7));
  r.event_type = q.text(8);
  r.result = q.blob(9);
  r.error = q.text(10);
  r.error_type = q.text(11);
  r.blocked = q.text(12);
  if (!q.is_null(13)) r.parent = run_id(q.integer(13));
  r.version = static_cast<std::uint64_t>(q.integer(14));
  r.created_ms = q.integer(15);
  r.updated_ms = q.integer(16);
  return r;
}
}  // namespace

std::optional<stored_run> sqlite_store::load(run_id id) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, std::string("SELECT ") + run_columns + " FROM braid_runs WHERE id = ?1", "loading a run");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_run(q, impl_->where());
}

std::optional<run_id> sqlite_store::find_key(std::string_view key) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT id FROM braid_runs WHERE key = ?1", "finding a run by key");
  q.bind_text(1, key);
  if (!q.step()) return std::nullopt;
  return run_id(q.integer(0));
}

bool sqlite_store::has_event(run_id id, std::string_view event_id) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT 1 FROM braid_events WHERE run = ?1 AND id = ?2", "looking up an event");
  q.bind(1, id).bind_text(2, event_id);
  return q.step();
}

commit_result sqlite_store::commit(const step_record& r) {
  std::lock_guard<std::mutex> g(impl_->m);
  impl& s = *impl_;
  commit_result out;
  const std::int64_t now = now_ms();
  transaction t(s, true);
  std::uint64_t version = 1;
  if (r.create) {
    if (!r.key.empty()) {
      query k(s, "SELECT id FROM braid_runs WHERE key = ?1", "finding a run by key");
      k.bind_text(1, r.key);
      if (k.step()) {
        out.status = commit_status::duplicate_key;
        out.existing = run_id(k.integer(0));
        return out;  // rolled back
      }
    }
  } else {
    query v(s, "SELECT version FROM braid_runs WHERE id = ?1", "reading a run's version");
    v.bind(1, r.id);
    if (!v.step())
      throw error(error_kind::unknown_run, "braid: no run " + to_string(r.id) + " in " + s.where() +
                                               " (it was there when the step started)");
    const auto stored = static_cast<std::uint64_t>(v.integer(0));
    if (r.delivered) {
      query e(s, "SELECT 1 FROM braid_events WHERE run = ?1 AND id = ?2", "looking up an event");
      e.bind(1, r.id).bind_text(2, r.delivered->id);
      if (e.step()) {
        out.status = commit_status::duplicate_event;
        return out;
      }
    }
    if (stored != r.expected_version) {
      out.status = commit_status::conflict;
      return out;
    }
    version = stored + 1;
  }

  const bool at_listen = r.status == run_status::waiting && !r.waiting_child;
  const std::string status(to_string(r.status));
  if (r.create) {
    query q(s,
            "INSERT INTO braid_runs (id, key, function, call, status, stack, waiting_for, waiting_child, event_type, "
            "result, error, error_type, blocked, parent, version, created_ms, updated_ms) VALUES "
            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, NULL, ?13, 1, ?14, ?14)",
            "storing a new run");
    q.bind(1, r.id).bind_text_or_null(2, r.key, r.key.empty()).bind_text(3, r.function).bind_blob(4, r.call);
    q.bind_text(5, status).bind_blob_or_null(6, r.stack).bind_text_or_null(7, r.waiting_for, !at_listen);
    if (r.waiting_child)
      q.bind(8, *r.waiting_child);
    else
      q.bind_null(8);
    q.bind_text_or_null(9, r.event_type, r.event_type.empty()).bind_blob_or_null(10, r.result);
    q.bind_text_or_null(11, r.error, r.error.empty()).bind_text_or_null(12, r.error_type, r.error_type.empty());
    if (r.parent)
      q.bind(13, *r.parent);
    else
      q.bind_null(13);
    q.bind(14, now);
    q.run();
  } else {
    query q(s,
            "UPDATE braid_runs SET status = ?2, stack = ?3, waiting_for = ?4, waiting_child = ?5, event_type = ?6, "
            "result = ?7, error = ?8, error_type = ?9, blocked = NULL, version = ?10, updated_ms = ?11 WHERE id = ?1",
            "storing a step");
    q.bind(1, r.id).bind_text(2, status).bind_blob_or_null(3, r.stack).bind_text_or_null(4, r.waiting_for, !at_listen);
    if (r.waiting_child)
      q.bind(5, *r.waiting_child);
    else
      q.bind_null(5);
    q.bind_text_or_null(6, r.event_type, r.event_type.empty()).bind_blob_or_null(7, r.result);
    q.bind_text_or_null(8, r.error, r.error.empty()).bind_text_or_null(9, r.error_type, r.error_type.empty());
    q.bind(10, static_cast<std::int64_t>(version)).bind(11, now);
    q.run();
  }

  if (r.delivered) {
    query q(s, "INSERT INTO braid_events (run, id, context, payload, step, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            "recording the event");
    q.bind(1, r.id).bind_text(2, r.delivered->id).bind_text(3, r.delivered->context);
    q.bind_blob(4, r.delivered->payload).bind(5, static_cast<std::int64_t>(version)).bind(6, now);
    q.run();
  }
  if (!r.outputs.empty()) {
    std::int64_t seq = 0;
    {
      query q(s, "SELECT COALESCE(MAX(seq), 0) FROM braid_outputs WHERE run = ?1", "numbering outputs");
      q.bind(1, r.id);
      if (q.step()) seq = q.integer(0);
    }
    for (const auto& o : r.outputs) {
      query q(s, "INSERT INTO braid_outputs (run, seq, step, value) VALUES (?1, ?2, ?3, ?4)", "storing an output");
      q.bind(1, r.id).bind(2, ++seq).bind(3, static_cast<std::int64_t>(version)).bind_blob(4, o);
      q.run();
    }
  }
  for (const auto& [k, v] : r.index) {
    if (v) {
      query q(s,
              "INSERT INTO braid_index (run, key, value) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value",
              "setting an index entry");
      q.bind(1, r.id).bind_text(2, k).bind_text(3, *v);
      q.run();
    } else {
      query q(s, "DELETE FROM braid_index WHERE run = ?1 AND key = ?2", "clearing an index entry");
      q.bind(1, r.id).bind_text(2, k);
      q.run();
    }
  }
  for (const auto& c : r.children) {
    query q(s,
            "INSERT INTO braid_runs (id, key, function, call, status, parent, version, created_ms, updated_ms) "
            "VALUES (?1, NULL, ?2, ?3, 'running', ?4, 0, ?5, ?5)",
            "storing a child run");
    q.bind(1, c.id).bind_text(2, c.function).bind_blob(3, c.call).bind(4, r.id).bind(5, now);
    q.run();
    out.runnable.push_back(c.id);
  }
  if (has_ended(r.status)) {
    // The parent waits for this run: it is due now (deflow's pop of the
    // child's frame, as a step of the parent's own).
    query q(s,
            "UPDATE braid_runs SET status = 'running', version = version + 1, updated_ms = ?2 "
            "WHERE id = (SELECT parent FROM braid_runs WHERE id = ?1) AND status = 'waiting' AND waiting_child = ?1 "
            "RETURNING id",
            "waking the parent run");
    q.bind(1, r.id).bind(2, now);
    while (q.step()) out.runnable.push_back(run_id(q.integer(0)));
  }
  if (r.status == run_status::waiting && r.waiting_child) {
    // The child may have ended while this step ran (in another process):
    // its end found this run not yet waiting, so this run is due at once.
    query q(s, "SELECT status FROM braid_runs WHERE id = ?1", "reading the child run's status");
    q.bind(1, *r.waiting_child);
    bool ended = false;
    if (q.step()) {
      const auto cs = parse_run_status(q.text(0));
      ended = cs && has_ended(*cs);
    }
    if (ended) {
      query u(s, "UPDATE braid_runs SET status = 'running' WHERE id = ?1", "marking the run due");
      u.bind(1, r.id);
      u.run();
      out.runnable.push_back(r.id);
    }
  }
  if (has_ended(r.status)) {
    // The run is over: its timers are cancelled, its subscriptions and
    // the messages queued for it go (docs/durable.md "Timers", "Topics").
    for (const char* sql : {"DELETE FROM braid_timers WHERE run = ?1", "DELETE FROM braid_subscriptions WHERE run = ?1",
                            "DELETE FROM braid_outbox WHERE run = ?1"}) {
      query q(s, sql, "removing the registries of an ended run");
      q.bind(1, r.id);
      q.run();
    }
  } else {
    for (const auto& id : r.timer_cancels) {
      query q(s,
              "DELETE FROM braid_timers WHERE run = ?1 AND (event_id = ?2 OR (event_id IS NULL AND "
              "'timer-' || id = ?2))",
              "cancelling a timer");
      q.bind(1, r.id).bind_text(2, id);
      q.run();
    }
    for (const auto& tr : r.timers) {
      query q(s,
              "INSERT INTO braid_timers (run, due_ms, event_id, context, payload, step) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
              "storing a timer");
      q.bind(1, r.id).bind(2, tr.due_ms).bind_text_or_null(3, tr.ev.id, tr.ev.id.empty()).bind_text(4, tr.ev.context);
      q.bind_blob(5, tr.ev.payload).bind(6, static_cast<std::int64_t>(version));
      q.run();
      out.timers_added = true;
    }
    for (const auto& c : r.subscriptions) {
      if (c.context) {
        query q(s,
                "INSERT INTO braid_subscriptions (run, topic, context) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (run, topic) DO UPDATE SET context = excluded.context",
                "subscribing");
        q.bind(1, r.id).bind_text(2, c.topic).bind_text(3, *c.context);
        q.run();
      } else if (!c.topic.empty()) {
        query q(s, "DELETE FROM braid_subscriptions WHERE run = ?1 AND topic = ?2", "unsubscribing");
        q.bind(1, r.id).bind_text(2, c.topic);
        q.run();
      } else {
        query q(s, "DELETE FROM braid_subscriptions WHERE run = ?1", "unsubscribing from every topic");
        q.bind(1, r.id);
        q.run();
      }
    }
    if (at_listen) {
      // Not the message this very step consumed (its row goes after the
      // commit, when the deliverer learns the outcome).
      query q(s,
              "SELECT 1 FROM braid_outbox WHERE run = ?1 AND context = ?2 AND "
              "('topic:' || topic || '#' || message) IS NOT ?3 LIMIT 1",
              "looking for queued messages");
      q.bind(1, r.id).bind_text(2, r.waiting_for).bind_text_or_null(3, r.delivered ? r.delivered->id : "", !r.delivered);
      out.deliverable = q.step();
    }
  }
  detail::call_step_hook(step_point::in_transaction, r.id);
  t.commit();
  return out;
}

bool sqlite_store::mark_blocked(run_id id, std::uint64_t version, std::string_view why) {
  std::lock_guard<std::mutex> g(impl_->m);
  impl& s = *impl_;
  transaction t(s, true);
  query q(s, "UPDATE braid_runs SET blocked = ?3, updated_ms = ?4 WHERE id = ?1 AND version = ?2",
          "marking a run blocked-by-version");
  q.bind(1, id).bind(2, static_cast<std::int64_t>(version)).bind_text(3, why).bind(4, now_ms());
  q.run();
  const bool changed = sqlite3_changes(s.db) > 0;
  t.commit();
  return changed;
}

std::vector<run_id> sqlite_store::children(run_id id) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT id FROM braid_runs WHERE parent = ?1 ORDER BY id", "listing child runs");
  q.bind(1, id);
  std::vector<run_id> out;
  while (q.step()) out.push_back(run_id(q.integer(0)));
  return out;
}

std::map<std::string, std::string> sqlite_store::index(run_id id) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT key, value FROM braid_index WHERE run = ?1 ORDER BY key", "reading index entries");
  q.bind(1, id);
  std::map<std::string, std::string> out;
  while (q.step()) out.emplace(q.text(0), q.text(1));
  return out;
}

std::vector<output_record> sqlite_store::outputs(run_id id, std::uint64_t after_seq) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT seq, step, value FROM braid_outputs WHERE run = ?1 AND seq > ?2 ORDER BY seq",
          "reading outputs");
  q.bind(1, id).bind(2, static_cast<std::int64_t>(after_seq));
  std::vector<output_record> out;
  while (q.step())
    out.push_back({static_cast<std::uint64_t>(q.integer(0)), static_cast<std::uint64_t>(q.integer(1)), q.blob(2)});
  return out;
}

std::vector<event_record> sqlite_store::events(run_id id) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT id, context, payload, step FROM braid_events WHERE run = ?1 ORDER BY step",
          "reading events");
  q.bind(1, id);
  std::vector<event_record> out;
  while (q.step()) out.push_back({q.text(0), q.text(1), q.blob(2), static_cast<std::uint64_t>(q.integer(3))});
  return out;
}

std::vector<run_id> sqlite_store::find(const run_query& rq) {
  std::lock_guard<std::mutex> g(impl_->m);
  std::string sql = "SELECT id FROM braid_runs WHERE 1";
  int n = 0;
  if (rq.status) {
    if (*rq.status == run_status::blocked_by_version)
      sql += " AND blocked IS NOT NULL";
    else
      sql += " AND status = ?" + std::to_string(++n) + " AND blocked IS NULL";
  }
  if (!rq.function.empty()) sql += " AND function = ?" + std::to_string(++n);
  if (rq.parent) sql += " AND parent = ?" + std::to_string(++n);
  if (!rq.waiting_for.empty()) sql += " AND waiting_for = ?" + std::to_string(++n);
  for (std::size_t i = 0; i < rq.index.size(); ++i) {
    sql += " AND id IN (SELECT run FROM braid_index WHERE key = ?" + std::to_string(n + 1) + " AND value = ?" +
           std::to_string(n + 2) + ")";
    n += 2;
  }
  sql += " ORDER BY id";
  if (rq.limit) sql += " LIMIT " + std::to_string(rq.limit);
  query q(*impl_, sql, "finding runs");
  int i = 0;
  if (rq.status && *rq.status != run_status::blocked_by_version) q.bind_text(++i, to_string(*rq.status));
  if (!rq.function.empty()) q.bind_text(++i, rq.function);
  if (rq.parent) q.bind(++i, *rq.parent);
  if (!rq.waiting_for.empty()) q.bind_text(++i, rq.waiting_for);
  for (const auto& [k, v] : rq.index) {
    q.bind_text(++i, k);
    q.bind_text(++i, v);
  }
  std::vector<run_id> out;
  while (q.step()) out.push_back(run_id(q.integer(0)));
  return out;
}

std::vector<run_id> sqlite_store::runnable() {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT id FROM braid_runs WHERE status = 'running' ORDER BY id", "listing due runs");
  std::vector<run_id> out;
  while (q.step()) out.push_back(run_id(q.integer(0)));
  return out;
}

// ---- registries ------------------------------------------------------------

namespace {
constexpr const char* timer_columns = "id, run, due_ms, COALESCE(event_id, 'timer-' || id), context, payload, step";

stored_timer read_timer(query& q) {
  stored_timer t;
  t.id = q.integer(0);
  t.run = run_id(q.integer(1));
  t.due_ms = q.integer(2);
  t.ev.id = q.text(3);
  t.ev.context = q.text(4);
  t.ev.payload = q.blob(5);
  t.step = static_cast<std::uint64_t>(q.integer(6));
  return t;
}

constexpr const char* message_columns = "o.id, o.message, o.run, o.topic, o.context, o.payload";

stored_message read_message(query& q) {
  stored_message m;
  m.id = q.integer(0);
  m.message = q.integer(1);
  m.run = run_id(q.integer(2));
  m.topic = q.text(3);
  m.ev.id = "topic:" + m.topic + "#" + std::to_string(m.message);
  m.ev.context = q.text(4);
  m.ev.payload = q.blob(5);
  return m;
}
}  // namespace

std::optional<std::int64_t> sqlite_store::next_timer_due() {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT MIN(due_ms) FROM braid_timers", "finding the next timer");
  if (!q.step() || q.is_null(0)) return std::nullopt;
  return q.integer(0);
}

std::vector<stored_timer> sqlite_store::due_timers(std::int64_t now, std::size_t limit) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, std::string("SELECT ") + timer_columns +
                      " FROM braid_timers WHERE due_ms <= ?1 ORDER BY due_ms, id LIMIT ?2",
          "finding due timers");
  q.bind(1, now).bind(2, static_cast<std::int64_t>(limit));
  std::vector<stored_timer> out;
  while (q.step()) out.push_back(read_timer(q));
  return out;
}

std::vector<stored_timer> sqlite_store::timers(run_id id) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, std::string("SELECT ") + timer_columns + " FROM braid_timers WHERE run = ?1 ORDER BY due_ms, id",
          "listing a run's timers");
  q.bind(1, id);
  std::vector<stored_timer> out;
  while (q.step()) out.push_back(read_timer(q));
  return out;
}

bool sqlite_store::remove_timer(std::int64_t timer) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "DELETE FROM braid_timers WHERE id = ?1", "removing a timer");
  q.bind(1, timer);
  q.run();
  return sqlite3_changes(impl_->db) > 0;
}

void sqlite_store::delay_timer(std::int64_t timer, std::int64_t due) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "UPDATE braid_timers SET due_ms = ?2 WHERE id = ?1", "delaying a timer");
  q.bind(1, timer).bind(2, due);
  q.run();
}

std::vector<stored_subscription> sqlite_store::subscribers(std::string_view topic) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT run, topic, context FROM braid_subscriptions WHERE topic = ?1 ORDER BY run",
          "listing a topic's subscribers");
  q.bind_text(1, topic);
  std::vector<stored_subscription> out;
  while (q.step()) out.push_back({run_id(q.integer(0)), q.text(1), q.text(2)});
  return out;
}

std::vector<stored_subscription> sqlite_store::subscriptions(run_id id) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT run, topic, context FROM braid_subscriptions WHERE run = ?1 ORDER BY topic",
          "listing a run's subscriptions");
  q.bind(1, id);
  std::vector<stored_subscription> out;
  while (q.step()) out.push_back({run_id(q.integer(0)), q.text(1), q.text(2)});
  return out;
}

publish_record sqlite_store::publish(std::string_view topic, std::string_view payload) {
  std::lock_guard<std::mutex> g(impl_->m);
  impl& s = *impl_;
  transaction t(s, true);
  publish_record out;
  {
    query q(s, "UPDATE braid_counter SET value = value + 1 WHERE name = 'message' RETURNING value",
            "numbering a message");
    if (!q.step()) throw error(error_kind::store, "braid: " + s.where() + " has no message counter (a damaged store)");
    out.message = q.integer(0);
    q.run();
  }
  {
    query q(s,
            "INSERT INTO braid_outbox (message, run, topic, context, payload) "
            "SELECT ?1, run, topic, context, ?3 FROM braid_subscriptions WHERE topic = ?2 ORDER BY run",
            "queueing a message for its subscribers");
    q.bind(1, out.message).bind_text(2, topic).bind_blob(3, payload);
    q.run();
    out.targeted = static_cast<std::size_t>(sqlite3_changes(s.db));
  }
  t.commit();
  return out;
}

std::vector<stored_message> sqlite_store::deliverable_messages(std::size_t limit) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, std::string("SELECT ") + message_columns +
                      " FROM braid_outbox o JOIN braid_runs r ON r.id = o.run WHERE r.status = 'waiting' AND "
                      "r.waiting_child IS NULL AND r.waiting_for = o.context ORDER BY o.id LIMIT ?1",
          "finding deliverable messages");
  q.bind(1, static_cast<std::int64_t>(limit));
  std::vector<stored_message> out;
  while (q.step()) out.push_back(read_message(q));
  return out;
}

std::vector<stored_message> sqlite_store::queued_messages(run_id id) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, std::string("SELECT ") + message_columns + " FROM braid_outbox o WHERE o.run = ?1 ORDER BY o.id",
          "listing a run's queued messages");
  q.bind(1, id);
  std::vector<stored_message> out;
  while (q.step()) out.push_back(read_message(q));
  return out;
}

bool sqlite_store::remove_message(std::int64_t row) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "DELETE FROM braid_outbox WHERE id = ?1", "removing a delivered message");
  q.bind(1, row);
  q.run();
  return sqlite3_changes(impl_->db) > 0;
}

void sqlite_store::put_pending(const stored_pending& p) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_,
          "INSERT INTO braid_pending (id, function, call, created_ms) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (id) DO UPDATE SET function = excluded.function, call = excluded.call, "
          "created_ms = excluded.created_ms",
          "storing a pending flow");
  q.bind_text(1, p.id).bind_text(2, p.function).bind_blob(3, p.call).bind(4, p.created_ms ? p.created_ms : now_ms());
  q.run();
}

std::optional<stored_pending> sqlite_store::pending(std::string_view id) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "SELECT id, function, call, created_ms FROM braid_pending WHERE id = ?1", "reading a pending flow");
  q.bind_text(1, id);
  if (!q.step()) return std::nullopt;
  return stored_pending{q.text(0), q.text(1), q.blob(2), q.integer(3)};
}

bool sqlite_store::remove_pending(std::string_view id) {
  std::lock_guard<std::mutex> g(impl_->m);
  query q(*impl_, "DELETE FROM braid_pending WHERE id = ?1", "removing a pending flow");
  q.bind_text(1, id);
  q.run();
  return sqlite3_changes(impl_->db) > 0;
}

}  // namespace braid::durable
