// SPDX-License-Identifier: MIT
// The seed's diamond: x feeds two paths that meet again in one sum.
//
//   x (a ref)  ->  s = signal(watch(x))  ->  y = signal(latest(+, s, s))
//                  (s feeds both arguments of latest: two paths, one source)
//
// Each change of x reaches y once, with both paths already updated: y goes
// 2, 4, 6 as x goes 1, 2, 3 and never shows the inconsistent 3. Built from
// two independent watches of x instead (no shared signal), the sum is
// recomputed as each watch notices the change, and the mix appears.
#include <braid/op/latest.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/signal.hpp>
#include <braid/op/watch.hpp>
#include <braid/ref.hpp>

#include <cstdio>
#include <functional>
#include <string>

// Runs a reducer printing every value of `f`; returns its canceller.
static braid::canceller print_all(const char* label, braid::flow<int> f, std::string& out) {
  return braid::reduce([&out](int, int v) {
                         out += " " + std::to_string(v);
                         return 0;
                       },
                       0, std::move(f))
      .run([](int) {}, [label](std::exception_ptr) { std::printf("%s: stopped\n", label); });
}

int main() {
  braid::ref<int> x(1);

  auto s = braid::signal(braid::watch(x));
  auto y = braid::signal(braid::latest(std::plus<>{}, s, s));
  std::string shared;
  braid::canceller stop_shared = print_all("shared", y, shared);

  auto z = braid::signal(braid::latest(std::plus<>{}, braid::watch(x), braid::watch(x)));
  std::string independent;
  braid::canceller stop_independent = print_all("independent", z, independent);

  x.reset(2);
  x.reset(3);
  std::printf("shared signal     :%s\n", shared.c_str());
  std::printf("independent watch :%s\n", independent.c_str());

  stop_shared();
  stop_independent();
  std::printf("diamond: %s\n", shared == " 2 4 6" ? "glitch-free" : "GLITCH");
  return shared == " 2 4 6" ? 0 : 1;
}
