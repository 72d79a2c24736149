// SPDX-License-Identifier: MIT
#pragma once

#include <braid/cancelled.hpp>
#include <braid/detail/flow_util.hpp>
#include <braid/flow.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace braid {

namespace detail {

template <class T, class K, class KF>
class group_by_process;

// One consumer of one group: a flow process that receives the values of its
// key. Registered in the main process's table while active.
template <class T, class K, class KF>
class group_process final : public flow_node<T> {
  using main_t = group_by_process<T, K, KF>;

 public:
  group_process(flow_listener l, main_t* m, K key) : flow_node<T>(l), main_(m), key_(std::move(key)) {
    m->retain();
  }
  ~group_process() override { main_->release(); }

  void cancel() noexcept override { main_->cancel_group(this); }
  T transfer() override { return main_->consume(this); }

 private:
  friend main_t;
  main_t* main_;
  K key_;
  std::exception_ptr dead_;  // set: the next transfer terminates and throws it
  bool registered_ = false;
};

// [spec.flow.group_by] The main process. A drain_counter serializes the
// input's events as in eduction: the owner pulls one value, computes its
// key (outside any lock), and hands it to the group of that key, or to the
// main consumer as a new (key, group) pair; the count stays held until a
// group consumes the value, so the input is not transferred again before.
// The mutex guards the table and the pending key/value; every notifier and
// terminator is called after it is released.
template <class T, class K, class KF>
class group_by_process final : public flow_node<std::pair<K, flow<T>>> {
  using out_t = std::pair<K, flow<T>>;
  using group_t = group_process<T, K, KF>;

  // The flow handed out with a key: spawning it registers a consumer.
  struct group_flow final : flow_impl<T> {
    group_flow(group_by_process* m, K k) : main(m), key(std::move(k)) { main->retain(); }
    ~group_flow() override { main->release(); }
    flow_process<T>* spawn(flow_listener l) const noexcept override {
      group_t* g;
      try {
        g = new group_t(l, main, key);
      } catch (...) {
        return failing_flow<T>(std::current_exception())->spawn(l);
      }
      main->attach(g);
      return g;
    }
    group_by_process* main;
    K key;
  };

 public:
  group_by_process(flow_listener l, KF kf) : flow_node<out_t>(l), kf_(std::move(kf)) {}

  void start(const flow<T>& input) noexcept {
    in_ = input.spawn(member_listener<group_by_process, &group_by_process::on_notify,
                                      &group_by_process::on_terminate>(this));
    if (events_.depart()) drive();
  }

  // Cancels the input; group consumers are no longer cancellable on their
  // own after that (as in Missionary), they end with the flow.
  void cancel() noexcept override {
    {
      std::lock_guard<std::mutex> g(m_);
      if (!live_) return;
      live_ = false;
    }
    in_.cancel();
  }

  out_t transfer() override {
    std::exception_ptr e;
    {
      std::lock_guard<std::mutex> g(m_);
      if (key_) {
        // The value stays pending until the group's consumer takes it.
        return out_t(*key_, flow<T>(std::make_shared<const group_flow>(this, *key_)));
      }
      e = error_;
      error_ = nullptr;
    }
    // The error is consumed: the input's next event may be handled.
    if (events_.depart()) drive();
    std::rethrow_exception(std::move(e));
  }

  void attach(group_t* gr) noexcept {
    {
      std::lock_guard<std::mutex> g(m_);
      if (!key_ || !(*key_ == gr->key_) || ended_) {
        gr->dead_ = cancelled_error("braid: group_by group has no pending value (spawn a group flow once, "
                                    "right after receiving it)");
      } else if (table_.count(gr->key_)) {
        gr->dead_ = std::make_exception_ptr(std::logic_error(
            "braid::group_by: this group already has a consumer; a group flow may be consumed by "
            "one process at a time"));
      } else {
        table_.emplace(gr->key_, gr);
        gr->registered_ = true;
      }
    }
    gr->notify_out();
  }

  void cancel_group(group_t* gr) noexcept {
    bool pending_here;
    {
      std::lock_guard<std::mutex> g(m_);
      if (!live_ || !gr->registered_) return;
      table_.erase(gr->key_);
      gr->registered_ = false;
      gr->dead_ = cancelled_error("braid: group_by group cancelled");
      pending_here = key_ && *key_ == gr->key_;
    }
    // The group holds a notification for the pending value: its transfer
    // will throw; the pair is emitted again for a new consumer. Otherwise
    // notify the group so that its transfer throws and ends it.
    if (pending_here)
      this->notify_out();
    else
      gr->notify_out();
  }

  T consume(group_t* gr) {
    std::optional<T> v;
    std::exception_ptr e;
    {
      std::lock_guard<std::mutex> g(m_);
      if (gr->dead_) {
        e = gr->dead_;
      } else {
        v = std::move(value_);
        value_.reset();
        key_.reset();
      }
    }
    if (e) {
      gr->terminate_out();
      std::rethrow_exception(std::move(e));
    }
    if (events_.depart()) drive();
    return std::move(*v);
  }

