// SPDX-License-Identifier: MIT
// circuit_breaker: after two failures in a row the breaker opens and fails
// calls at once, without touching the backend; after a cool-down it lets
// calls through again.
#include <braid/braid.hpp>
#include <braid/op/sleep.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

struct breaker {
  int threshold = 2;
  std::chrono::milliseconds cool_down{100};
  int failures = 0;
  std::chrono::steady_clock::time_point open_until{};
};

struct circuit_open : std::runtime_error {
  circuit_open() : std::runtime_error("circuit open: not calling the backend") {}
};

/// The backend is down for requests 2 to 4.
BRAID_SP braid::task<std::string> backend(int request) {
  braid::park(braid::sleep(5));
  if (request >= 2 && request <= 4) throw std::runtime_error("backend timeout");
  return "response " + std::to_string(request);
}

BRAID_SP braid::task<std::string> guarded(breaker& b, int request) {
  if (std::chrono::steady_clock::now() < b.open_until) throw circuit_open();
  try {
    std::string r = braid::park(backend(request));
    b.failures = 0;
    return r;
  } catch (const std::runtime_error&) {
    if (++b.failures >= b.threshold) {
      b.open_until = std::chrono::steady_clock::now() + b.cool_down;
      std::printf("circuit_breaker: %d failures in a row: open for %lld ms\n", b.failures,
                  static_cast<long long>(b.cool_down.count()));
    }
    throw;
  }
}

int main() {
  breaker b;
  for (int request = 1; request <= 6; ++request) {
    if (request == 5) {
      std::printf("circuit_breaker: waiting out the cool-down\n");
      braid::run_blocking(braid::sleep(b.cool_down + std::chrono::milliseconds(20)));
    }
    try {
      std::printf("circuit_breaker: request %d: %s\n", request,
                  braid::run_blocking(guarded(b, request)).c_str());
    } catch (const std::exception& e) {
      std::printf("circuit_breaker: request %d failed: %s\n", request, e.what());
    }
  }
}
