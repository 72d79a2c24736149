// SPDX-License-Identifier: MIT
#include <braid/op/latest.hpp>
#include <braid/op/none.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/op/signal.hpp>
#include <braid/op/watch.hpp>
#include <braid/op/zip.hpp>
#include <braid/ref.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace braid;
using braid::testing::collect;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_flow;
using braid::testing::run_logged;
using braid::testing::spawn_logged;
using braid::testing::tracked;
using braid::testing::transfer_shown;

namespace {
auto join2 = [](int a, std::string b) { return std::to_string(a) + b; };
}  // namespace

TEST_SUITE("zip") {
  TEST_CASE("notifies when every input holds a value; transfer takes one from each in order") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<std::string> b(log, "b");
    auto it = spawn_logged(zip(join2, a.get(), b.get()), log, "out");
    CHECK(log.take() == events{"a spawn", "b spawn"});
    a.emit(1);
    CHECK(log.take().empty());
    b.emit("x");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "1x");
    CHECK(log.take() == events{"a transfer", "b transfer"});
    b.emit("y");  // backpressure: b may run ahead by one value
    a.emit(2);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "2y");
    CHECK(log.take() == events{"a transfer", "b transfer"});
    a.terminate();
    b.terminate();
    CHECK(log.take() == events{"b cancel", "out terminate"});
  }

  TEST_CASE("ends when any input ends: the others are cancelled, drained, then it terminates") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<std::string> b(log, "b");
    auto it = spawn_logged(zip(join2, a.get(), b.get()), log, "out");
    log.take();
    a.emit(1);
    a.terminate_in_transfer();
    b.emit("x");
    CHECK(transfer_shown(it) == "1x");
    // a ended inside its transfer: b is cancelled once b's transfer is done
    CHECK(log.take() == events{"out notify", "a transfer", "b transfer", "b cancel"});
    b.fail(braid::cancelled_error("b cancelled"));  // a cancelled source notifies
    CHECK(log.take() == events{"b transfer"});     // drained and discarded
    b.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("an input ending while the other has a value pending") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<std::string> b(log, "b");
    auto it = spawn_logged(zip(join2, a.get(), b.get()), log, "out");
    log.take();
    b.emit("x");
    a.terminate();
    CHECK(log.take() == events{"b cancel", "b transfer"});
    b.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a failing input: the transfer throws, every input is cancelled and drained") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<std::string> b(log, "b");
    auto it = spawn_logged(zip(join2, a.get(), b.get()), log, "out");
    log.take();
    a.emit(1);
    b.fail("boom");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err boom");
    CHECK(log.take() == events{"a transfer", "b transfer", "a cancel", "b cancel"});
    b.terminate();
    CHECK(log.take() == events{"a cancel"});  // each termination re-cancels the others (idempotent)
    a.fail(braid::cancelled_error("a cancelled"));
    CHECK(log.take() == events{"a transfer"});
    a.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a failing first input stops the transfer before the later inputs") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<std::string> b(log, "b");
    auto it = spawn_logged(zip(join2, a.get(), b.get()), log, "out");
    log.take();
    a.fail("bad a");
    b.emit("x");
    CHECK(transfer_shown(it) == "err bad a");
    // b still holds its value: it is drained by the flush, not by the transfer
    CHECK(log.take() == events{"out notify", "a transfer", "a cancel", "b cancel"});
    a.terminate();
    CHECK(log.take() == events{"b cancel", "b transfer"});
    b.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a throwing f fails the transfer and ends the flow like an input failure") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<int> b(log, "b");
    auto it = spawn_logged(zip([](int, int) -> int { throw std::runtime_error("f failed"); }, a.get(), b.get()),
                           log, "out");
    log.take();
    a.emit(1);
    b.emit(2);
    CHECK(transfer_shown(it) == "err f failed");
    CHECK(log.take() == events{"out notify", "a transfer", "b transfer", "a cancel", "b cancel"});
    a.terminate();
    b.terminate();
    CHECK(log.take() == events{"b cancel", "out terminate"});
  }

  TEST_CASE("cancel right after spawn cancels every input") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<int> b(log, "b");
    auto it = spawn_logged(zip(std::plus<>{}, a.get(), b.get()), log, "out");
    it.cancel();
    CHECK(log.take() == events{"a spawn", "b spawn", "a cancel", "b cancel"});
    a.terminate();
    CHECK(log.take() == events{"b cancel"});
    b.terminate();
    CHECK(log.take() == events{"out terminate"});
    it.cancel();  // after the end: every input has terminated, nothing to cancel
    CHECK(log.take().empty());
  }

  TEST_CASE("cancel while a value is pending: the consumer's transfer gets the inputs' outcome") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<int> b(log, "b");
    auto it = spawn_logged(zip(std::plus<>{}, a.get(), b.get()), log, "out");
    a.emit(1);
    b.emit(2);
    log.take();
    it.cancel();
    CHECK(log.take() == events{"a cancel", "b cancel"});
    CHECK(transfer_shown(it) == "3");
    a.terminate();
    b.terminate();
    CHECK(log.take() == events{"a transfer", "b transfer", "b cancel", "out terminate"});
  }

  TEST_CASE("inputs re-notifying inside their transfers: the flow notifies inside its transfer") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<int> b(log, "b");
    auto it = spawn_logged(zip(std::plus<>{}, a.get(), b.get()), log, "out");
    log.take();
    a.emit_in_transfer(10);
    a.emit(1);
    b.emit_in_transfer(20);
    b.emit(2);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "3");
    CHECK(log.take() == events{"a transfer", "b transfer", "out notify"});
    CHECK(transfer_shown(it) == "30");
    CHECK(log.take() == events{"a transfer", "b transfer"});
    a.terminate();
    b.terminate();
    CHECK(log.take() == events{"b cancel", "out terminate"});
  }

  TEST_CASE("inputs that notify or terminate inside spawn") {
    CHECK(collect(zip(std::plus<>{}, seed({1, 2, 3}), seed({10, 20}))) == std::vector<int>{11, 22});
    CHECK(collect(zip(std::plus<>{}, seed({1, 2, 3}), none<int>())).empty());
    CHECK(collect(zip([](int x) { return -x; }, seed({1, 2}))) == std::vector<int>{-1, -2});
  }

  TEST_CASE("law: zip of seed(a), seed(b) has min(|a|, |b|) values, pairwise") {
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
      std::vector<int> x(rng() % 20), y(rng() % 20);
      for (auto& v : x) v = static_cast<int>(rng() % 100);
      for (auto& v : y) v = static_cast<int>(rng() % 100);
      auto z = collect(zip([](int p, int q) { return std::pair<int, int>(p, q); }, seed(x), seed(y)));
      REQUIRE(z.size() == std::min(x.size(), y.size()));
      for (std::size_t i = 0; i < z.size(); ++i) CHECK(z[i] == std::pair<int, int>(x[i], y[i]));
    }
  }

  TEST_CASE("a million values zipped run in constant stack") {
    std::vector<int> v(1'000'000, 1);
    auto f = zip(std::plus<>{}, seed(v), seed(v));
    long r = 0;
    braid::testing::run_on_small_stack(
        [&] { r = run_blocking(reduce([](long acc, int x) { return acc + x; }, 0L, f)); }, 256 * 1024);
    CHECK(r == 2'000'000);
  }

  TEST_CASE("threads: inputs produce on two threads, the consumer reduces (stress)") {
    event_log log;
    manual_flow<int> a(log, "a");
    manual_flow<int> b(log, "b");
    std::atomic<long> result{-1};
    reduce(std::plus<long>{}, 0L, zip(std::multiplies<>{}, a.get(), b.get()))
        .run([&](long v) { result = v; }, [&](std::exception_ptr) { result = -2; });
    // Each producer waits until its previous value was transferred.
    auto produce = [](manual_flow<int>& m, int k) {
      for (int i = 1; i <= 2000; ++i) {
        while (m.pending()) std::this_thread::yield();
        m.emit(k);
      }
    };
    std::thread ta([&] { produce(a, 2); });
    std::thread tb([&] { produce(b, 3); });
    ta.join();
    tb.join();
    while (a.pending() || b.pending()) std::this_thread::yield();
    a.terminate();
    // b is cancelled; its last value may be pending or not
    while (!b.terminated()) {
      if (b.cancels() > 0 && !b.pending()) b.terminate();
      std::this_thread::yield();
    }
    CHECK(result.load() == 2000L * 6);
  }

  TEST_CASE("the process and its copy of f are destroyed after the end") {
    struct fn : tracked {
      int operator()(int a, int b) const { return a + b; }
    };
    {
      auto f = zip(fn{}, seed({1, 2}), seed({3}));
      const int recipe = tracked::live;
      CHECK(collect(f) == std::vector<int>{4});
      CHECK(tracked::live == recipe);
    }
    CHECK(tracked::live == 0);
  }
}

