// SPDX-License-Identifier: MIT
// dining_philosophers: five philosophers, five forks (semaphores of one
// permit). Each takes the lower-numbered of its two forks first, so no
// cycle of waits can form; `holding` releases a fork on every path.
#include <braid/braid.hpp>
#include <braid/op/join.hpp>
#include <braid/op/sem.hpp>
#include <braid/op/sleep.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

BRAID_SP braid::task<int> eat(std::string name, int meal) {
  std::printf("dining: %s eats meal %d\n", name.c_str(), meal);
  braid::park(braid::sleep(20));
  return meal;
}

BRAID_SP braid::task<int> philosopher(std::string name, braid::sem first, braid::sem second,
                                      int meals) {
  int eaten = 0;
  for (int meal = 1; meal <= meals; ++meal) {
    braid::park(braid::sleep(10));  // think
    eaten += braid::park(braid::holding(first, braid::holding(second, eat(name, meal)))) > 0;
  }
  return eaten;
}

int main() {
  const char* names[] = {"Aristotle", "Kant", "Spinoza", "Marx", "Russell"};
  constexpr int n = 5;
  std::vector<braid::sem> forks;
  for (int i = 0; i < n; ++i) forks.emplace_back(1);
  std::vector<braid::task<int>> table;
  for (int i = 0; i < n; ++i) {
    int left = i;
    int right = (i + 1) % n;
    table.push_back(philosopher(names[i], forks[std::min(left, right)],
                                forks[std::max(left, right)], 2));
  }
  std::vector<int> meals = braid::run_blocking(braid::join_all(std::move(table)));
  int total = 0;
  for (int m : meals) total += m;
  std::printf("dining: %d meals eaten, nobody starved, no deadlock\n", total);
}
