// SPDX-License-Identifier: MIT
// BRAID_DURABLE functions compiled by braidc (docs/durable.md "The frame
// contract"): what each stored frame holds (by name, decoded without the
// program's types), aggregates braidc writes codecs for, value-initialized
// scalars, kept locals destroyed at each listen and decoded at the next
// step, shadowed names, durable calls beside ordinary parks, child runs,
// cancellation through handlers. The runtime's own durable tests run the
// same flows compiled by braidc (tests/durable, durable/runs_compiled).
#include <braid/braid.hpp>
#include <braid/durable.hpp>
#include <braid/op/via.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace bd = braid::durable;

namespace shapes {
struct point {
  int x = 0;
  int y = 0;
  friend bool operator==(const point&, const point&) = default;
};
struct polygon {
  std::string name;
  std::vector<point> corners;
  std::optional<point> centre;
};

// Aggregates without a codec as the event, a kept local and the result:
// braidc writes their codecs (point first, polygon's field).
BRAID_DURABLE braid::run<polygon> collect(std::string name, int n) {
  polygon p{name, {}, std::nullopt};
  for (int i = 0; i < n; ++i) p.corners.push_back(braid::listen<point>("corner:" + name));
  int sx = 0, sy = 0;
  for (const point& c : p.corners) {
    sx += c.x;
    sy += c.y;
  }
  if (n > 0) p.centre = point{sx / n, sy / n};
  return p;
}
}  // namespace shapes

namespace {

int made = 0;     // counted's constructions (decode's included)
int unmade = 0;   // and destructions

struct counted {
  int v = 0;
  counted() { ++made; }
  explicit counted(int x) : v(x) { ++made; }
  counted(const counted& o) : v(o.v) { ++made; }
  counted(counted&& o) noexcept : v(o.v) { ++made; }
  counted& operator=(const counted&) = default;
  ~counted() { ++unmade; }
};
void braid_codec(bd::fields& f, counted& c) { f.field("v", c.v); }

}  // namespace

// A scalar declared without a value is stored as 0 (value-initialized);
// a kept local with a destructor is destroyed at each listen and built
// from its encoding at the next step.
BRAID_DURABLE braid::run<int> tally_counted(int steps) {
  int unset;
  counted total(100);
  for (int i = 0; i < steps; ++i) {
    int got = braid::listen<int>("add");
    total.v += got;
    unset = i;
  }
  return total.v + unset;
}

// Two locals named x live at one listen (the inner one shadows the outer):
// each is stored under its own name.
BRAID_DURABLE braid::run<int> shadowed(int base) {
  int x = base;
  {
    int x = base * 10;
    int got = braid::listen<int>("inner");
    x += got;
    braid::durable::output(x);
  }
  return x + braid::listen<int>("outer");
}

namespace {
braid::task<int> doubled_later(int v) {
  return braid::via(braid::blk(), [v] { return 2 * v; });
}
}  // namespace

BRAID_DURABLE braid::run<std::string> greet(std::string who) {
  std::string reply = braid::listen<std::string>("reply:" + who);
  if (reply == "!") throw std::invalid_argument("no reply from " + who);
  return "hello " + who + ", " + reply;
}

// An ordinary task (in memory, within the step) and a durable call whose
// frame stacks on this one; then child runs, one of which fails.
BRAID_DURABLE braid::run<std::vector<std::string>> host(std::vector<std::string> guests) {
  std::vector<std::string> out;
  int seats = braid::park(doubled_later(static_cast<int>(guests.size())));
  out.push_back("seats " + std::to_string(seats));
  out.push_back(braid::park(greet(guests.at(0))));
  std::vector<bd::child<std::string>> kids;
  for (std::size_t i = 1; i < guests.size(); ++i) kids.push_back(bd::start_child(greet(guests[i])));
  for (std::size_t i = 0; i < kids.size(); ++i) {
    try {
      out.push_back(bd::wait_for(kids[i]));
    } catch (const bd::child_failed& e) {
      out.push_back(std::string("failed: ") + e.what());
    }
  }
  return out;
}

// Cancellation: the listen throws braid::cancelled, the handler runs.
BRAID_DURABLE braid::run<std::string> guarded(std::string name) {
  std::map<std::string, int> seen{{name, 1}};
  try {
    std::variant<int, std::string> v = braid::listen<std::variant<int, std::string>>("go:" + name);
    return v.index() == 0 ? std::to_string(std::get<0>(v)) : std::get<1>(v);
  } catch (const braid::cancelled&) {
    braid::durable::output("cleanup " + name + " " + std::to_string(seen.size()));
    throw;
  }
}

