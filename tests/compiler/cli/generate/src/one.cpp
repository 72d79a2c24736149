// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

#include "one.h"  // found next to this file, also from the generated copy

static_assert(CHECK_DEFINE == 7, "the target's own definitions reach braidc and the compiler");
static_assert(FROM_A_LINKED_TARGET == 1, "a linked target's definitions reach braidc too");

BRAID_SP braid::task<int> one(braid::task<int> t) {
  int v = braid::park(t);
  return v + one_offset;
}
