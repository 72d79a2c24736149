// SPDX-License-Identifier: MIT
// The PostgreSQL run store (libpq): the tables of the SQLite store, with
// the same semantics, for many worker processes sharing one database.
// Each step's commit is one transaction that locks the run's row, checks
// its version (the optimistic check: docs/durable.md "Two processes, one
// run") and writes everything the step did; claims keep that row locked
// for the whole step (SELECT ... FOR UPDATE SKIP LOCKED), and commits that
// make work NOTIFY the store's channel. docs/durable.md "PostgreSQL".
// [design.6]
#include <braid/durable/postgres_store.hpp>
#include <braid/durable/registries.hpp>

#include <libpq-fe.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace braid::durable {

namespace {

constexpr int schema_version = 2;

// Type oids of the parameters (catalog/pg_type_d.h; fixed since 7.x).
constexpr Oid bool_oid = 16, bytea_oid = 17, int8_oid = 20, int2_oid = 21, int4_oid = 23, text_oid = 25;

// The tables of sqlite_store.cpp, in PostgreSQL's types, created in the
// store's schema (the session's search_path). Run and message numbers come
// from sequences instead of braid_counter (no row every step would lock);
// ids are never reused either way. braid_runs_due is what claims scan.
constexpr const char* schema_sql = R"sql(
CREATE TABLE braid_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE SEQUENCE braid_run_ids;
CREATE SEQUENCE braid_message_ids;
CREATE TABLE braid_runs (
  id bigint PRIMARY KEY,
  key text UNIQUE,
  function text NOT NULL,
  call bytea NOT NULL,
  status text NOT NULL,
  stack bytea,
  waiting_for text,
  waiting_child bigint,
  event_type text,
  result bytea,
  error text,
  error_type text,
  blocked text,
  parent bigint REFERENCES braid_runs(id),
  version bigint NOT NULL,
  created_ms bigint NOT NULL,
  updated_ms bigint NOT NULL
);
CREATE INDEX braid_runs_parent ON braid_runs(parent);
CREATE INDEX braid_runs_status ON braid_runs(status);
CREATE INDEX braid_runs_due ON braid_runs(id) WHERE status = 'running';
CREATE TABLE braid_events (
  run bigint NOT NULL REFERENCES braid_runs(id),
  id text NOT NULL,
  context text NOT NULL,
  payload bytea NOT NULL,
  step bigint NOT NULL,
  at_ms bigint NOT NULL,
  PRIMARY KEY (run, id)
);
CREATE TABLE braid_outputs (
  run bigint NOT NULL REFERENCES braid_runs(id),
  seq bigint NOT NULL,
  step bigint NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (run, seq)
);
CREATE TABLE braid_index (
  run bigint NOT NULL REFERENCES braid_runs(id),
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (run, key)
);
CREATE INDEX braid_index_kv ON braid_index(key, value);
CREATE TABLE braid_timers (
  id bigserial PRIMARY KEY,
  run bigint NOT NULL REFERENCES braid_runs(id),
  due_ms bigint NOT NULL,
  event_id text,
  context text NOT NULL,
  payload bytea NOT NULL,
  step bigint NOT NULL
);
CREATE INDEX braid_timers_due ON braid_timers(due_ms, id);
CREATE INDEX braid_timers_run ON braid_timers(run);
CREATE TABLE braid_subscriptions (
  run bigint NOT NULL REFERENCES braid_runs(id),
  topic text NOT NULL,
  context text NOT NULL,
  PRIMARY KEY (run, topic)
);
CREATE INDEX braid_subscriptions_topic ON braid_subscriptions(topic, run);
CREATE TABLE braid_outbox (
  id bigserial PRIMARY KEY,
  message bigint NOT NULL,
  run bigint NOT NULL REFERENCES braid_runs(id),
  topic text NOT NULL,
  context text NOT NULL,
  payload bytea NOT NULL
);
CREATE INDEX braid_outbox_run ON braid_outbox(run, context);
CREATE TABLE braid_pending (
  id text PRIMARY KEY,
  function text NOT NULL,
  call bytea NOT NULL,
  created_ms bigint NOT NULL
);
INSERT INTO braid_meta VALUES ('schema', '2'), ('backend', 'postgresql');
)sql";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// libpq's messages end in a newline and continue on tab-indented lines.
std::string one_line(const char* msg) {
  std::string out;
  bool space = false;
  for (const char* p = msg ? msg : ""; *p; ++p) {
    if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += *p;
  }
  return out;
}

std::string quote_ident(std::string_view s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// A connection string that did not parse is shown as given, unless it
/// may hold a password (a password keyword, or a URI's user:password@).
bool may_hold_password(std::string_view s) {
  std::string l(s);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l.find("password") != std::string::npos) return true;
  const auto scheme = l.find("://");
  if (scheme == std::string::npos) return false;
  const auto at = l.find('@', scheme);
  return at != std::string::npos && l.find(':', scheme + 3) < at;
}

/// Binary parameters of one statement.
class params {
 public:
  params& i64(std::int64_t v) {
    std::string b(8, '\0');
    const auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((u >> (56 - 8 * i)) & 0xff);
    return add(int8_oid, std::move(b), false);
  }
  params& id(run_id v) { return i64(static_cast<std::int64_t>(v)); }
  params& id_or_null(const std::optional<run_id>& v) { return v ? id(*v) : add(int8_oid, {}, true); }
  params& text(std::string_view v) { return add(text_oid, std::string(v), false); }
  params& text_or_null(std::string_view v, bool null) { return add(text_oid, std::string(v), null); }
  params& bytes(std::string_view v) { return add(bytea_oid, std::string(v), false); }
  params& bytes_or_null(std::string_view v) { return add(bytea_oid, std::string(v), v.empty()); }

  int size() const { return static_cast<int>(values_.size()); }
  const std::vector<std::string>& values() const { return values_; }
  const std::vector<Oid>& types() const { return types_; }
  const std::vector<char>& nulls() const { return nulls_; }

 private:
  params& add(Oid t, std::string v, bool null) {
    types_.push_back(t);
    values_.push_back(std::move(v));
    nulls_.push_back(null ? 1 : 0);
    return *this;
  }
  std::vector<std::string> values_;
  std::vector<Oid> types_;
  std::vector<char> nulls_;
};

