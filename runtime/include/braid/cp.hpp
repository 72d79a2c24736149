// SPDX-License-Identifier: MIT
#pragma once

/// The continuous-process driver: what braidc's BRAID_CP frames run on
/// ([spec.flow.cp], Missionary's `cp`). The contract is in docs/ap.md; in
/// short:
///
/// - A cp process is a continuous flow<T>: it notifies once at spawn and runs
///   its body at the first transfer. The body is one frame (a class derived
///   from cp_frame<T>) running partitions like an sp frame; it may not park
///   (cp_frame has no park) and its only suspension point is
///   `fork_switch(f, k, slot)`.
/// - Each fork_switch is a choice ranked by its depth (the number of choices
///   before it in this run). Its input must have a value at once (continuous
///   flows do); otherwise the body gets "undefined continuous flow" thrown at
///   the fork point. The driver keeps a clone of the frame as it was at the
///   choice (its template) and continues at k with the value.
/// - When inputs notify, the process notifies (once). Its transfer drains
///   the ready choices lowest rank first: a value equal to the choice's last
///   one changes nothing (the cached result stays); otherwise every deeper
///   choice is cancelled and the body reruns from a new clone of that
///   choice's template. The result of the last run is returned.
/// - It terminates when every input has terminated (after the first
///   transfer). A body that throws cancels every input; the transfer throws.
///
/// Threading: the body runs inside transfer, on the consumer's thread;
/// inputs may notify and terminate from any thread (a mutex guards the
/// hand-off, never held while running the body or calling out).

#include <braid/detail/frame_table.hpp>
#include <braid/flow.hpp>
#include <braid/sp.hpp>

#include <cstddef>
#include <concepts>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid::detail {

class cp_core;
class cp_driver;

using cp_partition_info = basic_partition_info<cp_core>;
using cp_table = basic_frame_table<cp_core>;

/// One fork_switch reached by the current run of the body: its input, and
/// the frame as it was there. The flags are guarded by the driver's mutex.
struct cp_choice {
  virtual ~cp_choice();
  /// Transfers the input's value; false when it equals the last one.
  virtual bool take() noexcept = 0;
  /// Moves the taken value (or the input's error) into the slot at `target`.
  virtual void put(void* target) noexcept = 0;
  /// Transfers and drops the value (a choice that was cancelled).
  virtual void drop() noexcept = 0;

  cp_driver* proc = nullptr;
  process* input = nullptr;    // one reference, kept until the process ends
  cp_core* tmpl = nullptr;     // owned
  std::int32_t k = 0;
  std::ptrdiff_t slot_off = 0;
  // Guarded by the driver's mutex.
  bool ready = false;       // notified, not transferred
  bool done = false;        // terminated
  bool detached = false;    // cancelled and no longer in the stack
  bool discarding = false;  // a callback is dropping its values
  bool redo = false;        // it notified again while being dropped
  bool drop_now = false;    // transfer thread only: prune drops its waiting value
  cp_choice* next_detached = nullptr;
  std::exception_ptr error;  // the input's failure, or "undefined continuous flow"
};

template <class U>
struct cp_choice_of final : cp_choice {
  std::optional<U> last, fresh;

  flow_process<U>* in() const noexcept { return static_cast<flow_process<U>*>(input); }
  bool take() noexcept override {
    try {
      U v = in()->transfer();
      if constexpr (std::equality_comparable<U>) {
        if (last && *last == v) return false;  // [spec.flow.cp] same value: nothing reruns
      }
      fresh.emplace(std::move(v));
    } catch (...) {
      error = std::current_exception();
    }
    return true;
  }
  void put(void* target) noexcept override {
    auto* s = static_cast<slot<U>*>(target);
    if (!s) {  // nowhere to go (the clone failed)
      error = nullptr;
      fresh.reset();
      return;
    }
    if (error) {
      s->set_error(std::exchange(error, nullptr));
      last.reset();
      return;
    }
    try {
      if constexpr (std::is_copy_constructible_v<U>) last.emplace(*fresh);
      s->set_value(std::move(*fresh));
    } catch (...) {
      s->set_error(std::current_exception());
    }
    fresh.reset();
  }
  void drop() noexcept override {
    try {
      (void)in()->transfer();
    } catch (...) {
    }
  }
};

