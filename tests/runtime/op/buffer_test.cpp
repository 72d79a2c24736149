// SPDX-License-Identifier: MIT
#include <braid/op/buffer.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <memory>
#include <random>
#include <stdexcept>
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

TEST_SUITE("buffer") {
  TEST_CASE("transfers the input eagerly until n values are held, then waits for the consumer") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(buffer(2, in.get()), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.emit(1);
    CHECK(log.take() == events{"in transfer", "out notify"});
    in.emit(2);
    CHECK(log.take() == events{"in transfer"});
    in.emit(3);  // full: not transferred yet
    CHECK(log.take().empty());
    CHECK(transfer_shown(it) == "1");  // frees a slot: 3 is pulled inside this transfer
    CHECK(log.take() == events{"in transfer", "out notify"});
    CHECK(transfer_shown(it) == "2");
    CHECK(log.take() == events{"out notify"});
    in.terminate();
    CHECK(log.take().empty());
    CHECK(transfer_shown(it) == "3");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("terminates at once when the input ends with nothing held") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(buffer(3, in.get()), log, "out");
    in.emit(1);
    CHECK(transfer_shown(it) == "1");
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("an input error is held in order and thrown by the transfer that reaches it") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(buffer(3, in.get()), log, "out");
    in.emit(1);
    in.fail("boom");
    in.terminate();
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify", "in transfer"});
    CHECK(transfer_shown(it) == "1");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err boom");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("cancel right after spawn cancels the input; held values still come first") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(buffer(2, in.get()), log, "out");
    it.cancel();
    CHECK(log.take() == events{"in spawn", "in cancel"});
    in.fail(braid::cancelled_error("in cancelled"));
    in.terminate();
    CHECK(log.take() == events{"in transfer", "out notify"});
    CHECK(transfer_shown(it) == "err cancelled: in cancelled");
    CHECK(log.take() == events{"out terminate"});
    it.cancel();  // after the end
    CHECK(log.take() == events{"in cancel"});
  }

  TEST_CASE("cancel while values are held") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(buffer(2, in.get()), log, "out");
    in.emit(1);
    log.take();
    it.cancel();
    in.fail(braid::cancelled_error("in cancelled"));
    in.terminate();
    CHECK(log.take() == events{"in cancel", "in transfer"});
    CHECK(transfer_shown(it) == "1");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err cancelled: in cancelled");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("synchronous re-notification inside the input's transfer fills the buffer in a loop") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(buffer(2, in.get()), log, "out");
    in.emit_in_transfer(2);
    in.emit(1);
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify", "in transfer"});
    in.emit_in_transfer(4);  // registered for the next transfer of the input
    in.emit(3);
    CHECK(log.take().empty());
    CHECK(transfer_shown(it) == "1");
    // 3 pulled; it re-notifies with 4 inside, but the buffer is full again
    CHECK(log.take() == events{"in transfer", "out notify"});
    CHECK(transfer_shown(it) == "2");
    CHECK(log.take() == events{"in transfer", "out notify"});
    in.terminate();
    CHECK(transfer_shown(it) == "3");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "4");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("inputs that notify inside spawn; buffer(1) is a plain pass-through") {
    auto sum = [](flow<int> f) { return run_blocking(reduce(std::plus<>{}, 0, std::move(f))); };
    CHECK(sum(buffer(1, seed({1, 2, 3}))) == 6);
    CHECK(sum(buffer(5, seed({1, 2, 3}))) == 6);
  }

  TEST_CASE("misuse: a capacity of 0 throws invalid_argument") {
    CHECK_THROWS_WITH_AS(buffer(0, seed({1})), "braid::buffer: the capacity must be at least 1",
                         std::invalid_argument);
  }

  TEST_CASE("a million values run in constant stack") {
    std::vector<int> v(1'000'000, 1);
    auto f = buffer(8, seed(v));
    int r = 0;
    braid::testing::run_on_small_stack([&] { r = run_blocking(reduce(std::plus<>{}, 0, f)); }, 256 * 1024);
    CHECK(r == 1'000'000);
  }

  TEST_CASE("threads: the input produces on another thread, the consumer on this one (stress)") {
    event_log log;
    manual_flow<int> in(log, "in");
    std::atomic<int> notes{0};
    std::atomic<bool> ended{false};
    auto it = buffer(4, in.get()).spawn([&] { notes.fetch_add(1); }, [&] { ended = true; });
    std::thread producer([&] {
      for (int i = 1; i <= 5000; ++i) {
        while (in.pending()) std::this_thread::yield();  // the buffer is full
        in.emit(i);
      }
      while (in.pending()) std::this_thread::yield();
      in.terminate();
    });
    long sum = 0;
    int expect = 1;
    bool ordered = true;
    while (!ended.load()) {
      if (notes.load() == 0) {
        std::this_thread::yield();
        continue;
      }
      notes.fetch_sub(1);
      int v = it.transfer();
      ordered = ordered && v == expect++;
      sum += v;
    }
    producer.join();
    CHECK(ordered);
    CHECK(sum == 5000L * 5001 / 2);
  }

  TEST_CASE("held values are moved out, and the process is destroyed after the end") {
    {
      event_log log;
      manual_flow<std::shared_ptr<tracked>> in(log, "in");
      {
        auto it = buffer(3, in.get()).spawn([] {}, [] {});
        in.emit(std::make_shared<tracked>());
        in.emit(std::make_shared<tracked>());
        CHECK(tracked::live == 2);
        (void)it.transfer();  // dropped at once
        CHECK(tracked::live == 1);
        in.terminate();
        (void)it.transfer();
        CHECK(tracked::live == 0);
      }
    }
    CHECK(tracked::live == 0);
  }

  TEST_CASE("property: buffer(n, seed(v)) yields v for random n and v") {
    std::mt19937 rng(11);
    for (int round = 0; round < 200; ++round) {
      std::vector<int> v(rng() % 30);
      for (auto& x : v) x = static_cast<int>(rng() % 100);
      const std::size_t n = rng() % 8 + 1;
      CHECK(collect(buffer(n, seed(v))) == v);
    }
  }
}