/// A statement's rows, in binary format.
class result {
 public:
  explicit result(PGresult* r) : r_(r) {}
  ~result() {
    if (r_) PQclear(r_);
  }
  result(result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  result(const result&) = delete;
  result& operator=(const result&) = delete;
  result& operator=(result&&) = delete;

  int rows() const { return PQntuples(r_); }
  bool is_null(int row, int c) const { return PQgetisnull(r_, row, c) != 0; }
  std::int64_t integer(int row, int c) const {
    if (is_null(row, c)) return 0;
    const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, c));
    int n = 0;
    switch (PQftype(r_, c)) {
      case int8_oid: n = 8; break;
      case int4_oid: n = 4; break;
      case int2_oid: n = 2; break;
      case bool_oid: return p[0] != 0;
      default: return std::strtoll(PQgetvalue(r_, row, c), nullptr, 10);
    }
    std::uint64_t u = (p[0] & 0x80) ? ~std::uint64_t{0} : 0;  // sign-extended
    for (int i = 0; i < n; ++i) u = (u << 8) | p[i];
    return static_cast<std::int64_t>(u);
  }
  std::string text(int row, int c) const {
    return std::string(PQgetvalue(r_, row, c), static_cast<std::size_t>(PQgetlength(r_, row, c)));
  }
  std::string bytes(int row, int c) const { return text(row, c); }
  /// Rows an INSERT, UPDATE or DELETE changed.
  std::size_t affected() const { return static_cast<std::size_t>(std::strtoull(PQcmdTuples(r_), nullptr, 10)); }

 private:
  PGresult* r_;
};

void ignore_notice(void*, const char*) {}

}  // namespace

struct postgres_store::impl {
  postgres_store* owner = nullptr;
  std::string shown;   // the connection string as messages show it (password masked)
  std::string schema;
  std::string channel;  // "braid:<schema>"
  std::vector<std::string> keywords, values;  // PQconnectdbParams (expand_dbname)

  PGconn* conn = nullptr;
  // One connection: calls are serialized. Recursive: a claim holds one
  // level for the whole step, and the step's own calls (load, the
  // engine's allocate_id and child loads, the commit) come from the same
  // thread; other threads wait for the claim to end.
  std::recursive_mutex m;
  std::optional<run_id> claimed;  // under m
  std::thread::id claim_owner;
  std::atomic<int> own_pid{0};  // the backend of `conn`: its notifications are left out

  // Listening (listen()): a second connection and the thread reading it.
  std::mutex lm;
  bool listening = false;
  PGconn* lconn = nullptr;
  int wake_fd = -1;
  std::atomic<bool> stopping{false};
  std::thread listener;
  std::mutex nm;
  std::condition_variable ncv;
  work_notice pending;  // under nm
  bool interrupted = false;

  ~impl() {
    if (listening) {
      stopping = true;
      const std::uint64_t one = 1;
      if (::write(wake_fd, &one, sizeof one) < 0) {
        // The thread then still sees `stopping` at its next wake-up.
      }
      if (listener.joinable()) listener.join();
      if (lconn) PQfinish(lconn);
      ::close(wake_fd);
    }
    if (claimed && claim_owner == std::this_thread::get_id()) m.unlock();  // the claim's level; the server rolls it back
    if (conn) PQfinish(conn);
  }

  std::string where() const {
    return "the PostgreSQL run store '" + shown + "'" + (schema == "public" ? "" : " (schema " + schema + ")");
  }

  PGconn* connect() {
    std::vector<const char*> k, v;
    for (const auto& s : keywords) k.push_back(s.c_str());
    for (const auto& s : values) v.push_back(s.c_str());
    k.push_back(nullptr);
    v.push_back(nullptr);
    PGconn* c = PQconnectdbParams(k.data(), v.data(), 1);
    if (!c) throw error(error_kind::store, "braid: cannot connect to " + where() + ": out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
      const std::string msg = one_line(PQerrorMessage(c));
      PQfinish(c);
      throw error(error_kind::store, "braid: cannot connect to " + where() + ": " + msg +
                                         " (is the server running, and do the connection string's host, port, "
                                         "user and dbname name it? nothing was changed)");
    }
    PQsetNoticeProcessor(c, &ignore_notice, nullptr);
    return c;
  }

  /// The session state every connection of the store needs.
  void setup(PGconn* c) {
    params p;
    p.text(quote_ident(schema));
    PGresult* r = PQexecParams(c, "SELECT pg_catalog.set_config('search_path', $1, false)", p.size(), p.types().data(),
                               pointers(p).data(), lengths(p).data(), formats(p).data(), 1);
    check(c, r, "setting the search path");
    PQclear(r);
  }

  static std::vector<const char*> pointers(const params& p) {
    std::vector<const char*> out;
    for (int i = 0; i < p.size(); ++i) out.push_back(p.nulls()[i] ? nullptr : p.values()[i].data());
    return out;
  }
  static std::vector<int> lengths(const params& p) {
    std::vector<int> out;
    for (const auto& v : p.values()) out.push_back(static_cast<int>(v.size()));
    return out;
  }
  static std::vector<int> formats(const params& p) { return std::vector<int>(p.values().size(), 1); }

  /// Throws error(store) unless `r` succeeded (clearing it).
  void check(PGconn* c, PGresult* r, const std::string& doing) {
    const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
    fail(c, r, doing);
  }

