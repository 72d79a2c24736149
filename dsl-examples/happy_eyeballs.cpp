// SPDX-License-Identifier: MIT
// happy_eyeballs: try addresses in order, starting the next one 25 ms after
// the previous (RFC 8305's staggered race); the first connection wins and
// the attempts still running are cancelled.
#include <braid/braid.hpp>
#include <braid/op/race.hpp>
#include <braid/op/sleep.hpp>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

struct endpoint {
  std::string address;
  int latency_ms;  // how long connecting takes
  bool reachable;
};

BRAID_SP braid::task<std::string> connect(endpoint e, std::int64_t start_after_ms) {
  braid::park(braid::sleep(start_after_ms));
  std::printf("happy_eyeballs: connecting to %s\n", e.address.c_str());
  try {
    braid::park(braid::sleep(e.latency_ms));
  } catch (const braid::cancelled&) {
    std::printf("happy_eyeballs: gave up on %s (another address won)\n", e.address.c_str());
    throw;
  }
  if (!e.reachable) {
    std::printf("happy_eyeballs: %s refused\n", e.address.c_str());
    throw std::runtime_error(e.address + " refused");
  }
  return e.address;
}

BRAID_SP braid::task<std::string> happy_eyeballs(std::vector<endpoint> endpoints) {
  std::vector<braid::task<std::string>> attempts;
  for (std::size_t i = 0; i < endpoints.size(); ++i)
    attempts.push_back(connect(endpoints[i], static_cast<std::int64_t>(i) * 25));
  return braid::park(braid::race(std::move(attempts)));
}

int main() {
  std::vector<endpoint> endpoints = {
      {"[2001:db8::1]:443", 10, false},  // refused at once
      {"[2001:db8::2]:443", 200, true},  // reachable, but slow
      {"192.0.2.1:443", 30, true},       // starts at 50 ms, connects at 80 ms
  };
  std::printf("happy_eyeballs: connected to %s\n",
              braid::run_blocking(happy_eyeballs(endpoints)).c_str());
}
