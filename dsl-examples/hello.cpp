// SPDX-License-Identifier: MIT
// hello: a BRAID_SP function that sleeps, then answers. A task is a recipe:
// building it runs nothing, and every run starts anew.
#include <braid/braid.hpp>
#include <braid/op/sleep.hpp>

#include <cstdio>
#include <string>

BRAID_SP braid::task<std::string> greet(std::string name) {
  std::printf("hello: waiting 20 ms before greeting %s\n", name.c_str());
  braid::park(braid::sleep(20));
  return "hello, " + name;
}

int main() {
  braid::task<std::string> t = greet("braid");  // nothing runs yet
  std::printf("hello: built the task\n");
  std::printf("hello: %s\n", braid::run_blocking(t).c_str());
  std::printf("hello: again: %s\n", braid::run_blocking(t).c_str());
}
