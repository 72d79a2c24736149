// SPDX-License-Identifier: MIT
// std::current_exception() in a handler that parks: braidc runs that
// handler's body after leaving the C++ catch clause, so it is not the
// handled exception, before the park as well as after it.
#include <braid/braid.hpp>

#include <exception>

std::exception_ptr saved;

BRAID_SP braid::task<int> f(braid::task<int> t) {
  int v = 0;
  try {
    v = braid::park(t);
  } catch (...) {
    // expected-warning@+1:13 {{std::current_exception() in a handler that parks is not the handled exception (braidc runs the handler's body after leaving the C++ catch clause); save it in a handler that does not park and park after the try, or rethrow it with 'throw;' [-Wbraid-current-exception-in-parking-handler]}}
    saved = std::current_exception();
    v = braid::park(t);  // expected-note {{park here}}
    try {
      throw 1;
    } catch (int) {
      saved = std::current_exception();  // a handler that does not park: fine
    }
  }
  try {
    v += braid::park(t);
  } catch (...) {
    saved = std::current_exception();  // this handler does not park: fine
  }
  return v;
}