  [[noreturn]] void fail(PGconn* c, PGresult* r, const std::string& doing) {
    std::string msg, state;
    if (r) {
      if (const char* p = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) msg = one_line(p);
      if (const char* d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)) msg += " (" + one_line(d) + ")";
      if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) state = s;
      PQclear(r);
    }
    if (msg.empty()) msg = one_line(PQerrorMessage(c));
    if (msg.empty()) msg = "no message from libpq";
    std::string hint;
    if (PQstatus(c) == CONNECTION_BAD)
      hint = doing == "committing"
                 ? " (the connection to the server was lost during COMMIT: the step may or may not be stored; "
                   "delivering its event again is safe, a stored one is reported as a duplicate)"
                 : " (the connection to the server was lost; nothing was committed; the next call reconnects)";
    else if (state == "40P01")
      hint = " (a deadlock with another transaction; nothing was written)";
    else if (state == "42501")
      hint = " (the role lacks a privilege braid needs in this schema)";
    else if (state == "22021" || state == "22P05" || state == "54000")
      hint = " (PostgreSQL refuses this text: braid's strings must be valid in the database's encoding and hold "
             "no NUL byte)";
    else if (state == "57014" || state == "55P03")
      hint = " (a statement_timeout or lock_timeout of the server or role ran out)";
    else if (state == "42P01" || state == "42703")
      hint = " (braid's tables are missing or damaged in this schema)";
    throw error(error_kind::store, "braid: " + where() + ": " + doing + " failed: " + msg + hint);
  }

  /// Before each call: a connection lost since the last one is
  /// re-established (a claim it held is gone with it).
  void ready() {
    if (PQstatus(conn) != CONNECTION_BAD) return;
    end_claim();
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK)
      throw error(error_kind::store, "braid: " + where() + ": the connection to the server was lost and "
                                         "reconnecting failed: " + one_line(PQerrorMessage(conn)));
    PQsetNoticeProcessor(conn, &ignore_notice, nullptr);
    setup(conn);
    own_pid = PQbackendPID(conn);
  }

  result run(const std::string& doing, const char* sql, const params& p = {}) {
    PGresult* r = PQexecParams(conn, sql, p.size(), p.size() ? p.types().data() : nullptr,
                               p.size() ? pointers(p).data() : nullptr, p.size() ? lengths(p).data() : nullptr,
                               p.size() ? formats(p).data() : nullptr, 1);
    check(conn, r, doing);
    return result(r);
  }
  result run(const std::string& doing, const std::string& sql, const params& p = {}) {
    return run(doing, sql.c_str(), p);
  }

  void simple(const char* sql, const std::string& doing) {
    PGresult* r = PQexec(conn, sql);
    check(conn, r, doing);
    PQclear(r);
  }
  void quiet(const char* sql) noexcept { PQclear(PQexec(conn, sql)); }

  void commit_tx() {
    PGresult* r = PQexec(conn, "COMMIT");
    check(conn, r, "committing");
    const bool ok = std::strcmp(PQcmdStatus(r), "COMMIT") == 0;
    PQclear(r);
    if (!ok)
      throw error(error_kind::store, "braid: " + where() + ": committing failed: the server rolled the "
                                         "transaction back; nothing was written");
  }

  /// Ends the claim (its transaction is over): gives back its level of m.
  void end_claim() noexcept {
    if (!claimed) return;
    claimed.reset();
    m.unlock();
  }

  /// Writes other than the claimed step's would join its transaction.
  void refuse_in_claim(const std::string& what) const {
    throw error(error_kind::misuse, "braid: " + where() + ": " + what + " while this connection holds the claim of run " +
                                        to_string(*claimed) +
                                        " (its step's transaction is open); use another postgres_store object for it");
  }
  void no_claim(const char* what) const {
    if (claimed) refuse_in_claim(what);
  }

  void notify(const std::vector<const char*>& kinds) {
    if (kinds.empty()) return;
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < kinds.size(); ++i)
      sql += std::string(i ? ", " : "") + "pg_catalog.pg_notify($1, '" + kinds[i] + "')";
    run("notifying the workers", sql, params().text(channel));
  }

  // ---- listening ----

  void deliver(const work_notice& w) {
    if (!w) return;
    {
      std::lock_guard<std::mutex> g(nm);
      pending.runnable = pending.runnable || w.runnable;
      pending.timers = pending.timers || w.timers;
      pending.messages = pending.messages || w.messages;
    }
    ncv.notify_all();
    if (w.timers || w.messages) detail::wake_workers(*owner);
  }

  void start_listening(PGconn* c) {
    setup(c);
    const std::string sql = "LISTEN " + quote_ident(channel);
    PGresult* r = PQexec(c, sql.c_str());
    check(c, r, "listening for notifications");
    PQclear(r);
  }

  /// Waits up to `ms` for a stop request; true when stopping.
  bool pause(int ms) {
    pollfd f{wake_fd, POLLIN, 0};
    ::poll(&f, 1, ms);
    return stopping;
  }

  // The listener thread: blocks in poll() on the listening connection's
  // socket (and the stop eventfd), reads what arrived with PQconsumeInput
  // and takes the notifications. A lost connection is re-established
  // every second until it is back, and then reported as a rescan (what
  // was notified meanwhile is lost).
  void listen_loop() {
    for (;;) {
      pollfd fds[2] = {{PQsocket(lconn), POLLIN, 0}, {wake_fd, POLLIN, 0}};
      const int n = ::poll(fds, 2, -1);
      if (stopping) return;
      if (n < 0) {
        if (errno == EINTR) continue;
        if (pause(100)) return;
        continue;
      }
      if (!fds[0].revents) continue;
      work_notice w;
      if (!PQconsumeInput(lconn) || PQstatus(lconn) == CONNECTION_BAD) {
        for (;;) {
          if (pause(1000)) return;
          PQreset(lconn);
          if (PQstatus(lconn) != CONNECTION_OK) continue;
          PQsetNoticeProcessor(lconn, &ignore_notice, nullptr);
          try {
            start_listening(lconn);
          } catch (const error&) {
            continue;
          }
          break;
        }
        w = {true, true, true};
      }
      while (PGnotify* note = PQnotifies(lconn)) {
        if (note->be_pid != own_pid.load()) {
          const std::string_view kind = note->extra ? note->extra : "";
          w.runnable = w.runnable || kind == "runnable";
          w.timers = w.timers || kind == "timers";
          w.messages = w.messages || kind == "messages";
        }
        PQfreemem(note);
      }
      deliver(w);
    }
  }
};

// ---- opening ------------------------------------------------------------------

