// SPDX-License-Identifier: MIT
// ap_guide: the ambiguous and continuous processes of Missionary's guide,
// written as BRAID_AP and BRAID_CP functions and compiled by braidc. Each
// line prints braid's result beside the one Missionary gives; the last line
// says whether they all agree.
#include <braid/braid.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/op/sleep.hpp>
#include <braid/op/watch.hpp>

#include <cstdio>
#include <string>
#include <vector>

using braid::flow;
using braid::park;

// (m/ap (let [x (m/?> (m/seed [1 2 3]))] (* x x)))
BRAID_AP flow<int> squares() {
  int x = braid::fork(braid::seed(std::vector<int>{1, 2, 3}));
  return x * x;
}

// (m/ap (let [x (m/?> (m/seed [1 2 3]))] (m/? (m/sleep 30 (* x x))))): one
// branch at a time, so the order stays.
BRAID_AP flow<int> async_squares() {
  int x = braid::fork(braid::seed(std::vector<int>{1, 2, 3}));
  return park(braid::sleep(30, x * x));
}

// (m/ap (let [x (m/?> 3 (m/seed [3 2 1]))] (m/? (m/sleep (* x 60) x)))):
// three at once, values as they finish.
BRAID_AP flow<int> parallel() {
  int x = braid::fork(3, braid::seed(std::vector<int>{3, 2, 1}));
  return park(braid::sleep(x * 60, x));
}

// A value every 40 ms.
BRAID_AP flow<int> ticks() {
  int x = braid::fork(braid::seed(std::vector<int>{1, 2, 3}));
  return park(braid::sleep(40, x));
}

// (m/ap (let [x (m/?< ticks)] (try (m/? (m/sleep 100 x)) (catch Cancelled _ (m/amb))))):
// a new value cancels the slow work of the previous one.
BRAID_AP flow<int> latest_only() {
  int x = braid::fork_switch(ticks());
  try {
    return park(braid::sleep(100, x));
  } catch (const braid::cancelled&) {
    return braid::amb();
  }
}

// (m/ap (m/amb 1 2 3)) and (m/ap (m/amb= (m/? (m/sleep 80 :a)) (m/? (m/sleep 20 :b)))).
BRAID_AP flow<std::string> amb_in_order() { return braid::amb(std::string("1"), std::string("2"), std::string("3")); }
BRAID_AP flow<std::string> amb_merged() {
  return braid::amb_merge(park(braid::sleep(80, std::string("a"))), park(braid::sleep(20, std::string("b"))));
}

// Pagination: fetch a page, emit its items, fetch the next while there is one.
struct page {
  std::vector<std::string> items;
  int next;
};
braid::task<page> fetch(int cursor) {
  static const std::vector<page> pages = {{{"a", "b"}, 1}, {{"c"}, 2}, {{"d", "e"}, -1}};
  return pages.at(static_cast<std::size_t>(cursor));
}
BRAID_AP flow<std::string> all_items() {
  page p = park(fetch(0));
  while (p.next >= 0 && braid::amb(false, true)) p = park(fetch(p.next));
  return braid::fork(braid::seed(p.items));
}

// (m/cp (+ (m/?< (m/watch a)) (m/?< (m/watch b))))
BRAID_CP flow<int> total(flow<int> a, flow<int> b) { return braid::fork_switch(a) + braid::fork_switch(b); }

template <class T>
std::string shown(flow<T> f) {
  std::vector<T> all = braid::run_blocking(braid::reduce(
      [](std::vector<T> acc, T v) {
        acc.push_back(v);
        return acc;
      },
      std::vector<T>{}, f));
  std::string s = "[";
  for (const T& v : all) {
    if (s.size() > 1) s += " ";
    if constexpr (std::is_same_v<T, std::string>)
      s += v;
    else
      s += std::to_string(v);
  }
  return s + "]";
}

int main() {
  bool agree = true;
  auto line = [&](const char* what, const std::string& got, const char* missionary) {
    std::printf("ap_guide: %-14s %-12s missionary %s\n", what, got.c_str(), missionary);
    agree = agree && got == missionary;
  };
  line("squares", shown(squares()), "[1 4 9]");
  line("async", shown(async_squares()), "[1 4 9]");
  line("?> 3", shown(parallel()), "[1 2 3]");
  line("?<", shown(latest_only()), "[3]");
  line("amb", shown(amb_in_order()), "[1 2 3]");
  line("amb=", shown(amb_merged()), "[b a]");
  line("pagination", shown(all_items()), "[a b c d e]");

  braid::ref<int> a(1), b(2);
  auto it = total(braid::watch(a), braid::watch(b)).spawn([] {}, [] {});
  std::string sums = std::to_string(it.transfer());
  a.reset(10);
  sums += " " + std::to_string(it.transfer());
  b.reset(20);
  sums += " " + std::to_string(it.transfer());
  it.cancel();
  try {
    it.transfer();  // the cancelled inputs' last transfer
  } catch (const braid::cancelled&) {
  }
  line("cp", sums, "3 12 30");
  std::printf("ap_guide: %s\n", agree ? "every result is Missionary's" : "a result differs from Missionary's");
  return agree ? 0 : 1;
}
