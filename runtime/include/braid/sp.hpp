// SPDX-License-Identifier: MIT
#pragma once

/// The sequential-process driver: what braidc's generated frames run on.
/// The contract is documented in docs/driver.md; in short:
///
/// - A frame class derives from sp_frame<T>. Its members are the parameters,
///   the kept locals, the park result slots and, for each exploded try
///   region, the exception it is handling.
/// - Each resume point is a partition: a member function returning a step
///   (`step{k}` continue at partition k, `suspended`, `finished`). A park is
///   `return park(task, k, slot);` and partition k starts by taking the
///   slot's value (`slot.take()` rethrows the child's error there).
/// - A static frame_table lists partitions (function, stable name, source
///   location, live kept locals, innermost exploded try region), the try
///   regions (handler partition, parent region) and an unwind function that
///   destroys the constructed kept locals declared inside a region.
/// - An exception escaping a partition (thrown by its code, or rethrown by
///   slot.take()) is routed by the driver: unwind the current partition's
///   region, store the exception in `raised_`, continue at the region's
///   handler partition; with no region, unwind everything and fail.
/// - One allocation per call and run: a run that consumes the task (its
///   only owner parks on it or runs it as an rvalue) builds the frame inside
///   the recipe's allocation (intrusively counted, no shared_ptr control
///   block), moving the arguments (sp_recipe); any other run
///   allocates a frame and copies the arguments. A park costs no allocation,
///   and a park on a task that completes synchronously continues in the
///   driver's loop, never recursing.

#include <braid/detail/frame_cache.hpp>
#include <braid/detail/partitions.hpp>
#include <braid/task.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

namespace braid::detail {

class sp_core;

/// Where a frame built inside its recipe's allocation (see sp_recipe's
/// start_owned) goes when its last reference is released: the recipe
/// destroys the frame and then itself (the frame's run owned it).
class sp_home {
 public:
  virtual void dispose(sp_core* frame) const noexcept = 0;

 protected:
  ~sp_home() = default;
};

/// An sp frame's partitions and continuation table: the shape every frame
/// flavour shares (detail/partitions.hpp), over sp_core.
using partition_info = basic_partition_info<sp_core>;
using frame_table = basic_frame_table<sp_core>;

/// Storage for one value with manual lifetime: the result a frame makes
/// before its kept locals are unwound (sp_frame, ap_frame, cp_frame, durable
/// frames). Kept locals themselves, in generated and hand-written frames
/// alike, are anonymous-union members with an alive flag (kept_storage,
/// kept_destroy below), so that the source's name still names them.
template <class T>
class manual {
 public:
  manual() noexcept {}
  ~manual() {}  // the frame's unwind decides; never destroyed implicitly
  manual(const manual&) = delete;
  manual& operator=(const manual&) = delete;

  template <class... A>
  T& construct(A&&... a) {
    ::new (static_cast<void*>(&v_)) T(std::forward<A>(a)...);
    alive_ = true;
    return v_;
  }
  void destroy() noexcept {
    if (alive_) {
      alive_ = false;
      v_.~T();
    }
  }
  bool alive() const noexcept { return alive_; }
  T& get() noexcept { return v_; }
  T& operator*() noexcept { return v_; }
  T* operator->() noexcept { return &v_; }

 private:
  union {
    T v_;
  };
  bool alive_ = false;
};

/// The T of a (cv-qualified, reference to) task<T>: a park's value type
/// where braidc can only name the operand's type (a template's pattern).
template <class Task>
struct task_value;
template <class T>
struct task_value<task<T>> {
  using type = T;
};
template <class Task>
using task_value_t = typename task_value<std::remove_cvref_t<Task>>::type;

/// A forwarding reference parameter `T&& x` of a BRAID_SP template: an
/// lvalue argument (T = U&) stays a reference to the caller's object (like a
/// `U&` parameter, through the recipe as a reference_wrapper); an rvalue is
/// moved into the recipe and each frame.
template <class T>
using frame_arg_t = std::conditional_t<std::is_lvalue_reference_v<T>,
                                       std::reference_wrapper<std::remove_reference_t<T>>, T>;
template <class T, class A>
decltype(auto) frame_arg(A& a) noexcept {
  if constexpr (std::is_lvalue_reference_v<T>) {
    return std::ref(a);
  } else {
    return static_cast<T&&>(a);
  }
}

/// Where a parked child's outcome lands: a value or an error.
template <class T>
class slot {
  using stored = stored_t<T>;

