// SPDX-License-Identifier: MIT
#include <braid/op/group_by.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/seed.hpp>
#include <braid/run_blocking.hpp>

#include <manual_flow.hpp>
#include <script.hpp>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace braid;
using braid::testing::collect_task;
using braid::testing::event_log;
using braid::testing::events;
using braid::testing::manual_flow;
using braid::testing::spawn_logged;
using braid::testing::tracked;
using braid::testing::transfer_shown;

namespace braid {
// transfer_shown renders a (key, group) pair by its key (found by ADL).
template <class K, class T>
std::string show(const std::pair<K, flow<T>>& kv) {
  return "(" + braid::testing::show(kv.first) + " group)";
}
}  // namespace braid

namespace {
auto first_letter = [](const std::string& s) { return std::string(1, s[0]); };
using pair_t = std::pair<std::string, flow<std::string>>;

// Consumes a group_by flow: each group is reduced into a vector; results
// land in `out` when the groups end.
template <class K, class T>
task<int> consume_groups(flow<std::pair<K, flow<T>>> f, std::map<K, std::vector<T>>& out, std::mutex& m) {
  return reduce(
      [&out, &m](int n, std::pair<K, flow<T>> kv) {
        K k = kv.first;
        collect_task(kv.second)
            .run(
                [&out, &m, k](std::vector<T> vs) {
                  std::lock_guard<std::mutex> g(m);
                  auto& dst = out[k];
                  dst.insert(dst.end(), vs.begin(), vs.end());
                },
                [](std::exception_ptr) {});
        return n + 1;
      },
      0, std::move(f));
}
}  // namespace

