// SPDX-License-Identifier: MIT
// The PostgreSQL store (docs/durable.md "PostgreSQL") against a real
// server (pg_support.hpp): every store behaviour case the SQLite store
// runs (runs_cases.hpp, registries_cases.hpp), then what only this store
// does: connection strings and servers it refuses, schemas, claims (a run
// held by one connection is skipped by another), NOTIFY (another
// connection's commit wakes a waiting one; its own commits do not), a
// registry worker woken by another connection's publish and timer, a lost
// connection.
#include "pg_support.hpp"

#define BRAID_STORE_BACKENDS durable_test::pg::pg_backend
#include "registries_cases.hpp"
#include "runs_cases.hpp"

#include <braid/durable.hpp>
#include <braid/durable/postgres_store.hpp>

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace braid::durable;
using durable_test::error_of;
using durable_test::pg::pg_backend;
using place = pg_backend::place;

namespace {

/// `n` child runs of an order run, due: started, then put back by SQL to
/// "not started yet" (as a process that died after the parent's commit
/// leaves them). Returns them in id order.
std::vector<run_id> due_children(const place& db, store& s, int n) {
  std::vector<std::string> items;
  for (int i = 0; i < n; ++i) items.push_back("item" + std::to_string(i));
  const run_id parent = start_run(s, flows::order(items));
  db.sql("UPDATE braid_runs SET status = 'running', stack = NULL, waiting_for = NULL, event_type = NULL, version = 0 "
         "WHERE parent = " + to_string(parent));
  return get_run(s, parent).children;
}

std::string notice(const work_notice& w) {
  std::string out;
  if (w.runnable) out += " runnable";
  if (w.timers) out += " timers";
  if (w.messages) out += " messages";
  return out.empty() ? "none" : out.substr(1);
}

}  // namespace