 public:
  slot() noexcept {}
  ~slot() { reset(); }
  slot(const slot&) = delete;
  slot& operator=(const slot&) = delete;

  void set_value(stored&& v) noexcept(std::is_nothrow_move_constructible_v<stored>) {
    ::new (static_cast<void*>(&v_)) stored(std::move(v));
    has_value_ = true;
  }
  void set_error(std::exception_ptr e) noexcept { err_ = std::move(e); }

  /// The child's value, moved out; rethrows the child's error.
  T take() {
    if (!has_value_) {
      std::exception_ptr e = std::move(err_);
      err_ = nullptr;
      std::rethrow_exception(e);
    }
    has_value_ = false;
    if constexpr (std::is_void_v<T>) {
      v_.~stored();
    } else {
      T out(std::move(v_));
      v_.~stored();
      return out;
    }
  }

  void reset() noexcept {
    if (has_value_) {
      has_value_ = false;
      v_.~stored();
    }
    err_ = nullptr;
  }

 private:
  union {
    stored v_;
  };
  bool has_value_ = false;
  std::exception_ptr err_;
};

/// The driver, independent of the result type.
class sp_core : public process {
  // Declared first, so that they sit in the word the process's 4-byte count
  // leaves half empty (a frame is 8 bytes smaller for it: W5).
  std::int32_t state_ = 0;
  // The current park's slot, as its offset in the frame (slots are frame
  // members; frames are far smaller than 4 GiB).
  std::uint32_t pending_off_ = 0;
  // Park handshake between the parking thread (after start returned) and
  // the completing thread: whichever arrives second continues the frame.
  // Bits 0-1: the phase; bits 2-4: the current park's generation.
  std::atomic<std::uint8_t> phase_{phase_running};
  // Set by a completion on the parking thread while the child starts (see
  // parking_); read and cleared by park on the same thread.
  bool completed_here_ = false;
  // The child failed and no try region can see it: raised_ holds the error
  // the run fails with (on_child_error); written before the completion is
  // published, like a slot.
  bool fails_at_park_ = false;

 public:
  void cancel() noexcept final;
  /// True once cancellation was requested.
  bool cancel_requested() const noexcept {
    return token_.load(std::memory_order_acquire) == cancelled_token();
  }
  const frame_table& table() const noexcept { return *table_; }
  /// The partition the frame is in (or will resume at).
  std::int32_t state() const noexcept { return state_; }

 protected:
  explicit sp_core(const frame_table& t) noexcept : process(1), table_(&t) {}
  [[gnu::always_inline]] ~sp_core() override {
    process* p = token_.load(std::memory_order_relaxed);
    if (!is_token(p)) p->release();
  }

  /// Runs partitions from state_ until a park suspends or the frame ends.
  void resume() noexcept;

  /// Parks on `t`: runs it, and continues at partition k with its outcome in
  /// `s` (synchronously when it completed during start, otherwise when it
  /// completes). After cancellation the child is started and cancelled at once.
  template <class U>
  step park(task<U> t, std::int32_t k, slot<U>& s) noexcept {
    state_ = k;
    if (t.is_ready()) {  // an immediate value: no process, no atomics
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
    pending_off_ = static_cast<std::uint32_t>(reinterpret_cast<char*>(&s) - reinterpret_cast<char*>(this));
    // A new generation per park: the sink's context carries it, so a
    // completion from an earlier park's task is told apart (see accepts).
    const std::uint8_t gen = static_cast<std::uint8_t>(((phase_.load(std::memory_order_relaxed) >> 2) + 1) & gen_mask);
    phase_.store(static_cast<std::uint8_t>(phase_running | gen << 2), std::memory_order_relaxed);
    void* ctx = reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(this) | gen);
    // While the child starts, this thread marks the frame as parking: a
    // completion that arrives on this thread before start returns is the
    // synchronous case, taken without an atomic read-modify-write (child_done).
    sp_core* const outer = parking_;
    parking_ = this;
    canceller c = std::move(t).start(sink<U>::template to<&on_child_value<U>, &on_child_error<U>>(ctx));
    parking_ = outer;
    if (completed_here_) {
      // Completed during start on this thread: nothing to cancel any more
      // (c, if the child handed one out, is released here), nothing to publish.
      completed_here_ = false;
      return resumed(k);
    }
    install(c.release());
    return after_start(k);
  }

