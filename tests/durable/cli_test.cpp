// SPDX-License-Identifier: MIT
// braid-runs, run as a process on a store this test fills: the plain
// braid-runs (no durable functions in it: list and show from the
// self-describing frames, cancel --kill) and one linked with the flows
// (continue, cancel with handlers, resume). Output checked line by line.
#include "durable_support.hpp"
#include "flows.hpp"

#include <braid/durable.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <string>
#include <vector>

using namespace braid::durable;
using durable_test::fresh_path;
using durable_test::run_process;
using durable_test::snapshot;

namespace {

const std::string plain = BRAID_RUNS;
const std::string with_flows = BRAID_RUNS_WITH_FLOWS;

/// A store with runs in every state (ids 1..8, see the list below).
std::string make_store(const std::string& name) {
  const std::string path = fresh_path(name);
  sqlite_store s(path);
  const run_id survey = start_run(s, flows::survey("ann"));  // 1
  continue_run(s, survey, make_event("e1", "answer:ann", std::string()));
  start_run(s, flows::order({"pen", "book"}));  // 2, children 3 and 4
  const run_id tally = start_run(s, flows::tally(7, 1), {.key = "t7"});  // 5
  continue_run(s, tally, make_event("e1", "add", 5L));
  const run_id fails = start_run(s, flows::fails(2));  // 6
  continue_run(s, fails, make_event("e1", "fail:2", std::string("go")));
  start_run(s, flows::guarded("g", false));  // 7
  const run_id cart = start_run(s, flows::cart("ed"));  // 8
  continue_run(s, cart, make_event("c1", "cart:ed", flows::command{flows::item{"pen", 3}}));
  return path;
}

bool exists(const std::string& p) {
  struct stat sb;
  return ::stat(p.c_str(), &sb) == 0;
}

}  // namespace

