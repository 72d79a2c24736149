// SPDX-License-Identifier: MIT
// Structured bindings in scopes that park (issue 3: "references and
// structured bindings"; [dcl.struct.bind]): pairs and tuples (std::get),
// a tuple-like type with a member get, plain structs, C arrays, by value,
// by reference and extending a temporary; in range-for and in an if with an
// initializer; the hidden object is destroyed once, at the closing brace,
// on every exit path.
#include "behave_support.hpp"

#include <array>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

using namespace behave;
using braid::canceller;
using braid::park;
using braid::task;

namespace {

// A tuple-like type with a member get (and no std::get).
struct duo {
  tracer t;
  int n;
  template <std::size_t I>
  const auto& get() const {
    if constexpr (I == 0)
      return t;
    else
      return n;
  }
};

}  // namespace

template <>
struct std::tuple_size<duo> : std::integral_constant<std::size_t, 2> {};
template <>
struct std::tuple_element<0, duo> {
  using type = behave::tracer;
};
template <>
struct std::tuple_element<1, duo> {
  using type = int;
};

namespace geo {
// Tuple-like through a get found by argument-dependent lookup, returning a
// prvalue: each binding's variable extends its temporary.
struct vec {
  int x, y;
};
template <std::size_t I>
int get(const vec& v) {
  return I == 0 ? v.x : v.y;
}
}  // namespace geo

template <>
struct std::tuple_size<geo::vec> : std::integral_constant<std::size_t, 2> {};
template <std::size_t I>
struct std::tuple_element<I, geo::vec> {
  using type = int;
};

namespace {

struct holder {
  tracer tr;
  int v;
};

struct box {
  int arr[3];
};

duo make_duo(event_log& log, int n) { return duo{tracer(log, "duo"), n}; }

// By value from a park: a pair (std::get), used after a later park.
BRAID_SP task<std::string> from_park(task<std::pair<int, std::string>> t, task<int> u) {
  auto [n, s] = park(t);
  int k = park(u);
  s += "!";
  return s + std::to_string(n + k);
}

// A tuple through std::get, bound by auto&& to the prvalue (extended).
BRAID_SP task<int> tuple_rvalue(task<std::tuple<int, int, int>> t, task<int> u) {
  auto&& [a, b, c] = park(t);
  a += park(u);
  return a * 100 + b * 10 + c;
}

// A struct by value: the hidden object (one tracer) lives to the brace.
BRAID_SP task<int> struct_value(event_log& log, task<int> t) {
  log("begin");
  {
    auto [tr, v] = holder{tracer(log, "h"), 5};
    int w = park(t);
    log("resumed " + tr.name);
    if (w < 0) throw std::runtime_error("negative");
    v += w;
    log("v=" + std::to_string(v));
  }
  log("after");
  return 1;
}

// A reference to the caller's pair: writes through the bindings.
BRAID_SP task<int> pair_reference(std::pair<int, int>& p, task<int> t) {
  auto& [a, b] = p;
  a += park(t);
  b = a * 2;
  return a + b;
}

// const auto& extending a temporary of a tuple-like type with member get.
BRAID_SP task<int> extended(event_log& log, task<int> t) {
  const auto& [tr, n] = make_duo(log, 4);
  int k = park(t);
  log("use " + tr.name);
  return n + k;
}

// C arrays: a copy and a reference to an array member.
BRAID_SP task<int> arrays(box& bx, box copy, task<int> t) {
  auto [x, y, z] = copy.arr;
  auto& [p, q, r] = bx.arr;
  int k = park(t);
  q += k;
  x += k;
  return x * 1000 + y * 100 + p * 10 + r + z * 0;
}

// range-for with bindings by reference, a park in the body.
BRAID_SP task<int> over_map(std::map<std::string, int>& m, task<int> t) {
  int keys = 0;
  for (auto& [k, v] : m) {
    v += park(t);
    keys += static_cast<int>(k.size());
  }
  return keys;
}

// range-for with bindings by value (copies of each element).
BRAID_SP task<std::string> over_map_copy(std::map<std::string, int> m, task<int> t) {
  std::string out;
  for (auto [k, v] : m) {
    v += park(t);
    out += k + "=" + std::to_string(v) + ";";
  }
  return out + std::to_string(m["a"]);
}

// if with an initializer that binds; the bindings used after a park.
BRAID_SP task<int> insert_once(std::map<int, int>& m, int key, task<int> t) {
  if (auto [it, ok] = m.insert({key, 1}); ok) {
    it->second += park(t);
    return it->second;
  } else {
    int k = park(t);
    return -it->second - k;
  }
}

// ADL get returning values; std::array (std::get) with a braced initializer.
BRAID_SP task<int> by_adl_and_array(task<int> t) {
  auto [x, y] = geo::vec{3, 4};
  auto [p, q]{std::array<int, 2>{5, 6}};
  int k = park(t);
  return x * 1000 + y * 100 + (p + q) * k;
}

// C++20 lambda captures of bindings, after a park.
BRAID_SP task<int> captured(task<std::pair<int, int>> t, task<int> u) {
  auto [a, b] = park(t);
  int k = park(u);
  int byCopy = [a, &b] { return a * 10 + b; }();
  int byDefault = [&] { return a + b + k; }();
  int byValue = [=] { return a - b; }();
  return byCopy * 10000 + byDefault * 100 + byValue;
}

}  // namespace

