// SPDX-License-Identifier: MIT
// Golden dump: retry with backoff; a switch and a local that stays plain.
#include <braid/braid.hpp>

#include <stdexcept>

braid::task<int> attempt(int n);
braid::task<void> sleep_ms(int ms);

BRAID_SP braid::task<int> retry(int tries) {
  int delay = 10;
  for (int n = 0;; ++n) {
    try {
      return braid::park(attempt(n));
    } catch (const std::runtime_error& e) {
      if (n + 1 == tries) throw;
    }
    int doubled = delay * 2;
    switch (n % 2) {
      case 0:
        braid::park(sleep_ms(delay));
        break;
      default:
        delay = doubled;
    }
  }
}