postgres_store::postgres_store(const std::string& conninfo, postgres_options options)
    : impl_(std::make_unique<impl>()) {
  impl& s = *impl_;
  s.owner = this;
  s.schema = options.schema;
  s.channel = "braid:" + options.schema;
  const std::string given = may_hold_password(conninfo) ? std::string("(not shown: it has a password)") : conninfo;
  s.shown = given;
  if (options.schema.empty() || options.schema.size() > 57 || options.schema.find('\0') != std::string::npos)
    throw error(error_kind::store, "braid: postgres_options::schema '" + options.schema +
                                       "' cannot name the schema of a PostgreSQL run store (it must have 1 to 57 "
                                       "bytes, and no NUL)");

  // Parse first: a malformed string is refused before anything connects.
  char* perr = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &perr);
  if (!opts) {
    const std::string msg = perr ? one_line(perr) : std::string("out of memory");
    PQfreemem(perr);
    throw error(error_kind::store, "braid: cannot use '" + given + "' as the connection string of a PostgreSQL run store: " +
                                       msg + " (libpq's form: 'host=... port=... dbname=...', or a postgresql:// URI)");
  }
  bool has_timeout = false, has_password = false;
  std::string masked;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    const std::string k = o->keyword;
    has_timeout = has_timeout || k == "connect_timeout";
    has_password = has_password || k == "password";
    std::string v = k == "password" ? std::string("***") : std::string(o->val);
    if (v.find_first_of(" '\\") != std::string::npos) {
      std::string q = "'";
      for (char c : v) q += (c == '\'' || c == '\\') ? std::string("\\") + c : std::string(1, c);
      v = q + "'";
    }
    masked += (masked.empty() ? "" : " ") + k + "=" + v;
  }
  PQconninfoFree(opts);
  s.shown = has_password ? masked : conninfo;
  s.keywords = {"dbname"};
  s.values = {conninfo};
  if (!has_timeout) {
    s.keywords.emplace_back("connect_timeout");
    s.values.push_back(std::to_string(options.connect_timeout_s));
  }
  s.keywords.emplace_back("fallback_application_name");
  s.values.emplace_back("braid");

  s.conn = s.connect();
  if (PQserverVersion(s.conn) < 90500)
    throw error(error_kind::store, "braid: " + s.where() + " is a PostgreSQL " +
                                       std::to_string(PQserverVersion(s.conn)) +
                                       " server; braid needs 9.5 or newer (FOR UPDATE SKIP LOCKED, ON CONFLICT)");
  s.setup(s.conn);
  s.own_pid = PQbackendPID(s.conn);

  // What is in the schema? Checked, and created, under an advisory lock,
  // so that two processes opening a new store at once create it once.
  s.simple("BEGIN", "beginning a transaction");
  try {
    s.run("locking the schema", "SELECT pg_catalog.pg_advisory_xact_lock(1651665257, pg_catalog.hashtext($1))",
          params().text(s.schema));
    const result t = s.run("reading the list of tables",
                           "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
                           "n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
                           "AND c.relname LIKE 'braid\\_%' ORDER BY c.relname",
                           params().text(s.schema));
    std::vector<std::string> tables;
    bool ours = false;
    for (int i = 0; i < t.rows(); ++i) {
      tables.push_back(t.text(i, 0));
      ours = ours || tables.back() == "braid_meta";
    }
    if (ours) {
      const result v = s.run("reading the schema version", "SELECT value FROM braid_meta WHERE key = 'schema'");
      const std::string version = v.rows() ? v.text(0, 0) : std::string();
      if (version != std::to_string(schema_version))
        throw error(error_kind::store, "braid: " + s.where() + " has braid schema version '" + version +
                                           "', and this program's PostgreSQL store knows version " +
                                           std::to_string(schema_version) +
                                           " (made by another braid?); nothing was written to it");
    } else if (!tables.empty()) {
      std::string list;
      for (const auto& x : tables) list += (list.empty() ? "" : ", ") + x;
      throw error(error_kind::store, "braid: cannot open " + s.where() + ": its schema has tables named like braid's (" +
                                         list + ") but no braid_meta, so it is not a braid run store; nothing was "
                                                "written to it: use another schema (postgres_options::schema) or "
                                                "database");
    } else if (!options.create) {
      throw error(error_kind::store, "braid: there is no braid run store in " + s.where() +
                                         " (the schema has no braid tables, and postgres_options::create is false)");
    } else {
      const std::string create = "CREATE SCHEMA IF NOT EXISTS " + quote_ident(s.schema);
      s.simple(create.c_str(), "creating the schema");
      s.simple(schema_sql, "creating braid's tables");
    }
    s.commit_tx();
  } catch (...) {
    s.quiet("ROLLBACK");
    throw;
  }
}

postgres_store::~postgres_store() = default;

const std::string& postgres_store::schema() const noexcept { return impl_->schema; }

std::string postgres_store::describe() const { return impl_->where(); }

// ---- runs -----------------------------------------------------------------------

namespace {

using lock = std::unique_lock<std::recursive_mutex>;

/// BEGIN, or the open transaction of the claim being committed (adopted);
/// rolled back unless committed. An adopted claim ends with it.
class transaction {
 public:
  transaction(postgres_store::impl& s, bool adopt) : s_(s), adopted_(adopt) {
    if (!adopt) s_.simple("BEGIN", "beginning a transaction");
  }
  ~transaction() {
    if (!done_) s_.quiet("ROLLBACK");
    if (adopted_) s_.end_claim();
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit() {
    done_ = true;  // a failed COMMIT is over too
    s_.commit_tx();
  }

 private:
  postgres_store::impl& s_;
  bool adopted_;
  bool done_ = false;
};

constexpr const char* run_columns =
    "id, key, function, call, status, stack, waiting_for, waiting_child, event_type, result, error, error_type, "
    "blocked, parent, version, created_ms, updated_ms";

stored_run read_run(const result& q, int i, const std::string& where) {
  stored_run r;
  r.id = run_id(q.integer(i, 0));
  r.key = q.text(i, 1);
  r.function = q.text(i, 2);
  r.call = q.bytes(i, 3);
  const std::string status = q.text(i, 4);
  const auto st = parse_run_status(status);
  if (!st || *st == run_status::blocked_by_version)
    throw error(error_kind::corrupt, "braid: run " + to_string(r.id) + " in " + where + " has the status '" + status +
                                         "', which is not a stored run status (a corrupt row: the run was left as "
                                         "it was)");
  r.status = *st;
  r.stack = q.bytes(i, 5);
  r.waiting_for = q.text(i, 6);
  if (!q.is_null(i, 7)) r.waiting_child = run_id(q.integer(i, 7));
  r.event_type = q.text(i, 8);
  r.result = q.bytes(i, 9);
  r.error = q.text(i, 10);
  r.error_type = q.text(i, 11);
  r.blocked = q.text(i, 12);
  if (!q.is_null(i, 13)) r.parent = run_id(q.integer(i, 13));
  r.version = static_cast<std::uint64_t>(q.integer(i, 14));
  r.created_ms = q.integer(i, 15);
  r.updated_ms = q.integer(i, 16);
  return r;
}

std::vector<run_id> ids(const result& q) {
  std::vector<run_id> out;
  for (int i = 0; i < q.rows(); ++i) out.push_back(run_id(q.integer(i, 0)));
  return out;
}

}  // namespace

run_id postgres_store::allocate_id() {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  // A sequence: not part of any transaction (also not of a claimed step's:
  // start_child allocates during the step), never reused.
  const result q = s.run("allocating a run id", "SELECT nextval('braid_run_ids')");
  return run_id(q.integer(0, 0));
}

std::optional<stored_run> postgres_store::load(run_id id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  const result q = s.run("loading a run", std::string("SELECT ") + run_columns + " FROM braid_runs WHERE id = $1",
                         params().id(id));
  if (!q.rows()) return std::nullopt;
  return read_run(q, 0, s.where());
}

std::optional<run_id> postgres_store::find_key(std::string_view key) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  const result q = s.run("finding a run by key", "SELECT id FROM braid_runs WHERE key = $1", params().text(key));
  if (!q.rows()) return std::nullopt;
  return run_id(q.integer(0, 0));
}

