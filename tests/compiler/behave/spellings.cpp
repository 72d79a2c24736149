// SPDX-License-Identifier: MIT
// Spellings: kept locals and parameters whose types the frame names as the
// source did, fully qualified from `::` (std::string, map iterators, a
// namespace-scope alias, a class-member typedef, an alias template, deduced
// `auto`), next to kept locals named like the type names other kept locals'
// types use. The frame's member declarations are checked by
// check_spelling.cmake against the `expected-member` lines below.
#include "behave_support.hpp"

#include <array>
#include <map>
#include <string>
#include <vector>

using namespace behave;
using braid::canceller;
using braid::park;
using braid::task;

// A global alias whose name a kept local reuses.
using label = std::string;
template <class T>
using vec = std::vector<T>;
enum class color { red, green };
template <color C>
struct tinted {
  std::string s;
};

namespace names {
using counts = std::map<std::string, int>;
using tracked = behave::tracer;
struct registry {
  typedef std::vector<std::string> list;
};
}  // namespace names

namespace {

// A parameter of a map type, a range-for over it with a park, a deduced
// iterator and a written one kept across a park.
// expected-member {{::std::map<::std::string, int> m;}}
// expected-member {{::std::string key;}}
// expected-member {{::std::map<::std::string, int>* __braid_range_0 = nullptr;}}
// expected-member {{::std::map<::std::basic_string<char>, int>::iterator __braid_begin_1;}}
// expected-member {{::std::pair<const ::std::basic_string<char>, int>* kv = nullptr;}}
// expected-member {{::std::map<::std::basic_string<char>, int>::iterator it;}}
// expected-member {{::std::map<::std::string, int>::iterator first;}}
BRAID_SP task<std::string> tally(std::map<std::string, int> m, std::string key, task<int> t) {
  std::string out;
  for (auto& kv : m) out += kv.first + "=" + std::to_string(kv.second + park(t)) + ";";
  auto it = m.find(key);
  std::map<std::string, int>::iterator first = m.begin();
  int extra = park(t);
  it->second += extra;
  return out + it->first + ":" + std::to_string(it->second) + "," + first->first;
}

// Kept locals named `label`, `map`, `string` and `names` next to kept locals
// whose types use those names: the frame spells every type from `::`. The
// body also names the type `label` unqualified, so the kept local `label`
// is a renamed member (it would hide the type in copied code); `map`,
// `string` and `names` are only used after a qualifier or `::`.
// expected-member {{::label name;}}
// expected-member {{::std::string __braid_label_0;}}
// expected-member {{::names::counts map;}}
// expected-member {{::std::map<::std::string, int> other;}}
// expected-member {{::std::string string;}}
// expected-member {{::std::string after;}}
// expected-member {{::names::registry::list items;}}
// expected-member {{::names::tracked guard;}}
// expected-member {{::std::vector<::std::string> names;}}
BRAID_SP task<std::string> shadows(event_log& log, task<int> t) {
  label name = "n";
  std::string label = "l";
  names::counts map{{"x", 1}};
  std::map<std::string, int> other{{"y", 2}};
  std::string string = "s";
  std::string after = "t";
  names::registry::list items{"i"};
  names::tracked guard(log, "guard");
  std::vector<std::string> names{"v"};
  int v = park(t);
  return name + label + map.begin()->first + other.begin()->first + string + after + items[0] +
         names[0] + std::to_string(v);
}

// Deduced types, an alias template, a function-local alias (hoisted before
// the frame, so spelled by its name), and what falls back to the canonical
// type: template arguments written as expressions (an enumerator, next to a
// kept local named like its enumeration).
// expected-member {{::std::map<::std::string, int> m;}}
// expected-member {{::std::map<::std::basic_string<char>, int>::const_iterator found;}}
// expected-member {{::vec<int> xs;}}
// expected-member {{local local_alias;}}
// expected-member {{::std::vector<::std::array<int, 3UL>> arrays;}}
// expected-member {{::tinted<(::color)1> tint;}}
// expected-member {{::std::string color;}}
BRAID_SP task<int> deduced(const std::map<std::string, int>& m, task<int> t) {
  auto found = m.find("b");
  vec<int> xs{1, 2};
  using local = std::string;
  local local_alias = "ab";
  local_alias += local("c");
  std::vector<std::array<int, 3>> arrays{{1, 2, 3}};
  tinted<color::green> tint{"gg"};
  std::string color = "c";
  int add = park(t);
  return found->second + xs[1] + static_cast<int>(local_alias.size()) + arrays[0][2] + add +
         static_cast<int>(tint.s.size() + color.size());
}

// A reference parameter and a deduced forwarding reference (`auto&&` bound
// to an lvalue collapses to `&`: kept as a pointer to the map).
// expected-member {{::std::map<::std::string, int>& target;}}
// expected-member {{::std::map<::std::string, int>* alias = nullptr;}}
BRAID_SP task<int> refs(std::map<std::string, int>& target, task<int> t) {
  auto&& alias = target;
  int v = park(t);
  alias["z"] = v;
  return static_cast<int>(target.size());
}

// Types whose spelling is declarator syntax: a function pointer and a
// pointer to an array are declared through std::type_identity_t.
int add_one(int x) { return x + 1; }
int table[3] = {10, 20, 30};
using fnptr_t = int (*)(int);
// expected-member {{::std::type_identity_t<int (*)(int)> fp;}}
// expected-member {{::std::type_identity_t<int (*)[3]> rows;}}
// expected-member {{::fnptr_t named;}}
BRAID_SP task<int> declarators(task<int> t) {
  int (*fp)(int) = &add_one;
  int (*rows)[3] = &table;
  fnptr_t named = &add_one;
  int v = park(t);
  return fp(v) + (*rows)[2] + named(0);
}

}  // namespace

