// SPDX-License-Identifier: MIT
// Durable runs in one process on the SQLite store: the store behaviour
// cases every backend runs (runs_cases.hpp), then what only the SQLite
// store does (files it refuses to open, its journal).
#include "durable_support.hpp"

#define BRAID_STORE_BACKENDS durable_test::sqlite_backend
#include "runs_cases.hpp"

#include <braid/durable.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

using durable_test::fresh_path;
using durable_test::sql;

TEST_SUITE("durable sqlite store") {
  TEST_CASE("a store path that cannot be opened, or is not a braid store, is refused and left unchanged") {
    CHECK(error_of(error_kind::store, [] { sqlite_store s(std::string(BRAID_DURABLE_SCRATCH) + "/no/such/dir/x.db"); }) ==
          "braid: cannot open the run store '" + std::string(BRAID_DURABLE_SCRATCH) +
              "/no/such/dir/x.db': unable to open database file (does its directory exist, and may this process "
              "write there?)");
    CHECK(error_of(error_kind::store, [] { sqlite_store s(fresh_path("missing.db"), {.create = false}); }) ==
          "braid: there is no run store at '" + fresh_path("missing.db") + "' (the file does not exist)");

    const auto text = fresh_path("notes.txt");
    {
      std::ofstream(text) << "not a database, just notes\n";
    }
    CHECK(error_of(error_kind::store, [&] { sqlite_store s(text); }) ==
          "braid: cannot open the run store '" + text +
              "': file is not a database (it is not an SQLite database; point sqlite_store at a braid store or a new "
              "path; the file was not changed)");
    std::ifstream in(text);
    std::string line;
    std::getline(in, line);
    CHECK(line == "not a database, just notes");

    const auto other = fresh_path("other_app.db");
    sql(other, "CREATE TABLE customers (name TEXT)");
    sql(other, "INSERT INTO customers VALUES ('ann')");
    CHECK(error_of(error_kind::store, [&] { sqlite_store s(other); }) ==
          "braid: cannot open the run store '" + other +
              "': it is an SQLite database but not a braid run store (its tables: customers); nothing was written to "
              "it: point sqlite_store at a braid store or a new path");
    CHECK(sql(other, "SELECT name FROM sqlite_master") == strings{"customers"});
    CHECK(sql(other, "PRAGMA journal_mode") == strings{"delete"});

    const auto newer = fresh_path("newer.db");
    { sqlite_store s(newer); }
    sql(newer, "UPDATE braid_meta SET value = '3' WHERE key = 'schema'");
    CHECK(error_of(error_kind::store, [&] { sqlite_store s(newer); }) ==
          "braid: the run store '" + newer +
              "' has braid schema version '3', and this program knows version 2 (a newer braid made it?); nothing was "
              "written to it");
  }

  TEST_CASE("the store is in WAL mode") {
    const auto path = fresh_path("pragmas.db");
    sqlite_store s(path);
    CHECK(sql(path, "PRAGMA journal_mode") == strings{"wal"});
    CHECK(sql(path, "SELECT value FROM braid_meta") == strings{"2"});
  }
}
