// SPDX-License-Identifier: MIT
// Worker processes on one PostgreSQL store (pg_support.hpp's server): the
// two-process cases every backend runs (two_process_cases.hpp), then
// scale-out: two workers sharing one set of due runs claim them with
// FOR UPDATE SKIP LOCKED, so that no run is stepped twice (every step a
// worker runs in memory is logged, BRAID_DURABLE_LOG_STEPS); a worker
// blocked in wait_for_work is woken by another process's commit (NOTIFY)
// and runs the steps it made due; a worker killed in a claimed step loses
// its claim with its connection.
#include "pg_support.hpp"

#define BRAID_STORE_BACKENDS durable_test::pg::pg_backend
#include "two_process_cases.hpp"

#include <braid/durable.hpp>

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace braid::durable;
using durable_test::process;
using durable_test::run_process;
using place = durable_test::pg::pg_backend::place;

namespace {

const std::string worker = BRAID_DURABLE_WORKER_PG;

/// Starts an order run of `n` items in a worker process that dies right
/// after the parent's commit: its `n` children are left due (running, not
/// started), as a crash leaves them. Returns the children, in id order.
std::vector<run_id> seed_due_children(const place& db, int n) {
  std::vector<std::string> argv = {worker, "start", db.spec(), "order"};
  for (int i = 0; i < n; ++i) argv.push_back("i" + std::to_string(i));
  {
    process p(argv, {"BRAID_DURABLE_STOP_AT=after_commit:1"});
    REQUIRE(p.wait_stopped());
  }  // SIGKILL
  std::vector<run_id> kids;
  for (const auto& r : db.sql("SELECT id FROM braid_runs WHERE status = 'running' ORDER BY id"))
    kids.push_back(run_id(std::stoll(r)));
  REQUIRE(kids.size() == static_cast<std::size_t>(n));
  return kids;
}

struct worker_log {
  std::vector<run_id> stepped;  // "step ID" lines, in order
  std::vector<std::string> other;
};

worker_log parse(const std::string& out) {
  worker_log l;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("step ", 0) == 0)
      l.stepped.push_back(run_id(std::stoll(line.substr(5))));
    else
      l.other.push_back(line);
  }
  return l;
}

}  // namespace

