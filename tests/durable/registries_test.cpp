// SPDX-License-Identifier: MIT
// The registries on the SQLite store: the cases every backend runs
// (registries_cases.hpp), then the SQLite store's own: a schema-1 store
// upgraded in place.
#include "durable_support.hpp"

#define BRAID_STORE_BACKENDS durable_test::sqlite_backend
#include "registries_cases.hpp"

#include <braid/durable.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using durable_test::fresh_path;
using durable_test::sql;

TEST_SUITE("durable registries store") {
  TEST_CASE("a schema-1 store (made before the registries) is upgraded when opened; its runs are kept") {
    const auto path = fresh_path("upgrade.db");
    {
      sqlite_store s(path);
      start_run(s, flows::survey("old"));
    }
    sql(path, "DROP TABLE braid_timers");
    sql(path, "DROP TABLE braid_subscriptions");
    sql(path, "DROP TABLE braid_outbox");
    sql(path, "DROP TABLE braid_pending");
    sql(path, "DELETE FROM braid_counter WHERE name = 'message'");
    sql(path, "UPDATE braid_meta SET value = '1' WHERE key = 'schema'");
    sqlite_store s(path);
    CHECK(sql(path, "SELECT value FROM braid_meta WHERE key = 'schema'") == strings{"2"});
    CHECK(sql(path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('braid_timers', "
                    "'braid_subscriptions', 'braid_outbox', 'braid_pending') ORDER BY name") ==
          strings{"braid_outbox", "braid_pending", "braid_subscriptions", "braid_timers"});
    CHECK(get_run(s, run_id(1)).waiting_for == "answer:old");
    CHECK(publish(s, "t", 1) == 0);
    CHECK(sql(path, "SELECT value FROM braid_counter WHERE name = 'message'") == strings{"1"});
  }
}