  /// A scheduling-point-free cancellation check (Missionary's `!`): throws
  /// braid::cancelled when cancellation was requested.
  void check_cancelled() const;

  /// The exception being routed to a handler partition.
  std::exception_ptr raised_;

  virtual void deliver_value() noexcept = 0;
  virtual void deliver_error(std::exception_ptr e) noexcept = 0;

 private:
  static process* cancelled_token() noexcept { return reinterpret_cast<process*>(std::uintptr_t{1}); }
  static process* finished_token() noexcept { return reinterpret_cast<process*>(std::uintptr_t{2}); }
  static bool is_token(process* p) noexcept { return reinterpret_cast<std::uintptr_t>(p) <= 2; }

  // The frame and the park generation a sink context carries (frames are
  // at least 8-aligned: the generation fits in the pointer's low bits).
  static constexpr std::uint8_t gen_mask = 7;
  static sp_core* frame_of(void* ctx) noexcept {
    return reinterpret_cast<sp_core*>(reinterpret_cast<std::uintptr_t>(ctx) & ~std::uintptr_t{gen_mask});
  }
  static std::uint8_t gen_of(void* ctx) noexcept {
    return static_cast<std::uint8_t>(reinterpret_cast<std::uintptr_t>(ctx) & gen_mask);
  }

  template <class U>
  static void on_child_value(void* ctx, stored_t<U>&& v) noexcept {
    auto* self = frame_of(ctx);
    if (!self->accepts(gen_of(ctx))) return;
    auto* s = self->pending<U>();
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
    auto* self = frame_of(ctx);
    if (!self->accepts(gen_of(ctx))) return;
    if (self->table_->parts[self->state_].region < 0) {
      // No try region of this frame can see the error: the frame fails with
      // it directly (resumed, resume), never throwing it. Only destructors
      // run, and they cannot tell (they run after the catch block either way).
      self->raised_ = std::move(e);
      self->fails_at_park_ = true;
    } else {
      self->pending<U>()->set_error(std::move(e));
    }
    self->child_done();
  }

  template <class U>
  slot<U>* pending() noexcept {
    return reinterpret_cast<slot<U>*>(reinterpret_cast<char*>(this) + pending_off_);
  }

  /// The task protocol check (transform-case 39d): a completion is accepted
  /// only from the current park's task, once. A second completion, or one
  /// from an earlier park's task while the frame runs or waits on a later
  /// one, is reported (report_protocol_violation) and ignored: the frame is
  /// never resumed twice and its slot is not touched. One load of the
  /// handshake byte; see docs/driver.md for what it cannot catch.
  bool accepts(std::uint8_t gen) noexcept {
    const std::uint8_t p = phase_.load(std::memory_order_acquire);
    if ((p >> 2) == gen && (p & 3) != phase_completed) return true;
    report_second_completion();
    return false;
  }
  void report_second_completion() const noexcept;

  /// A frame in its own allocation is deleted; one built in its recipe's
  /// storage goes back to the recipe.
  void destroy() noexcept final {
    if (home_)
      home_->dispose(this);
    else
      delete this;
  }

