// SPDX-License-Identifier: MIT
#include <braid/op/eduction.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace braid;
using braid::testing::collect;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_flow;
using braid::testing::spawn_logged;
using braid::testing::tracked;
using braid::testing::transfer_shown;

namespace {

std::string show_chunk(const std::vector<int>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + std::to_string(v[i]);
  return s + "]";
}

auto inc = [](int x) { return x + 1; };
auto odd = [](int x) { return x % 2 != 0; };

}  // namespace

TEST_SUITE("eduction") {
  TEST_CASE("maps each value; the input is transferred again only after the output was taken") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(eduction(xf::map(inc), in.get()), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.emit(1);
    CHECK(log.take() == events{"in transfer", "out notify"});
    CHECK(transfer_shown(it) == "2");
    CHECK(log.take().empty());
    in.emit(5);
    CHECK(log.take() == events{"in transfer", "out notify"});
    CHECK(transfer_shown(it) == "6");
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a filtered-out value transfers the input without notifying") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(eduction(xf::filter(odd), in.get()), log, "out");
    in.emit(2);
    CHECK(log.take() == events{"in spawn", "in transfer"});
    in.emit(3);
    CHECK(log.take() == events{"in transfer", "out notify"});
    CHECK(transfer_shown(it) == "3");
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("one input value giving several outputs notifies again inside each transfer") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(eduction(xf::mapcat([](int x) { return std::vector<int>(x, x); }), in.get()),
                           log, "out");
    in.emit(2);
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify"});
    in.terminate();  // the input may end while output is pending
    CHECK(log.take().empty());
    CHECK(transfer_shown(it) == "2");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "2");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("early termination: take cancels the input, discards the rest, ends when it ends") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(eduction(xf::take(2), in.get()), log, "out");
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify"});
    CHECK(transfer_shown(it) == "1");
    in.emit(2);
    CHECK(log.take() == events{"in transfer", "in cancel", "out notify"});
    CHECK(transfer_shown(it) == "2");
    CHECK(log.take().empty());
    in.fail(braid::cancelled_error("in cancelled"));
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("take(0) stops at the first value without passing it on") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(eduction(xf::take(0), in.get()), log, "out");
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "in cancel"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("partition emits the last partial chunk when the input terminates") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(eduction(xf::partition(2), in.get()), log, "out");
    in.emit(1);
    in.emit(2);
    CHECK(log.take() == events{"in spawn", "in transfer", "in transfer", "out notify"});
    CHECK(show_chunk(it.transfer()) == "[1 2]");
    in.emit(3);
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"out notify"});
    CHECK(show_chunk(it.transfer()) == "[3]");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("take after partition flushes the partial chunk at the early termination") {
    CHECK(collect(eduction(xf::take(3), xf::partition(2), seed({1, 2, 3, 4, 5}))) ==
          std::vector<std::vector<int>>{{1, 2}, {3}});
  }

  TEST_CASE("a failing input: values first, then the error; input cancelled and drained") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(eduction(xf::map(inc), in.get()), log, "out");
    in.fail("boom");
    CHECK(log.take() == events{"in spawn", "in transfer", "in cancel", "out notify"});
    CHECK(transfer_shown(it) == "err boom");
    CHECK(log.take().empty());
    in.emit(7);  // a value after the error is discarded
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a throwing user function ends the flow with its error after the values before it") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto boom_on_3 = [](int x) {
      if (x == 3) throw std::runtime_error("no 3");
      return x;
    };
    auto it = spawn_logged(eduction(xf::mapcat([](int x) { return std::vector<int>{x, x + 1, x + 2}; }),
                                    xf::map(boom_on_3), in.get()),
                           log, "out");
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "in cancel", "out notify"});
    CHECK(transfer_shown(it) == "1");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "2");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err no 3");
    CHECK(log.take().empty());
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("cancel right after spawn cancels the input") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(eduction(xf::map(inc), in.get()), log, "out");
    it.cancel();
    CHECK(log.take() == events{"in spawn", "in cancel"});
    in.fail(braid::cancelled_error("in cancelled"));
    CHECK(log.take() == events{"in transfer", "in cancel", "out notify"});
    CHECK(transfer_shown(it) == "err cancelled: in cancelled");
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("cancel while output is pending: the pending output is still delivered") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(eduction(xf::map(inc), in.get()), log, "out");
    in.emit(1);
    log.take();
    it.cancel();
    CHECK(log.take() == events{"in cancel"});
    CHECK(transfer_shown(it) == "2");
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
    it.cancel();  // after the end
    CHECK(log.take() == events{"in cancel"});
  }

  TEST_CASE("synchronous re-notification and termination inside the input's transfer") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(eduction(xf::filter(odd), in.get()), log, "out");
    in.push(2);  // filtered out; re-notifies with 3 inside its transfer
    in.on_transfer([&] {
      in.push(3);
      in.on_transfer([&] { in.terminate(); });
      in.notify();
    });
    in.notify();
    CHECK(log.take() == events{"in spawn", "in transfer", "in transfer", "out notify"});
    CHECK(transfer_shown(it) == "3");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("an input that notifies inside spawn, and eduction without transducers") {
    CHECK(collect(eduction(xf::map(inc), seed({1, 2}))) == std::vector<int>{2, 3});
    CHECK(collect(eduction(seed({1, 2}))) == std::vector<int>{1, 2});
  }

  TEST_CASE("Missionary's docstring example") {
    CHECK(collect(eduction(xf::filter(odd), xf::mapcat([](int x) {
                             std::vector<int> r(x);
                             std::iota(r.begin(), r.end(), 0);
                             return r;
                           }),
                           xf::partition(4), seed({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}))) ==
          std::vector<std::vector<int>>{{0, 0, 1, 2}, {0, 1, 2, 3}, {4, 0, 1, 2}, {3, 4, 5, 6},
                                        {0, 1, 2, 3}, {4, 5, 6, 7}, {8}});
  }

  TEST_CASE("drop, take_while, dedupe, cat") {
    CHECK(collect(eduction(xf::drop(2), seed({1, 2, 3, 4}))) == std::vector<int>{3, 4});
    CHECK(collect(eduction(xf::take_while([](int x) { return x < 3; }), seed({1, 2, 3, 1}))) ==
          std::vector<int>{1, 2});
    CHECK(collect(eduction(xf::dedupe(), seed({1, 1, 2, 1, 1, 3}))) == std::vector<int>{1, 2, 1, 3});
    std::vector<std::vector<int>> vv{{1}, {}, {2, 3}};
    CHECK(collect(eduction(xf::cat(), seed(vv))) == std::vector<int>{1, 2, 3});
  }

  TEST_CASE("misuse: partition(0) throws invalid_argument") {
    CHECK_THROWS_WITH_AS(xf::partition(0), "braid::xf::partition: the chunk size must be at least 1",
                         std::invalid_argument);
  }

  TEST_CASE("property: eduction equals the same transform applied to a vector") {
    std::mt19937 rng(42);
    auto vec = [&] {
      std::vector<int> v(rng() % 30);
      for (auto& x : v) x = static_cast<int>(rng() % 10);
      return v;
    };
    auto n = [&] { return static_cast<std::size_t>(rng() % 6); };
    // Reference transforms on vectors.
    auto r_take = [](std::vector<int> v, std::size_t k) {
      v.resize(std::min(k, v.size()));
      return v;
    };
    auto r_drop = [](std::vector<int> v, std::size_t k) {
      v.erase(v.begin(), v.begin() + static_cast<long>(std::min(k, v.size())));
      return v;
    };
    auto r_dedupe = [](std::vector<int> v) {
      v.erase(std::unique(v.begin(), v.end()), v.end());
      return v;
    };
    auto r_filter = [](std::vector<int> v, int m) {
      std::vector<int> r;
      for (int x : v)
        if (x % m == 0) r.push_back(x);
      return r;
    };
    auto r_mapcat = [](const std::vector<int>& v) {
      std::vector<int> r;
      for (int x : v) r.insert(r.end(), static_cast<std::size_t>(x % 3), x);
      return r;
    };
    auto r_take_while = [](const std::vector<int>& v, int lim) {
      std::vector<int> r;
      for (int x : v) {
        if (x >= lim) break;
        r.push_back(x);
      }
      return r;
    };
    auto r_partition = [](const std::vector<int>& v, std::size_t k) {
      std::vector<std::vector<int>> r;
      for (std::size_t i = 0; i < v.size(); i += k)
        r.emplace_back(v.begin() + static_cast<long>(i), v.begin() + static_cast<long>(std::min(v.size(), i + k)));
      return r;
    };
    auto mapcat_f = [](int x) { return std::vector<int>(static_cast<std::size_t>(x % 3), x); };
    for (int round = 0; round < 300; ++round) {
      const auto v = vec();
      const std::size_t a = n(), b = n() + 1;
      const int m = static_cast<int>(rng() % 3) + 1, lim = static_cast<int>(rng() % 10);
      CAPTURE(round);
      switch (round % 6) {
        case 0:
          CHECK(collect(eduction(xf::map(inc), xf::filter([m](int x) { return x % m == 0; }), xf::take(a), seed(v))) ==
                r_take(r_filter([&] { auto w = v; for (auto& x : w) x += 1; return w; }(), m), a));
          break;
        case 1:
          CHECK(collect(eduction(xf::drop(a), xf::dedupe(), xf::partition(b), seed(v))) ==
                r_partition(r_dedupe(r_drop(v, a)), b));
          break;
        case 2:
          CHECK(collect(eduction(xf::mapcat(mapcat_f), xf::take_while([lim](int x) { return x < lim; }), seed(v))) ==
                r_take_while(r_mapcat(v), lim));
          break;
        case 3:
          CHECK(collect(eduction(xf::partition(b), xf::take(a), xf::cat(), xf::dedupe(), seed(v))) ==
                r_dedupe(r_take(v, std::min(v.size(), a * b))));
          break;
        case 4:
          CHECK(collect(eduction(xf::take(a + 3), xf::drop(1), xf::mapcat(mapcat_f), seed(v))) ==
                r_mapcat(r_drop(r_take(v, a + 3), 1)));
          break;
        default:
          CHECK(collect(eduction(xf::filter([m](int x) { return x % m == 0; }), xf::dedupe(),
                                 xf::take_while([lim](int x) { return x < lim; }), xf::partition(b), seed(v))) ==
                r_partition(r_take_while(r_dedupe(r_filter(v, m)), lim), b));
      }
    }
  }

  TEST_CASE("a million values through a chain run in constant stack") {
    std::vector<int> v(1'000'000, 1);
    auto f = eduction(xf::map(inc), xf::filter([](int x) { return x > 0; }), xf::partition(1), xf::cat(), seed(v));
    long r = 0;
    braid::testing::run_on_small_stack(
        [&] { r = run_blocking(reduce([](long acc, int x) { return acc + x; }, 0L, f)); }, 256 * 1024);
    CHECK(r == 2'000'000);
  }

  TEST_CASE("threads: the input produces on another thread, the consumer reduces (stress)") {
    event_log log;
    manual_flow<int> in(log, "in");
    std::atomic<long> result{-1};
    auto t = reduce(std::plus<long>{}, 0L, eduction(xf::filter(odd), xf::map(inc), in.get()));
    t.run([&](long v) { result = v; }, [&](std::exception_ptr) { result = -2; });
    std::thread th([&] {
      for (int i = 0; i < 10000; ++i) in.emit(i);
      in.terminate();
    });
    th.join();
    CHECK(result.load() == 5000L * 5000L + 5000L);
  }

  TEST_CASE("the process, its chain and its buffered values are destroyed after the end") {
    struct fn : tracked {
      tracked operator()(int) const { return {}; }
    };
    {
      auto f = eduction(xf::map(fn{}), xf::partition(2), seed({1, 2, 3}));
      const int recipe = tracked::live;
      {
        event_log log;
        auto it = spawn_logged(f, log, "out");
        while (log.take() != events{"out terminate"}) (void)it.transfer();
        CHECK(tracked::live == recipe + 1);  // the chain's copy of fn, kept by the iterator
      }
      CHECK(tracked::live == recipe);
    }
    CHECK(tracked::live == 0);
  }
}