// Control flow around listens: a switch on one with fall-through, one in
// `&&`, in a try block, in a loop condition, a goto; a structured binding
// and a reference to a kept local live across them (stored as offsets in
// the frame, bound again when decoded).
namespace edges {
enum class mode { a, b };
struct cfg {
  int n = 0;
  mode m = mode::a;
  std::map<std::string, int> tags;
};
}  // namespace edges

BRAID_DURABLE braid::run<int> control(int k) {
  int acc = 0;
  int& alias = acc;
  auto [p, q] = std::pair<int, std::string>(k, "x");
  edges::cfg c{k, edges::mode::b, {{"t", 1}}};
  switch (braid::listen<int>("sw")) {
    case 1:
      acc += 10;
      [[fallthrough]];
    case 2:
      alias += braid::listen<int>("inner");
      break;
    default:
      break;
  }
  if (k > 0 && braid::listen<bool>("and")) acc += 100;
  try {
    acc += braid::listen<int>("try");
  } catch (const braid::cancelled&) {
    throw;
  }
  int t = 0;
  while (t < 2 && braid::listen<int>("loop") > 0) ++t;
  goto done;
done:
  return alias + p + static_cast<int>(q.size()) + c.n + c.tags.at("t") + t + (c.m == edges::mode::b ? 1000 : 0);
}

int global_total = 5;

// A reference to an object outside the frame cannot be stored: the step fails.
BRAID_DURABLE braid::run<int> outside_reference() {
  int& g = global_total;
  int got = braid::listen<int>("x");
  return g + got;
}

namespace {

std::string fresh_store(const char* name) {
  std::string path = std::string(BRAID_BEHAVE_SCRATCH) + "/" + name;
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return path;
}

std::map<std::string, std::string> locals_of(const bd::frame_view& f) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : f.locals) m[k] = v;
  return m;
}

}  // namespace

