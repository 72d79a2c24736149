// SPDX-License-Identifier: MIT
// The PostgreSQL side of the durable tests: a throwaway server for the
// test executable (pg_server.hpp; pg_main.cpp starts it before the first
// case and stops it after the last), raw SQL on a store's schema, and
// pg_backend, the PostgreSQL store as the store behaviour cases see a
// backend.
//
// The server: Debian's postgresql package (/usr/lib/postgresql/<version>/
// bin; BRAID_PG_BINDIR overrides), initdb into a folder under the build's
// scratch folder, postgres started on a Unix socket there and on a free
// port of 127.0.0.1, fsync off (a test cluster). initdb and postgres refuse
// to run as root, so as root (CI) they run as an unprivileged user: nobody,
// or BRAID_PG_USER. The server gets SIGQUIT when the test process dies
// (PR_SET_PDEATHSIG), so a crashed test leaves no server behind.
//
// Environment: BRAID_PG_CONNINFO=<libpq connection string> uses an
// existing server instead (each case makes, and drops, a schema of its
// own, "t<pid>_<case>", in that database); BRAID_PG_SKIP=1 skips the
// tests (exit code 77: CTest reports them skipped). Without either, a
// server that cannot start fails the tests with the reason.
#pragma once

#include "durable_support.hpp"
#include "pg_server.hpp"

#include <braid/durable/postgres_store.hpp>

#include <libpq-fe.h>

#include <cctype>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace durable_test::pg {

/// Runs SQL in `schema` (outside braid), returns the rows: columns as text
/// (bytea as hex digits, NULL as NULL) joined by '|'.
inline std::vector<std::string> sql(const std::string& schema, const std::string& statement) {
  server_state& s = state();
  std::lock_guard<std::mutex> g(s.admin_m);
  run_admin(s.admin, "SET search_path TO \"" + schema + "\"");
  PGresult* r = PQexec(s.admin, statement.c_str());
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
    const std::string msg = PQresultErrorMessage(r);
    PQclear(r);
    throw std::runtime_error("test: SQL failed: " + statement + ": " + msg);
  }
  std::vector<std::string> rows;
  for (int i = 0; i < PQntuples(r); ++i) {
    std::string row;
    for (int c = 0; c < PQnfields(r); ++c) {
      if (c) row += "|";
      if (PQgetisnull(r, i, c)) {
        row += "NULL";
      } else {
        std::string v = PQgetvalue(r, i, c);
        if (PQftype(r, c) == 17 && v.rfind("\\x", 0) == 0) v = v.substr(2);  // bytea
        row += v;
      }
    }
    rows.push_back(row);
  }
  PQclear(r);
  return rows;
}

/// The PostgreSQL store as the behaviour cases see a backend (see
/// sqlite_backend): a place is a schema of its own in the test database,
/// dropped before and after the case.
struct pg_backend {
  class place {
   public:
    explicit place(const std::string& name) {
      std::string n;
      for (char c : name) n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      schema_ = "t" + std::to_string(::getpid()) + "_" + n.substr(0, 40);
      drop();
    }
    ~place() {
      try {
        drop();
      } catch (...) {
      }
    }
    place(const place&) = delete;
    place& operator=(const place&) = delete;

    std::unique_ptr<braid::durable::store> open() const { return open_pg(); }
    std::unique_ptr<braid::durable::postgres_store> open_pg(bool create = true) const {
      braid::durable::postgres_options o;
      o.schema = schema_;
      o.create = create;
      return std::make_unique<braid::durable::postgres_store>(conninfo(), o);
    }
    std::vector<std::string> sql(const std::string& statement) const { return pg::sql(schema_, statement); }
    std::string snapshot(braid::durable::run_id id) const {
      const std::string i = braid::durable::to_string(id);
      std::string out;
      for (const auto& q : {"SELECT * FROM braid_runs WHERE id = " + i, "SELECT * FROM braid_events WHERE run = " + i,
                            "SELECT * FROM braid_outputs WHERE run = " + i + " ORDER BY seq",
                            "SELECT * FROM braid_index WHERE run = " + i + " ORDER BY key"})
        for (const auto& r : sql(q)) out += r + "\n";
      return out;
    }
    std::string spec() const { return "pg:" + schema_ + ":" + conninfo(); }
    const std::string& schema() const { return schema_; }
    static std::string hex(const std::string& column) { return "encode(" + column + ", 'hex')"; }
    static std::string blob(const std::string& hex_digits) { return "decode('" + hex_digits + "', 'hex')"; }

   private:
    void drop() const {
      std::lock_guard<std::mutex> g(state().admin_m);
      run_admin(state().admin, "DROP SCHEMA IF EXISTS \"" + schema_ + "\" CASCADE");
    }
    std::string schema_;
  };
  static std::string worker() { return BRAID_DURABLE_WORKER_PG; }
  static std::string worker_v2() { return BRAID_DURABLE_WORKER_PG_V2; }
};

}  // namespace durable_test::pg
