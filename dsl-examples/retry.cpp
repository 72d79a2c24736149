// SPDX-License-Identifier: MIT
// retry: call a flaky service until it answers, waiting twice as long after
// each failure (exponential backoff), and give up after a few attempts.
#include <braid/braid.hpp>
#include <braid/op/sleep.hpp>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

/// Fails its first `failures` calls, then answers.
struct flaky_service {
  int failures;
  int calls = 0;
};

BRAID_SP braid::task<std::string> fetch(flaky_service& service) {
  braid::park(braid::sleep(5));  // the round trip
  if (++service.calls <= service.failures) throw std::runtime_error("503 service unavailable");
  return "payload";
}

BRAID_SP braid::task<std::string> with_retry(flaky_service& service, int max_attempts,
                                              std::int64_t first_delay_ms) {
  std::int64_t delay = first_delay_ms;
  for (int attempt = 1;; ++attempt) {
    try {
      std::string body = braid::park(fetch(service));
      std::printf("retry: attempt %d succeeded\n", attempt);
      return body;
    } catch (const std::runtime_error& e) {
      if (attempt == max_attempts) {
        std::printf("retry: attempt %d failed (%s); giving up\n", attempt, e.what());
        throw;
      }
      std::printf("retry: attempt %d failed (%s); next try in %lld ms\n", attempt, e.what(),
                  static_cast<long long>(delay));
    }
    braid::park(braid::sleep(delay));
    delay *= 2;
  }
}

int main() {
  flaky_service recovering{3};
  std::printf("retry: got %s\n", braid::run_blocking(with_retry(recovering, 5, 10)).c_str());

  flaky_service down{100};
  try {
    braid::run_blocking(with_retry(down, 3, 10));
  } catch (const std::exception& e) {
    std::printf("retry: failed for good: %s\n", e.what());
  }
}
