// SPDX-License-Identifier: MIT
#pragma once

/// The ambiguous-process driver: what braidc's BRAID_AP frames run on
/// ([spec.flow.ap], Missionary's `ap`). The contract is in docs/ap.md; in short:
///
/// - An ap process is a flow<T>. Its body is a tree of branches; each branch
///   is one frame object (a class derived from ap_frame<T>) running
///   partitions exactly like an sp frame: `step{k}`, `park(task, k, slot)`,
///   `finish_with(v)` (`return v;`: emits v, ends the branch), `amb()` (ends
///   the branch without a value), exceptions routed through the table's try
///   regions.
/// - A fork point (`fork`, `fork(n, ..)`, `fork_merge`, `fork_switch`,
///   `amb(n, ..)`, `amb_merge(n, ..)`) turns the frame into a template: it
///   never resumes itself; for each value of its input the driver calls the
///   frame's clone(), stores the value (or the input's error) in the clone's
///   slot and runs the clone from partition k, as a new child branch.
/// - Emitted values are queued in order of emission; the consumer's
///   notification fires when the queue becomes non-empty. A branch counts as
///   running until its value was transferred (backpressure).
///
/// Threading: one branch runs at a time, on whichever thread drives the
/// process (the spawner, a completing child, the consumer's transfer or
/// cancel). Completions and notifications from other threads are handed
/// over through a small event list under a spin lock (detail/spin_lock.hpp), never by recursion: a
/// synchronous completion is queued and picked up by the running drain loop,
/// so a million synchronous values run in constant stack.

#include <braid/detail/frame_table.hpp>
#include <braid/flow.hpp>
#include <braid/sp.hpp>
#include <braid/task.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <braid/detail/spin_lock.hpp>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

namespace braid::detail {

class ap_core;
class ap_driver;

/// `return this->amb();`: the branch ends without a value.
inline constexpr step branch_ended{-3};

/// A partition of an ap frame, and its continuation table: the shape of
/// sp's (see detail/frame_table.hpp).
using ap_partition_info = basic_partition_info<ap_core>;
using ap_table = basic_frame_table<ap_core>;

/// One branch of an ap process: a frame object and its place in the tree.
/// Everything below `proc_` is touched only by the thread that drives the
/// process (see ap_driver), except the event and output links, which the
/// driver guards with its mutex.
class ap_core : public frame_cache_allocated {  // clones too: one per fork value
 public:
  ap_core& operator=(const ap_core&) = delete;
  virtual ~ap_core() = default;

  const ap_table& table() const noexcept { return *table_; }
  /// The partition the branch is in (or will resume at).
  std::int32_t state() const noexcept { return state_; }
  /// True once this branch was cancelled (the process, or a switch above it).
  bool cancel_requested() const noexcept { return dead_; }

 protected:
  explicit ap_core(const ap_table& t) noexcept : table_(&t) {}
  /// For clone(): a clone shares the table and nothing else of the base; the
  /// driver places it in the tree and sets its partition.
  ap_core(const ap_core& o) noexcept : table_(o.table_) {}

  /// A new frame of the same type holding copies of the kept locals live
  /// after the current fork point (braidc generates it). May throw: the
  /// failure becomes the failure of the forking branch.
  virtual ap_core* clone() const = 0;

  /// Parks on `t` and continues at partition k with its outcome in `s`
  /// (slot.take() rethrows its error). A park in a cancelled branch starts
  /// the task and cancels it at once.
  template <class U>
  step park(task<U> t, std::int32_t k, slot<U>& s) noexcept {
    state_ = k;
    if (t.is_ready()) {  // an immediate value: no process, no event
      if constexpr (std::is_nothrow_move_constructible_v<stored_t<U>>) {
        s.set_value(std::move(t).take_ready());
      } else {
        try {
          s.set_value(std::move(t).take_ready());
        } catch (...) {
          s.set_error(std::current_exception());
        }
      }
      return step{k};
    }
    kind_ = kind_parked;
    pending_ = &s;
    canceller c = std::move(t).start(sink<U>::template to<&on_child_value<U>, &on_child_error<U>>(this));
    child_ = c.release();
    // The child may have completed already (its event is queued); cancel is
    // then a no-op.
    if (dead_ && child_) child_->cancel();
    return suspended;
  }

