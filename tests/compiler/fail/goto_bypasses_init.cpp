// SPDX-License-Identifier: MIT
// C++ forbids a jump that bypasses a local's initialization ([stmt.dcl]);
// Clang's Sema rejects it in the annotated source, for locals that braidc
// would keep in the frame too (with a destructor, or trivially destructible
// with an initializer), and braidc transforms nothing.
#include <braid/braid.hpp>

#include <string>

BRAID_SP braid::task<int> kept_with_destructor(braid::task<int> t, bool skip) {
  if (skip) goto done;  // expected-error {{cannot jump from this goto statement to its label}}
  {
    std::string s = "x";
    s += std::to_string(braid::park(t));
  done:
    return static_cast<int>(s.size());
  }
}

BRAID_SP braid::task<int> kept_trivial(braid::task<int> t, bool skip) {
  if (skip) goto done;  // expected-error {{cannot jump from this goto statement to its label}}
  int k = braid::park(t);
done:
  return k + braid::park(t);
}