bool postgres_store::has_event(run_id id, std::string_view event_id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  return s.run("looking up an event", "SELECT 1 FROM braid_events WHERE run = $1 AND id = $2",
               params().id(id).text(event_id))
             .rows() > 0;
}

commit_result postgres_store::commit(const step_record& r) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  const bool adopt = s.claimed && *s.claimed == r.id && !r.create;
  if (s.claimed && !adopt) s.refuse_in_claim("committing a step of run " + to_string(r.id));
  commit_result out;
  const std::int64_t now = now_ms();
  transaction t(s, adopt);
  std::uint64_t version = 1;
  std::optional<run_id> parent = r.parent;
  const bool at_listen = r.status == run_status::waiting && !r.waiting_child;
  const std::string status(to_string(r.status));
  if (r.create) {
    // A concurrent start with the same key: the insert waits for its
    // transaction, and finds the key taken if it committed.
    const result q = s.run(
        "storing a new run",
        "INSERT INTO braid_runs (id, key, function, call, status, stack, waiting_for, waiting_child, event_type, "
        "result, error, error_type, blocked, parent, version, created_ms, updated_ms) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13, 1, $14, $14) "
        "ON CONFLICT (key) DO NOTHING RETURNING id",
        params()
            .id(r.id)
            .text_or_null(r.key, r.key.empty())
            .text(r.function)
            .bytes(r.call)
            .text(status)
            .bytes_or_null(r.stack)
            .text_or_null(r.waiting_for, !at_listen)
            .id_or_null(r.waiting_child)
            .text_or_null(r.event_type, r.event_type.empty())
            .bytes_or_null(r.result)
            .text_or_null(r.error, r.error.empty())
            .text_or_null(r.error_type, r.error_type.empty())
            .id_or_null(r.parent)
            .i64(now));
    if (!q.rows()) {
      const result k = s.run("finding a run by key", "SELECT id FROM braid_runs WHERE key = $1", params().text(r.key));
      out.status = commit_status::duplicate_key;
      if (k.rows()) out.existing = run_id(k.integer(0, 0));
      return out;  // rolled back
    }
  } else {
    // The row lock serializes the commits of one run (and a claim already
    // holds it); the version it reads is the newest committed one.
    const result v = s.run("reading a run's version", "SELECT version, parent FROM braid_runs WHERE id = $1 FOR UPDATE",
                           params().id(r.id));
    if (!v.rows())
      throw error(error_kind::unknown_run, "braid: no run " + to_string(r.id) + " in " + s.where() +
                                               " (it was there when the step started)");
    const auto stored = static_cast<std::uint64_t>(v.integer(0, 0));
    if (!v.is_null(0, 1)) parent = run_id(v.integer(0, 1));
    if (r.delivered && s.run("looking up an event", "SELECT 1 FROM braid_events WHERE run = $1 AND id = $2",
                             params().id(r.id).text(r.delivered->id))
                           .rows()) {
      out.status = commit_status::duplicate_event;
      return out;
    }
    if (stored != r.expected_version) {
      out.status = commit_status::conflict;
      return out;
    }
    version = stored + 1;
    s.run("storing a step",
          "UPDATE braid_runs SET status = $2, stack = $3, waiting_for = $4, waiting_child = $5, event_type = $6, "
          "result = $7, error = $8, error_type = $9, blocked = NULL, version = $10, updated_ms = $11 WHERE id = $1",
          params()
              .id(r.id)
              .text(status)
              .bytes_or_null(r.stack)
              .text_or_null(r.waiting_for, !at_listen)
              .id_or_null(r.waiting_child)
              .text_or_null(r.event_type, r.event_type.empty())
              .bytes_or_null(r.result)
              .text_or_null(r.error, r.error.empty())
              .text_or_null(r.error_type, r.error_type.empty())
              .i64(static_cast<std::int64_t>(version))
              .i64(now));
  }

  if (r.delivered)
    s.run("recording the event",
          "INSERT INTO braid_events (run, id, context, payload, step, at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
          params()
              .id(r.id)
              .text(r.delivered->id)
              .text(r.delivered->context)
              .bytes(r.delivered->payload)
              .i64(static_cast<std::int64_t>(version))
              .i64(now));
  if (!r.outputs.empty()) {
    std::int64_t seq =
        s.run("numbering outputs", "SELECT COALESCE(MAX(seq), 0) FROM braid_outputs WHERE run = $1", params().id(r.id))
            .integer(0, 0);
    for (const auto& o : r.outputs)
      s.run("storing an output", "INSERT INTO braid_outputs (run, seq, step, value) VALUES ($1, $2, $3, $4)",
            params().id(r.id).i64(++seq).i64(static_cast<std::int64_t>(version)).bytes(o));
  }
  for (const auto& [k, v] : r.index) {
    if (v)
      s.run("setting an index entry",
            "INSERT INTO braid_index (run, key, value) VALUES ($1, $2, $3) "
            "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value",
            params().id(r.id).text(k).text(*v));
    else
      s.run("clearing an index entry", "DELETE FROM braid_index WHERE run = $1 AND key = $2",
            params().id(r.id).text(k));
  }
  for (const auto& c : r.children) {
    s.run("storing a child run",
          "INSERT INTO braid_runs (id, key, function, call, status, parent, version, created_ms, updated_ms) "
          "VALUES ($1, NULL, $2, $3, 'running', $4, 0, $5, $5)",
          params().id(c.id).text(c.function).bytes(c.call).id(r.id).i64(now));
    out.runnable.push_back(c.id);
  }
  // Lost wake-ups: this run's end and its parent's step deciding to wait
  // for it may commit at the same time. The parent's commit reads this
  // run's status FOR SHARE (below), which waits for this commit if it has
  // begun writing this run's row, and holds this run's writes back until
  // the parent's commit otherwise. So either the parent sees this run
  // ended (and stores itself running), or it is stored waiting before this
  // commit looks for it here. (Neither commit waits for the other's
  // in-memory step: a claimed parent's row is not needed here.)
  if (has_ended(r.status) && parent) {
    // The parent waits for this run: it is due now (deflow's pop of the
    // child's frame, as a step of the parent's own).
    const result q = s.run("waking the parent run",
                           "UPDATE braid_runs SET status = 'running', version = version + 1, updated_ms = $2 "
                           "WHERE id = $3 AND status = 'waiting' AND waiting_child = $1 RETURNING id",
                           params().id(r.id).i64(now).id(*parent));
    for (const run_id id : ids(q)) out.runnable.push_back(id);
  }
  if (r.status == run_status::waiting && r.waiting_child) {
    // The child may have ended while this step ran (in another process):
    // its end found this run not yet waiting, so this run is due at once.
    const result q = s.run("reading the child run's status", "SELECT status FROM braid_runs WHERE id = $1 FOR SHARE",
                           params().id(*r.waiting_child));
    bool ended = false;
    if (q.rows()) {
      const auto cs = parse_run_status(q.text(0, 0));
      ended = cs && has_ended(*cs);
    }
    if (ended) {
      s.run("marking the run due", "UPDATE braid_runs SET status = 'running' WHERE id = $1", params().id(r.id));
      out.runnable.push_back(r.id);
    }
  }
  if (has_ended(r.status)) {
    // The run is over: its timers are cancelled, its subscriptions and the
    // messages queued for it go (docs/durable.md "Timers", "Topics").
    for (const char* sql : {"DELETE FROM braid_timers WHERE run = $1", "DELETE FROM braid_subscriptions WHERE run = $1",
                            "DELETE FROM braid_outbox WHERE run = $1"})
      s.run("removing the registries of an ended run", sql, params().id(r.id));
  } else {
    for (const auto& id : r.timer_cancels)
      s.run("cancelling a timer",
            "DELETE FROM braid_timers WHERE run = $1 AND (event_id = $2 OR (event_id IS NULL AND "
            "'timer-' || id::text = $2))",
            params().id(r.id).text(id));
    for (const auto& tr : r.timers) {
      s.run("storing a timer",
            "INSERT INTO braid_timers (run, due_ms, event_id, context, payload, step) VALUES ($1, $2, $3, $4, $5, $6)",
            params()
                .id(r.id)
                .i64(tr.due_ms)
                .text_or_null(tr.ev.id, tr.ev.id.empty())
                .text(tr.ev.context)
                .bytes(tr.ev.payload)
                .i64(static_cast<std::int64_t>(version)));
      out.timers_added = true;
    }
    for (const auto& c : r.subscriptions) {
      if (c.context)
        s.run("subscribing",
              "INSERT INTO braid_subscriptions (run, topic, context) VALUES ($1, $2, $3) "
              "ON CONFLICT (run, topic) DO UPDATE SET context = excluded.context",
              params().id(r.id).text(c.topic).text(*c.context));
      else if (!c.topic.empty())
        s.run("unsubscribing", "DELETE FROM braid_subscriptions WHERE run = $1 AND topic = $2",
              params().id(r.id).text(c.topic));
      else
        s.run("unsubscribing from every topic", "DELETE FROM braid_subscriptions WHERE run = $1", params().id(r.id));
    }
    if (at_listen) {
      // Not the message this very step consumed (its row goes after the
      // commit, when the deliverer learns the outcome).
      out.deliverable = s.run("looking for queued messages",
                              "SELECT 1 FROM braid_outbox WHERE run = $1 AND context = $2 AND "
                              "('topic:' || topic || '#' || message::text) IS DISTINCT FROM $3 LIMIT 1",
                              params()
                                  .id(r.id)
                                  .text(r.waiting_for)
                                  .text_or_null(r.delivered ? r.delivered->id : "", !r.delivered))
                            .rows() > 0;
    }
  }
  // Other workers learn of the work this step made when it commits.
  std::vector<const char*> kinds;
  if (!out.runnable.empty()) kinds.push_back("runnable");
  if (out.timers_added) kinds.push_back("timers");
  if (out.deliverable) kinds.push_back("messages");
  s.notify(kinds);
  detail::call_step_hook(step_point::in_transaction, r.id);
  t.commit();
  return out;
}