  void install(process* child) noexcept;
  step after_start(std::int32_t k) noexcept;
  /// Where the frame goes on from a park whose child completed: partition k,
  /// or failed_at_park when the child's error goes straight to the run.
  step resumed(std::int32_t k) noexcept {
    if (!fails_at_park_) return step{k};
    fails_at_park_ = false;
    return failed_at_park;
  }
  /// The current park's child completed (accepts said so).
  void child_done() noexcept {
    if (parking_ == this) {
      // On the parking thread, inside the child's start: park goes on once
      // start returns. Nothing to publish; `completed` still refuses a second
      // completion.
      phase_.store(static_cast<std::uint8_t>((phase_.load(std::memory_order_relaxed) & ~std::uint8_t{3}) |
                                             phase_completed),
                   std::memory_order_relaxed);
      completed_here_ = true;
      return;
    }
    child_done_elsewhere();
  }
  void child_done_elsewhere() noexcept;
  /// The end of a run resumed by a completion: the token, the outcome, the
  /// run's reference.
  void finish(bool ok, std::exception_ptr e) noexcept;
  /// The token's end for a run that ends inside its start (run_first).
  [[gnu::always_inline]] void ended_in_start() noexcept {
    if (raised_) raised_ = nullptr;
    process* child = token_.load(std::memory_order_relaxed);
    if (child != cancelled_token()) token_.store(finished_token(), std::memory_order_relaxed);
    if (!is_token(child)) child->release();
  }

  static constexpr std::uint8_t phase_running = 0;
  static constexpr std::uint8_t phase_parked = 1;
  static constexpr std::uint8_t phase_completed = 2;

  const frame_table* table_;
  // The recipe whose storage holds this frame, or null when the frame has
  // an allocation of its own.
  const sp_home* home_ = nullptr;
  // The current child's canceller (one reference), or a token: null (no
  // child), cancelled, finished. cancel() exchanges it for `cancelled` and
  // cancels what it took; park CASes the new child in, and cancels it
  // itself when it finds `cancelled` (Missionary's Sequential token).
  std::atomic<process*> token_{nullptr};

  // This thread's innermost frame whose park is starting a child, and its
  // innermost frame whose own run is starting (sp_frame::run_first): a frame
  // marked so cannot be reached from another thread through a canceller,
  // and a completion for it on this thread is synchronous. Both are saved
  // and restored around the calls, so they nest.
  static constinit thread_local sp_core* parking_;
  static constinit thread_local sp_core* starting_;

  template <class T>
  friend class sp_frame;
  template <class Frame, class T, bool Table, class... Args>
  friend class sp_recipe;
};

/// Base of a generated frame whose process ends with a T.
template <class T>
class sp_frame : public sp_core {
  using stored = stored_t<T>;

 public:
  /// Called by the task recipe: begins the run and hands out the canceller.
  /// A run that ends during start hands out none (an empty canceller: it
  /// would cancel nothing) and costs no atomic read-modify-write on its own
  /// counts; one that suspends takes the canceller's reference before its
  /// park is published (after_start).
  canceller start(sink<T> out) noexcept {
    if (run_first(out)) {
      release_unshared();  // the run's; a reference taken before start (tests do) stays
      return {};
    }
    return canceller(static_cast<process*>(this));
  }

 protected:
  explicit sp_frame(const frame_table& t) noexcept : sp_core(t) {}
  ~sp_frame() override { result_.destroy(); }

  /// `return v;` becomes `return this->finish_with(v);`.
  template <class... A>
  step finish_with(A&&... a) {
    result_.construct(std::forward<A>(a)...);
    return finished;
  }

 private:
  template <class Frame, class U, bool Table, class... Args>
  friend class sp_recipe;

  /// Runs the frame from its first partition until a park suspends it
  /// (false: the canceller's reference is taken, see after_start) or it
  /// ends (true: its outcome went to `out`; the run's reference is left to
  /// the caller, who frees the frame: start, or sp_recipe::start_owned, which
  /// knows the frame's type and its room). No canceller was handed out, so
  /// no other thread can reach the frame (no concurrent cancel to race with
  /// the token): no atomic read-modify-write, and the value goes to `out`
  /// without a virtual call.
  [[gnu::always_inline]] bool run_first(sink<T> out) noexcept {
    out_ = out;
    sp_core* const outer = starting_;
    starting_ = this;
    std::exception_ptr e;
    const step s = run_partitions(static_cast<sp_core*>(this), *table_, state_, raised_, e);
    starting_ = outer;
    if (s == suspended) return false;
    ended_in_start();
    if (s != branch_failed)
      sp_frame::deliver_value();  // qualified: no virtual call
    else
      out_.error(std::move(e));
    return true;
  }

