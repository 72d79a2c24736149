// SPDX-License-Identifier: MIT
// Golden dump: a resource bracket with try/catch and parks in both.
#include <braid/braid.hpp>

#include <string>

struct handle {
  explicit handle(std::string n);
  ~handle();
};

braid::task<handle*> acquire(std::string name);
braid::task<int> use(handle* h);
braid::task<void> release(handle* h);

BRAID_SP braid::task<int> bracket(std::string name) {
  handle* h = braid::park(acquire(name));
  try {
    int r = braid::park(use(h));
    braid::park(release(h));
    return r;
  } catch (...) {
    braid::park(release(h));
    throw;
  }
}