bool postgres_store::mark_blocked(run_id id, std::uint64_t version, std::string_view why) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  const bool adopt = s.claimed && *s.claimed == id;
  if (s.claimed && !adopt) s.refuse_in_claim("marking run " + to_string(id) + " blocked-by-version");
  // Marking the claimed run commits the claim's transaction with the mark
  // (the step is not going to be committed: the run cannot run here).
  transaction t(s, adopt);
  const bool changed = s.run("marking a run blocked-by-version",
                             "UPDATE braid_runs SET blocked = $3, updated_ms = $4 WHERE id = $1 AND version = $2",
                             params().id(id).i64(static_cast<std::int64_t>(version)).text(why).i64(now_ms()))
                           .affected() > 0;
  t.commit();
  return changed;
}

std::vector<run_id> postgres_store::children(run_id id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  return ids(s.run("listing child runs", "SELECT id FROM braid_runs WHERE parent = $1 ORDER BY id", params().id(id)));
}

std::map<std::string, std::string> postgres_store::index(run_id id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  const result q =
      s.run("reading index entries", "SELECT key, value FROM braid_index WHERE run = $1 ORDER BY key", params().id(id));
  std::map<std::string, std::string> out;
  for (int i = 0; i < q.rows(); ++i) out.emplace(q.text(i, 0), q.text(i, 1));
  return out;
}

std::vector<output_record> postgres_store::outputs(run_id id, std::uint64_t after_seq) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  const result q = s.run("reading outputs",
                         "SELECT seq, step, value FROM braid_outputs WHERE run = $1 AND seq > $2 ORDER BY seq",
                         params().id(id).i64(static_cast<std::int64_t>(after_seq)));
  std::vector<output_record> out;
  for (int i = 0; i < q.rows(); ++i)
    out.push_back({static_cast<std::uint64_t>(q.integer(i, 0)), static_cast<std::uint64_t>(q.integer(i, 1)),
                   q.bytes(i, 2)});
  return out;
}

std::vector<event_record> postgres_store::events(run_id id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  const result q = s.run("reading events",
                         "SELECT id, context, payload, step FROM braid_events WHERE run = $1 ORDER BY step",
                         params().id(id));
  std::vector<event_record> out;
  for (int i = 0; i < q.rows(); ++i)
    out.push_back({q.text(i, 0), q.text(i, 1), q.bytes(i, 2), static_cast<std::uint64_t>(q.integer(i, 3))});
  return out;
}