  void deliver_value() noexcept final {
    if constexpr (std::is_void_v<T>) {
      if (!result_.alive()) result_.construct();
    }
    stored v(std::move(*result_));
    result_.destroy();
    out_.value(std::move(v));
  }
  void deliver_error(std::exception_ptr e) noexcept final { out_.error(std::move(e)); }

  sink<T> out_;
  manual<stored> result_;
};

/// One argument of a generated function, held by its recipe. Copyable
/// arguments are copied into each new frame; a move-only argument is moved
/// into the first frame, and a second run of that recipe fails with
/// std::logic_error (a task built from a move-only argument runs once).
template <class A>
class arg_box {
 public:
  template <class U>
  explicit arg_box(U&& u) : v_(std::forward<U>(u)) {}
  A get() const {
    if constexpr (std::is_copy_constructible_v<A>) {
      return *v_;
    } else {
      if (!v_) throw std::logic_error("braid: a task holding a move-only argument was run a second time; it can run once");
      A out(std::move(*v_));
      v_.reset();
      return out;
    }
  }
  /// The argument for the run that consumes the recipe (its last one):
  /// moved out, never copied.
  A&& take() const {
    if (!v_) throw std::logic_error("braid: a task holding a move-only argument was run a second time; it can run once");
    return std::move(*v_);
  }

 private:
  mutable std::optional<A> v_;
};

/// The recipe behind a generated function's task: the arguments, given to a
/// new frame at each run (see arg_box), and room for one frame. A run of the
/// recipe's last reference, given up (owned_impl::start_owned: a task
/// parked on or run as an rvalue right after the call), builds its frame in
/// that room, moving the arguments: the call and its run cost one
/// allocation, and the frame frees the recipe with itself. Any other run
/// copies the arguments into a frame of its own.
/// Table: the frame's constructor takes the frame_table first (braidc's
/// frames, see make_sp_with_table).
///
/// Its memory comes from the thread's frame cache (detail/frame_cache.hpp):
/// a call parked on at once is then one cached block, taken and given back.
template <class Frame, class T, bool Table, class... Args>
class sp_recipe final : public owned_impl<T>, private sp_home, public frame_cache_allocated {
 public:
  template <class... A>
  explicit sp_recipe(const frame_table* t, A&&... a) : table_(t), args_(arg_box<Args>(std::forward<A>(a))...) {}
  [[gnu::always_inline]] ~sp_recipe() override = default;

  canceller start(sink<T> s) const noexcept override {
    Frame* f = make_or_fail(s, [this] {
      return std::apply([this](const arg_box<Args>&... a) { return make(nullptr, a.get()...); }, args_);
    });
    if (!f) return {};
    // Through the base: a kept local named `start` in the frame must not hide it.
    return static_cast<sp_frame<T>*>(f)->start(s);
  }

  canceller start_owned(sink<T> s) const noexcept override {
    Frame* f = make_or_fail(s, [this] {
      return std::apply([this](const arg_box<Args>&... a) { return make(room_, a.take()...); }, args_);
    });
    if (!f) {  // the failure went to s; nothing else needs the recipe
      delete this;
      return {};
    }
    sp_core* const core = f;
    core->home_ = this;
    if (!static_cast<sp_frame<T>*>(f)->run_first(s)) return canceller(static_cast<process*>(core));
    // Ended during its start: nobody else has a reference (no canceller was
    // handed out), so the frame and the recipe go without a virtual call
    // (dispose, qualified: what destroy() would reach through home_).
    if (core->refs_unshared_sole())
      sp_recipe::dispose(core);
    else
      core->release();
    return {};
  }

 private:
  template <class... A>
  Frame* make(void* where, A&&... a) const {
    if constexpr (Table) {
      return where ? ::new (where) Frame(*table_, std::forward<A>(a)...) : new Frame(*table_, std::forward<A>(a)...);
    } else {
      return where ? ::new (where) Frame(std::forward<A>(a)...) : new Frame(std::forward<A>(a)...);
    }
  }

  // The frame in the room is done: it goes, and so does the recipe, which
  // only its run owned. Inlined where start_owned calls it directly.
  [[gnu::always_inline]] void dispose(sp_core* frame) const noexcept override {
    static_cast<Frame*>(frame)->~Frame();
    delete this;
  }