/// The body of a cp process: one frame object.
class cp_core {
 public:
  cp_core& operator=(const cp_core&) = delete;
  virtual ~cp_core() = default;
  const cp_table& table() const noexcept { return *table_; }
  std::int32_t state() const noexcept { return state_; }

 protected:
  explicit cp_core(const cp_table& t) noexcept : table_(&t) {}
  cp_core(const cp_core& o) noexcept : table_(o.table_), proc_(o.proc_) {}

  /// A new frame of the same type holding copies of the kept locals live
  /// after the current fork point (braidc generates it).
  virtual cp_core* clone() const = 0;

  /// `fork_switch(f)` (Missionary `?<` in cp): continues at k with f's
  /// current value in `s`; later values rerun the body from here.
  template <class U>
  step fork_switch(flow<U> f, std::int32_t k, slot<U>& s) {
    std::unique_ptr<cp_core> t(clone());  // may throw: an error at the fork point
    auto owned = std::make_unique<cp_choice_of<U>>();
    owned->tmpl = t.release();
    owned->k = k;
    owned->slot_off = reinterpret_cast<char*>(&s) - reinterpret_cast<char*>(this);
    attach(owned.get());  // may throw: nothing was spawned yet
    auto* c = owned.release();
    flow_iterator<U> it = f.spawn(choice_listener(c));
    if (auto* p = it.get()) {
      p->retain();
      c->input = p;
    }
    reached(c, &s);
    return step{k};
  }

  /// Throws braid::cancelled when the process was cancelled.
  void check_cancelled() const;

  /// The exception being routed to a handler partition.
  std::exception_ptr raised_;

 private:
  friend class cp_driver;
  void attach(cp_choice* c);
  void reached(cp_choice* c, void* target) noexcept;
  static flow_listener choice_listener(cp_choice* c) noexcept;

  const cp_table* table_;
  std::int32_t state_ = 0;
  cp_driver* proc_ = nullptr;
  std::exception_ptr error_;
};

/// Base of a generated cp frame whose flow yields T.
template <class T>
class cp_frame : public cp_core {
  static_assert(!std::is_void_v<T>, "a cp flow yields values: flow<void> is not supported");

 protected:
  explicit cp_frame(const cp_table& t) noexcept : cp_core(t) {}
  cp_frame(const cp_frame& o) noexcept : cp_core(o) {}
  ~cp_frame() override { result_.destroy(); }

  /// `return v;` becomes `return this->finish_with(v);`.
  template <class... A>
  step finish_with(A&&... a) {
    result_.construct(std::forward<A>(a)...);
    return finished;
  }

  // A cp body may not park, fork with parallelism, or amb ([spec.flow.cp]):
  // there is nothing to call.

 private:
  template <class U>
  friend class cp_process;
  T take_result() {
    T v(std::move(*result_));
    result_.destroy();
    return v;
  }
  manual<T> result_;
};

/// The driver of one cp process, independent of the value type.
class cp_driver {
 public:
  cp_driver(const cp_driver&) = delete;
  cp_driver& operator=(const cp_driver&) = delete;

  /// Cancels every input (now, or at the end of the running transfer).
  void cancel() noexcept;
  bool cancel_requested() noexcept;

  void on_notify(cp_choice* c) noexcept;
  void on_terminate(cp_choice* c) noexcept;

 protected:
  cp_driver(flow_listener out, process* owner, cp_core* root) noexcept;
  virtual ~cp_driver();