TEST_SUITE("durable") {
  TEST_CASE("aggregates without a codec are stored field by field, as events, locals and results") {
    const std::string path = fresh_store("collect.db");
    bd::run_id id;
    {
      bd::sqlite_store s(path);
      id = bd::start_run(s, shapes::collect("tri", 3));
      bd::continue_run(s, id, bd::make_event("c1", "corner:tri", shapes::point{0, 0}));
    }
    {
      bd::sqlite_store s(path);  // another store object: the frame is decoded from the file
      auto st = bd::get_stack(s, id);
      REQUIRE(st.size() == 1);
      CHECK(st[0].function == "shapes::collect(std::string, int)");
      CHECK(st[0].params == std::vector<std::pair<std::string, std::string>>{{"name", "\"tri\""}, {"n", "3"}});
      auto l = locals_of(st[0]);
      CHECK(l["p"] == "{\"name\": \"tri\", \"corners\": [{\"x\": 0, \"y\": 0}], \"centre\": null}");
      CHECK(l["i"] == "1");
      bd::continue_run(s, id, bd::make_event("c2", "corner:tri", shapes::point{6, 0}));
      bd::continue_run(s, id, bd::make_event("c3", "corner:tri", shapes::point{3, 9}));
      auto info = bd::get_run(s, id);
      REQUIRE(info.status == bd::run_status::complete);
      auto p = info.result_as<shapes::polygon>();
      CHECK(p.name == "tri");
      CHECK(p.corners == std::vector<shapes::point>{{0, 0}, {6, 0}, {3, 9}});
      CHECK(p.centre == shapes::point{3, 3});
    }
  }

  TEST_CASE("a scalar declared without a value is stored as 0; kept locals are destroyed at each listen") {
    made = unmade = 0;
    const std::string path = fresh_store("tally.db");
    bd::sqlite_store s(path);
    auto id = bd::start_run(s, tally_counted(3));
    auto l = locals_of(bd::get_stack(s, id).at(0));
    CHECK(l["unset"] == "0");
    CHECK(l["total"] == "{\"v\": 100}");
    CHECK(l["i"] == "0");
    CHECK(made == unmade);  // nothing of the frame lives between steps
    bd::continue_run(s, id, bd::make_event("a", "add", 5));
    l = locals_of(bd::get_stack(s, id).at(0));
    CHECK(l["unset"] == "0");
    CHECK(l["total"] == "{\"v\": 105}");
    CHECK(made == unmade);
    bd::continue_run(s, id, bd::make_event("b", "add", 6));
    bd::continue_run(s, id, bd::make_event("c", "add", 7));
    CHECK(bd::get_run(s, id).result_as<int>() == 100 + 18 + 2);
    CHECK(made == unmade);
    CHECK(made > 3);  // built by decode at each step, not by the source's constructor
  }

  TEST_CASE("shadowed locals live at one listen are stored under distinct names") {
    const std::string path = fresh_store("shadowed.db");
    bd::sqlite_store s(path);
    auto id = bd::start_run(s, shadowed(4));
    auto l = locals_of(bd::get_stack(s, id).at(0));
    REQUIRE(l.size() == 2);
    std::vector<std::string> values;
    for (auto& [k, v] : l) values.push_back(v);
    std::sort(values.begin(), values.end());
    CHECK(values == std::vector<std::string>{"4", "40"});
    bd::continue_run(s, id, bd::make_event("i", "inner", 2));
    CHECK(bd::to_diagnostic(bd::get_outputs(s, id).at(0).value) == "42");
    bd::continue_run(s, id, bd::make_event("o", "outer", 1));
    CHECK(bd::get_run(s, id).result_as<int>() == 5);
  }

  TEST_CASE("a durable call stacks its frame; child runs end in order; a failed child is caught") {
    const std::string path = fresh_store("host.db");
    bd::sqlite_store s(path);
    auto id = bd::start_run(s, host({"ann", "bob", "cy"}));
    auto st = bd::get_stack(s, id);
    REQUIRE(st.size() == 2);  // host, then greet on top of it
    CHECK(st[1].function == "greet(std::string)");
    // seats is not used after the call: not stored; out is.
    CHECK(locals_of(st[0]) == std::map<std::string, std::string>{{"out", "[\"seats 6\"]"}});
    bd::continue_run(s, id, bd::make_event("r1", "reply:ann", std::string("hi")));
    auto info = bd::get_run(s, id);
    CHECK(info.status == bd::run_status::waiting);
    REQUIRE(info.children.size() == 2);
    bd::continue_run(s, info.children[1], bd::make_event("r3", "reply:cy", std::string("!")));
    bd::continue_run(s, info.children[0], bd::make_event("r2", "reply:bob", std::string("yo")));
    info = bd::get_run(s, id);
    REQUIRE(info.status == bd::run_status::complete);
    CHECK(info.result_as<std::vector<std::string>>() ==
          std::vector<std::string>{"seats 6", "hello ann, hi", "hello bob, yo",
                                   "failed: braid: child run " + bd::to_string(info.children[1]) + " failed: no reply from cy"});
  }

  TEST_CASE("listens in a switch, &&, try, a loop condition; bindings and references stored as frame offsets") {
    const std::string path = fresh_store("control.db");
    bd::sqlite_store s(path);
    auto id = bd::start_run(s, control(3));
    std::vector<std::string> contexts;
    for (int n = 0;; ++n) {
      bd::run_info i = bd::get_run(s, id);
      if (i.status != bd::run_status::waiting) break;
      contexts.push_back(i.waiting_for);
      std::string payload = i.waiting_for == "and" ? bd::encode(true) : bd::encode(1);
      bd::continue_run(s, id, bd::event{"e" + std::to_string(n), i.waiting_for, payload});
    }
    CHECK(contexts == std::vector<std::string>{"sw", "inner", "and", "try", "loop", "loop"});
    // 10 + 1 + 100 + 1, p 3, q 1, c.n 3, tag 1, t 2, mode 1000
    CHECK(bd::get_run(s, id).result_as<int>() == 112 + 3 + 1 + 3 + 1 + 2 + 1000);
  }

  TEST_CASE("a kept reference to an object outside the frame fails the step, and nothing is stored") {
    const std::string path = fresh_store("outside.db");
    bd::sqlite_store s(path);
    try {
      bd::start_run(s, outside_reference());
      FAIL("the run was stored");
    } catch (const bd::error& e) {
      CHECK(e.kind() == bd::error_kind::codec);
      CHECK(std::string(e.what()).find("the kept reference 'g' refers to an object outside the run's frame") !=
            std::string::npos);
    }
    CHECK(bd::find_runs(s, {}).empty());
  }

  TEST_CASE("a cancelled listen throws braid::cancelled into the handler, which runs once") {
    const std::string path = fresh_store("guarded.db");
    bd::sqlite_store s(path);
    auto id = bd::start_run(s, guarded("g"));
    CHECK(bd::cancel_run(s, id) == bd::run_status::cancelled);
    auto outs = bd::get_outputs(s, id);
    REQUIRE(outs.size() == 1);
    CHECK(bd::to_diagnostic(outs[0].value) == "\"cleanup g 1\"");
    auto other = bd::start_run(s, guarded("h"));
    bd::continue_run(s, other, bd::make_event("v", "go:h", std::variant<int, std::string>(std::string("yes"))));
    CHECK(bd::get_run(s, other).result_as<std::string>() == "yes");
  }
}