TEST_SUITE("durable postgres store") {
  TEST_CASE("a connection string that does not parse, or a server that is not there, is refused with libpq's reason") {
    CHECK(error_of(error_kind::store, [] { postgres_store s("this is not a connection string"); }) ==
          "braid: cannot use 'this is not a connection string' as the connection string of a PostgreSQL run store: "
          "missing \"=\" after \"this\" in connection info string (libpq's form: 'host=... port=... dbname=...', "
          "or a postgresql:// URI)");
    const std::string gone = error_of(error_kind::store, [] { postgres_store s("host=/nonexistent/dir port=5 dbname=x"); });
    CHECK(gone.find("braid: cannot connect to the PostgreSQL run store 'host=/nonexistent/dir port=5 dbname=x': "
                    "connection to server on socket \"/nonexistent/dir/.s.PGSQL.5\" failed: No such file or directory") ==
          0);
    CHECK(gone.find("(is the server running, and do the connection string's host, port, user and dbname name it? "
                    "nothing was changed)") != std::string::npos);
    // A closed local port.
    const int port = durable_test::pg::free_port();
    const std::string refused = error_of(error_kind::store, [&] {
      postgres_store s("host=127.0.0.1 port=" + std::to_string(port) + " dbname=x sslmode=disable gssencmode=disable");
    });
    CHECK(refused.find("Connection refused") != std::string::npos);
    // A password is never shown.
    const std::string secret = error_of(error_kind::store, [] {
      postgres_store s("host=/nonexistent/dir port=5 dbname=x password=hunter2");
    });
    CHECK(secret.find("hunter2") == std::string::npos);
    CHECK(secret.find("password=***") != std::string::npos);
    CHECK(error_of(error_kind::store, [] { postgres_store s("postgresql://ann:hunter2@/x?host=/nonexistent/dir"); })
              .find("hunter2") == std::string::npos);
    CHECK(error_of(error_kind::store, [] { postgres_store s("password=hunter2 nonsense"); }).find("hunter2") ==
          std::string::npos);
  }

  TEST_CASE("a database that does not exist is refused with the server's message") {
    const std::string msg = error_of(error_kind::store, [] {
      postgres_store s(durable_test::pg::conninfo() + " dbname=no_such_database_here");
    });
    CHECK(msg.find("database \"no_such_database_here\" does not exist") != std::string::npos);
  }

  TEST_CASE("the store is reached over TCP as over the Unix socket") {
    if (!durable_test::pg::own_server()) return;  // BRAID_PG_CONNINFO: one way in
    const place db("tcp");
    postgres_options o;
    o.schema = db.schema();
    postgres_store s(durable_test::pg::tcp_conninfo(), o);
    const run_id id = start_run(s, flows::survey("tia"));
    const auto other = db.open();
    CHECK(continue_run(*other, id, make_event("e", "answer:tia", std::string("ok"))).status == run_status::complete);
    CHECK(get_run(s, id).result_as<int>() == 1);
  }

  TEST_CASE("a new schema gets braid's tables, schema version 2; another schema is another store") {
    const place a("schema_a"), b("schema_b");
    const auto sa = a.open_pg();
    const auto sb = b.open_pg();
    CHECK(a.sql("SELECT key, value FROM braid_meta ORDER BY key") == std::vector<std::string>{"backend|postgresql", "schema|2"});
    CHECK(a.sql("SELECT count(*) FROM pg_tables WHERE schemaname = '" + a.schema() + "' AND tablename LIKE 'braid%'") ==
          std::vector<std::string>{"9"});
    CHECK(sa->describe() == "the PostgreSQL run store '" + durable_test::pg::conninfo() + "' (schema " + a.schema() + ")");
    CHECK(sa->schema() == a.schema());
    const run_id x = start_run(*sa, flows::survey("ann"));
    const run_id y = start_run(*sb, flows::survey("bob"));
    CHECK(x == run_id(1));
    CHECK(y == run_id(1));
    CHECK(get_run(*sa, x).waiting_for == "answer:ann");
    CHECK(get_run(*sb, y).waiting_for == "answer:bob");
  }

  TEST_CASE("two connections opening a new store at once create it once") {
    const place db("schema_race");
    std::vector<std::string> errors(4);
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i)
      ts.emplace_back([&, i] {
        try {
          db.open();
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    for (auto& t : ts) t.join();
    CHECK(errors == std::vector<std::string>(4));
    CHECK(db.sql("SELECT count(*) FROM braid_meta") == std::vector<std::string>{"2"});
  }

  TEST_CASE("a schema of another braid schema version, or with tables named like braid's, is refused and left as it was") {
    const place db("schema_newer");
    const std::string where = db.open()->describe();
    db.sql("UPDATE braid_meta SET value = '3' WHERE key = 'schema'");
    CHECK(error_of(error_kind::store, [&] { db.open(); }) ==
          "braid: " + where +
              " has braid schema version '3', and this program's PostgreSQL store knows version 2 (made by another "
              "braid?); nothing was written to it");
    CHECK(db.sql("SELECT value FROM braid_meta WHERE key = 'schema'") == std::vector<std::string>{"3"});

    const place other("schema_other");
    other.sql("CREATE SCHEMA \"" + other.schema() + "\"");
    other.sql("CREATE TABLE braid_runs (name text)");
    other.sql("INSERT INTO braid_runs VALUES ('not ours')");
    const std::string msg = error_of(error_kind::store, [&] { other.open(); });
    CHECK(msg.find("its schema has tables named like braid's (braid_runs) but no braid_meta, so it is not a braid run "
                   "store; nothing was written to it") != std::string::npos);
    CHECK(other.sql("SELECT * FROM braid_runs") == std::vector<std::string>{"not ours"});
    CHECK(other.sql("SELECT count(*) FROM pg_tables WHERE schemaname = '" + other.schema() + "'") ==
          std::vector<std::string>{"1"});
  }

  TEST_CASE("another application's tables in the schema are left alone; create = false refuses a schema without a store") {
    const place db("schema_shared");
    db.sql("CREATE SCHEMA \"" + db.schema() + "\"");
    db.sql("CREATE TABLE customers (name text)");
    CHECK(error_of(error_kind::store, [&] { db.open_pg(false); })
              .find("braid: there is no braid run store in the PostgreSQL run store") == 0);
    CHECK(db.sql("SELECT count(*) FROM pg_tables WHERE schemaname = '" + db.schema() + "'") ==
          std::vector<std::string>{"1"});
    const auto s = db.open();
    CHECK(start_run(*s, flows::product(2, 3)) == run_id(1));
    CHECK(db.sql("SELECT count(*) FROM customers") == std::vector<std::string>{"0"});
    CHECK(error_of(error_kind::store, [] {
            postgres_options o;
            o.schema = "";
            postgres_store s(durable_test::pg::conninfo(), o);
          }) == "braid: postgres_options::schema '' cannot name the schema of a PostgreSQL run store (it must have 1 to "
                "57 bytes, and no NUL)");
  }

  TEST_CASE("text PostgreSQL refuses fails the step with the store's message, and nothing is stored") {
    const place db("nul");
    const auto s = db.open();
    const run_id id = start_run(*s, flows::survey("ann"));
    const std::string before = db.snapshot(id);
    const std::string msg = error_of(error_kind::store, [&] {
      continue_run(*s, id, make_event(std::string("e\0x", 3), "answer:ann", std::string("x")));
    });
    CHECK(msg.find("braid: " + s->describe() + ": ") == 0);
    CHECK(msg.find("must be valid in the database's encoding and hold no NUL byte") != std::string::npos);
    CHECK(db.snapshot(id) == before);
    CHECK(continue_run(*s, id, make_event("e", "answer:ann", std::string("x"))).status == run_status::complete);
  }

  TEST_CASE("a lost connection fails the call in progress; the next call reconnects") {
    const place db("lost");
    postgres_options o;
    o.schema = db.schema();
    postgres_store s(durable_test::pg::conninfo() + " application_name=braid-lost-test", o);
    const run_id id = start_run(s, flows::survey("lee"));
    db.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'braid-lost-test'");
    for (int i = 0; i < 500 && db.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                      "'braid-lost-test'") != std::vector<std::string>{"0"};
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // until the backend is gone
    const std::string msg = error_of(error_kind::store, [&] { get_run(s, id); });
    CHECK(msg.find("braid: " + s.describe() + ": loading a run failed: ") == 0);
    CHECK(msg.find("(the connection to the server was lost; nothing was committed; the next call reconnects)") !=
          std::string::npos);
    CHECK(get_run(s, id).waiting_for == "answer:lee");
    CHECK(continue_run(s, id, make_event("e", "answer:lee", std::string("x"))).status == run_status::complete);
  }
}

TEST_SUITE("durable postgres claims") {
  TEST_CASE("a run one connection has claimed is skipped by another; the claim ends with the step's commit") {
    const place db("claims");
    const auto a = db.open_pg();
    const auto b = db.open_pg();
    const auto kids = due_children(db, *a, 3);
    CHECK(a->claims());
    CHECK(a->claim_run(kids[0]));
    CHECK(a->claim_run(kids[0]));  // held already
    CHECK_FALSE(b->claim_run(kids[0]));
    CHECK(b->claim_runnable(run_id{}) == kids[1]);  // kids[0] is skipped, not waited for
    b->release_claim();
    // b steps every due run but the claimed one.
    CHECK(resume_runs(*b) == 2);
    CHECK(get_run(*b, kids[1]).status == run_status::waiting);
    CHECK(get_run(*b, kids[2]).status == run_status::waiting);
    CHECK(get_run(*b, kids[0]).status == run_status::running);
    // a's step of its claimed run commits (and ends the claim).
    CHECK(resume_runs(*a) == 1);
    CHECK(get_run(*a, kids[0]).status == run_status::waiting);
    CHECK(get_run(*a, kids[0]).step == 1);
    CHECK_FALSE(b->claim_run(kids[0]));  // not runnable any more
    CHECK(b->claim_runnable(run_id{}) == std::nullopt);
  }

  TEST_CASE("release_claim gives a run back; writes on a connection holding a claim are refused") {
    const place db("claims_release");
    const auto a = db.open_pg();
    const auto b = db.open_pg();
    const auto kids = due_children(db, *a, 1);
    REQUIRE(a->claim_runnable(run_id{}) == kids[0]);
    CHECK(error_of(error_kind::misuse, [&] { publish(*a, "t", 1); }) ==
          "braid: " + a->describe() + ": publishing while this connection holds the claim of run " + to_string(kids[0]) +
              " (its step's transaction is open); use another postgres_store object for it");
    CHECK(error_of(error_kind::misuse, [&] { a->claim_run(run_id(99)); }).find("claiming run 99 while") !=
          std::string::npos);
    CHECK(get_run(*a, kids[0]).status == run_status::running);  // reads are fine
    a->release_claim();
    a->release_claim();  // nothing held: nothing to do
    CHECK(b->claim_run(kids[0]));
    b->release_claim();
    CHECK(resume_runs(*b) == 1);
  }

  TEST_CASE("a claim waits for a commit that holds the run's row only briefly") {
    // Another transaction holds the run's row (as a child's commit waking
    // its parent does) and ends 200 ms later: claim_run waits for it instead
    // of skipping the run as one another worker is stepping.
    const place db("claims_wait");
    const auto a = db.open_pg();
    const auto kids = due_children(db, *a, 1);
    PGconn* other = PQconnectdb(durable_test::pg::conninfo().c_str());
    REQUIRE(PQstatus(other) == CONNECTION_OK);
    durable_test::pg::run_admin(other, "SET search_path TO \"" + db.schema() + "\"");
    durable_test::pg::run_admin(other, "BEGIN");
    durable_test::pg::run_admin(other, "SELECT 1 FROM braid_runs WHERE id = " + to_string(kids[0]) + " FOR UPDATE");
    std::thread t([&] { durable_test::pg::run_admin(other, "SELECT pg_sleep(0.2); COMMIT"); });
    const bool claimed = a->claim_run(kids[0]);
    t.join();
    PQfinish(other);
    CHECK(claimed);
    CHECK(resume_runs(*a) == 1);
  }
}

TEST_SUITE("durable postgres notifications") {
  TEST_CASE("another connection's commit wakes wait_for_work with what it made; the waiter's own commits do not") {
    const place db("notify");
    const auto w = db.open_pg();
    const auto c = db.open_pg();
    CHECK(notice(w->wait_for_work(std::chrono::seconds(60))) == "runnable timers messages");  // began listening: rescan
    // Runnable: a run with children (c runs their first steps itself; the
    // notification is for other workers).
    start_run(*c, flows::order({"a"}));
    CHECK(notice(w->wait_for_work(std::chrono::seconds(60))) == "runnable");
    // A timer.
    const run_id in = start_run(*c, flows::inbox("n"));
    continue_run(*c, in, make_event("c1", "in:n", std::string("after 60000 x")));
    CHECK(notice(w->wait_for_work(std::chrono::seconds(60))) == "timers");
    // A published message for a subscriber.
    continue_run(*c, in, make_event("c2", "in:n", std::string("sub news")));
    CHECK(publish(*c, "news", std::string("hello")) == 1);
    CHECK(notice(w->wait_for_work(std::chrono::seconds(60))) == "messages");
    // A publish nobody subscribed to, and the waiter's own commit: nothing.
    CHECK(publish(*c, "weather", std::string("rain")) == 0);
    start_run(*w, flows::order({"b"}));
    CHECK(notice(w->wait_for_work(std::chrono::milliseconds(200))) == "none");
    w->interrupt();
    CHECK(notice(w->wait_for_work(std::chrono::seconds(60))) == "none");  // at once
  }

  TEST_CASE("a worker blocked in wait_for_work returns as soon as another connection commits") {
    const place db("notify_blocked");
    const auto w = db.open_pg();
    const auto c = db.open_pg();
    w->listen();
    std::mutex m;
    std::vector<std::string> order;
    std::thread t([&] {
      const work_notice n = w->wait_for_work(std::chrono::seconds(120));
      std::lock_guard<std::mutex> g(m);
      order.push_back("woken " + notice(n));
    });
    {
      std::lock_guard<std::mutex> g(m);
      order.push_back("committing");
    }
    start_run(*c, flows::order({"a"}));
    t.join();
    CHECK(order == std::vector<std::string>{"committing", "woken runnable"});
  }

  TEST_CASE("a registry worker is woken by another connection's publish and timer") {
    const place db("notify_registry");
    const auto w = db.open_pg();
    const auto c = db.open_pg();
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::string> got;
    const dispatch_fn prev = install_dispatch([&](store& s, run_id id, const event& ev) {
      const delivery d = continue_dispatch(s, id, ev);
      {
        std::lock_guard<std::mutex> g(m);
        got.push_back(ev.id + " " + std::string(to_string(d)));
      }
      cv.notify_all();
      return d;
    });
    const run_id in = start_run(*c, flows::inbox("r"));
    continue_run(*c, in, make_event("c1", "in:r", std::string("sub news")));
    registry_worker worker(*w);
    worker.start();
    const auto wait_for = [&](std::size_t n) {
      std::unique_lock<std::mutex> g(m);
      return cv.wait_for(g, std::chrono::seconds(60), [&] { return got.size() >= n; });
    };
    CHECK(publish(*c, "news", std::string("m1")) == 1);  // c's process wakes no worker of w: NOTIFY does
    CHECK(wait_for(1));
    // A timer c's step adds, due at once.
    continue_run(*c, in, make_event("c2", "in:r", std::string("after 0 ring t1")));
    CHECK(wait_for(2));
    worker.stop();
    install_dispatch(prev);
    CHECK(got == std::vector<std::string>{"topic:news#1 delivered", "t1 delivered"});
    CHECK(durable_test::outputs(*c, in) == std::vector<std::string>{"\"m1\"", "\"ring\""});
  }
}
