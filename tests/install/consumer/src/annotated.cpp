// SPDX-License-Identifier: MIT
// Annotated: braid_generate turns it into annotated.braid.cpp.
#include "annotated.h"

BRAID_SP braid::task<int> plus_one(braid::task<int> t) {
  int v = braid::park(t);
  return v + 1;
}