TEST_SUITE("braid-runs") {
  TEST_CASE("list shows every run, one line each, without the runs' code") {
    const auto path = make_store("cli_list.db");
    const auto r = run_process({plain, "list", path});
    CHECK(r.status == 0);
    CHECK(r.out ==
          "ID  STATUS    STEP  FUNCTION                         WAITS FOR     PARENT\n"
          "1   waiting   2     survey(std::string)              answer:ann    -\n"
          "2   waiting   1     order(std::vector<std::string>)  child run 3   -\n"
          "3   waiting   1     approve(std::string)             approve:pen   2\n"
          "4   waiting   1     approve(std::string)             approve:book  2\n"
          "5   complete  2     tally(int, int)                  -             -\n"
          "6   failed    2     fails(int)                       -             -\n"
          "7   waiting   1     guarded(std::string, bool)       go:g          -\n"
          "8   waiting   2     cart(std::string)                cart:ed       -\n");
    CHECK(run_process({plain, "list", path, "--status", "complete"}).out ==
          "ID  STATUS    STEP  FUNCTION         WAITS FOR  PARENT\n"
          "5   complete  2     tally(int, int)  -          -\n");
    CHECK(run_process({plain, "list", path, "--parent", "2"}).out ==
          "ID  STATUS   STEP  FUNCTION              WAITS FOR     PARENT\n"
          "3   waiting  1     approve(std::string)  approve:pen   2\n"
          "4   waiting  1     approve(std::string)  approve:book  2\n");
    CHECK(run_process({plain, "list", path, "--index", "user=ann", "--function", "survey(std::string)"}).out ==
          "ID  STATUS   STEP  FUNCTION             WAITS FOR   PARENT\n"
          "1   waiting  2     survey(std::string)  answer:ann  -\n");
    CHECK(run_process({plain, "list", path, "--waiting", "cart:ed"}).out.find("\n8   waiting") != std::string::npos);
    CHECK(run_process({plain, "list", path, "--index", "user=nobody"}).out == "no runs\n");
    CHECK(run_process({plain, "list", path, "--limit", "1"}).out.find("\n2 ") == std::string::npos);
    const auto bad = run_process({plain, "list", path, "--index", "user"});
    CHECK(bad.status == 1);
    CHECK(bad.out == "braid-runs: --index user: expected KEY=VALUE\n");
    CHECK(run_process({plain, "list", path, "--status", "sleeping"}).status != 0);
  }

  TEST_CASE("show prints status, what the run waits for, its stack with source locations and locals, events, outputs") {
    const auto path = make_store("cli_show.db");
    CHECK(run_process({plain, "show", path, "1"}).out ==
              "run 1: survey(std::string)\n"
              "  status:    waiting (step 2)\n"
              "  called:    survey(\"ann\")\n"
              "  waits for: an event of context 'answer:ann' (a std::string)\n"
              "  parent:    -\n"
              "  index:     user = ann\n"
              "  stack (the root first; the run resumes in the last):\n"
              "    #0 survey(std::string)#2 at flows.cpp:26:17 (hash 0x5e7f00a1c0de0002)\n"
              "         user = \"ann\"   (parameter)\n"
              "         asked = 2\n"
              "         answer = \"\"\n"
              "  events:\n"
              "    step 2: 'e1' for 'answer:ann': \"\"\n"
              "  outputs:\n"
              "    1 (step 1): \"ask ann\"\n"
              "    2 (step 2): \"ask ann\"\n");
    CHECK(run_process({plain, "show", path, "2"}).out ==
          "run 2: order(std::vector<std::string>)\n"
          "  status:    waiting (step 1)\n"
          "  called:    order([\"pen\", \"book\"])\n"
          "  waits for: child run 3 to end\n"
          "  parent:    -\n"
          "  children:  3 (waiting), 4 (waiting)\n"
          "  stack (the root first; the run resumes in the last):\n"
          "    #0 order(std::vector<std::string>)#3 at flows.cpp:337:19 (hash 0x0d0e000000000003)\n"
          "         items = [\"pen\", \"book\"]   (parameter)\n"
          "         kids = [3, 4]\n"
          "         total = 0\n"
          "         failures = \"\"\n"
          "         i = 0\n");
    CHECK(run_process({plain, "show", path, "5"}).out ==
          "run 5: tally(int, int)\n"
          "  status:    complete (step 2)\n"
          "  key:       t7\n"
          "  called:    tally(7, 1)\n"
          "  result:    5\n"
          "  parent:    -\n"
          "  index:     sum = 5\n"
          "  events:\n"
          "    step 2: 'e1' for 'add': 5\n"
          "  outputs:\n"
          "    1 (step 2): 5\n");
    CHECK(run_process({plain, "show", path, "6"}).out.find("  error:     boom 2 (std::runtime_error)\n") !=
          std::string::npos);
    const std::string cart = run_process({plain, "show", path, "8"}).out;
    CHECK(cart.find("  waits for: an event of context 'cart:ed' (a std::variant<flows::item, std::string, "
                    "flows::color>)\n") != std::string::npos);
    CHECK(cart.find("         lines = {\"pen\": {\"sku\": \"pen\", \"qty\": 3}}\n"
                    "         paint = null\n"
                    "         seen = [3]\n"
                    "         log = []\n") != std::string::npos);
    CHECK(cart.find("'c1' for 'cart:ed': variant(0, {\"sku\": \"pen\", \"qty\": 3})") != std::string::npos);
  }

  TEST_CASE("a braid-runs without the runs' code refuses to run it, and changes nothing; --kill needs no code") {
    const auto path = make_store("cli_plain.db");
    const std::string before = snapshot(path, run_id(7));
    auto r = run_process({plain, "cancel", path, "7"});
    CHECK(r.status == 1);
    CHECK(r.out ==
          "braid-runs: braid: run 7 has a frame of 'guarded(std::string, bool)', a durable function this program does "
          "not contain (not linked in, or renamed); continue it with a program that has it, or cancel it with "
          "cancel_mode::kill (braid-runs cancel --kill)\n");
    r = run_process({plain, "continue", path, "1", "--event", "e2", "--context", "answer:ann", "--value", "\"yes\""});
    CHECK(r.status == 1);
    CHECK(r.out.find("a durable function this program does not contain") != std::string::npos);
    CHECK(snapshot(path, run_id(7)) == before);
    CHECK(run_process({plain, "functions"}).out ==
          "no durable functions (list and show need none; see braid-runs --help)\n");
    r = run_process({plain, "cancel", path, "7", "--kill"});
    CHECK(r.status == 0);
    CHECK(r.out == "run 7: cancelled\n");
  }

  TEST_CASE("a braid-runs linked with the functions continues runs and cancels them with their handlers") {
    const auto path = make_store("cli_flows.db");
    auto r = run_process({with_flows, "continue", path, "1", "--event", "e2", "--context", "answer:ann", "--value",
                          "\"yes\""});
    CHECK(r.status == 0);
    CHECK(r.out == "run 1: continued, now complete (step 3)\n");
    r = run_process({with_flows, "continue", path, "1", "--event", "e2", "--context", "answer:ann", "--value",
                     "\"yes\""});
    CHECK(r.out == "run 1: already received event 'e2'; nothing changed (complete, step 3)\n");
    r = run_process({with_flows, "continue", path, "8", "--event", "c2", "--context", "cart:ed", "--value",
                     "variant(0, {\"sku\": \"ink\", \"qty\": 1})"});
    CHECK(r.out == "run 8: continued, now waiting (step 3)\n");
    r = run_process({with_flows, "continue", path, "8", "--event", "c3", "--context", "cart:ed", "--value",
                     "variant(1, \"done\")"});
    CHECK(r.out == "run 8: continued, now complete (step 4)\n");
    CHECK(run_process({plain, "show", path, "8"}).out.find("  result:    \"ed: inkx1 penx3 unpainted log=0 seen=2\"\n") !=
          std::string::npos);
    r = run_process({with_flows, "cancel", path, "7"});
    CHECK(r.out == "run 7: cancelled\n");
    CHECK(run_process({plain, "show", path, "7"}).out.find("  outputs:\n    1 (step 2): \"cleanup g\"\n") !=
          std::string::npos);
    r = run_process({with_flows, "cancel", path, "2"});
    CHECK(r.out == "run 2: cancelled\n");
    CHECK(run_process({plain, "list", path, "--parent", "2"}).out.find("3   cancelled") != std::string::npos);
    CHECK(run_process({with_flows, "resume", path}).out == "0 due steps ran\n");
    const std::string fns = run_process({with_flows, "functions"}).out;
    CHECK(fns.find("survey(std::string)\n") != std::string::npos);
    CHECK(fns.find("order(std::vector<std::string>)\n") != std::string::npos);
  }

  TEST_CASE("bad input: an unknown run, a missing store, a wrong context, a value that is not the event's type") {
    const auto path = make_store("cli_bad.db");
    auto r = run_process({plain, "show", path, "99"});
    CHECK(r.status == 1);
    CHECK(r.out == "braid-runs: braid: no run 99 in the run store '" + path +
                       "' (braid-runs list <store> shows the runs there)\n");
    const std::string missing = fresh_path("cli_typo.db");
    r = run_process({plain, "list", missing});
    CHECK(r.status == 1);
    CHECK(r.out == "braid-runs: braid: there is no run store at '" + missing + "' (the file does not exist)\n");
    CHECK_FALSE(exists(missing));
    r = run_process({with_flows, "continue", path, "1", "--event", "e9", "--context", "answer:bob", "--value", "\"x\""});
    CHECK(r.status == 1);
    CHECK(r.out == "braid-runs: braid: run 1 listens for 'answer:ann', not 'answer:bob'; event 'e9' was not delivered\n");
    r = run_process({with_flows, "continue", path, "1", "--event", "e9", "--context", "answer:ann", "--value", "3"});
    CHECK(r.status == 1);
    CHECK(r.out.find("braid-runs: braid: cannot decode the payload of event 'e9': expected a text string for "
                     "std::string, found the unsigned integer 3") == 0);
    r = run_process({with_flows, "continue", path, "1", "--event", "e9", "--context", "answer:ann", "--value", "[1,"});
    CHECK(r.status == 1);
    CHECK(r.out == "braid-runs: braid: cannot read the value \"[1,\" at offset 3: expected a value, found the end of "
                   "the text\n");
    CHECK(run_process({plain, "show", path, "1"}).out.find("(step 2)") != std::string::npos);
  }
}