TEST_SUITE("group_by") {
  TEST_CASE("emits a pair per new key; values of an active group go straight to it") {
    event_log log;
    manual_flow<std::string> in(log, "in");
    auto it = spawn_logged(group_by(first_letter, in.get()), log, "out");
    CHECK(log.take() == events{"in spawn"});
    in.emit("air");
    CHECK(log.take() == events{"in transfer", "out notify"});
    pair_t p = it.transfer();
    CHECK(p.first == "a");
    auto ga = spawn_logged(p.second, log, "ga");
    CHECK(log.take() == events{"ga notify"});
    CHECK(transfer_shown(ga) == "air");
    CHECK(log.take().empty());
    in.emit("ant");
    CHECK(log.take() == events{"in transfer", "ga notify"});
    CHECK(transfer_shown(ga) == "ant");
    in.emit("bud");
    CHECK(log.take() == events{"in transfer", "out notify"});
    pair_t q = it.transfer();
    CHECK(q.first == "b");
    auto gb = spawn_logged(q.second, log, "gb");
    CHECK(transfer_shown(gb) == "bud");
    CHECK(log.take() == events{"gb notify"});
    in.terminate();
    auto ev = log.take();
    CHECK(ev.size() == 3);
    CHECK(ev.back() == "out terminate");  // after both groups (in table order)
  }

  TEST_CASE("the input is not transferred again before the pending value is consumed") {
    event_log log;
    manual_flow<std::string> in(log, "in");
    auto it = spawn_logged(group_by(first_letter, in.get()), log, "out");
    in.emit("air");
    pair_t p = it.transfer();
    in.emit("ant");  // waits: "air" is still pending
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify"});
    auto ga = spawn_logged(p.second, log, "ga");
    CHECK(transfer_shown(ga) == "air");  // consumed: "ant" is transferred inside
    CHECK(log.take() == events{"ga notify", "in transfer", "ga notify"});
    CHECK(transfer_shown(ga) == "ant");
    in.terminate();
    CHECK(log.take() == events{"ga terminate", "out terminate"});
  }

  TEST_CASE("cancelling a group while its value is pending emits the pair again") {
    event_log log;
    manual_flow<std::string> in(log, "in");
    auto it = spawn_logged(group_by(first_letter, in.get()), log, "out");
    in.emit("air");
    pair_t p = it.transfer();
    auto ga = spawn_logged(p.second, log, "ga");
    log.take();
    ga.cancel();
    CHECK(log.take() == events{"out notify"});
    CHECK(transfer_shown(ga) == "err cancelled: braid: group_by group cancelled");
    CHECK(log.take() == events{"ga terminate"});
    pair_t again = it.transfer();
    CHECK(again.first == "a");
    auto ga2 = spawn_logged(again.second, log, "ga2");
    CHECK(transfer_shown(ga2) == "air");
    CHECK(log.take() == events{"ga2 notify"});
    in.terminate();
    CHECK(log.take() == events{"ga2 terminate", "out terminate"});
  }

  TEST_CASE("cancelling an idle group ends it; a later value of its key makes a new pair") {
    event_log log;
    manual_flow<std::string> in(log, "in");
    auto it = spawn_logged(group_by(first_letter, in.get()), log, "out");
    in.emit("air");
    auto ga = spawn_logged(it.transfer().second, log, "ga");
    CHECK(transfer_shown(ga) == "air");
    log.take();
    ga.cancel();
    CHECK(log.take() == events{"ga notify"});
    CHECK(transfer_shown(ga) == "err cancelled: braid: group_by group cancelled");
    CHECK(log.take() == events{"ga terminate"});
    ga.cancel();  // after its end: nothing
    in.emit("ant");
    CHECK(log.take() == events{"in transfer", "out notify"});
    pair_t q = it.transfer();
    CHECK(q.first == "a");
    auto ga2 = spawn_logged(q.second, log, "ga2");
    CHECK(transfer_shown(ga2) == "ant");
    in.terminate();
    CHECK(log.take() == events{"ga2 notify", "ga2 terminate", "out terminate"});
  }

  TEST_CASE("misuse: a second consumer of an active group fails with logic_error") {
    event_log log;
    manual_flow<std::string> in(log, "in");
    auto it = spawn_logged(group_by(first_letter, in.get()), log, "out");
    in.emit("air");
    pair_t p = it.transfer();
    auto ga = spawn_logged(p.second, log, "ga");
    auto ga2 = spawn_logged(p.second, log, "ga2");
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify", "ga notify", "ga2 notify"});
    CHECK(transfer_shown(ga2) ==
          "err braid::group_by: this group already has a consumer; a group flow may be consumed by "
          "one process at a time");
    CHECK(log.take() == events{"ga2 terminate"});
    CHECK(transfer_shown(ga) == "air");
    in.terminate();
    CHECK(log.take() == events{"ga terminate", "out terminate"});
  }

  TEST_CASE("misuse: a group flow spawned when its key has no pending value ends with cancelled") {
    event_log log;
    manual_flow<std::string> in(log, "in");
    auto it = spawn_logged(group_by(first_letter, in.get()), log, "out");
    in.emit("air");
    pair_t p = it.transfer();
    auto ga = spawn_logged(p.second, log, "ga");
    CHECK(transfer_shown(ga) == "air");
    ga.cancel();
    CHECK(transfer_shown(ga) == "err cancelled: braid: group_by group cancelled");
    log.take();
    auto late = spawn_logged(p.second, log, "late");
    CHECK(log.take() == events{"late notify"});
    CHECK(transfer_shown(late).find("err cancelled: braid: group_by group has no pending value") == 0);
    CHECK(log.take() == events{"late terminate"});
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("a failing input: cancelled and drained, the flow's transfer throws, groups end with it") {
    event_log log;
    manual_flow<std::string> in(log, "in");
    auto it = spawn_logged(group_by(first_letter, in.get()), log, "out");
    in.emit("air");
    auto ga = spawn_logged(it.transfer().second, log, "ga");
    CHECK(transfer_shown(ga) == "air");
    log.take();
    in.fail("boom");
    CHECK(log.take() == events{"in transfer", "in cancel", "out notify"});
    CHECK(transfer_shown(it) == "err boom");
    in.emit("ant");  // drained
    CHECK(log.take() == events{"in transfer"});
    in.terminate();
    CHECK(log.take() == events{"ga terminate", "out terminate"});
  }

  TEST_CASE("a throwing key function fails the flow like an input failure") {
    event_log log;
    manual_flow<int> in(log, "in");
    auto it = spawn_logged(group_by([](int x) -> int { if (x < 0) throw std::runtime_error("bad key"); return x; },
                                    in.get()),
                           log, "out");
    in.emit(-1);
    CHECK(log.take() == events{"in spawn", "in transfer", "in cancel", "out notify"});
    CHECK(transfer_shown(it) == "err bad key");
    in.terminate();
    CHECK(log.take() == events{"out terminate"});
  }

  TEST_CASE("cancel right after spawn cancels the input; after that, cancelling a group does nothing") {
    event_log log;
    manual_flow<std::string> in(log, "in");
    auto it = spawn_logged(group_by(first_letter, in.get()), log, "out");
    in.emit("air");
    auto ga = spawn_logged(it.transfer().second, log, "ga");
    CHECK(transfer_shown(ga) == "air");
    log.take();
    it.cancel();
    it.cancel();
    CHECK(log.take() == events{"in cancel"});
    ga.cancel();
    CHECK(log.take().empty());
    in.fail(braid::cancelled_error("in cancelled"));
    CHECK(log.take() == events{"in transfer", "in cancel", "out notify"});
    CHECK(transfer_shown(it) == "err cancelled: in cancelled");
    in.terminate();
    CHECK(log.take() == events{"ga terminate", "out terminate"});
  }

  TEST_CASE("synchronous re-notification and termination inside the input's transfer") {
    event_log log;
    manual_flow<std::string> in(log, "in");
    auto it = spawn_logged(group_by(first_letter, in.get()), log, "out");
    in.emit_in_transfer("ant");
    in.emit("air");
    pair_t p = it.transfer();
    auto ga = spawn_logged(p.second, log, "ga");
    CHECK(log.take() == events{"in spawn", "in transfer", "out notify", "ga notify"});
    in.terminate_in_transfer();
    CHECK(transfer_shown(ga) == "air");
    CHECK(log.take() == events{"in transfer", "ga notify"});
    CHECK(transfer_shown(ga) == "ant");
    CHECK(log.take() == events{"ga terminate", "out terminate"});
  }

  TEST_CASE("Missionary's docstring example, with synchronous consumers") {
    std::vector<std::string> words{"Air", "Bud", "Cup", "Awake", "Break", "Chunk", "Ant", "Big", "Check"};
    std::mutex m;
    // Missionary keys by (juxt first count); a string key stands for the pair.
    auto keyed = [](const std::string& w) { return std::string(1, w[0]) + std::to_string(w.size()); };
    std::map<std::string, std::vector<std::string>> out2;
    CHECK(run_blocking(consume_groups(group_by(keyed, seed(words)), out2, m)) == 6);
    CHECK(out2 == std::map<std::string, std::vector<std::string>>{{"A3", {"Air", "Ant"}},
                                                                {"A5", {"Awake"}},
                                                                {"B3", {"Bud", "Big"}},
                                                                {"B5", {"Break"}},
                                                                {"C3", {"Cup"}},
                                                                {"C5", {"Chunk", "Check"}}});
  }

  TEST_CASE("a million values into two groups run in constant stack") {
    std::vector<int> v(1'000'000);
    for (int i = 0; i < 1'000'000; ++i) v[i] = i;
    std::map<int, std::vector<int>> out;
    std::mutex m;
    int groups = 0;
    braid::testing::run_on_small_stack(
        [&] { groups = run_blocking(consume_groups(group_by([](int x) { return x % 2; }, seed(v)), out, m)); },
        256 * 1024);
    CHECK(groups == 2);
    CHECK(out[0].size() == 500'000);
    CHECK(out[1].size() == 500'000);
    CHECK(out[1].back() == 999'999);
  }

  TEST_CASE("threads: the input produces on another thread, groups are reduced (stress)") {
    event_log log;
    manual_flow<int> in(log, "in");
    std::map<int, std::vector<int>> out;
    std::mutex m;
    std::atomic<int> groups{-1};
    consume_groups(group_by([](int x) { return x % 5; }, in.get()), out, m)
        .run([&](int n) { groups = n; }, [&](std::exception_ptr) { groups = -2; });
    std::thread th([&] {
      for (int i = 0; i < 5000; ++i) {
        while (in.pending()) std::this_thread::yield();
        in.emit(i);
      }
      while (in.pending()) std::this_thread::yield();
      in.terminate();
    });
    th.join();
    CHECK(groups.load() == 5);
    std::lock_guard<std::mutex> g(m);
    for (int k = 0; k < 5; ++k) CHECK(out[k].size() == 1000);
  }

  TEST_CASE("the process, its groups and its copy of kf are destroyed after the end") {
    struct kf : tracked {
      int operator()(int x) const { return x % 2; }
    };
    {
      auto f = group_by(kf{}, seed({1, 2, 3}));
      const int recipe = tracked::live;
      std::map<int, std::vector<int>> out;
      std::mutex m;
      CHECK(run_blocking(consume_groups(f, out, m)) == 2);
      CHECK(tracked::live == recipe);
    }
    CHECK(tracked::live == 0);
  }
}
