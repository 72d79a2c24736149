// SPDX-License-Identifier: MIT
// Frames: constant stack over synchronous completions (transform-case 4,
// 39c), parameters, member functions, lambdas capturing frame locals
// (cases 7, 29), liveness of trivially destructible locals (case 27).
#include "behave_support.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

using namespace behave;
using braid::park;
using braid::task;

namespace {

// A task that completes synchronously but is not an immediate value, so
// every park goes through start and the park handshake.
task<int> sync_value(int v) {
  return braid::make_task<int>([v](auto ok, auto) { ok(v); });
}

// [cases 4, 39c] every park finds its task already complete.
BRAID_SP task<long> count_up(int n, bool immediate) {
  long sum = 0;
  for (int i = 0; i < n; ++i) sum += park(immediate ? task<int>(1) : sync_value(1));
  return sum;
}

// Parameters: by value (moved into the frame), const& (copied: the caller's
// temporary may be gone when the task runs), & (a reference to the caller's
// object).
BRAID_SP task<std::string> params(std::string by_value, const std::string& by_cref, int& by_ref,
                                  task<int> t) {
  int v = park(t);
  by_ref += v;
  return by_value + "/" + by_cref + "/" + std::to_string(by_ref);
}

// Member functions: implicit and explicit this, private members.
class account {
 public:
  explicit account(int b) : balance_(b) {}
  BRAID_SP task<int> deposit(task<int> amount) {
    int a = park(amount);
    balance_ += a;
    this->deposits_ += 1;
    return balance_ * 100 + deposits_;
  }

 private:
  int balance_;
  int deposits_ = 0;
};

// [cases 7, 29] lambdas capturing frame locals by reference and by copy,
// stored in std::function, called after later parks; one closure per
// iteration sees that iteration's value.
BRAID_SP task<std::string> lambdas(task<int> t) {
  int total = 0;
  std::function<void(int)> add = [&total](int x) { total += x; };
  std::vector<std::function<int()>> per_iteration;
  for (int i = 0; i < 3; ++i) {
    int v = park(t) + i;
    per_iteration.push_back([v] { return v; });
    add(v);
  }
  int seen = park(t);
  auto copy = [=] { return total + seen; };
  total = 1000;
  std::string out;
  for (auto& f : per_iteration) out += std::to_string(f()) + ",";
  return out + std::to_string(total) + "," + std::to_string(copy());
}

// Namespace-scope names that the frame's driver base also declares
// (state, release, cancel) still name the user's functions.
int state(int x) { return x + 1; }
int release(int x) { return x * 2; }
BRAID_SP task<int> driver_names(task<int> t) {
  int v = park(t);
  return release(state(v));
}

}  // namespace

TEST_SUITE("frames") {
  TEST_CASE("1,000,000 parks on already-finished tasks run in constant stack") {
    long immediate = 0, synchronous = 0;
    // On a 256 KiB stack: any per-park recursion would overflow it.
    braid::testing::run_on_small_stack(
        [&] {
          immediate = braid::run_blocking(count_up(1'000'000, true));
          synchronous = braid::run_blocking(count_up(1'000'000, false));
        },
        256 * 1024);
    CHECK(immediate == 1'000'000);
    CHECK(synchronous == 1'000'000);
  }

  TEST_CASE("parameters: by value moved, const& copied, & referenced") {
    event_log log;
    manual_task<int> t(log, "t");
    int counter = 1;
    task<std::string> made = [&] {
      std::string temporary = "cref";
      return params("value", temporary, counter, t);
    }();  // the const& argument's object is gone before the task runs
    run_logged(made, log);
    t.succeed(5);
    CHECK(log.take() == events{"t start", "ok value/cref/6"});
    CHECK(counter == 6);
  }

  TEST_CASE("a member function reads and writes private members after a park") {
    event_log log;
    account acc(10);
    manual_task<int> t(log, "t");
    run_logged(acc.deposit(t), log);
    t.succeed(5);
    CHECK(log.take() == events{"t start", "ok 1501"});
  }

  TEST_CASE("names the driver's base classes also declare still find the user's functions") {
    event_log log;
    run_logged(driver_names(task<int>(5)), log);
    CHECK(log.take() == events{"ok 12"});
  }

  TEST_CASE("lambdas capture frame locals by reference and by copy, per iteration") {
    event_log log;
    run_logged(lambdas(task<int>(10)), log);
    CHECK(log.take() == events{"ok 10,11,12,1000,43"});
  }
}