 private:
  void on_notify() noexcept {
    if (events_.arrive()) drive();
  }
  void on_terminate() noexcept {
    done_ = true;  // published by arrive()
    if (events_.arrive()) drive();
  }

  void drive() noexcept {
    do {
      if (done_) return end();
      if (failed_) {
        discard(in_);
        continue;
      }
      std::exception_ptr e;
      group_t* target = nullptr;
      try {
        T v = in_.transfer();
        K k = std::invoke(kf_, std::as_const(v));
        std::lock_guard<std::mutex> g(m_);
        auto it = table_.find(k);
        if (it != table_.end()) target = it->second;
        value_.emplace(std::move(v));
        key_.emplace(std::move(k));
      } catch (...) {
        e = std::current_exception();
      }
      if (e) {
        // An input or key function error: cancel and drain the input, and
        // let the main consumer's transfer throw it.
        failed_ = true;
        {
          std::lock_guard<std::mutex> g(m_);
          error_ = std::move(e);
          live_ = false;
        }
        in_.cancel();
        return this->notify_out();
      }
      if (target) return target->notify_out();  // keeps the count until consumed
      return this->notify_out();
    } while (events_.depart());
  }

  // The input has terminated: every registered group ends, then the flow.
  void end() noexcept {
    std::vector<group_t*> groups;
    {
      std::lock_guard<std::mutex> g(m_);
      ended_ = true;
      live_ = false;
      for (auto& [k, gr] : table_) {
        gr->registered_ = false;
        groups.push_back(gr);
      }
      table_.clear();
    }
    for (auto* gr : groups) gr->terminate_out();
    this->terminate_out();
  }

  KF kf_;
  std::mutex m_;
  std::unordered_map<K, group_t*> table_;
  std::optional<K> key_;    // key of the pending value
  std::optional<T> value_;  // the pending value
  std::exception_ptr error_;
  bool live_ = true;     // the input was not cancelled
  bool ended_ = false;   // the input terminated and the flow ended
  bool failed_ = false;  // loop only: drain the input
  bool done_ = false;    // set by the input's terminator, read by the loop
  flow_iterator<T> in_;
  drain_counter events_{1};
};

template <class T, class K, class KF>
class group_by_flow final : public flow_impl<std::pair<K, flow<T>>> {
  using proc = group_by_process<T, K, KF>;

 public:
  group_by_flow(KF kf, flow<T> input) : kf_(std::move(kf)), input_(std::move(input)) {}

  flow_process<std::pair<K, flow<T>>>* spawn(flow_listener l) const noexcept override {
    return spawn_started<proc>(l, input_, kf_);
  }

 private:
  KF kf_;
  flow<T> input_;
};

}  // namespace detail

/// A flow of (key, group) pairs: values of `input` are grouped by kf(value),
/// and each group is a flow of the values of one key (Missionary's
/// `group-by`).
///
/// Semantics: for each input value v with k = kf(v): if a consumer of the
/// group of k is active, v goes to it; otherwise the flow emits (k, group),
/// and v waits until a consumer spawns that group flow and transfers it.
/// Spawn each group flow once, right after receiving its pair: the input is
/// not transferred again until the pending value is consumed (so a pair
/// whose group is never consumed stalls the flow, as in Missionary). Values
/// go to their group in constant time (a hash table: K needs std::hash and ==).
///
/// **Cancellation**: cancelling the flow cancels the input. Cancelling a
/// group consumer ends it at once (its next transfer throws braid::cancelled
/// and terminates); if a value of its key was pending, the pair is emitted
/// again; later values of that key make a new pair. Cancelling a group has
/// no effect once the flow was cancelled or has ended.
///
/// **Failure**: if the input's transfer or kf throws, the input is cancelled
/// and drained, and the flow's next transfer throws the error.
///
/// **End**: when the input terminates (after its last value was consumed),
/// every active group consumer terminates, then the flow. A group flow
/// spawned when its key has no pending value (twice, too late) ends at once
/// with braid::cancelled; a second consumer of an active group fails with
/// std::logic_error. **braid:** groups also end after an input failure
/// (Missionary b.47 leaves them running).
///
/// Ordering / thread-safety: one value in flight at a time; kf is called
/// once per value, never concurrently, outside any lock.
///
/// Example:
/// ```
/// auto groups = group_by([](const std::string& w) { return w[0]; }, seed(words));
/// // each pair: (first letter, flow of the words starting with it)
/// ```
template <class KF, class T>
flow<std::pair<std::decay_t<std::invoke_result_t<std::decay_t<KF>&, const T&>>, flow<T>>> group_by(
    KF&& kf, flow<T> input) {
  using G = std::decay_t<KF>;
  using K = std::decay_t<std::invoke_result_t<G&, const T&>>;
  return flow<std::pair<K, flow<T>>>(
      std::make_shared<const detail::group_by_flow<T, K, G>>(std::forward<KF>(kf), std::move(input)));
}

}  // namespace braid