TEST_SUITE("bindings") {
  TEST_CASE("bindings of a parked pair are used after a later park") {
    event_log log;
    manual_task<std::pair<int, std::string>> t(log, "t");
    manual_task<int> u(log, "u");
    run_logged(from_park(t, u), log);
    t.succeed(std::pair<int, std::string>{3, "ab"});
    u.succeed(4);
    CHECK(log.take() == events{"t start", "u start", "ok ab!7"});
  }

  TEST_CASE("auto&& bindings of a parked tuple (std::get) extend the value") {
    event_log log;
    manual_task<int> u(log, "u");
    run_logged(tuple_rvalue(task<std::tuple<int, int, int>>(std::tuple<int, int, int>{1, 2, 3}), u),
               log);
    u.succeed(4);
    CHECK(log.take() == events{"u start", "ok 523"});
  }

  TEST_CASE("a struct bound by value: one object, destroyed once at the closing brace") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(struct_value(log, t), log);
    CHECK(log.take() == events{"begin", "+h", "t start"});
    t.succeed(2);
    CHECK(log.take() == events{"resumed h", "v=7", "~h", "after", "ok 1"});
    CHECK(c.balanced());
  }

  TEST_CASE("a struct bound by value: destroyed once on an exception and on cancellation") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(struct_value(log, t), log);
    log.take();
    t.succeed(-1);
    CHECK(log.take() == events{"resumed h", "~h", "err negative"});
    canceller k = run_logged(struct_value(log, t), log);
    log.take();
    k();
    CHECK(log.take() == events{"t cancel", "~h", "err cancelled: manual task cancelled"});
    CHECK(c.balanced());
  }

  TEST_CASE("auto& bindings write through to the caller's pair") {
    event_log log;
    std::pair<int, int> p{1, 0};
    manual_task<int> t(log, "t");
    run_logged(pair_reference(p, t), log);
    t.succeed(2);
    CHECK(log.take() == events{"t start", "ok 9"});
    CHECK(p == std::pair<int, int>{3, 6});
  }

  TEST_CASE("const auto& bindings extend a tuple-like temporary (member get) to the end of the scope") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(extended(log, t), log);
    CHECK(log.take() == events{"+duo", "t start"});
    t.succeed(3);
    CHECK(log.take() == events{"use duo", "~duo", "ok 7"});
    canceller k = run_logged(extended(log, t), log);
    log.take();
    k();
    CHECK(log.take() == events{"t cancel", "~duo", "err cancelled: manual task cancelled"});
    CHECK(c.balanced());
  }

  TEST_CASE("C arrays: a copy and a reference") {
    event_log log;
    box bx{{1, 2, 3}};
    manual_task<int> t(log, "t");
    run_logged(arrays(bx, box{{1, 2, 0}}, t), log);
    t.succeed(5);
    CHECK(log.take() == events{"t start", "ok 6213"});
    CHECK(bx.arr[1] == 7);
  }

  TEST_CASE("range-for with bindings by reference and by value") {
    event_log log;
    std::map<std::string, int> m{{"a", 1}, {"bb", 2}};
    run_logged(over_map(m, task<int>(10)), log);
    CHECK(log.take() == events{"ok 3"});
    CHECK(m == std::map<std::string, int>{{"a", 11}, {"bb", 12}});
    run_logged(over_map_copy(m, task<int>(1)), log);
    CHECK(log.take() == events{"ok a=12;bb=13;11"});
  }

  TEST_CASE("if with a binding initializer: both branches use the bindings after a park") {
    event_log log;
    std::map<int, int> m;
    run_logged(insert_once(m, 7, task<int>(5)), log);
    CHECK(log.take() == events{"ok 6"});
    run_logged(insert_once(m, 7, task<int>(5)), log);
    CHECK(log.take() == events{"ok -11"});
  }

  TEST_CASE("tuple-like through an ADL get returning values, and std::array") {
    event_log log;
    run_logged(by_adl_and_array(task<int>(2)), log);
    CHECK(log.take() == events{"ok 3422"});
  }

  TEST_CASE("lambdas capture bindings by copy, by reference and by default") {
    event_log log;
    run_logged(captured(task<std::pair<int, int>>(std::pair<int, int>{3, 1}), task<int>(2)), log);
    CHECK(log.take() == events{"ok 310602"});
  }
}
