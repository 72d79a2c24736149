// SPDX-License-Identifier: MIT
// Durable runs in one process, on the SQLite store, with the hand-written
// frames of flows.cpp: steps from listen to listen, exactly-once events,
// stacked frames, child runs, cancellation, queries, and every refusal
// (each one leaves the store as it was).
#include "durable_support.hpp"
#include "flows.hpp"

#include <braid/durable.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

using namespace braid::durable;
using durable_test::error_of;
using durable_test::fresh_path;
using durable_test::outputs;
using durable_test::snapshot;
using durable_test::sql;
using strings = std::vector<std::string>;

namespace {

event text_event(std::string id, std::string context, std::string v) {
  return make_event(std::move(id), std::move(context), v);
}

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

/// The run's stored stack, in diagnostic notation, read with raw SQL.
std::string stored_stack(const std::string& path, run_id id) {
  return to_diagnostic(unhex(sql(path, "SELECT hex(stack) FROM braid_runs WHERE id = " + to_string(id))[0]));
}

/// Replaces the stored stack with `text` (diagnostic notation), with raw SQL.
void set_stored_stack(const std::string& path, run_id id, const std::string& text) {
  std::string hexed;
  for (unsigned char c : from_diagnostic(text)) {
    static const char* d = "0123456789abcdef";
    hexed += d[c >> 4];
    hexed += d[c & 15];
  }
  sql(path, "UPDATE braid_runs SET stack = x'" + hexed + "' WHERE id = " + to_string(id));
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
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

 private:
  store& s_;
};

}  // namespace

