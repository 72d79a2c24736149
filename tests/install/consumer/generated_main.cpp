// SPDX-License-Identifier: MIT
#include "annotated.h"

#include <cstdio>

int main() {
  std::printf("consumer_generated: %d\n", braid::run_blocking(plus_one(42)));
}
