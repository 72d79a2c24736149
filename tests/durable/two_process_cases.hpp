// SPDX-License-Identifier: MIT
// Two processes on one store (fork + exec of the worker), for every
// backend: included by two_process_test.cpp (SQLite) and
// pg_processes_test.cpp (PostgreSQL) after they define BRAID_STORE_BACKENDS
// (see runs_cases.hpp). A run started in one process continues in another;
// two continuing the same run at once (one is stopped at a step point while
// the other commits) give one winner and a clear error, or a duplicate for
// the same event; code of another version never resumes a run, and the
// code that stored it still can.
#pragma once

#include "durable_support.hpp"
#include "flows.hpp"

#include <braid/durable.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

#ifndef BRAID_STORE_BACKENDS
#error "define BRAID_STORE_BACKENDS (the backend types the cases run on) before including two_process_cases.hpp"
#endif

namespace two_process_cases {

using namespace braid::durable;
using durable_test::outputs;
using durable_test::process;
using durable_test::run_process;
using strings = std::vector<std::string>;


inline run_id started(const durable_test::process_result& r) {
  REQUIRE_MESSAGE(r.status == 0, r.out);
  REQUIRE(r.out.rfind("run ", 0) == 0);
  return run_id(std::stoll(r.out.substr(4)));
}

}  // namespace two_process_cases

using namespace two_process_cases;

