// SPDX-License-Identifier: MIT
// Derived counters: a click counter (a ref) and values derived from it
// (doubled, parity), sampled by a discrete stream of "render" requests.
// Clicks between two renders are not shown one by one: each render shows
// the state at that moment. The render requests come from a store (an
// append-only log) read through a stream, so two views share one reader.
// A stream delivers an item to the subscribers present when it is emitted:
// the left view opens first and renders frame 0 alone, the right view
// joins from frame 1 on.
#include <braid/op/latest.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/sample.hpp>
#include <braid/op/signal.hpp>
#include <braid/op/store.hpp>
#include <braid/op/stream.hpp>
#include <braid/op/watch.hpp>
#include <braid/ref.hpp>

#include <cstdio>
#include <string>

int main() {
  braid::ref<int> clicks(0);
  auto count = braid::signal(braid::watch(clicks));
  auto doubled = braid::signal(braid::latest([](int c) { return 2 * c; }, count));
  auto parity = braid::signal(braid::latest([](int c) { return c % 2 ? std::string("odd") : std::string("even"); }, count));

  // Render requests: each append is one frame number.
  braid::store<int> frames(0);
  auto renders = braid::stream(frames.read());

  auto view = [&](const char* who) {
    return braid::sample(
        [who](int c, int d, const std::string& p, int frame) {
          return std::string(who) + " frame " + std::to_string(frame) + ": clicks " + std::to_string(c) +
                 ", doubled " + std::to_string(d) + ", " + p;
        },
        count, doubled, parity, renders);
  };
  std::string last;
  auto print = [&last](int n, const std::string& line) {
    std::printf("%s\n", line.c_str());
    last = line;
    return n + 1;
  };
  int shown = 0;
  braid::canceller a = braid::reduce(print, 0, view("left ")).run([&](int n) { shown += n; }, [](std::exception_ptr) {});
  braid::canceller b = braid::reduce(print, 0, view("right")).run([&](int n) { shown += n; }, [](std::exception_ptr) {});

  clicks.swap([](int c) { return c + 1; });
  clicks.swap([](int c) { return c + 1; });
  frames.append(1);
  clicks.swap([](int c) { return c + 1; });
  frames.append(2);
  frames.freeze();  // the renders end: both views end, and their reducers succeed

  std::printf("derived_counters: %d lines rendered, last: %s\n", shown, last.c_str());
  (void)a;
  (void)b;
  return shown == 5 ? 0 : 1;
}