  /// `fork(f)` (Missionary `?>`): one branch per value of f, one at a time,
  /// in order; the next value is pulled when the previous branch has ended.
  template <class U>
  step fork(flow<U> f, std::int32_t k, slot<U>& s) {
    return fork_on(std::move(f), mode_fork, 1, k, s);
  }
  /// `fork(n, f)` (`?>` with parallelism n): at most n branches at once.
  template <class U>
  step fork(std::size_t n, flow<U> f, std::int32_t k, slot<U>& s) {
    if (n == 0)
      throw std::invalid_argument(
          "braid: fork(n, f) with parallelism 0 can never run a branch; use n >= 1 "
          "(or fork_merge for unbounded parallelism)");
    return fork_on(std::move(f), mode_fork, n, k, s);
  }
  /// `fork_merge(f)` (`?=`): a branch per value, all at once.
  template <class U>
  step fork_merge(flow<U> f, std::int32_t k, slot<U>& s) {
    return fork_on(std::move(f), mode_fork, unbounded, k, s);
  }
  /// `fork_switch(f)` (`?<`): a new value cancels the running branch; it is
  /// taken once that branch has ended.
  template <class U>
  step fork_switch(flow<U> f, std::int32_t k, slot<U>& s) {
    return fork_on(std::move(f), mode_switch, 1, k, s);
  }
  /// `amb(a0, .., an-1)`: n branches, one at a time, the clone's slot
  /// holding the index of the argument it evaluates (0, 1, ..).
  step amb(std::size_t n, std::int32_t k, slot<std::size_t>& s) noexcept {
    return amb_on(n, 1, k, s);
  }
  /// `amb_merge(a0, .., an-1)`: the same, all branches at once.
  step amb_merge(std::size_t n, std::int32_t k, slot<std::size_t>& s) noexcept {
    return amb_on(n, unbounded, k, s);
  }
  /// `amb()`: ends the branch without a value.
  static constexpr step amb() noexcept { return branch_ended; }

  /// Throws braid::cancelled when this branch was cancelled.
  void check_cancelled() const;

  /// The exception being routed to a handler partition.
  std::exception_ptr raised_;

 private:
  friend class ap_driver;
  template <class T>
  friend class ap_frame;
  template <class T>
  friend class ap_process;

  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();
  static constexpr std::uint8_t kind_running = 0, kind_parked = 1, kind_forked = 2, kind_emitted = 3;
  static constexpr std::uint8_t mode_fork = 0, mode_switch = 1, mode_amb = 2;

  template <class U>
  static void on_child_value(void* ctx, stored_t<U>&& v) noexcept {
    auto* self = static_cast<ap_core*>(ctx);
    auto* s = static_cast<slot<U>*>(self->pending_);
    if constexpr (std::is_nothrow_move_constructible_v<stored_t<U>>) {
      s->set_value(std::move(v));
    } else {
      try {
        s->set_value(std::move(v));
      } catch (...) {
        s->set_error(std::current_exception());
      }
    }
    self->child_done();
  }
  template <class U>
  static void on_child_error(void* ctx, std::exception_ptr e) noexcept {
    auto* self = static_cast<ap_core*>(ctx);
    static_cast<slot<U>*>(self->pending_)->set_error(std::move(e));
    self->child_done();
  }
  // Takes the input's value into the clone's slot (null: drops it).
  template <class U>
  static void transfer_into(process* in, void* target) noexcept {
    auto* s = static_cast<slot<U>*>(target);
    try {
      U v = static_cast<flow_process<U>*>(in)->transfer();
      if (s) s->set_value(std::move(v));
    } catch (...) {
      if (s) s->set_error(std::current_exception());
    }
  }

