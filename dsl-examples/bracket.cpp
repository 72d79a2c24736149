// SPDX-License-Identifier: MIT
// bracket: a resource opened in a BRAID_SP function is closed on every way
// out — success, failure, cancellation (here by a timeout) — because it is an
// ordinary C++ local whose destructor runs, as try/catch handlers do.
#include <braid/braid.hpp>
#include <braid/op/sleep.hpp>
#include <braid/op/timeout.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

class connection {
 public:
  explicit connection(std::string name) : name_(std::move(name)) {
    std::printf("bracket: open %s\n", name_.c_str());
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() { std::printf("bracket: close %s\n", name_.c_str()); }
  void send(int chunk) { std::printf("bracket:   %s sent chunk %d\n", name_.c_str(), chunk); }

 private:
  std::string name_;
};

/// Sends `chunks` chunks, 10 ms each; the link drops before chunk `drop_at`.
BRAID_SP braid::task<int> transfer(std::string name, int chunks, int drop_at) {
  connection c(name);
  int sent = 0;
  try {
    for (int i = 0; i < chunks; ++i) {
      braid::park(braid::sleep(10));
      if (i == drop_at) throw std::runtime_error("link dropped");
      c.send(i);
      ++sent;
    }
  } catch (const std::runtime_error& e) {
    std::printf("bracket: %s: %s after %d chunks\n", name.c_str(), e.what(), sent);
    throw;
  } catch (const braid::cancelled&) {
    std::printf("bracket: %s: cancelled after %d chunks\n", name.c_str(), sent);
    throw;
  }
  return sent;
}

int main() {
  std::printf("bracket: sent %d chunks\n", braid::run_blocking(transfer("alpha", 2, -1)));
  try {
    braid::run_blocking(transfer("beta", 3, 1));
  } catch (const std::exception& e) {
    std::printf("bracket: beta failed: %s\n", e.what());
  }
  try {
    braid::run_blocking(braid::timeout(transfer("gamma", 10, -1), 35));
  } catch (const std::exception& e) {
    std::printf("bracket: gamma failed: %s\n", e.what());
  }
}
