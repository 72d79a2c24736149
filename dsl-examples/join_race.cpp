// SPDX-License-Identifier: MIT
// join_race: join waits for every child (the slowest decides when it ends);
// race ends with the first success and cancels the others.
#include <braid/braid.hpp>
#include <braid/op/join.hpp>
#include <braid/op/race.hpp>
#include <braid/op/sleep.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

int add(int a, int b) { return a + b; }

long long elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace

/// A child that prints when it is cancelled instead of finishing.
BRAID_SP braid::task<std::string> lookup(std::string name, int ms) {
  try {
    braid::park(braid::sleep(ms));
  } catch (const braid::cancelled&) {
    std::printf("join_race:   %s was cancelled\n", name.c_str());
    throw;
  }
  return name;
}

BRAID_SP braid::task<int> both() {
  auto began = std::chrono::steady_clock::now();
  int sum = braid::park(braid::join(add, braid::sleep(30, 1), braid::sleep(50, 2)));
  std::printf("join_race: join of 30 ms and 50 ms gave %d after >= 50 ms: %s\n", sum,
              elapsed_ms(began) >= 50 ? "yes" : "no");
  return sum;
}

BRAID_SP braid::task<std::string> fastest() {
  auto began = std::chrono::steady_clock::now();
  std::string winner =
      braid::park(braid::race(lookup("mirror-a (40 ms)", 40), lookup("mirror-b (10 ms)", 10)));
  std::printf("join_race: race won by %s, before 40 ms: %s\n", winner.c_str(),
              elapsed_ms(began) < 40 ? "yes" : "no");
  return winner;
}

int main() {
  braid::run_blocking(both());
  braid::run_blocking(fastest());
}