  template <class U>
  step fork_on(flow<U> f, std::uint8_t mode, std::size_t par, std::int32_t k, slot<U>& s) {
    begin_fork(mode, par, k, &s);
    transfer_ = &transfer_into<U>;
    flow_iterator<U> it = f.spawn(input_listener());
    if (auto* p = it.get()) {
      p->retain();  // kept until the input terminates; `it` drops its own
      input_ = p;
      if (dead_) p->cancel();
    }
    return suspended;
  }
  step amb_on(std::size_t n, std::size_t par, std::int32_t k, slot<std::size_t>& s) noexcept;
  void begin_fork(std::uint8_t mode, std::size_t par, std::int32_t k, void* slot) noexcept;
  flow_listener input_listener() noexcept;
  void child_done() noexcept;

  const ap_table* table_;
  std::int32_t state_ = 0;
  ap_driver* proc_ = nullptr;

  // Tree links (driver only).
  ap_core* parent_ = nullptr;
  ap_core* first_child_ = nullptr;
  ap_core* next_sib_ = nullptr;
  ap_core* prev_sib_ = nullptr;

  // Hand-off links (guarded by the driver's mutex).
  ap_core* next_event_ = nullptr;
  ap_core* next_out_ = nullptr;
  std::uint8_t events_ = 0;
  bool queued_ = false;

  // Branch state (driver only).
  std::uint8_t kind_ = kind_running;
  bool dead_ = false;
  bool failed_ = false;        // emitted an error instead of a value
  process* child_ = nullptr;   // the parked task's process (one reference)
  void* pending_ = nullptr;    // the parked task's slot

  // Fork state (driver only), meaningful when kind_ == kind_forked.
  std::uint8_t mode_ = mode_fork;
  bool input_ready_ = false;   // a notification not yet transferred
  bool input_done_ = false;    // the input terminated
  std::int32_t fork_k_ = 0;
  std::ptrdiff_t slot_off_ = 0;  // the fork slot, as an offset into a clone
  std::size_t par_ = 1;
  std::size_t active_ = 0;     // child branches not yet ended
  std::size_t amb_next_ = 0, amb_n_ = 0;
  process* input_ = nullptr;   // the input flow's process (one reference)
  void (*transfer_)(process*, void*) noexcept = nullptr;
  std::exception_ptr error_;   // this branch's failure (emitted as an error)
};

/// The driver of one ap process, independent of the value type: the tree,
/// the event hand-off, the output queue. See ap.cpp for the protocol.
class ap_driver {
 public:
  ap_driver(flow_listener out, process* owner) noexcept : out_(out), owner_(owner) {}
  ap_driver(const ap_driver&) = delete;
  ap_driver& operator=(const ap_driver&) = delete;
  ~ap_driver() = default;

  /// Runs the root branch, then whatever it made ready (inside spawn).
  void start(ap_core* root) noexcept;
  /// Cancels every branch and every input (through the drain loop).
  void cancel() noexcept;
  /// Pops the head of the output queue for a transfer; null if none.
  ap_core* take_head() noexcept;
  /// The head's value was moved out: ends its branch, re-notifies if more
  /// values wait.
  void transferred(ap_core* n) noexcept;
  /// The head held an error (or its value could not be moved out): cancels
  /// the tree, discards the queued values; later values are dropped.
  void failed(ap_core* n) noexcept;

  static constexpr std::uint8_t ev_park = 1, ev_notify = 2, ev_term = 4, ev_pump = 8,
                                ev_taken = 16;
  /// Hands an event for `n` to the drain loop (runs it if nobody does).
  void post(ap_core* n, std::uint8_t ev) noexcept;

 private:
  void drain() noexcept;
  void handle(ap_core* n, std::uint8_t ev) noexcept;
  void run(ap_core* n) noexcept;
  void pump(ap_core* n) noexcept;
  void pull(ap_core* n) noexcept;
  void emit(ap_core* n) noexcept;
  void end(ap_core* n) noexcept;
  void cancel_subtree(ap_core* n) noexcept;
  void enqueue_locked(ap_core* n, std::uint8_t ev) noexcept;

  flow_listener out_;
  process* owner_;  // the flow process whose run reference ends with the tree
  ap_core* root_ = nullptr;  // driver only; null once the tree has ended

