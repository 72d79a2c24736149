// SPDX-License-Identifier: MIT
// The real environment: one timer thread, the cpu and blk pools, the steady
// clock. Every piece starts lazily and lives until the process exits (the
// objects are leaked on purpose: no destruction-order hazard at exit while a
// detached timer or pool thread may still run).
#include <braid/env.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace braid::detail {
namespace {

std::int64_t steady_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

/// Intrusive min-heap on (deadline, seq); each node knows its index, so
/// unschedule is O(log n) and needs no allocation.
class timer_heap {
 public:
  bool empty() const noexcept { return v_.empty(); }
  timer_node* top() const noexcept { return v_.front(); }
  void push(timer_node* n) {
    n->heap_index = static_cast<std::int64_t>(v_.size());
    v_.push_back(n);
    up(v_.size() - 1);
  }
  void erase(timer_node* n) noexcept {
    auto i = static_cast<std::size_t>(n->heap_index);
    n->heap_index = -1;
    timer_node* last = v_.back();
    v_.pop_back();
    if (i == v_.size()) return;
    v_[i] = last;
    last->heap_index = static_cast<std::int64_t>(i);
    up(i);
    down(static_cast<std::size_t>(last->heap_index));
  }

 private:
  static bool less(const timer_node* a, const timer_node* b) noexcept {
    return a->deadline_ms != b->deadline_ms ? a->deadline_ms < b->deadline_ms : a->seq < b->seq;
  }
  void place(std::size_t i, timer_node* n) noexcept {
    v_[i] = n;
    n->heap_index = static_cast<std::int64_t>(i);
  }
  void up(std::size_t i) noexcept {
    timer_node* n = v_[i];
    while (i > 0) {
      std::size_t p = (i - 1) / 2;
      if (!less(n, v_[p])) break;
      place(i, v_[p]);
      i = p;
    }
    place(i, n);
  }
  void down(std::size_t i) noexcept {
    timer_node* n = v_[i];
    for (;;) {
      std::size_t c = 2 * i + 1;
      if (c >= v_.size()) break;
      if (c + 1 < v_.size() && less(v_[c + 1], v_[c])) ++c;
      if (!less(v_[c], n)) break;
      place(i, v_[c]);
      i = c;
    }
    place(i, n);
  }
  std::vector<timer_node*> v_;
};

class timer_service {
 public:
  void schedule(timer_node* n) noexcept {
    {
      std::lock_guard<std::mutex> g(m_);
      n->seq = next_seq_++;
      heap_.push(n);
      if (!started_) {
        started_ = true;
        std::thread([this] { loop(); }).detach();
      }
    }
    cv_.notify_one();
  }
  bool unschedule(timer_node* n) noexcept {
    std::lock_guard<std::mutex> g(m_);
    if (n->heap_index < 0) return false;
    heap_.erase(n);
    return true;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (heap_.empty()) {
        cv_.wait(lk);
        continue;
      }
      timer_node* n = heap_.top();
      std::int64_t now = steady_ms();
      if (n->deadline_ms > now) {
        cv_.wait_for(lk, std::chrono::milliseconds(n->deadline_ms - now));
        continue;
      }
      heap_.erase(n);
      // Never call user code under the lock: fire() completes a process.
      lk.unlock();
      n->fire();
      lk.lock();
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  timer_heap heap_;
  std::uint64_t next_seq_ = 0;
  bool started_ = false;
};

/// A FIFO pool. Fixed pools start `fixed` threads on first use; a growing
/// pool starts a thread whenever no idle one is waiting, and an idle
/// thread retires after `idle_limit`.
class pool {
 public:
  pool(unsigned fixed, bool grows) : fixed_(fixed), grows_(grows) {}

  void post(job* j) noexcept {
    bool spawn = false;
    {
      std::lock_guard<std::mutex> g(m_);
      j->next_job = nullptr;
      if (tail_)
        tail_->next_job = j;
      else
        head_ = j;
      tail_ = j;
      ++queued_;
      if (grows_) {
        if (idle_ < queued_) {
          ++threads_;
          spawn = true;
        }
      } else if (threads_ < fixed_) {
        // Start the whole fixed pool at first use.
        while (threads_ < fixed_) {
          ++threads_;
          std::thread([this] { work(); }).detach();
        }
      }
    }
    if (spawn) std::thread([this] { work(); }).detach();
    cv_.notify_one();
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      while (!head_) {
        ++idle_;
        bool woke = true;
        if (grows_)
          woke = cv_.wait_for(lk, std::chrono::seconds(60), [this] { return head_ != nullptr; });
        else
          cv_.wait(lk, [this] { return head_ != nullptr; });
        --idle_;
        if (!woke) {
          --threads_;
          return;
        }
      }
      job* j = head_;
      head_ = j->next_job;
      if (!head_) tail_ = nullptr;
      --queued_;
      lk.unlock();
      j->run();
      lk.lock();
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  job* head_ = nullptr;
  job* tail_ = nullptr;
  unsigned fixed_;
  bool grows_;
  unsigned threads_ = 0;
  unsigned idle_ = 0;
  unsigned queued_ = 0;
};

class real_environment final : public environment {
 public:
  std::int64_t now_ms() noexcept override { return steady_ms(); }
  void schedule(timer_node* n) noexcept override { timers_.schedule(n); }
  bool unschedule(timer_node* n) noexcept override { return timers_.unschedule(n); }
  void post(lane l, job* j) noexcept override { (l == lane::cpu ? cpu_ : blk_).post(j); }

 private:
  timer_service timers_;
  pool cpu_{std::max(1u, std::thread::hardware_concurrency()), false};
  pool blk_{0, true};
};

thread_local environment* t_env = nullptr;

class lane_executor final : public executor {
 public:
  explicit lane_executor(lane l) : lane_(l) {}
  void execute(job* j) noexcept override { current_env().post(lane_, j); }

 private:
  lane lane_;
};

}  // namespace

environment& real_env() noexcept {
  static auto* e = new real_environment();  // leaked on purpose, see above
  return *e;
}

environment& current_env() noexcept { return t_env ? *t_env : real_env(); }

env_scope::env_scope(environment& e) noexcept : prev_(t_env) { t_env = &e; }
env_scope::~env_scope() { t_env = prev_; }

}  // namespace braid::detail

namespace braid {

executor& cpu() noexcept {
  static auto* e = new detail::lane_executor(detail::lane::cpu);
  return *e;
}
executor& blk() noexcept {
  static auto* e = new detail::lane_executor(detail::lane::blk);
  return *e;
}
std::int64_t clock() noexcept { return detail::current_env().now_ms(); }

}  // namespace braid