  const frame_table* table_;
  std::tuple<arg_box<Args>...> args_;
  alignas(Frame) mutable unsigned char room_[sizeof(Frame)];
};

/// The recipe of a frame constructed from the arguments alone.
template <class Frame, class T, class... Args>
using sp_task = sp_recipe<Frame, T, false, Args...>;

/// `make_sp<Frame, T>(args...)`: the task returned by a generated function.
template <class Frame, class T, class... A>
task<T> make_sp(A&&... a) {
  return task<T>(owned_ref<T>(new sp_task<Frame, T, std::decay_t<A>...>(nullptr, std::forward<A>(a)...)));
}

/// The recipe of a frame that receives its table through its constructor:
/// braidc's frames are local classes (so they share the function's access
/// and template parameters), which cannot have static data members, so the
/// table is a static local of the function and each run gets `new
/// Frame(table, args...)` (or builds it in the recipe's room, see sp_recipe).
template <class Frame, class T, class... Args>
using sp_table_task = sp_recipe<Frame, T, true, Args...>;

/// `make_sp_with_table<Frame, T>(table, args...)`: the task returned by a
/// braidc-generated function (see sp_table_task).
template <class Frame, class T, class... A>
task<T> make_sp_with_table(const frame_table& t, A&&... a) {
  return task<T>(owned_ref<T>(new sp_table_task<Frame, T, std::decay_t<A>...>(&t, std::forward<A>(a)...)));
}

// Kept locals in generated frames live in anonymous-union members (so the
// source name still names them) with an `alive` flag when their destructor
// is not trivial. These helpers keep the generated code short.

/// The raw storage of a kept local, for placement new (also for const T).
template <class T>
void* kept_storage(T& v) noexcept {
  return const_cast<void*>(static_cast<const volatile void*>(std::addressof(v)));
}

/// Destroys a kept local if it is alive (scope exit, jump, unwind).
template <class T>
void kept_destroy(T& v, bool& alive) noexcept {
  if (alive) {
    alive = false;
    v.~T();
  }
}

/// A kept reference copied into the clone of a frame at a fork point
/// (BRAID_AP, BRAID_CP): one that points into the template frame `from`
/// (a reference to one of its kept locals) points to the same place in the
/// clone `to`; any other is copied as is.
template <class T, class Frame>
T* kept_rebase(T* p, const Frame& from, Frame& to) noexcept {
  const auto b = reinterpret_cast<std::uintptr_t>(std::addressof(from));
  const auto q = reinterpret_cast<std::uintptr_t>(p);
  if (q >= b && q < b + sizeof(Frame))
    return reinterpret_cast<T*>(reinterpret_cast<char*>(std::addressof(to)) + (q - b));
  return p;
}

/// The address a kept reference stores (binds like a reference would).
template <class T>
std::remove_reference_t<T>* kept_address(T&& v) noexcept {
  return std::addressof(v);
}

/// The address a kept reference of type T& stores when braidc cannot see
/// whether its initializer is an lvalue of T (a template's pattern): a
/// prvalue, an xvalue or a conversion would need a temporary, refused here.
template <class T>
T* kept_lvalue_address(std::type_identity_t<T>& v) noexcept {
  return std::addressof(v);
}
template <class T>
void kept_lvalue_address(std::type_identity_t<T>&& v) = delete;

/// `*__begin` and the begin/end of a range-for whose body parks: the
/// range-for rules ([stmt.ranged]): arrays, then member begin/end, then
/// begin/end found by argument-dependent lookup.
template <class R>
constexpr auto range_begin(R& r) {
  if constexpr (std::is_array_v<R>) {
    return r + 0;
  } else if constexpr (requires { r.begin(); }) {
    return r.begin();
  } else {
    return begin(r);
  }
}
template <class R>
constexpr auto range_end(R& r) {
  if constexpr (std::is_array_v<R>) {
    return r + std::extent_v<R>;
  } else if constexpr (requires { r.end(); }) {
    return r.end();
  } else {
    return end(r);
  }
}

}  // namespace braid::detail