  // Guarded by m_: the hand-off between threads. Never held while running a
  // partition or calling a notifier, terminator, task or flow.
  spin_lock m_;
  ap_core* ev_head_ = nullptr;
  ap_core* ev_tail_ = nullptr;
  ap_core* out_head_ = nullptr;
  ap_core* out_tail_ = nullptr;
  bool draining_ = true;   // spawn holds the loop until the root has run
  bool notified_ = false;  // a notification not yet transferred
  bool failed_ = false;    // an error was transferred: drop later values
  bool kill_pending_ = false;
  bool cancel_seen_ = false;
  bool terminated_ = false;
};

/// Base of a generated ap frame whose flow yields T.
template <class T>
class ap_frame : public ap_core {
  static_assert(!std::is_void_v<T>, "an ap flow yields values: flow<void> is not supported");

 protected:
  explicit ap_frame(const ap_table& t) noexcept : ap_core(t) {}
  ap_frame(const ap_frame& o) noexcept : ap_core(o) {}
  ~ap_frame() override { result_.destroy(); }

  /// `return v;` becomes `return this->finish_with(v);`: emits v and ends
  /// the branch (after its kept locals are destroyed).
  template <class... A>
  step finish_with(A&&... a) {
    result_.construct(std::forward<A>(a)...);
    return finished;
  }

 private:
  template <class U>
  friend class ap_process;
  T take_result() {
    T v(std::move(*result_));
    result_.destroy();
    return v;
  }
  manual<T> result_;
};

/// The running flow: the consumer's iterator target.
template <class T>
class ap_process final : public flow_process<T> {
 public:
  explicit ap_process(flow_listener l) noexcept : flow_process<T>(2), d_(l, this) {}
  void start(ap_core* root) noexcept { d_.start(root); }
  void cancel() noexcept override { d_.cancel(); }

  /// Takes the oldest emitted value. An emitted error cancels the whole
  /// tree, drops every queued value and is thrown here ([spec.flow.ap]).
  T transfer() override {
    ap_core* n = d_.take_head();
    if (!n)
      throw std::logic_error(
          "braid: transfer on an ap flow without a pending notification; transfer once per "
          "notification");
    if (n->failed_) {
      std::exception_ptr e = std::move(n->error_);
      d_.failed(n);
      std::rethrow_exception(e);
    }
    try {
      T v = static_cast<ap_frame<T>*>(n)->take_result();
      d_.transferred(n);
      return v;
    } catch (...) {
      // Moving the value out threw: a throwing transfer ends the flow.
      d_.failed(n);
      throw;
    }
  }

 private:
  ap_driver d_;
};

/// The recipe behind a BRAID_AP function: the arguments, given to a new root
/// frame at each spawn (see arg_box in sp.hpp). With a table, each spawn
/// makes `new Frame(table, args...)`, otherwise `new Frame(args...)`.
template <class Frame, class T, bool WithTable, class... Args>
class ap_flow final : public flow_impl<T> {
 public:
  template <class... A>
  explicit ap_flow(const ap_table* t, A&&... a) : args_(t, std::forward<A>(a)...) {}

  flow_process<T>* spawn(flow_listener l) const noexcept override {
    Frame* f = nullptr;
    ap_process<T>* p = nullptr;
    try {
      p = new ap_process<T>(l);
      f = args_.make();
    } catch (...) {
      delete p;
      return failing_flow<T>(std::current_exception())->spawn(l);
    }
    p->start(f);
    return p;
  }

 private:
  frame_args<Frame, ap_table, WithTable, Args...> args_;
};

/// `make_ap<Frame, T>(args...)`: the flow returned by a BRAID_AP function
/// whose frame knows its table (`new Frame(args...)` per spawn).
template <class Frame, class T, class... A>
flow<T> make_ap(A&&... a) {
  return flow<T>(std::make_shared<const ap_flow<Frame, T, false, std::decay_t<A>...>>(
      nullptr, std::forward<A>(a)...));
}

/// `make_ap_with_table<Frame, T>(table, args...)`: the same for a frame that
/// receives its table through its constructor, as braidc's local frame
/// classes do (see make_sp_with_table).
template <class Frame, class T, class... A>
flow<T> make_ap_with_table(const ap_table& t, A&&... a) {
  return flow<T>(std::make_shared<const ap_flow<Frame, T, true, std::decay_t<A>...>>(
      &t, std::forward<A>(a)...));
}

}  // namespace braid::detail
