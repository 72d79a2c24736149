// SPDX-License-Identifier: MIT
// A valid annotated source: builtin headers (<stddef.h>), the standard
// library (<cstdint>), a header next to it, and one BRAID_SP function.
#include <braid/dsl.hpp>
#include <braid/sp.hpp>

#include <cstdint>
#include <stddef.h>

#include "hello_helper.h"

BRAID_SP braid::task<int> twice_plus(braid::task<int> t) {
  int v = braid::park(t);
  return v * 2 + hello_helper_offset;
}