TEST_SUITE("durable postgres workers") {
  TEST_CASE("a worker skips the run another worker has claimed and is stepping; each run is stepped once") {
    const place db("skip_locked");
    const auto kids = seed_due_children(db, 20);
    // A claims the first due run, runs its step in memory, and stops before
    // writing it: it holds the run's row (its claim) all that time.
    process a({worker, "resume", db.spec()}, {"BRAID_DURABLE_STOP_AT=before_write:1", "BRAID_DURABLE_LOG_STEPS=1"});
    REQUIRE(a.wait_stopped());
    // B steps every other due run, and not A's.
    const auto rb = run_process({worker, "resume", db.spec()}, {"BRAID_DURABLE_LOG_STEPS=1"});
    REQUIRE_MESSAGE(rb.status == 0, rb.out);
    const worker_log lb = parse(rb.out);
    INFO("B: ", rb.out);
    CHECK(lb.stepped == std::vector<run_id>(kids.begin() + 1, kids.end()));
    CHECK(lb.other == std::vector<std::string>{"resumed 19"});
    // A writes its step, and finds nothing else due.
    a.resume();
    const auto ra = a.finish();
    REQUIRE_MESSAGE(ra.status == 0, ra.out);
    const worker_log la = parse(ra.out);
    CHECK(la.stepped == std::vector<run_id>{kids[0]});
    CHECK(la.other == std::vector<std::string>{"resumed 1"});
    // One commit each: every child listens, at step 1.
    CHECK(db.sql("SELECT status, version, count(*) FROM braid_runs WHERE parent IS NOT NULL GROUP BY status, version") ==
          std::vector<std::string>{"waiting|1|20"});
  }

  TEST_CASE("two workers resuming one set of due runs at once step each run exactly once between them") {
    const place db("two_workers");
    const auto kids = seed_due_children(db, 120);
    process a({worker, "resume", db.spec()}, {"BRAID_DURABLE_LOG_STEPS=1"});
    process b({worker, "resume", db.spec()}, {"BRAID_DURABLE_LOG_STEPS=1"});
    const auto ra = a.finish();
    const auto rb = b.finish();
    REQUIRE_MESSAGE(ra.status == 0, ra.out);
    REQUIRE_MESSAGE(rb.status == 0, rb.out);
    const worker_log la = parse(ra.out), lb = parse(rb.out);
    INFO("A: ", ra.out, "B: ", rb.out);
    std::map<run_id, int> times;
    for (run_id id : la.stepped) ++times[id];
    for (run_id id : lb.stepped) ++times[id];
    CHECK(la.stepped.size() + lb.stepped.size() == kids.size());  // no step ran twice (no conflict either)
    CHECK(times.size() == kids.size());
    for (run_id k : kids) CHECK_MESSAGE(times[k] == 1, "run ", to_string(k), " stepped ", times[k], " times");
    CHECK(la.other == std::vector<std::string>{"resumed " + std::to_string(la.stepped.size())});
    CHECK(lb.other == std::vector<std::string>{"resumed " + std::to_string(lb.stepped.size())});
    CHECK(db.sql("SELECT status, version, count(*) FROM braid_runs WHERE parent IS NOT NULL GROUP BY status, version") ==
          std::vector<std::string>{"waiting|1|120"});
  }

  TEST_CASE("a worker killed in the middle of a claimed step: its claim ends with its connection, and another worker steps the run") {
    const place db("killed_claim");
    const auto kids = seed_due_children(db, 3);
    {
      process a({worker, "resume", db.spec()}, {"BRAID_DURABLE_STOP_AT=before_write:1", "BRAID_DURABLE_LOG_STEPS=1"});
      REQUIRE(a.wait_stopped());
      // While A holds kids[0], B cannot take it.
      const auto rb = run_process({worker, "resume", db.spec()}, {"BRAID_DURABLE_LOG_STEPS=1"});
      CHECK(parse(rb.out).stepped == std::vector<run_id>{kids[1], kids[2]});
    }  // SIGKILL: the server rolls A's transaction back when it sees the connection close
    const std::string lockable = "SELECT count(*) FROM (SELECT 1 FROM braid_runs WHERE id = " + to_string(kids[0]) +
                                 " FOR UPDATE SKIP LOCKED) x";
    for (int i = 0; i < 1000 && db.sql(lockable) != std::vector<std::string>{"1"}; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // until the server has noticed
    const auto rc = run_process({worker, "resume", db.spec()}, {"BRAID_DURABLE_LOG_STEPS=1"});
    CHECK(rc.out == "step " + to_string(kids[0]) + "\nresumed 1\n");
    CHECK(db.sql("SELECT status, version, count(*) FROM braid_runs WHERE parent IS NOT NULL GROUP BY status, version") ==
          std::vector<std::string>{"waiting|1|3"});
  }

  TEST_CASE("a worker waiting for work is woken by another process's commit and runs the steps it made due") {
    const place db("wake");
    db.open();  // the schema, before the worker listens
    // W listens (and stops itself so that we know), then waits up to 120 s.
    process w({worker, "wait", db.spec(), "120000"});
    REQUIRE(w.wait_stopped());
    w.resume();
    // Another process starts an order run and dies right after its commit,
    // before it runs its children's first steps: the commit's NOTIFY is
    // what tells W.
    {
      process p({worker, "start", db.spec(), "order", "ink", "quill"}, {"BRAID_DURABLE_STOP_AT=after_commit:1"});
      REQUIRE(p.wait_stopped());
    }
    const auto rw = w.finish();
    REQUIRE_MESSAGE(rw.status == 0, rw.out);
    CHECK(rw.out == "woken runnable\nresumed 2\n");
    CHECK(db.sql("SELECT waiting_for FROM braid_runs WHERE parent IS NOT NULL ORDER BY id") ==
          std::vector<std::string>{"approve:ink", "approve:quill"});
  }

  TEST_CASE("a worker that waits with no work times out with nothing") {
    const place db("wake_none");
    db.open();
    process w({worker, "wait", db.spec(), "300"});
    REQUIRE(w.wait_stopped());
    w.resume();
    CHECK(w.finish().out == "timed out\nresumed 0\n");
  }
}
