// SPDX-License-Identifier: MIT
#include <braid/op/buffer.hpp>
#include <braid/op/eduction.hpp>
#include <braid/op/observe.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/relieve.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

using namespace braid;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::spawn_logged;
using braid::testing::tracked;
using braid::testing::transfer_shown;

namespace {
// A subject the test drives: keeps the emit callable given to subscribe.
struct subject {
  event_log* log;
  std::optional<observe_emitter<int>> emit;
  flow<int> get() {
    return observe<int>([this](observe_emitter<int> e) {
      (*log)("subscribe");
      emit.emplace(std::move(e));
      return [this] { (*log)("unsubscribe"); };
    });
  }
};
}  // namespace

TEST_SUITE("observe") {
  TEST_CASE("subscribes at spawn; each emit notifies and the transfer returns the value") {
    event_log log;
    subject s{&log, {}};
    auto it = spawn_logged(s.get(), log, "out");
    CHECK(log.take() == events{"subscribe"});
    (*s.emit)(1);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "1");
    (*s.emit)(2);
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "2");
    CHECK(log.take().empty());
    it.cancel();
    CHECK(log.take() == events{"unsubscribe", "out notify"});
    CHECK(transfer_shown(it) == "err cancelled: braid: observe cancelled");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("cancel with a value pending: unsubscribes, drops it, the transfer ends the flow") {
    event_log log;
    subject s{&log, {}};
    auto it = spawn_logged(s.get(), log, "out");
    (*s.emit)(1);
    log.take();
    it.cancel();
    CHECK(log.take() == events{"unsubscribe"});
    (*s.emit)(2);  // no effect any more
    CHECK(log.take().empty());
    CHECK(transfer_shown(it) == "err cancelled: braid: observe cancelled");
    CHECK(log.take() == events{"out terminate"});
    it.cancel();  // after the end
    CHECK(log.take().empty());
  }

  TEST_CASE("cancel right after spawn, nothing pending: notifies, the transfer ends the flow") {
    event_log log;
    subject s{&log, {}};
    auto it = spawn_logged(s.get(), log, "out");
    it.cancel();
    CHECK(log.take() == events{"subscribe", "unsubscribe", "out notify"});
    CHECK(transfer_shown(it) == "err cancelled: braid: observe cancelled");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("an unsubscribe that throws: its error is what the last transfer throws") {
    event_log log;
    auto f = observe<int>([](auto) { return [] { throw std::runtime_error("unsub failed"); }; });
    auto it = spawn_logged(f, log, "out");
    it.cancel();
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err unsub failed");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a subscribe that throws: the flow notifies, its transfer throws and terminates") {
    event_log log;
    auto f = observe<int>([](auto) -> std::function<void()> { throw std::runtime_error("no subject"); });
    auto it = spawn_logged(f, log, "out");
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err no subject");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("an emit inside subscribe notifies inside spawn; the value is taken after it") {
    event_log log;
    auto g = observe<int>([&](observe_emitter<int> e) {
      log("subscribe");
      e(7);
      return [&] { log("unsubscribe"); };
    });
    auto it = spawn_logged(g, log, "out");
    CHECK(log.take() == events{"subscribe", "out notify"});
    CHECK(transfer_shown(it) == "7");
    it.cancel();
    CHECK(log.take() == events{"unsubscribe", "out notify"});
    CHECK(transfer_shown(it) == "err cancelled: braid: observe cancelled");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("misuse: a second emit inside subscribe, before a transfer, throws instead of deadlocking") {
    event_log log;
    std::string what;
    auto f = observe<int>([&](observe_emitter<int> emit) {
      emit(1);
      try {
        emit(2);
      } catch (const std::logic_error& e) {
        what = e.what();
      }
      return [] {};
    });
    auto it = spawn_logged(f, log, "out");
    CHECK(log.take() == events{"out notify"});
    CHECK(what.find("braid::observe: emit was called while the previous value is still pending") == 0);
    CHECK(transfer_shown(it) == "1");
    it.cancel();
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(it) == "err cancelled: braid: observe cancelled");
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("misuse: an emit inside the consumer's notification, before it transferred, throws") {
    event_log log;
    std::optional<observe_emitter<int>> emit;
    auto f = observe<int>([&](observe_emitter<int> e) {
      emit.emplace(e);
      return [] {};
    });
    bool nested = false;
    auto it = f.spawn(
        [&] {
          if (nested) return;
          nested = true;
          try {
            (*emit)(2);
          } catch (const std::logic_error&) {
            log("nested emit refused");
          }
        },
        [&] { log("terminate"); });
    (*emit)(1);
    CHECK(log.take() == events{"nested emit refused"});
    CHECK(it.transfer() == 1);
    it.cancel();
    CHECK_THROWS_AS(it.transfer(), braid::cancelled);
    CHECK(log.take() == events{"terminate"});
  }

  TEST_CASE("a consumer that transfers inside its notification lets the same thread emit again") {
    std::optional<observe_emitter<int>> emit;
    auto f = observe<int>([&](observe_emitter<int> e) {
      emit.emplace(e);
      return [] {};
    });
    std::atomic<int> sum{0};
    auto c = reduce(std::plus<>{}, 0, eduction(xf::take(3), f)).run([&](int v) { sum = v; }, [](auto) {});
    (*emit)(1);
    (*emit)(2);
    (*emit)(3);  // take(3) cancels observe; the reduce completes synchronously
    CHECK(sum.load() == 6);
  }

  TEST_CASE("a million synchronous emits run in constant stack") {
    std::optional<observe_emitter<int>> emit;
    auto f = observe<int>([&](observe_emitter<int> e) {
      emit.emplace(e);
      return [] {};
    });
    long sum = 0;
    braid::testing::run_on_small_stack(
        [&] {
          reduce(std::plus<long>{}, 0L, eduction(xf::take(1'000'000), f))
              .run([&](long v) { sum = v; }, [](auto) {});
          for (int i = 0; i < 1'000'000; ++i) (*emit)(1);
        },
        256 * 1024);
    CHECK(sum == 1'000'000);
  }

  TEST_CASE("threads: emit blocks the producer until the value was transferred") {
    std::optional<observe_emitter<int>> emit;
    auto f = observe<int>([&](observe_emitter<int> e) {
      emit.emplace(e);
      return [] {};
    });
    std::atomic<int> notes{0};
    auto it = f.spawn([&] { notes.fetch_add(1); }, [] {});
    std::atomic<bool> second_returned{false};
    std::thread producer([&] {
      (*emit)(1);
      (*emit)(2);
      second_returned = true;
    });
    while (notes.load() == 0) std::this_thread::yield();
    CHECK_FALSE(second_returned.load());  // 1 is pending: emit(2) cannot have returned
    CHECK(it.transfer() == 1);
    while (notes.load() < 2) std::this_thread::yield();
    CHECK(it.transfer() == 2);
    producer.join();
    CHECK(second_returned.load());
    it.cancel();
    CHECK_THROWS_AS(it.transfer(), braid::cancelled);
  }

  TEST_CASE("threads: cancel wakes a blocked emitter, whose emit returns without effect") {
    std::optional<observe_emitter<int>> emit;
    auto f = observe<int>([&](observe_emitter<int> e) {
      emit.emplace(e);
      return [] {};
    });
    std::atomic<int> notes{0};
    auto it = f.spawn([&] { notes.fetch_add(1); }, [] {});
    (*emit)(1);
    std::thread producer([&] { (*emit)(2); });  // blocks (or returns if cancelled first)
    it.cancel();
    producer.join();
    CHECK(notes.load() == 1);  // the pending value's notification only
    CHECK_THROWS_AS(it.transfer(), braid::cancelled);
  }

  TEST_CASE("threads: a producer thread through observe, buffer and relieve into reduce (stress)") {
    for (int variant = 0; variant < 2; ++variant) {
      std::optional<observe_emitter<int>> emit;
      auto src = observe<int>([&](observe_emitter<int> e) {
        emit.emplace(e);
        return [] {};
      });
      const int n = 20000;
      auto limited = eduction(xf::take(n), src);
      flow<int> f = variant == 0 ? buffer(16, limited) : relieve(std::plus<>{}, limited);
      std::atomic<long> result{-1};
      reduce(std::plus<long>{}, 0L, f).run([&](long v) { result = v; }, [&](auto) { result = -2; });
      std::thread producer([&] {
        for (int i = 0; i < n; ++i) (*emit)(1);
      });
      producer.join();
      CHECK(result.load() == n);
    }
  }

  TEST_CASE("cancel destroys the unsubscribe callable and a pending value") {
    {
      std::optional<observe_emitter<std::shared_ptr<tracked>>> emit;
      auto f = observe<std::shared_ptr<tracked>>([&emit](auto e) {
        emit.emplace(e);
        return [t = tracked{}] {};
      });
      auto it = f.spawn([] {}, [] {});
      CHECK(tracked::live == 1);  // the unsubscribe callable
      (*emit)(std::make_shared<tracked>());
      CHECK(tracked::live == 2);
      it.cancel();  // unsubscribes and drops the pending value
      CHECK(tracked::live == 0);
      CHECK_THROWS_AS(it.transfer(), braid::cancelled);
    }
    CHECK(tracked::live == 0);
  }
}
