// SPDX-License-Identifier: MIT
// A minimal hand-driven environment for operator tests: virtual time that
// moves only on advance(), and cpu/blk work that runs only on run_posted().
// Installing it (it is an env_scope) virtualizes sleep, timeout, clock, via
// on the calling thread. braid::sim::scheduler is the full harness; this is
// the small piece the operator tests need.
#pragma once

#include <braid/env.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

namespace braid::testing {

class manual_env final : public detail::environment {
 public:
  manual_env() : scope_(*this) {}
  manual_env(const manual_env&) = delete;
  manual_env& operator=(const manual_env&) = delete;

  std::int64_t now_ms() noexcept override { return now_; }
  void schedule(detail::timer_node* n) noexcept override {
    n->seq = seq_++;
    n->heap_index = 0;  // "scheduled"
    timers_.push_back(n);
  }
  bool unschedule(detail::timer_node* n) noexcept override {
    auto it = std::find(timers_.begin(), timers_.end(), n);
    if (it == timers_.end()) return false;
    timers_.erase(it);
    n->heap_index = -1;
    return true;
  }
  void post(detail::lane l, detail::job* j) noexcept override { posted_.push_back({l, j}); }
  void yield(detail::job* j) noexcept override { posted_.push_back({detail::lane::cpu, j}); }

  /// Moves time forward by `ms`, firing due timers in (deadline, seq) order,
  /// each at its own deadline.
  void advance(std::int64_t ms) {
    const std::int64_t target = now_ + ms;
    for (;;) {
      auto it = std::min_element(timers_.begin(), timers_.end(), [](auto* a, auto* b) {
        return a->deadline_ms != b->deadline_ms ? a->deadline_ms < b->deadline_ms : a->seq < b->seq;
      });
      if (it == timers_.end() || (*it)->deadline_ms > target) break;
      detail::timer_node* n = *it;
      timers_.erase(it);
      n->heap_index = -1;
      now_ = std::max(now_, n->deadline_ms);
      n->fire();
    }
    now_ = target;
  }
  std::size_t timers() const noexcept { return timers_.size(); }

  /// Runs posted work (and work it posts) in FIFO order; returns how many ran.
  std::size_t run_posted() {
    std::size_t n = 0;
    while (!posted_.empty()) {
      auto [l, j] = posted_.front();
      posted_.pop_front();
      last_lane_ = l;
      j->run();
      ++n;
    }
    return n;
  }
  std::size_t posted() const noexcept { return posted_.size(); }
  detail::lane last_lane() const noexcept { return last_lane_; }

 private:
  struct item {
    detail::lane l;
    detail::job* j;
  };
  std::int64_t now_ = 0;
  std::uint64_t seq_ = 0;
  std::vector<detail::timer_node*> timers_;
  std::deque<item> posted_;
  detail::lane last_lane_ = detail::lane::cpu;
  detail::env_scope scope_;
};

}  // namespace braid::testing