TEST_SUITE("durable runs") {
  TEST_CASE("a run is stored at its listen and each event continues it one step") {
    const auto path = fresh_path("steps.db");
    sqlite_store s(path);
    const run_id id = start_run(s, flows::survey("ann"));
    run_info i = get_run(s, id);
    CHECK(i.status == run_status::waiting);
    CHECK(i.function == "survey(std::string)");
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

  TEST_CASE("another connection to the store continues the run") {
    const auto path = fresh_path("connections.db");
    run_id id;
    {
      sqlite_store a(path);
      id = start_run(a, flows::survey("bo"));
    }
    sqlite_store b(path);
    CHECK(continue_run(b, id, text_event("e1", "answer:bo", "no")).status == run_status::complete);
    CHECK(get_run(b, id).result_as<int>() == 1);
  }

  TEST_CASE("an event delivered twice continues the run once") {
    const auto path = fresh_path("twice.db");
    sqlite_store s(path);
    const run_id id = start_run(s, flows::tally(1, 3));
    CHECK_FALSE(continue_run(s, id, make_event("e1", "add", 5L)).duplicate);
    const std::string before = snapshot(path, id);
    const continue_result again = continue_run(s, id, make_event("e1", "add", 5L));
    CHECK(again.duplicate);
    CHECK(again.status == run_status::waiting);
    CHECK(snapshot(path, id) == before);
    // The duplicate is recognised by its id alone, even with another payload.
    CHECK(continue_run(s, id, make_event("e1", "add", 99L)).duplicate);
    CHECK(continue_run(s, id, make_event("e2", "add", 1L)).status == run_status::waiting);
    CHECK(outputs(s, id) == strings{"5", "7"});
    CHECK(get_run(s, id).index.at("sum") == "7");
  }

  TEST_CASE("a run that needs no event completes in start_run") {
    sqlite_store s(fresh_path("product.db"));
    const run_id id = start_run(s, flows::product(6, 7));
    const run_info i = get_run(s, id);
    CHECK(i.status == run_status::complete);
    CHECK(i.result_as<long>() == 42);
    CHECK(i.step == 1);
    CHECK(get_call(s, id) == "[6, 7]");
  }

  TEST_CASE("a start key makes start_run exactly once") {
    sqlite_store s(fresh_path("keys.db"));
    const run_id a = start_run(s, flows::survey("cy"), {.key = "signup-cy"});
    const run_id b = start_run(s, flows::survey("cy"), {.key = "signup-cy"});
    CHECK(a == b);
    CHECK(find_runs(s, {}).size() == 1);
    CHECK(get_run(s, a).key == "signup-cy");
    CHECK(outputs(s, a) == strings{"\"ask cy\""});
  }

  TEST_CASE("a body that throws is a failed run, with the error and its type") {
    sqlite_store s(fresh_path("fails.db"));
    const run_id id = start_run(s, flows::fails(3));
    CHECK(continue_run(s, id, text_event("e", "fail:3", "")).status == run_status::failed);
    const run_info i = get_run(s, id);
    CHECK(i.error == "boom 3");
    CHECK(i.error_type == "std::runtime_error");
    CHECK(error_of(error_kind::not_waiting, [&] { (void)i.result_as<int>(); }) ==
          "braid: run " + to_string(id) + " has no result: its status is failed");
  }

  TEST_CASE("a durable call stacks the callee's frame on the caller's; ordinary parks run within the step") {
    const auto path = fresh_path("stack.db");
    sqlite_store s(path);
    const run_id id = start_run(s, flows::interview("di", 2));
    run_info i = get_run(s, id);
    CHECK(i.status == run_status::waiting);
    CHECK(i.waiting_for == "answer:di");
    auto st = get_stack(s, id);
    REQUIRE(st.size() == 2);
    CHECK(st[0].partition == "interview(std::string, int)#3");
    CHECK(st[0].params == std::vector<std::pair<std::string, std::string>>{{"who", "\"di\""}, {"n", "2"}});
    CHECK(st[0].locals ==
          std::vector<std::pair<std::string, std::string>>{{"answers", "[]"}, {"i", "0"}, {"q", "\"question 1\""}});
    CHECK(st[1].partition == "ask(std::string, std::string)#1");
    CHECK(st[1].file == "flows.cpp");
    CHECK(st[1].line == 122);
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

  TEST_CASE("a callee's failure is thrown at the caller's call site; cancellation unwinds the whole stack") {
    sqlite_store s(fresh_path("stack_fail.db"));
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

  TEST_CASE("the body knows its run, and sets and clears index entries with its step") {
    sqlite_store s(fresh_path("whoami.db"));
    const run_id id = start_run(s, flows::whoami());
    const run_info i = get_run(s, id);
    CHECK(i.result_as<std::int64_t>() == static_cast<std::int64_t>(id));
    CHECK(i.index == std::map<std::string, std::string>{{"me", to_string(id)}});
  }

  TEST_CASE("child runs: started with the step, waited for in order, failures caught as child_failed") {
    const auto path = fresh_path("children.db");
    sqlite_store s(path);
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
      CHECK(ci.function == "approve(std::string)");
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

  TEST_CASE("cancel_run throws cancelled at the listen: handlers run, the run ends cancelled or recovers") {
    const auto path = fresh_path("cancel.db");
    sqlite_store s(path);
    const run_id g = start_run(s, flows::guarded("g", false));
    CHECK(cancel_run(s, g) == run_status::cancelled);
    run_info i = get_run(s, g);
    CHECK(i.error == "braid: durable run cancelled");
    CHECK(i.error_type == "braid::cancelled");
    CHECK(outputs(s, g) == strings{"\"cleanup g\""});
    CHECK(get_stack(s, g).empty());
    // Cancelling again does nothing.
    const std::string before = snapshot(path, g);
    CHECK(cancel_run(s, g) == run_status::cancelled);
    CHECK(snapshot(path, g) == before);

    const run_id h = start_run(s, flows::guarded("h", true));
    CHECK(cancel_run(s, h) == run_status::complete);
    CHECK(get_run(s, h).result_as<std::string>() == "recovered");
    CHECK(outputs(s, h) == strings{"\"cleanup h\""});
    CHECK(error_of(error_kind::not_waiting, [&] { continue_run(s, h, text_event("e", "go:h", "late")); }) ==
          "braid: run " + to_string(h) + " has ended (complete); event 'e' was not delivered");
  }

  TEST_CASE("cancel_mode::kill ends a run without running its code") {
    sqlite_store s(fresh_path("kill.db"));
    const run_id g = start_run(s, flows::guarded("k", false));
    CHECK(cancel_run(s, g, cancel_mode::kill) == run_status::cancelled);
    CHECK(get_run(s, g).error == "braid: killed by cancel_run(cancel_mode::kill); none of its code ran");
    CHECK(outputs(s, g).empty());
  }

  TEST_CASE("cancelling a parent cancels its unfinished children first") {
    sqlite_store s(fresh_path("cancel_tree.db"));
    const run_id parent = start_run(s, flows::order({"a", "b"}));
    const auto kids = get_run(s, parent).children;
    continue_run(s, kids[1], make_event("ok", "approve:b", true));  // b has ended already
    CHECK(cancel_run(s, parent) == run_status::cancelled);
    CHECK(get_run(s, kids[0]).status == run_status::cancelled);
    CHECK(get_run(s, kids[1]).status == run_status::complete);
    CHECK(get_run(s, parent).error == "braid: durable run cancelled");
  }

  TEST_CASE("typed kept locals are stored and shown without the types") {
    sqlite_store s(fresh_path("cart.db"));
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

  TEST_CASE("find_runs selects by status, function, index, parent, context; in id order, limited") {
    sqlite_store s(fresh_path("find.db"));
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
    CHECK(ids(find_runs(s, {.function = "tally(int, int)"})) == std::vector<run_id>{c});
    CHECK(ids(find_runs(s, {.index = {{"user", "bo"}}})) == std::vector<run_id>{b});
    CHECK(ids(find_runs(s, {.index = {{"user", "bo"}, {"sum", "4"}}})).empty());
    CHECK(ids(find_runs(s, {.waiting_for = "answer:ann"})) == std::vector<run_id>{a});
    CHECK(ids(find_runs(s, {.limit = 2})) == std::vector<run_id>{a, b});
  }

  TEST_CASE("resume_runs runs the steps a process left due") {
    sqlite_store real(fresh_path("resume.db"));
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

  TEST_CASE("a step that fails to commit loses nothing and can be delivered again") {
    const auto path = fresh_path("commit_fails.db");
    sqlite_store real(path);
    failing_store s(real);
    const run_id id = start_run(s, flows::tally(2, 2));
    const std::string before = snapshot(path, id);
    s.fail_commits_of = {id};
    CHECK(error_of(error_kind::store, [&] { continue_run(s, id, make_event("e1", "add", 3L)); }) ==
          "test: the commit of run " + to_string(id) + " failed");
    CHECK(snapshot(path, id) == before);
    s.fail_commits_of.clear();
    CHECK_FALSE(continue_run(s, id, make_event("e1", "add", 3L)).duplicate);
    CHECK(outputs(real, id) == strings{"3"});
  }

  TEST_CASE("the body's calls outside a step are refused") {
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
  TEST_CASE("an unknown run id") {
    sqlite_store s(fresh_path("unknown.db"));
    const std::string where = s.describe();
    CHECK(error_of(error_kind::unknown_run, [&] { continue_run(s, run_id(77), text_event("e", "c", "")); }) ==
          "braid: no run 77 in " + where + " (braid-runs list <store> shows the runs there)");
    CHECK(error_of(error_kind::unknown_run, [&] { get_run(s, run_id(77)); }).find("no run 77") != std::string::npos);
    CHECK(error_of(error_kind::unknown_run, [&] { cancel_run(s, run_id(77)); }).find("no run 77") != std::string::npos);
    CHECK(error_of(error_kind::unknown_run, [&] { get_stack(s, run_id(77)); }).find("no run 77") != std::string::npos);
  }

  TEST_CASE("an event for a run that listens for another context changes nothing") {
    const auto path = fresh_path("context.db");
    sqlite_store s(path);
    const run_id id = start_run(s, flows::survey("ann"));
    const std::string before = snapshot(path, id);
    CHECK(error_of(error_kind::wrong_context, [&] { continue_run(s, id, text_event("e1", "answer:bob", "hi")); }) ==
          "braid: run " + to_string(id) + " listens for 'answer:ann', not 'answer:bob'; event 'e1' was not delivered");
    CHECK(snapshot(path, id) == before);
    // The same event id can still be delivered to the right context.
    CHECK(continue_run(s, id, text_event("e1", "answer:ann", "hi")).status == run_status::complete);
  }

  TEST_CASE("an event whose payload is not the listen's type changes nothing") {
    const auto path = fresh_path("payload.db");
    sqlite_store s(path);
    const run_id id = start_run(s, flows::survey("ann"));
    const std::string before = snapshot(path, id);
    CHECK(error_of(error_kind::bad_event, [&] { continue_run(s, id, make_event("e1", "answer:ann", 42)); }) ==
          "braid: cannot decode the payload of event 'e1': expected a text string for std::string, found the "
          "unsigned integer 42 (run " + to_string(id) +
              " listens for a std::string at 'survey(std::string)#2'); event 'e1' was not delivered");
    CHECK(error_of(error_kind::bad_event,
                   [&] { continue_run(s, id, event{"e2", "answer:ann", encode(std::string("a")) + "x"}); })
              .find("expected the end of the data, found 1 more bytes after the value") != std::string::npos);
    CHECK(snapshot(path, id) == before);
  }

  TEST_CASE("a corrupt stack is refused and left as it was") {
    const auto path = fresh_path("corrupt.db");
    sqlite_store s(path);
    const run_id id = start_run(s, flows::survey("ann"));
    const std::string i = to_string(id);
    sql(path, "UPDATE braid_runs SET stack = x'bf6666726f6d6174' WHERE id = " + i);
    const std::string before = snapshot(path, id);
    CHECK(error_of(error_kind::corrupt, [&] { continue_run(s, id, text_event("e", "answer:ann", "x")); }) ==
          "braid: cannot decode the stored stack of run " + i +
              " at fromat: expected an item, found the end of the data (a corrupt row: the run was left as it was)");
    CHECK(snapshot(path, id) == before);
    CHECK(get_run(s, id).status == run_status::waiting);  // the row itself still reads
    CHECK(error_of(error_kind::corrupt, [&] { get_stack(s, id); }).find("a corrupt row") != std::string::npos);
  }

  TEST_CASE("a stored local of the wrong type is refused and left as it was") {
    const auto path = fresh_path("corrupt_local.db");
    sqlite_store s(path);
    const run_id id = start_run(s, flows::survey("ann"));
    // "asked": a text where an int was.
    set_stored_stack(path, id, replaced(stored_stack(path, id), "\"asked\": 1", "\"asked\": \"many\""));
    const std::string before = snapshot(path, id);
    CHECK(error_of(error_kind::corrupt, [&] { continue_run(s, id, text_event("e", "answer:ann", "x")); }) ==
          "braid: cannot decode frame 'survey(std::string)#2' of run " + to_string(id) +
              " at locals.asked: expected an integer in [-2147483648, 2147483647] for int, found the text string "
              "\"many\" (a corrupt row, or a layout the partition hash did not catch: the run was left as it was)");
    CHECK(snapshot(path, id) == before);
    CHECK(get_stack(s, id)[0].locals[0] == std::pair<std::string, std::string>{"asked", "\"many\""});
  }

  TEST_CASE("a row with a status braid does not know is refused") {
    const auto path = fresh_path("status.db");
    sqlite_store s(path);
    const run_id id = start_run(s, flows::survey("ann"));
    sql(path, "UPDATE braid_runs SET status = 'sleeping' WHERE id = " + to_string(id));
    CHECK(error_of(error_kind::corrupt, [&] { get_run(s, id); }) ==
          "braid: run " + to_string(id) + " in " + s.describe() +
              " has the status 'sleeping', which is not a stored run status (a corrupt row: the run was left as it "
              "was)");
  }

  TEST_CASE("a stored partition whose hash differs blocks the run by version; the original code continues it") {
    const auto path = fresh_path("version.db");
    sqlite_store s(path);
    const run_id id = start_run(s, flows::survey("ann"));
    const std::string i = to_string(id);
    const std::string original = stored_stack(path, id);
    // As stored by a build whose survey#2 had another hash (0x...0002 -> 0x...0009).
    set_stored_stack(path, id, replaced(original, "\"hash\": " + std::to_string(0x5e7f00a1c0de0002ull),
                                        "\"hash\": " + std::to_string(0x5e7f00a1c0de0009ull)));
    const std::string msg =
        "braid: run " + i + " is blocked by version: partition 'survey(std::string)#2' (flows.cpp:26:17) differs "
        "from the code that stored the run (stored hash 0x5e7f00a1c0de0009, this program's 0x5e7f00a1c0de0002). It "
        "was stored by other code: continue it with the program that stored it, or cancel it with cancel_mode::kill (braid-runs cancel --kill)";
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
    set_stored_stack(path, id, original);
    CHECK(continue_run(s, id, text_event("e", "answer:ann", "x")).status == run_status::complete);
    info = get_run(s, id);
    CHECK(info.blocked.empty());
    CHECK(info.result_as<int>() == 1);
  }

  TEST_CASE("cancelling a tree with a run of other code cancels nothing of it") {
    const auto path = fresh_path("cancel_blocked.db");
    sqlite_store s(path);
    const run_id parent = start_run(s, flows::order({"a", "b"}));
    const auto kids = get_run(s, parent).children;
    set_stored_stack(path, kids[1], replaced(stored_stack(path, kids[1]), "\"hash\": " + std::to_string(0xa99e000000000001ull),
                                            "\"hash\": 7"));
    const std::string before = snapshot(path, parent) + snapshot(path, kids[0]);
    const std::string msg = error_of(error_kind::version_blocked, [&] { cancel_run(s, parent); });
    CHECK(msg.find("braid: run " + to_string(kids[1]) + " is blocked by version: partition 'approve(std::string)#1'") ==
          0);
    CHECK(msg.find("; nothing was cancelled") != std::string::npos);
    CHECK(snapshot(path, parent) + snapshot(path, kids[0]) == before);
    CHECK(get_run(s, kids[1]).status == run_status::blocked_by_version);
    CHECK(cancel_run(s, parent, cancel_mode::kill) == run_status::cancelled);
    for (run_id k : kids) CHECK(get_run(s, k).status == run_status::cancelled);
  }

  TEST_CASE("a run of a function this program lacks is refused, not blocked") {
    const auto path = fresh_path("unknown_function.db");
    sqlite_store s(path);
    const run_id id = start_run(s, flows::survey("ann"));
    const std::string i = to_string(id);
    set_stored_stack(path, id,
                     replaced(stored_stack(path, id), "\"function\": \"survey", "\"function\": \"sUrvey"));
    CHECK(error_of(error_kind::unknown_function, [&] { continue_run(s, id, text_event("e", "answer:ann", "x")); }) ==
          "braid: run " + i + " has a frame of 'sUrvey(std::string)', a durable function this program does not "
          "contain (not linked in, or renamed); continue it with a program that has it, or cancel it with "
          "cancel_mode::kill (braid-runs cancel --kill)");
    CHECK(get_run(s, id).status == run_status::waiting);
    CHECK(cancel_run(s, id, cancel_mode::kill) == run_status::cancelled);
  }

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
