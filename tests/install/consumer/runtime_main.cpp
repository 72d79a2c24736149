// SPDX-License-Identifier: MIT
// Uses the installed runtime only: headers and libbraid.
#include <braid/braid.hpp>

#include <cstdio>

int main() {
  braid::task<int> answer = 42;  // a task that succeeds at once
  std::printf("consumer_runtime: %d\n", braid::run_blocking(answer));
}