  /// One transfer: the first run of the body, then the reruns of the ready
  /// choices, lowest rank first. True when the process must terminate once
  /// the transfer has its value (call end()).
  bool run_transfer() noexcept;
  /// Releases the run and calls the terminator.
  void end() noexcept;
  /// Stores the result of a run that finished; on failure calls fail().
  virtual void keep_result(cp_core* f) noexcept = 0;
  void fail(std::exception_ptr e) noexcept;

  std::exception_ptr error_;  // the body's failure: every transfer throws it

 private:
  friend class cp_core;
  void attach(cp_choice* c);
  void reached(cp_choice* c, void* target) noexcept;
  void run_body(cp_core* f) noexcept;
  void prune(std::size_t keep) noexcept;
  void discard(cp_choice* c) noexcept;
  void sweep() noexcept;
  bool can_end_locked() const noexcept;
  std::vector<process*> inputs_to_cancel_locked();

  flow_listener out_;
  process* owner_;
  cp_core* root_;  // the body before its first run

  // Guarded by m_. Never held while running the body or calling out.
  std::mutex m_;
  std::vector<cp_choice*> stack_;  // the choices of the current run, by rank
  cp_choice* detached_ = nullptr;  // cancelled choices, freed once terminated
  std::size_t live_inputs_ = 0;
  bool fresh_ = true;
  bool in_transfer_ = false;
  bool notified_ = true;  // notified at spawn
  bool cancelled_ = false;
  bool cancel_applied_ = false;
  bool terminated_ = false;
};

/// The running flow: the consumer's iterator target.
template <class T>
class cp_process final : public flow_process<T>, public cp_driver {
 public:
  cp_process(flow_listener l, cp_core* root) noexcept : flow_process<T>(2), cp_driver(l, this, root) {}
  void cancel() noexcept override { cp_driver::cancel(); }

  /// Runs the body (first transfer) or reruns it from the lowest-rank
  /// changed input; returns the latest result, or throws the body's error.
  T transfer() override {
    struct end_guard {
      cp_process* p;
      bool term;
      ~end_guard() {
        if (term) p->end();
      }
    } g{this, run_transfer()};
    if (error_) std::rethrow_exception(error_);
    return T(*value_);
  }

 private:
  void keep_result(cp_core* f) noexcept override {
    try {
      value_.emplace(static_cast<cp_frame<T>*>(f)->take_result());
    } catch (...) {
      fail(std::current_exception());
    }
  }
  std::optional<T> value_;
};

/// The recipe behind a BRAID_CP function (see ap_flow).
template <class Frame, class T, bool WithTable, class... Args>
class cp_flow final : public flow_impl<T> {
 public:
  template <class... A>
  explicit cp_flow(const cp_table* t, A&&... a) : args_(t, std::forward<A>(a)...) {}

  flow_process<T>* spawn(flow_listener l) const noexcept override {
    Frame* f;
    try {
      f = args_.make();
    } catch (...) {
      return failing_flow<T>(std::current_exception())->spawn(l);
    }
    cp_process<T>* p;
    try {
      p = new cp_process<T>(l, f);
    } catch (...) {
      delete f;
      return failing_flow<T>(std::current_exception())->spawn(l);
    }
    l.notify();  // [spec.flow.cp] a continuous process is ready at once
    return p;
  }

 private:
  frame_args<Frame, cp_table, WithTable, Args...> args_;
};

/// `make_cp<Frame, T>(args...)`: the flow returned by a BRAID_CP function.
template <class Frame, class T, class... A>
flow<T> make_cp(A&&... a) {
  return flow<T>(std::make_shared<const cp_flow<Frame, T, false, std::decay_t<A>...>>(
      nullptr, std::forward<A>(a)...));
}

/// `make_cp_with_table<Frame, T>(table, args...)`: for frames that receive
/// their table through their constructor (see make_sp_with_table).
template <class Frame, class T, class... A>
flow<T> make_cp_with_table(const cp_table& t, A&&... a) {
  return flow<T>(std::make_shared<const cp_flow<Frame, T, true, std::decay_t<A>...>>(
      &t, std::forward<A>(a)...));
}

}  // namespace braid::detail