std::vector<run_id> postgres_store::find(const run_query& rq) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  std::string sql = "SELECT id FROM braid_runs WHERE true";
  params p;
  int n = 0;
  if (rq.status) {
    if (*rq.status == run_status::blocked_by_version) {
      sql += " AND blocked IS NOT NULL";
    } else {
      sql += " AND status = $" + std::to_string(++n) + " AND blocked IS NULL";
      p.text(to_string(*rq.status));
    }
  }
  if (!rq.function.empty()) {
    sql += " AND function = $" + std::to_string(++n);
    p.text(rq.function);
  }
  if (rq.parent) {
    sql += " AND parent = $" + std::to_string(++n);
    p.id(*rq.parent);
  }
  if (!rq.waiting_for.empty()) {
    sql += " AND waiting_for = $" + std::to_string(++n);
    p.text(rq.waiting_for);
  }
  for (const auto& [k, v] : rq.index) {
    sql += " AND id IN (SELECT run FROM braid_index WHERE key = $" + std::to_string(n + 1) + " AND value = $" +
           std::to_string(n + 2) + ")";
    n += 2;
    p.text(k).text(v);
  }
  sql += " ORDER BY id";
  if (rq.limit) sql += " LIMIT " + std::to_string(rq.limit);
  return ids(s.run("finding runs", sql, p));
}

std::vector<run_id> postgres_store::runnable() {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  return ids(s.run("listing due runs", "SELECT id FROM braid_runs WHERE status = 'running' ORDER BY id"));
}

// ---- claims ---------------------------------------------------------------------

bool postgres_store::claim_run(run_id id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  if (s.claimed) {
    if (*s.claimed == id) return true;
    s.refuse_in_claim("claiming run " + to_string(id));
  }
  s.simple("BEGIN", "beginning a transaction");
  try {
    std::optional<result> q;
    q.emplace(s.run("claiming a run", "SELECT status FROM braid_runs WHERE id = $1 FOR UPDATE SKIP LOCKED",
                    params().id(id)));
    if (!q->rows()) {
      // Locked (or gone). A worker stepping it keeps it for its whole step:
      // not worth waiting for. A commit that is waking it (its child's end)
      // holds it for a moment: worth a short wait, or this run would stay
      // due until the next scan.
      s.simple("SET LOCAL lock_timeout = '1s'", "setting a lock timeout");
      const params p = params().id(id);
      PGresult* r = PQexecParams(s.conn, "SELECT status FROM braid_runs WHERE id = $1 FOR UPDATE", p.size(),
                                 p.types().data(), impl::pointers(p).data(), impl::lengths(p).data(),
                                 impl::formats(p).data(), 1);
      const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
      if (state && std::strcmp(state, "55P03") == 0) {  // lock_not_available: another worker's step
        PQclear(r);
        s.quiet("ROLLBACK");
        return false;
      }
      s.check(s.conn, r, "claiming a run");
      q.emplace(r);
      s.simple("SET LOCAL lock_timeout TO DEFAULT", "resetting the lock timeout");
    }
    if (!q->rows() || q->text(0, 0) != "running") {
      s.quiet("ROLLBACK");
      return false;
    }
  } catch (...) {
    s.quiet("ROLLBACK");
    throw;
  }
  s.claimed = id;
  s.claim_owner = std::this_thread::get_id();
  s.m.lock();  // the claim's own level, until its transaction ends
  return true;
}

std::optional<run_id> postgres_store::claim_runnable(run_id after) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  if (s.claimed) {
    if (*s.claimed > after) return *s.claimed;  // held by this connection
    s.refuse_in_claim("claiming a runnable run");
  }
  s.simple("BEGIN", "beginning a transaction");
  run_id id{};
  try {
    // Rows other workers hold (their claims, or a commit of theirs) are
    // skipped, not waited for.
    const result q = s.run("claiming a runnable run",
                           "SELECT id FROM braid_runs WHERE status = 'running' AND id > $1 ORDER BY id LIMIT 1 "
                           "FOR UPDATE SKIP LOCKED",
                           params().id(after));
    if (!q.rows()) {
      s.quiet("ROLLBACK");
      return std::nullopt;
    }
    id = run_id(q.integer(0, 0));
  } catch (...) {
    s.quiet("ROLLBACK");
    throw;
  }
  s.claimed = id;
  s.claim_owner = std::this_thread::get_id();
  s.m.lock();
  return id;
}

void postgres_store::release_claim() noexcept {
  impl& s = *impl_;
  lock g(s.m);
  if (!s.claimed || s.claim_owner != std::this_thread::get_id()) return;
  s.quiet("ROLLBACK");
  s.end_claim();
}

// ---- notifications ----------------------------------------------------------------

void postgres_store::listen() {
  impl& s = *impl_;
  std::lock_guard<std::mutex> lg(s.lm);
  if (s.listening) return;
  PGconn* c = s.connect();
  try {
    s.start_listening(c);
  } catch (...) {
    PQfinish(c);
    throw;
  }
  s.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s.wake_fd < 0) {
    PQfinish(c);
    throw error(error_kind::store, "braid: " + s.where() + ": cannot listen for notifications: eventfd failed: " +
                                       std::strerror(errno));
  }
  s.lconn = c;
  s.listening = true;
  s.listener = std::thread([&s] { s.listen_loop(); });
}

void postgres_store::watch() { listen(); }

work_notice postgres_store::wait_for_work(std::chrono::milliseconds timeout) {
  impl& s = *impl_;
  bool began = false;
  {
    std::lock_guard<std::mutex> lg(s.lm);
    began = !s.listening;
  }
  if (began) {
    listen();
    return {true, true, true};  // rescan: what committed before the LISTEN was not heard
  }
  std::unique_lock<std::mutex> g(s.nm);
  s.ncv.wait_for(g, timeout, [&] { return bool(s.pending) || s.interrupted; });
  const work_notice w = s.pending;
  s.pending = {};
  s.interrupted = false;
  return w;
}

void postgres_store::interrupt() noexcept {
  impl& s = *impl_;
  {
    std::lock_guard<std::mutex> g(s.nm);
    s.interrupted = true;
  }
  s.ncv.notify_all();
}

// ---- registries -----------------------------------------------------------------