TEST_SUITE("zip glitch-freedom") {
  TEST_CASE("an input holding a value of a publisher the same change invalidates again is refreshed first") {
    // t = x + y through a signal. After y changes, zip's subscription of t
    // holds x + y (refreshed by another subscriber) while zip waits for s.
    // Then x changes: s completes the zip inside the turn in which t is
    // invalidated again; the transfer must see t's new value, not the held one.
    event_log log;
    ref<int> x(1), y(10);
    auto s = signal(watch(x));
    auto t = signal(latest(std::plus<>{}, s, watch(y)));
    int other_notes = 0;
    auto other = t.spawn([&] { ++other_notes; }, [] {});
    CHECK(other.transfer() == 11);
    auto seen = [&](int acc, std::pair<int, int> v) {
      log(std::to_string(v.first) + " " + std::to_string(v.second));
      return acc;
    };
    auto c = run_logged(reduce(seen, 0, zip([](int a, int b) { return std::pair{a, b}; }, s, t)), log);
    CHECK(log.take() == events{"1 11"});
    y.reset(20);
    CHECK(log.take().empty());  // zip waits for s
    CHECK(other_notes == 2);  // at spawn, then this change
    CHECK(other.transfer() == 21);  // t refreshed: zip's subscription now holds 21
    x.reset(2);
    CHECK(log.take() == events{"2 22"});
    c();
    CHECK(log.take() == events{"err cancelled: braid: signal subscription cancelled"});
    other.cancel();
    CHECK_THROWS_AS((void)other.transfer(), braid::cancelled);
  }
}