TEST_SUITE("durable two processes") {
  TEST_CASE_TEMPLATE("a run started by one process is continued by others, step by step", B, BRAID_STORE_BACKENDS) {
    const std::string worker = B::worker();
    const typename B::place db("procs.db");
    const run_id id = started(run_process({worker, "start", db.spec(), "survey", "fay"}));
    CHECK(run_process({worker, "continue", db.spec(), to_string(id), "e1", "answer:fay", "\"\""}).out == "continued waiting\n");
    CHECK(run_process({worker, "continue", db.spec(), to_string(id), "e2", "answer:fay", "\"sure\""}).out ==
          "continued complete\n");
    const auto s_ = db.open();
    store& s = *s_;
    CHECK(get_run(s, id).result_as<int>() == 2);
    CHECK(outputs(s, id) == strings{"\"ask fay\"", "\"ask fay\"", "\"fay said sure\""});
  }

  TEST_CASE_TEMPLATE("two processes continue the same run: the first to commit wins, the other gets a conflict", B, BRAID_STORE_BACKENDS) {
    const std::string worker = B::worker();
    const typename B::place db("race.db");
    const run_id id = started(run_process({worker, "start", db.spec(), "tally", "1", "2"}));
    // A runs its step in memory and stops before writing it.
    process a({worker, "continue", db.spec(), to_string(id), "ea", "add", "10"}, {"BRAID_DURABLE_STOP_AT=before_write"});
    REQUIRE(a.wait_stopped());
    // B delivers another event to the same listen and commits.
    CHECK(run_process({worker, "continue", db.spec(), to_string(id), "eb", "add", "3"}).out == "continued waiting\n");
    a.resume();
    const auto ra = a.finish();
    CHECK(ra.status == 2);
    CHECK(ra.out == "error conflict: braid: run " + to_string(id) +
                        " was continued by another process while this one ran event 'ea' (this step started at step 1; "
                        "the run is now at step 2); this step was discarded and nothing was stored: continue_run again "
                        "to deliver the event to the run as it is now\n");
    const auto s_ = db.open();
    store& s = *s_;
    CHECK(outputs(s, id) == strings{"3"});
    const auto evs = get_events(s, id);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].id == "eb");
    // Delivered again, A's event continues the run as it is now.
    CHECK(continue_run(s, id, make_event("ea", "add", 10L)).status == run_status::complete);
    CHECK(get_run(s, id).result_as<long>() == 3 + 20);
  }

  TEST_CASE_TEMPLATE("two processes deliver the same event at once: it continues the run once", B, BRAID_STORE_BACKENDS) {
    const std::string worker = B::worker();
    const typename B::place db("race_same.db");
    const run_id id = started(run_process({worker, "start", db.spec(), "tally", "1", "2"}));
    process a({worker, "continue", db.spec(), to_string(id), "e1", "add", "10"}, {"BRAID_DURABLE_STOP_AT=before_write"});
    REQUIRE(a.wait_stopped());
    CHECK(run_process({worker, "continue", db.spec(), to_string(id), "e1", "add", "10"}).out == "continued waiting\n");
    a.resume();
    const auto ra = a.finish();
    CHECK(ra.status == 0);
    CHECK(ra.out == "duplicate waiting\n");
    const auto s_ = db.open();
    store& s = *s_;
    CHECK(outputs(s, id) == strings{"10"});
    CHECK(get_run(s, id).step == 2);
  }

  TEST_CASE_TEMPLATE("a writer stopped inside its transaction holds the others back; they then see its commit", B, BRAID_STORE_BACKENDS) {
    const std::string worker = B::worker();
    const typename B::place db("race_locked.db");
    const run_id id = started(run_process({worker, "start", db.spec(), "tally", "1", "2"}));
    // A is inside its BEGIN IMMEDIATE transaction, rows written, not committed.
    process a({worker, "continue", db.spec(), to_string(id), "ea", "add", "10"}, {"BRAID_DURABLE_STOP_AT=in_transaction"});
    REQUIRE(a.wait_stopped());
    // Readers are not blocked (WAL), and see the state before A's step.
    {
      const auto s_ = db.open();
      store& s = *s_;
      CHECK(get_run(s, id).step == 1);
      CHECK(outputs(s, id).empty());
    }
    // B has run its step on that state too, and stops before writing.
    process b({worker, "continue", db.spec(), to_string(id), "eb", "add", "3"}, {"BRAID_DURABLE_STOP_AT=before_write"});
    REQUIRE(b.wait_stopped());
    b.resume();  // B now waits for A's write lock (the busy timeout)
    a.resume();  // A commits; B gets the lock and finds the run moved on
    CHECK(a.finish().out == "continued waiting\n");
    const auto rb = b.finish();
    CHECK(rb.status == 2);
    CHECK(rb.out.find("error conflict: braid: run " + to_string(id) + " was continued by another process while this "
                                                                      "one ran event 'eb'") == 0);
    const auto s_ = db.open();
    store& s = *s_;
    CHECK(outputs(s, id) == strings{"10"});
  }

  TEST_CASE_TEMPLATE("a process killed after its commit, before it could answer, lost nothing; the redelivery is a duplicate", B, BRAID_STORE_BACKENDS) {
    const std::string worker = B::worker();
    const typename B::place db("killed.db");
    const run_id id = started(run_process({worker, "start", db.spec(), "tally", "1", "2"}));
    {
      process a({worker, "continue", db.spec(), to_string(id), "e1", "add", "4"}, {"BRAID_DURABLE_STOP_AT=after_commit"});
      REQUIRE(a.wait_stopped());
    }  // SIGKILL while stopped after the commit, before it could answer
    CHECK(run_process({worker, "resume", db.spec()}).out == "resumed 0\n");
    CHECK(run_process({worker, "continue", db.spec(), to_string(id), "e1", "add", "4"}).out == "duplicate waiting\n");
    const auto s_ = db.open();
    store& s = *s_;
    CHECK(outputs(s, id) == strings{"4"});
  }

  TEST_CASE_TEMPLATE("a process killed inside its transaction committed nothing; the redelivery continues the run", B, BRAID_STORE_BACKENDS) {
    const std::string worker = B::worker();
    const typename B::place db("killed_txn.db");
    const run_id id = started(run_process({worker, "start", db.spec(), "tally", "1", "2"}));
    const std::string before = db.snapshot(id);
    {
      process a({worker, "continue", db.spec(), to_string(id), "e1", "add", "4"}, {"BRAID_DURABLE_STOP_AT=in_transaction"});
      REQUIRE(a.wait_stopped());
    }  // SIGKILL with the transaction open
    CHECK(db.snapshot(id) == before);
    CHECK(run_process({worker, "continue", db.spec(), to_string(id), "e1", "add", "4"}).out == "continued waiting\n");
    const auto s_ = db.open();
    store& s = *s_;
    CHECK(outputs(s, id) == strings{"4"});
  }

  TEST_CASE_TEMPLATE("child runs across processes: each approval in another process, the parent woken in the child's", B, BRAID_STORE_BACKENDS) {
    const std::string worker = B::worker();
    const typename B::place db("procs_children.db");
    const run_id parent = started(run_process({worker, "start", db.spec(), "order", "ink", "quill"}));
    std::vector<run_id> kids;
    {
      const auto s_ = db.open();
      store& s = *s_;
      kids = get_run(s, parent).children;
    }
    REQUIRE(kids.size() == 2);
    CHECK(run_process({worker, "continue", db.spec(), to_string(kids[1]), "a2", "approve:quill", "true"}).out ==
          "continued complete\n");
    CHECK(run_process({worker, "continue", db.spec(), to_string(kids[0]), "a1", "approve:ink", "true"}).out ==
          "continued complete\n");
    const auto s_ = db.open();
    store& s = *s_;
    CHECK(get_run(s, parent).status == run_status::complete);
    CHECK(get_run(s, parent).result_as<int>() == 3 + 5);
  }

  TEST_CASE_TEMPLATE("a child that ends while its parent's step is deciding to wait for it does not leave the parent waiting", B, BRAID_STORE_BACKENDS) {
    const std::string worker = B::worker();
    const typename B::place db("lost_wakeup.db");
    const run_id parent = started(run_process({worker, "start", db.spec(), "order", "ink", "quill"}));
    std::vector<run_id> kids;
    {
      const auto s_ = db.open();
      store& s = *s_;
      kids = get_run(s, parent).children;
    }
    REQUIRE(kids.size() == 2);
    // A ends the first child; the parent, woken, takes its result and
    // decides to wait for the second, which has not ended (A stops there,
    // before writing the parent's step: its 2nd step).
    process a({worker, "continue", db.spec(), to_string(kids[0]), "a1", "approve:ink", "true"},
              {"BRAID_DURABLE_STOP_AT=before_write:2"});
    REQUIRE(a.wait_stopped());
    // B ends the second child meanwhile: the parent is not stored as
    // waiting for it yet, so nothing wakes it.
    CHECK(run_process({worker, "continue", db.spec(), to_string(kids[1]), "a2", "approve:quill", "true"}).out ==
          "continued complete\n");
    {
      const auto s_ = db.open();
      store& s = *s_;
      CHECK(get_run(s, parent).status == run_status::running);
    }
    // A's commit finds the second child ended: the parent is due at once,
    // and A runs its last step.
    a.resume();
    CHECK(a.finish().out == "continued complete\n");
    const auto s_ = db.open();
    store& s = *s_;
    CHECK(get_run(s, parent).status == run_status::complete);
    CHECK(get_run(s, parent).result_as<int>() == 3 + 5);
  }

  TEST_CASE_TEMPLATE("another version of the code never resumes a run; the code that stored it still can", B, BRAID_STORE_BACKENDS) {
    const std::string worker = B::worker(), worker_v2 = B::worker_v2();
    const typename B::place db("versions.db");
    const run_id id = started(run_process({worker, "start", db.spec(), "survey", "gus"}));
    const std::string i = to_string(id);
    const std::string why =
        "braid: run " + i + " is blocked by version: partition 'survey(std::string)#2' (flows.cpp:26:17) differs from "
        "the code that stored the run (stored hash 0x5e7f00a1c0de0002, this program's 0x5e7f00a1c0de2222). It was "
        "stored by other code: continue it with the program that stored it, or cancel it with cancel_mode::kill (braid-runs cancel --kill)";
    const auto r2 = run_process({worker_v2, "continue", db.spec(), i, "e1", "answer:gus", "\"hi\""});
    CHECK(r2.status == 2);
    CHECK(r2.out == "error version-blocked: " + why + "\n");
    {
      const auto s_ = db.open();
      store& s = *s_;
      const run_info info = get_run(s, id);
      CHECK(info.status == run_status::blocked_by_version);
      CHECK(info.blocked == why);
      CHECK(get_events(s, id).empty());
      CHECK(outputs(s, id) == strings{"\"ask gus\""});
    }
    // v2 cannot unwind it either; the v1 program continues it.
    CHECK(run_process({worker_v2, "cancel", db.spec(), i}).out.find("error version-blocked:") == 0);
    CHECK(run_process({worker, "continue", db.spec(), i, "e1", "answer:gus", "\"hi\""}).out == "continued complete\n");
    const auto s_ = db.open();
    store& s = *s_;
    CHECK(get_run(s, id).status == run_status::complete);
    CHECK(outputs(s, id).back() == "\"gus said hi\"");

    // And the other way round: a run v2 stored, v1 does not resume.
    const run_id id2 = started(run_process({worker_v2, "start", db.spec(), "survey", "hal"}));
    CHECK(run_process({worker, "continue", db.spec(), to_string(id2), "e1", "answer:hal", "\"yo\""}).out.find(
              "error version-blocked: braid: run " + to_string(id2) +
              " is blocked by version: partition 'survey(std::string)#2'") == 0);
    CHECK(run_process({worker_v2, "continue", db.spec(), to_string(id2), "e1", "answer:hal", "\"yo\""}).out ==
          "continued complete\n");
    CHECK(get_run(s, id2).result_as<int>() == 1);
    CHECK(outputs(s, id2).back() == "\"hal said v2 yo\"");
  }

  TEST_CASE_TEMPLATE("a version change in a partition the run is not stored at does not block it", B, BRAID_STORE_BACKENDS) {
    const std::string worker = B::worker(), worker_v2 = B::worker_v2();
    // v2 changes survey#2 only; a tally run (or a run of survey that has
    // ended) is untouched by it.
    const typename B::place db("versions_other.db");
    const run_id id = started(run_process({worker, "start", db.spec(), "tally", "5", "1"}));
    CHECK(run_process({worker_v2, "continue", db.spec(), to_string(id), "e", "add", "2"}).out == "continued complete\n");
  }
}
