// SPDX-License-Identifier: MIT
// The store behaviour cases of durable runs, for every backend: included by
// runs_test.cpp (the SQLite store) and pg_store_test.cpp (PostgreSQL) after
// they define BRAID_STORE_BACKENDS as their backend type(s) (a place per
// case: durable_support.hpp's sqlite_backend, pg_support.hpp's
// pg_backend). With the hand-written frames of flows.cpp: steps from listen
// to listen, exactly-once events, stacked frames, child runs, cancellation,
// queries, and every refusal (each one leaves the store as it was).
#pragma once

#include "durable_support.hpp"
#include "flows.hpp"

#include <braid/durable.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#ifndef BRAID_STORE_BACKENDS
#error "define BRAID_STORE_BACKENDS (the backend types the cases run on) before including runs_cases.hpp"
#endif

namespace runs_cases {

using namespace braid::durable;

// What differs between the hand-written frames (flows.cpp) and the same
// functions compiled by braidc from flows_src.cpp (BRAID_FLOWS_COMPILED,
// durable/runs_compiled): braidc's stable names are qualified, its
// partition numbers and source locations are its own, and its hashes are
// computed (so the version cases read them from the stored stack).
#if defined(BRAID_FLOWS_COMPILED)
inline const std::string ns = "flows::";
inline const std::string interview_at_call = "flows::interview(std::string, int)#4";
inline const std::string flows_file = "flows_src.cpp";
inline const std::uint32_t ask_listen_line = 34;
#else
inline const std::string ns;
inline const std::string interview_at_call = "interview(std::string, int)#3";
inline const std::string flows_file = "flows.cpp";
inline const std::uint32_t ask_listen_line = 122;
#endif
inline bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
inline std::string hash_text(std::uint64_t h) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(h));
  return buf;
}
using durable_test::error_of;
using durable_test::outputs;
using strings = std::vector<std::string>;

inline event text_event(std::string id, std::string context, std::string v) {
  return make_event(std::move(id), std::move(context), v);
}

inline std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

/// The run's stored stack, in diagnostic notation, read with raw SQL.
template <class Place>
std::string stored_stack(const Place& db, run_id id) {
  return to_diagnostic(unhex(db.sql("SELECT " + Place::hex("stack") + " FROM braid_runs WHERE id = " + to_string(id))[0]));
}

/// Replaces the stored stack with `text` (diagnostic notation), with raw SQL.
template <class Place>
void set_stored_stack(const Place& db, run_id id, const std::string& text) {
  std::string hexed;
  for (unsigned char c : from_diagnostic(text)) {
    static const char* d = "0123456789abcdef";
    hexed += d[c >> 4];
    hexed += d[c & 15];
  }
  db.sql("UPDATE braid_runs SET stack = " + Place::blob(hexed) + " WHERE id = " + to_string(id));
}

inline std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

/// A store that forwards to another and fails the commits of chosen runs
/// (as a process that dies before its commit would leave them).
class failing_store final : public store {
 public:
  explicit failing_store(store& s) : s_(s) {}
  std::vector<run_id> fail_commits_of;