TEST_SUITE("spellings") {
  TEST_CASE("a function pointer and a pointer to an array kept across a park") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(declarators(t), log);
    t.succeed(4);
    CHECK(log.take() == events{"t start", "ok 36"});
  }

  TEST_CASE("a map parameter, a range-for over it and iterators kept across parks") {
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(tally({{"a", 1}, {"b", 2}}, "b", t), log);
    t.succeed(10);
    t.succeed(20);
    t.succeed(5);
    CHECK(log.take() == events{"t start", "t start", "t start", "ok a=11;b=22;b:7,a"});
  }

  TEST_CASE("kept locals named like the types other kept locals use") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    run_logged(shadows(log, t), log);
    t.succeed(7);
    CHECK(log.take() == events{"+guard", "t start", "~guard", "ok nlxystiv7"});
    CHECK(c.balanced());
  }

  TEST_CASE("cancelled while parked, the kept locals are destroyed") {
    counted c;
    event_log log;
    manual_task<int> t(log, "t");
    canceller k = run_logged(shadows(log, t), log);
    k();
    CHECK(log.take() ==
          events{"+guard", "t start", "t cancel", "~guard", "err cancelled: manual task cancelled"});
    CHECK(c.balanced());
  }

  TEST_CASE("a reference parameter and an auto&& to it write the caller's map") {
    event_log log;
    manual_task<int> t(log, "t");
    std::map<std::string, int> m{{"a", 1}};
    run_logged(refs(m, t), log);
    t.succeed(4);
    CHECK(log.take() == events{"t start", "ok 2"});
    CHECK(m.at("z") == 4);
  }

  TEST_CASE("deduced types, an alias template and canonical fallbacks") {
    event_log log;
    manual_task<int> t(log, "t");
    std::map<std::string, int> m{{"a", 1}, {"b", 2}};
    run_logged(deduced(m, t), log);
    m.clear();  // the task's own copy is unaffected
    t.succeed(100);
    CHECK(log.take() == events{"t start", "ok 113"});
  }
}
