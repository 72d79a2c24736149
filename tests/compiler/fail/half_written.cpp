// SPDX-License-Identifier: MIT
// A half-written function at the end of the file.
#include <braid/braid.hpp>

BRAID_SP braid::task<int> f(braid::task<int> t) {
  int v = braid::park(t);
  while (v > 0) {
    v -= braid::park(
// expected-error {{expected expression}}