  run_id allocate_id() override { return s_.allocate_id(); }
  std::optional<stored_run> load(run_id id) override { return s_.load(id); }
  std::optional<run_id> find_key(std::string_view k) override { return s_.find_key(k); }
  bool has_event(run_id id, std::string_view e) override { return s_.has_event(id, e); }
  commit_result commit(const step_record& r) override {
    for (run_id id : fail_commits_of)
      if (id == r.id) throw error(error_kind::store, "test: the commit of run " + to_string(id) + " failed");
    return s_.commit(r);
  }
  bool mark_blocked(run_id id, std::uint64_t v, std::string_view why) override { return s_.mark_blocked(id, v, why); }
  std::vector<run_id> children(run_id id) override { return s_.children(id); }
  std::map<std::string, std::string> index(run_id id) override { return s_.index(id); }
  std::vector<output_record> outputs(run_id id, std::uint64_t a) override { return s_.outputs(id, a); }
  std::vector<event_record> events(run_id id) override { return s_.events(id); }
  std::vector<run_id> find(const run_query& q) override { return s_.find(q); }
  std::vector<run_id> runnable() override { return s_.runnable(); }
  std::string describe() const override { return s_.describe(); }
  std::optional<std::int64_t> next_timer_due() override { return s_.next_timer_due(); }
  std::vector<stored_timer> due_timers(std::int64_t now, std::size_t n) override { return s_.due_timers(now, n); }
  std::vector<stored_timer> timers(run_id id) override { return s_.timers(id); }
  bool remove_timer(std::int64_t t) override { return s_.remove_timer(t); }
  void delay_timer(std::int64_t t, std::int64_t due) override { s_.delay_timer(t, due); }
  std::vector<stored_subscription> subscribers(std::string_view t) override { return s_.subscribers(t); }
  std::vector<stored_subscription> subscriptions(run_id id) override { return s_.subscriptions(id); }
  publish_record publish(std::string_view t, std::string_view p) override { return s_.publish(t, p); }
  std::vector<stored_message> deliverable_messages(std::size_t n) override { return s_.deliverable_messages(n); }
  std::vector<stored_message> queued_messages(run_id id) override { return s_.queued_messages(id); }
  bool remove_message(std::int64_t m) override { return s_.remove_message(m); }
  void put_pending(const stored_pending& p) override { s_.put_pending(p); }
  std::optional<stored_pending> pending(std::string_view id) override { return s_.pending(id); }
  bool remove_pending(std::string_view id) override { return s_.remove_pending(id); }
  bool claims() const noexcept override { return s_.claims(); }
  bool claim_run(run_id id) override { return s_.claim_run(id); }
  std::optional<run_id> claim_runnable(run_id after) override { return s_.claim_runnable(after); }
  void release_claim() noexcept override { s_.release_claim(); }
  void watch() override { s_.watch(); }

 private:
  store& s_;
};

}  // namespace runs_cases

using namespace runs_cases;