namespace {
constexpr const char* timer_columns =
    "id, run, due_ms, COALESCE(event_id, 'timer-' || id::text), context, payload, step";

std::vector<stored_timer> read_timers(const result& q) {
  std::vector<stored_timer> out;
  for (int i = 0; i < q.rows(); ++i) {
    stored_timer t;
    t.id = q.integer(i, 0);
    t.run = run_id(q.integer(i, 1));
    t.due_ms = q.integer(i, 2);
    t.ev.id = q.text(i, 3);
    t.ev.context = q.text(i, 4);
    t.ev.payload = q.bytes(i, 5);
    t.step = static_cast<std::uint64_t>(q.integer(i, 6));
    out.push_back(std::move(t));
  }
  return out;
}

constexpr const char* message_columns = "o.id, o.message, o.run, o.topic, o.context, o.payload";

std::vector<stored_message> read_messages(const result& q) {
  std::vector<stored_message> out;
  for (int i = 0; i < q.rows(); ++i) {
    stored_message m;
    m.id = q.integer(i, 0);
    m.message = q.integer(i, 1);
    m.run = run_id(q.integer(i, 2));
    m.topic = q.text(i, 3);
    m.ev.id = "topic:" + m.topic + "#" + std::to_string(m.message);
    m.ev.context = q.text(i, 4);
    m.ev.payload = q.bytes(i, 5);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<stored_subscription> read_subscriptions(const result& q) {
  std::vector<stored_subscription> out;
  for (int i = 0; i < q.rows(); ++i) out.push_back({run_id(q.integer(i, 0)), q.text(i, 1), q.text(i, 2)});
  return out;
}
}  // namespace

std::optional<std::int64_t> postgres_store::next_timer_due() {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  const result q = s.run("finding the next timer", "SELECT MIN(due_ms) FROM braid_timers");
  if (!q.rows() || q.is_null(0, 0)) return std::nullopt;
  return q.integer(0, 0);
}

std::vector<stored_timer> postgres_store::due_timers(std::int64_t now, std::size_t limit) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  return read_timers(s.run("finding due timers",
                           std::string("SELECT ") + timer_columns +
                               " FROM braid_timers WHERE due_ms <= $1 ORDER BY due_ms, id LIMIT $2",
                           params().i64(now).i64(static_cast<std::int64_t>(limit))));
}

std::vector<stored_timer> postgres_store::timers(run_id id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  return read_timers(s.run("listing a run's timers",
                           std::string("SELECT ") + timer_columns + " FROM braid_timers WHERE run = $1 ORDER BY due_ms, id",
                           params().id(id)));
}

bool postgres_store::remove_timer(std::int64_t timer) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  s.no_claim("removing a timer");
  return s.run("removing a timer", "DELETE FROM braid_timers WHERE id = $1", params().i64(timer)).affected() > 0;
}

void postgres_store::delay_timer(std::int64_t timer, std::int64_t due) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  s.no_claim("delaying a timer");
  s.run("delaying a timer", "UPDATE braid_timers SET due_ms = $2 WHERE id = $1", params().i64(timer).i64(due));
}

std::vector<stored_subscription> postgres_store::subscribers(std::string_view topic) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  return read_subscriptions(s.run("listing a topic's subscribers",
                                  "SELECT run, topic, context FROM braid_subscriptions WHERE topic = $1 ORDER BY run",
                                  params().text(topic)));
}

std::vector<stored_subscription> postgres_store::subscriptions(run_id id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  return read_subscriptions(s.run("listing a run's subscriptions",
                                  "SELECT run, topic, context FROM braid_subscriptions WHERE run = $1 ORDER BY topic",
                                  params().id(id)));
}

publish_record postgres_store::publish(std::string_view topic, std::string_view payload) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  s.no_claim("publishing");
  transaction t(s, false);
  publish_record out;
  out.message = s.run("numbering a message", "SELECT nextval('braid_message_ids')").integer(0, 0);
  out.targeted = s.run("queueing a message for its subscribers",
                       "INSERT INTO braid_outbox (message, run, topic, context, payload) "
                       "SELECT $1, run, topic, context, $3 FROM braid_subscriptions WHERE topic = $2 ORDER BY run",
                       params().i64(out.message).text(topic).bytes(payload))
                     .affected();
  if (out.targeted) s.notify({"messages"});
  t.commit();
  return out;
}

std::vector<stored_message> postgres_store::deliverable_messages(std::size_t limit) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  return read_messages(s.run("finding deliverable messages",
                             std::string("SELECT ") + message_columns +
                                 " FROM braid_outbox o JOIN braid_runs r ON r.id = o.run WHERE r.status = 'waiting' "
                                 "AND r.waiting_child IS NULL AND r.waiting_for = o.context ORDER BY o.id LIMIT $1",
                             params().i64(static_cast<std::int64_t>(limit))));
}

std::vector<stored_message> postgres_store::queued_messages(run_id id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  return read_messages(s.run("listing a run's queued messages",
                             std::string("SELECT ") + message_columns + " FROM braid_outbox o WHERE o.run = $1 ORDER BY o.id",
                             params().id(id)));
}

bool postgres_store::remove_message(std::int64_t row) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  s.no_claim("removing a delivered message");
  return s.run("removing a delivered message", "DELETE FROM braid_outbox WHERE id = $1", params().i64(row)).affected() > 0;
}

void postgres_store::put_pending(const stored_pending& p) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  s.no_claim("storing a pending flow");
  s.run("storing a pending flow",
        "INSERT INTO braid_pending (id, function, call, created_ms) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET function = excluded.function, call = excluded.call, "
        "created_ms = excluded.created_ms",
        params().text(p.id).text(p.function).bytes(p.call).i64(p.created_ms ? p.created_ms : now_ms()));
}

std::optional<stored_pending> postgres_store::pending(std::string_view id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  const result q = s.run("reading a pending flow",
                         "SELECT id, function, call, created_ms FROM braid_pending WHERE id = $1", params().text(id));
  if (!q.rows()) return std::nullopt;
  return stored_pending{q.text(0, 0), q.text(0, 1), q.bytes(0, 2), q.integer(0, 3)};
}

bool postgres_store::remove_pending(std::string_view id) {
  impl& s = *impl_;
  lock g(s.m);
  s.ready();
  s.no_claim("removing a pending flow");
  return s.run("removing a pending flow", "DELETE FROM braid_pending WHERE id = $1", params().text(id)).affected() > 0;
}

}  // namespace braid::durable