TEST_SUITE("durable runs") {
  TEST_CASE_TEMPLATE("a run is stored at its listen and each event continues it one step", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("steps.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::survey("ann"));
    run_info i = get_run(s, id);
    CHECK(i.status == run_status::waiting);
    CHECK(i.function == ns + "survey(std::string)");
    CHECK(i.waiting_for == "answer:ann");
    CHECK(i.event_type == "std::string");
    CHECK(i.step == 1);
    CHECK(i.index == std::map<std::string, std::string>{{"user", "ann"}});
    CHECK(outputs(s, id) == strings{"\"ask ann\""});

    CHECK(continue_run(s, id, text_event("e1", "answer:ann", "")).status == run_status::waiting);
    CHECK(get_run(s, id).step == 2);
    CHECK(outputs(s, id) == strings{"\"ask ann\"", "\"ask ann\""});

    const continue_result r = continue_run(s, id, text_event("e2", "answer:ann", "yes"));
    CHECK_FALSE(r.duplicate);
    CHECK(r.status == run_status::complete);
    i = get_run(s, id);
    CHECK(i.result_as<int>() == 2);
    CHECK(i.step == 3);
    CHECK(i.waiting_for.empty());
    CHECK(outputs(s, id) == strings{"\"ask ann\"", "\"ask ann\"", "\"ann said yes\""});
    std::vector<std::uint64_t> steps;
    for (const auto& o : get_outputs(s, id)) steps.push_back(o.step);
    CHECK(steps == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(get_outputs(s, id, 2).size() == 1);
    const auto evs = get_events(s, id);
    REQUIRE(evs.size() == 2);
    CHECK(evs[1].id == "e2");
    CHECK(evs[1].step == 3);
    CHECK(decode<std::string>(evs[1].payload) == "yes");
    CHECK(get_stack(s, id).empty());
  }

  TEST_CASE_TEMPLATE("another connection to the store continues the run", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("connections.db");
    run_id id;
    {
      const auto a = db.open();
      id = start_run(*a, flows::survey("bo"));
    }
    const auto b_ = db.open();
    store& b = *b_;
    CHECK(continue_run(b, id, text_event("e1", "answer:bo", "no")).status == run_status::complete);
    CHECK(get_run(b, id).result_as<int>() == 1);
  }

  TEST_CASE_TEMPLATE("an event delivered twice continues the run once", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("twice.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::tally(1, 3));
    CHECK_FALSE(continue_run(s, id, make_event("e1", "add", 5L)).duplicate);
    const std::string before = db.snapshot(id);
    const continue_result again = continue_run(s, id, make_event("e1", "add", 5L));
    CHECK(again.duplicate);
    CHECK(again.status == run_status::waiting);
    CHECK(db.snapshot(id) == before);
    // The duplicate is recognised by its id alone, even with another payload.
    CHECK(continue_run(s, id, make_event("e1", "add", 99L)).duplicate);
    CHECK(continue_run(s, id, make_event("e2", "add", 1L)).status == run_status::waiting);
    CHECK(outputs(s, id) == strings{"5", "7"});
    CHECK(get_run(s, id).index.at("sum") == "7");
  }

  TEST_CASE_TEMPLATE("a run that needs no event completes in start_run", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("product.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::product(6, 7));
    const run_info i = get_run(s, id);
    CHECK(i.status == run_status::complete);
    CHECK(i.result_as<long>() == 42);
    CHECK(i.step == 1);
    CHECK(get_call(s, id) == "[6, 7]");
  }

  TEST_CASE_TEMPLATE("a start key makes start_run exactly once", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("keys.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id a = start_run(s, flows::survey("cy"), {.key = "signup-cy"});
    const run_id b = start_run(s, flows::survey("cy"), {.key = "signup-cy"});
    CHECK(a == b);
    CHECK(find_runs(s, {}).size() == 1);
    CHECK(get_run(s, a).key == "signup-cy");
    CHECK(outputs(s, a) == strings{"\"ask cy\""});
  }

  TEST_CASE_TEMPLATE("a body that throws is a failed run, with the error and its type", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("fails.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::fails(3));
    CHECK(continue_run(s, id, text_event("e", "fail:3", "")).status == run_status::failed);
    const run_info i = get_run(s, id);
    CHECK(i.error == "boom 3");
    CHECK(i.error_type == "std::runtime_error");
    CHECK(error_of(error_kind::not_waiting, [&] { (void)i.result_as<int>(); }) ==
          "braid: run " + to_string(id) + " has no result: its status is failed");
  }

  TEST_CASE_TEMPLATE("a durable call stacks the callee's frame on the caller's; ordinary parks run within the step", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("stack.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::interview("di", 2));
    run_info i = get_run(s, id);
    CHECK(i.status == run_status::waiting);
    CHECK(i.waiting_for == "answer:di");
    auto st = get_stack(s, id);
    REQUIRE(st.size() == 2);
    CHECK(st[0].partition == interview_at_call);
    CHECK(st[0].params == std::vector<std::pair<std::string, std::string>>{{"who", "\"di\""}, {"n", "2"}});
    CHECK(st[0].locals ==
          std::vector<std::pair<std::string, std::string>>{{"answers", "[]"}, {"i", "0"}, {"q", "\"question 1\""}});
    CHECK(st[1].partition == ns + "ask(std::string, std::string)#1");
    CHECK(ends_with(st[1].file, flows_file));
    CHECK(st[1].line == ask_listen_line);
    CHECK(st[1].params ==
          std::vector<std::pair<std::string, std::string>>{{"who", "\"di\""}, {"question", "\"question 1\""}});
    CHECK(st[1].locals.empty());

    continue_run(s, id, text_event("a1", "answer:di", "first"));
    st = get_stack(s, id);
    REQUIRE(st.size() == 2);
    CHECK(st[0].locals == std::vector<std::pair<std::string, std::string>>{
                              {"answers", "[\"first\"]"}, {"i", "1"}, {"q", "\"question 2\""}});
    CHECK(continue_run(s, id, text_event("a2", "answer:di", "second")).status == run_status::complete);
    CHECK(get_run(s, id).result_as<std::vector<std::string>>() == strings{"first", "second"});
    CHECK(outputs(s, id) == strings{"\"di: question 1\"", "\"di: question 2\""});
  }

  TEST_CASE_TEMPLATE("a callee's failure is thrown at the caller's call site; cancellation unwinds the whole stack", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("stack_fail.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::interview("di", 2));
    CHECK(continue_run(s, id, text_event("a1", "answer:di", "!")).status == run_status::failed);
    run_info i = get_run(s, id);
    CHECK(i.error == "no answer from di");
    CHECK(i.error_type == "std::invalid_argument");
    const run_id other = start_run(s, flows::interview("ed", 1));
    CHECK(cancel_run(s, other) == run_status::cancelled);
    CHECK(get_stack(s, other).empty());
    CHECK(get_run(s, other).error == "braid: durable run cancelled");
  }

  TEST_CASE_TEMPLATE("the body knows its run, and sets and clears index entries with its step", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("whoami.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::whoami());
    const run_info i = get_run(s, id);
    CHECK(i.result_as<std::int64_t>() == static_cast<std::int64_t>(id));
    CHECK(i.index == std::map<std::string, std::string>{{"me", to_string(id)}});
  }

  TEST_CASE_TEMPLATE("child runs: started with the step, waited for in order, failures caught as child_failed", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("children.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id parent = start_run(s, flows::order({"pen", "book", "x"}));
    run_info p = get_run(s, parent);
    REQUIRE(p.children.size() == 3);
    const run_id pen = p.children[0], book = p.children[1], x = p.children[2];
    CHECK(p.status == run_status::waiting);
    CHECK(p.waiting_child == pen);
    CHECK(p.waiting_for.empty());
    for (run_id c : p.children) {
      const run_info ci = get_run(s, c);
      CHECK(ci.parent == parent);
      CHECK(ci.status == run_status::waiting);
      CHECK(ci.function == ns + "approve(std::string)");
      CHECK(ci.step == 1);
    }
    CHECK(get_run(s, book).waiting_for == "approve:book");
    CHECK(error_of(error_kind::wrong_context, [&] { continue_run(s, parent, make_event("e", "approve:pen", true)); }) ==
          "braid: run " + to_string(parent) + " waits for its child run " + to_string(pen) +
              " to end, not for an event; event 'e' was not delivered");

    // The second child ends first: the parent still waits for the first.
    CHECK(continue_run(s, book, make_event("ok", "approve:book", true)).status == run_status::complete);
    CHECK(get_run(s, parent).step == p.step);
    // The first ends: the parent takes both results, then waits for the third.
    continue_run(s, pen, make_event("ok", "approve:pen", true));
    p = get_run(s, parent);
    CHECK(p.status == run_status::waiting);
    CHECK(p.waiting_child == x);
    CHECK(get_stack(s, parent)[0].locals[1] == std::pair<std::string, std::string>{"total", "7"});
    // The third fails: the parent catches child_failed and completes.
    CHECK(continue_run(s, x, make_event("no", "approve:x", false)).status == run_status::failed);
    p = get_run(s, parent);
    CHECK(p.status == run_status::complete);
    CHECK(p.result_as<int>() == 7);
    CHECK(outputs(s, parent) == strings{"\"braid: child run " + to_string(x) + " failed: rejected x;\""});
    CHECK(find_runs(s, {.parent = parent}).size() == 3);
  }

  TEST_CASE_TEMPLATE("cancel_run throws cancelled at the listen: handlers run, the run ends cancelled or recovers", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("cancel.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id g = start_run(s, flows::guarded("g", false));
    CHECK(cancel_run(s, g) == run_status::cancelled);
    run_info i = get_run(s, g);
    CHECK(i.error == "braid: durable run cancelled");
    CHECK(i.error_type == "braid::cancelled");
    CHECK(outputs(s, g) == strings{"\"cleanup g\""});
    CHECK(get_stack(s, g).empty());
    // Cancelling again does nothing.
    const std::string before = db.snapshot(g);
    CHECK(cancel_run(s, g) == run_status::cancelled);
    CHECK(db.snapshot(g) == before);

    const run_id h = start_run(s, flows::guarded("h", true));
    CHECK(cancel_run(s, h) == run_status::complete);
    CHECK(get_run(s, h).result_as<std::string>() == "recovered");
    CHECK(outputs(s, h) == strings{"\"cleanup h\""});
    CHECK(error_of(error_kind::not_waiting, [&] { continue_run(s, h, text_event("e", "go:h", "late")); }) ==
          "braid: run " + to_string(h) + " has ended (complete); event 'e' was not delivered");
  }

  TEST_CASE_TEMPLATE("cancel_mode::kill ends a run without running its code", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("kill.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id g = start_run(s, flows::guarded("k", false));
    CHECK(cancel_run(s, g, cancel_mode::kill) == run_status::cancelled);
    CHECK(get_run(s, g).error == "braid: killed by cancel_run(cancel_mode::kill); none of its code ran");
    CHECK(outputs(s, g).empty());
  }

  TEST_CASE_TEMPLATE("cancelling a parent cancels its unfinished children first", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("cancel_tree.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id parent = start_run(s, flows::order({"a", "b"}));
    const auto kids = get_run(s, parent).children;
    continue_run(s, kids[1], make_event("ok", "approve:b", true));  // b has ended already
    CHECK(cancel_run(s, parent) == run_status::cancelled);
    CHECK(get_run(s, kids[0]).status == run_status::cancelled);
    CHECK(get_run(s, kids[1]).status == run_status::complete);
    CHECK(get_run(s, parent).error == "braid: durable run cancelled");
  }

  TEST_CASE_TEMPLATE("typed kept locals are stored and shown without the types", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("cart.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::cart("ed"));
    CHECK(get_run(s, id).event_type == "std::variant<flows::item, std::string, flows::color>");
    continue_run(s, id, make_event("1", "cart:ed", flows::command{flows::item{"pen", 3}}));
    continue_run(s, id, make_event("2", "cart:ed", flows::command{std::string("gift wrap")}));
    continue_run(s, id, make_event("3", "cart:ed", flows::command{flows::color::green}));
    continue_run(s, id, make_event("4", "cart:ed", flows::command{flows::item{"pen", 2}}));
    const auto st = get_stack(s, id);
    REQUIRE(st.size() == 1);
    CHECK(st[0].locals == std::vector<std::pair<std::string, std::string>>{
                              {"lines", "{\"pen\": {\"sku\": \"pen\", \"qty\": 5}}"},
                              {"paint", "2"},
                              {"seen", "[2, 3]"},
                              {"log", "[\"gift wrap\"]"}});
    CHECK(continue_run(s, id, make_event("5", "cart:ed", flows::command{std::string("done")})).status ==
          run_status::complete);
    CHECK(get_run(s, id).result_as<std::string>() == "ed: penx5 green log=1 seen=2");
  }

  TEST_CASE_TEMPLATE("find_runs selects by status, function, index, parent, context; in id order, limited", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("find.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id a = start_run(s, flows::survey("ann"));
    const run_id b = start_run(s, flows::survey("bo"));
    const run_id c = start_run(s, flows::tally(1, 1));
    continue_run(s, c, make_event("e", "add", 4L));
    const auto ids = [](const std::vector<run_info>& v) {
      std::vector<run_id> out;
      for (const auto& i : v) out.push_back(i.id);
      return out;
    };
    CHECK(ids(find_runs(s, {})) == std::vector<run_id>{a, b, c});
    CHECK(ids(find_runs(s, {.status = run_status::waiting})) == std::vector<run_id>{a, b});
    CHECK(ids(find_runs(s, {.status = run_status::complete})) == std::vector<run_id>{c});
    CHECK(ids(find_runs(s, {.function = ns + "tally(int, int)"})) == std::vector<run_id>{c});
    CHECK(ids(find_runs(s, {.index = {{"user", "bo"}}})) == std::vector<run_id>{b});
    CHECK(ids(find_runs(s, {.index = {{"user", "bo"}, {"sum", "4"}}})).empty());
    CHECK(ids(find_runs(s, {.waiting_for = "answer:ann"})) == std::vector<run_id>{a});
    CHECK(ids(find_runs(s, {.limit = 2})) == std::vector<run_id>{a, b});
  }

  TEST_CASE_TEMPLATE("resume_runs runs the steps a process left due", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("resume.db");
    const auto real_ = db.open();
    store& real = *real_;
    failing_store s(real);
    // The parent's step commits; its children's first steps fail to commit
    // (as if the process had died right after the parent's commit).
    const run_id first_child = run_id(static_cast<std::int64_t>(real.allocate_id()) + 2);
    s.fail_commits_of = {first_child, run_id(static_cast<std::int64_t>(first_child) + 1)};
    const run_id parent = start_run(s, flows::order({"a", "b"}));
    const auto kids = get_run(real, parent).children;
    CHECK(kids == std::vector<run_id>{first_child, run_id(static_cast<std::int64_t>(first_child) + 1)});
    for (run_id k : kids) CHECK(get_run(real, k).status == run_status::running);
    CHECK(error_of(error_kind::not_waiting, [&] { continue_run(real, kids[0], make_event("e", "approve:a", true)); })
              .find("is running: a step is due that needs no event") != std::string::npos);
    CHECK(resume_runs(real) == 2);
    for (run_id k : kids) CHECK(get_run(real, k).status == run_status::waiting);
    CHECK(resume_runs(real) == 0);
  }

  TEST_CASE_TEMPLATE("a step that fails to commit loses nothing and can be delivered again", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("commit_fails.db");
    const auto real_ = db.open();
    store& real = *real_;
    failing_store s(real);
    const run_id id = start_run(s, flows::tally(2, 2));
    const std::string before = db.snapshot(id);
    s.fail_commits_of = {id};
    CHECK(error_of(error_kind::store, [&] { continue_run(s, id, make_event("e1", "add", 3L)); }) ==
          "test: the commit of run " + to_string(id) + " failed");
    CHECK(db.snapshot(id) == before);
    s.fail_commits_of.clear();
    CHECK_FALSE(continue_run(s, id, make_event("e1", "add", 3L)).duplicate);
    CHECK(outputs(real, id) == strings{"3"});
  }

  TEST_CASE_TEMPLATE("the body's calls outside a step are refused", B, BRAID_STORE_BACKENDS) {
    CHECK(error_of(error_kind::misuse, [] { output(1); }) ==
          "braid: braid::durable::output was called outside a durable step; it is for the body of a BRAID_DURABLE "
          "function");
    CHECK(error_of(error_kind::misuse, [] { (void)this_run(); }).find("braid::durable::this_run was called") != std::string::npos);
    CHECK(error_of(error_kind::misuse, [] { set_index("a", "b"); }).find("set_index") != std::string::npos);
    CHECK(error_of(error_kind::misuse, [] { (void)start_child(flows::product(1, 2)); }).find("start_child") !=
          std::string::npos);
  }
}

TEST_SUITE("durable bad input") {
  TEST_CASE_TEMPLATE("an unknown run id", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("unknown.db");
    const auto s_ = db.open();
    store& s = *s_;
    const std::string where = s.describe();
    CHECK(error_of(error_kind::unknown_run, [&] { continue_run(s, run_id(77), text_event("e", "c", "")); }) ==
          "braid: no run 77 in " + where + " (braid-runs list <store> shows the runs there)");
    CHECK(error_of(error_kind::unknown_run, [&] { get_run(s, run_id(77)); }).find("no run 77") != std::string::npos);
    CHECK(error_of(error_kind::unknown_run, [&] { cancel_run(s, run_id(77)); }).find("no run 77") != std::string::npos);
    CHECK(error_of(error_kind::unknown_run, [&] { get_stack(s, run_id(77)); }).find("no run 77") != std::string::npos);
  }

  TEST_CASE_TEMPLATE("an event for a run that listens for another context changes nothing", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("context.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::survey("ann"));
    const std::string before = db.snapshot(id);
    CHECK(error_of(error_kind::wrong_context, [&] { continue_run(s, id, text_event("e1", "answer:bob", "hi")); }) ==
          "braid: run " + to_string(id) + " listens for 'answer:ann', not 'answer:bob'; event 'e1' was not delivered");
    CHECK(db.snapshot(id) == before);
    // The same event id can still be delivered to the right context.
    CHECK(continue_run(s, id, text_event("e1", "answer:ann", "hi")).status == run_status::complete);
  }

  TEST_CASE_TEMPLATE("an event whose payload is not the listen's type changes nothing", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("payload.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::survey("ann"));
    const std::string before = db.snapshot(id);
    CHECK(error_of(error_kind::bad_event, [&] { continue_run(s, id, make_event("e1", "answer:ann", 42)); }) ==
          "braid: cannot decode the payload of event 'e1': expected a text string for std::string, found the "
          "unsigned integer 42 (run " + to_string(id) +
              " listens for a std::string at '" + ns + "survey(std::string)#2'); event 'e1' was not delivered");
    CHECK(error_of(error_kind::bad_event,
                   [&] { continue_run(s, id, event{"e2", "answer:ann", encode(std::string("a")) + "x"}); })
              .find("expected the end of the data, found 1 more bytes after the value") != std::string::npos);
    CHECK(db.snapshot(id) == before);
  }

  TEST_CASE_TEMPLATE("a corrupt stack is refused and left as it was", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("corrupt.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::survey("ann"));
    const std::string i = to_string(id);
    db.sql("UPDATE braid_runs SET stack = " + B::place::blob("bf6666726f6d6174") + " WHERE id = " + i);
    const std::string before = db.snapshot(id);
    CHECK(error_of(error_kind::corrupt, [&] { continue_run(s, id, text_event("e", "answer:ann", "x")); }) ==
          "braid: cannot decode the stored stack of run " + i +
              " at fromat: expected an item, found the end of the data (a corrupt row: the run was left as it was)");
    CHECK(db.snapshot(id) == before);
    CHECK(get_run(s, id).status == run_status::waiting);  // the row itself still reads
    CHECK(error_of(error_kind::corrupt, [&] { get_stack(s, id); }).find("a corrupt row") != std::string::npos);
  }

  TEST_CASE_TEMPLATE("a stored local of the wrong type is refused and left as it was", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("corrupt_local.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::survey("ann"));
    // "asked": a text where an int was.
    set_stored_stack(db, id, replaced(stored_stack(db, id), "\"asked\": 1", "\"asked\": \"many\""));
    const std::string before = db.snapshot(id);
    CHECK(error_of(error_kind::corrupt, [&] { continue_run(s, id, text_event("e", "answer:ann", "x")); }) ==
          "braid: cannot decode frame '" + ns + "survey(std::string)#2' of run " + to_string(id) +
              " at locals.asked: expected an integer in [-2147483648, 2147483647] for int, found the text string "
              "\"many\" (a corrupt row, or a layout the partition hash did not catch: the run was left as it was)");
    CHECK(db.snapshot(id) == before);
    CHECK(get_stack(s, id)[0].locals[0] == std::pair<std::string, std::string>{"asked", "\"many\""});
  }

  TEST_CASE_TEMPLATE("a row with a status braid does not know is refused", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("status.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::survey("ann"));
    db.sql("UPDATE braid_runs SET status = 'sleeping' WHERE id = " + to_string(id));
    CHECK(error_of(error_kind::corrupt, [&] { get_run(s, id); }) ==
          "braid: run " + to_string(id) + " in " + s.describe() +
              " has the status 'sleeping', which is not a stored run status (a corrupt row: the run was left as it "
              "was)");
  }

  TEST_CASE_TEMPLATE("a stored partition whose hash differs blocks the run by version; the original code continues it", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("version.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::survey("ann"));
    const std::string i = to_string(id);
    const std::string original = stored_stack(db, id);
    // As stored by a build whose survey#2 had another hash.
    const frame_view at = get_stack(s, id).at(0);
    const std::uint64_t other = at.hash ^ 7;
    set_stored_stack(db, id, replaced(original, "\"hash\": " + std::to_string(at.hash),
                                        "\"hash\": " + std::to_string(other)));
    const std::string msg =
        "braid: run " + i + " is blocked by version: partition '" + ns + "survey(std::string)#2' (" + at.file + ":" +
        std::to_string(at.line) + ":" + std::to_string(at.col) +
        ") differs from the code that stored the run (stored hash " + hash_text(other) + ", this program's " +
        hash_text(at.hash) +
        "). It was stored by other code: continue it with the program that stored it, or cancel it with "
        "cancel_mode::kill (braid-runs cancel --kill)";
    CHECK(error_of(error_kind::version_blocked, [&] { continue_run(s, id, text_event("e", "answer:ann", "x")); }) ==
          msg);
    run_info info = get_run(s, id);
    CHECK(info.status == run_status::blocked_by_version);
    CHECK(info.blocked == msg);
    CHECK(info.waiting_for == "answer:ann");
    CHECK(find_runs(s, {.status = run_status::blocked_by_version}).size() == 1);
    CHECK(find_runs(s, {.status = run_status::waiting}).empty());
    CHECK(outputs(s, id) == strings{"\"ask ann\""});
    CHECK(get_events(s, id).empty());
    CHECK(error_of(error_kind::version_blocked, [&] { cancel_run(s, id); }).find("cancel_mode::kill, braid-runs cancel --kill, ends it") !=
          std::string::npos);
    // The code that stored it (here: the stack as it was) continues it.
    set_stored_stack(db, id, original);
    CHECK(continue_run(s, id, text_event("e", "answer:ann", "x")).status == run_status::complete);
    info = get_run(s, id);
    CHECK(info.blocked.empty());
    CHECK(info.result_as<int>() == 1);
  }

  TEST_CASE_TEMPLATE("cancelling a tree with a run of other code cancels nothing of it", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("cancel_blocked.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id parent = start_run(s, flows::order({"a", "b"}));
    const auto kids = get_run(s, parent).children;
    set_stored_stack(db, kids[1], replaced(stored_stack(db, kids[1]), "\"hash\": " + std::to_string(get_stack(s, kids[1]).at(0).hash),
                                            "\"hash\": 7"));
    const std::string before = db.snapshot(parent) + db.snapshot(kids[0]);
    const std::string msg = error_of(error_kind::version_blocked, [&] { cancel_run(s, parent); });
    CHECK(msg.find("braid: run " + to_string(kids[1]) + " is blocked by version: partition '" + ns + "approve(std::string)#1'") ==
          0);
    CHECK(msg.find("; nothing was cancelled") != std::string::npos);
    CHECK(db.snapshot(parent) + db.snapshot(kids[0]) == before);
    CHECK(get_run(s, kids[1]).status == run_status::blocked_by_version);
    CHECK(cancel_run(s, parent, cancel_mode::kill) == run_status::cancelled);
    for (run_id k : kids) CHECK(get_run(s, k).status == run_status::cancelled);
  }

  TEST_CASE_TEMPLATE("a run of a function this program lacks is refused, not blocked", B, BRAID_STORE_BACKENDS) {
    const typename B::place db("unknown_function.db");
    const auto s_ = db.open();
    store& s = *s_;
    const run_id id = start_run(s, flows::survey("ann"));
    const std::string i = to_string(id);
    set_stored_stack(db, id,
                     replaced(stored_stack(db, id), "\"function\": \"" + ns + "survey", "\"function\": \"" + ns + "sUrvey"));
    CHECK(error_of(error_kind::unknown_function, [&] { continue_run(s, id, text_event("e", "answer:ann", "x")); }) ==
          "braid: run " + i + " has a frame of '" + ns + "sUrvey(std::string)', a durable function this program does not "
          "contain (not linked in, or renamed); continue it with a program that has it, or cancel it with "
          "cancel_mode::kill (braid-runs cancel --kill)");
    CHECK(get_run(s, id).status == run_status::waiting);
    CHECK(cancel_run(s, id, cancel_mode::kill) == run_status::cancelled);
  }

}
