// SPDX-License-Identifier: MIT
#pragma once

/// The durable frame contract: what braidc generates for a BRAID_DURABLE
/// function, and what libbraid's durable engine runs ([design.3],
/// [design.6]). docs/durable.md "The frame contract" specifies it; in short:
///
/// - A frame class per function, derived from durable_frame<T>: the
///   parameters as plain members (constructed by the constructor, which
///   takes the table first), the kept locals in anonymous unions (with an
///   `alive` flag when their destructor is not trivial), one slot<U> per
///   suspension point, one exception_ptr per exploded try region. As for sp
///   frames (docs/driver.md), plus:
/// - Suspension points: `return this->listen(context, k, slot);`,
///   `return this->park(task, k, slot);` (in memory, within the step),
///   `return this->park(run, k, slot);` (a durable call: the callee's frame
///   stacks on this one), `return this->wait_for(child, k, slot);`.
/// - A static member function `__braid_table()` returning the frame's
///   durable_table (a static local of that function), whose partitions
///   carry a stable name "function#k", a hash of their code and of the
///   frame layout they see, and for the partitions a frame can be stored at
///   (the continuation of a listen, a wait_for or a durable call) a
///   resume_site saying what the frame waits for there.
/// - encode/decode functions: the parameters and the kept locals live at
///   the partition the frame is stored at, by name (frame_writer,
///   frame_reader); `make`, a new frame from encoded arguments.
/// - The function itself returns `make_run<Frame, T>(parameters...)`, which
///   encodes the arguments and registers the table under its stable name
///   at program start, so another process can decode and resume the frame.

#include <braid/cancelled.hpp>
#include <braid/durable/codec.hpp>
#include <braid/durable/run.hpp>
#include <braid/sp.hpp>
#include <braid/task.hpp>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid::durable {

/// `void` results travel as null.
template <>
struct codec<braid::unit> {
  static constexpr bool nullable = true;
  static void encode(writer& w, braid::unit) { w.null(); }
  static braid::unit decode(reader& r) {
    r.read_null("void");
    return {};
  }
  static std::string name() { return "void"; }
};

namespace detail {

using braid::detail::region_info;
using braid::detail::slot;
using braid::detail::step;
using braid::detail::stored_t;

class durable_core;
class engine;
class frame_writer;
class frame_reader;

/// The steps a durable partition may return besides step{k} and finished
/// (braid::detail's). Generated code never spells them: it returns what
/// listen, park and wait_for return.
inline constexpr step listening{-10};      // stored at a listen
inline constexpr step waiting_child{-11};  // stored at a wait_for
inline constexpr step calling{-12};        // a durable callee was stacked on this frame
inline constexpr step aborted{-13};        // the engine refused the step (its error is the step's)

/// One address per type (for checking that a callee's result type is the
/// one the caller's slot holds).
template <class T>
inline constexpr char type_tag = 0;

enum class resume_kind : std::uint8_t { listen, wait_for, call };

/// What a frame stored at a partition waits for, and where it lands.
struct resume_site {
  resume_kind kind;
  std::string (*type_name)();  // the E of listen<E>, the U of wait_for / park(run<U>)
  const void* type_id;
  /// Decodes the event value (listen) or the child's result (wait_for) into the slot.
  void (*put)(durable_core*, reader&);
  /// Puts an error there instead (cancellation, a failed child).
  void (*put_error)(durable_core*, std::exception_ptr) noexcept;
  /// The slot (a callee's result is moved into it).
  void* (*slot)(durable_core*) noexcept;
};

template <class Frame, class U, slot<U> Frame::*S>
struct site_functions {
  static void put(durable_core* f, reader& r) {
    (static_cast<Frame*>(f)->*S).set_value(decode_from<stored_t<U>>(r));
  }
  static void put_error(durable_core* f, std::exception_ptr e) noexcept {
    (static_cast<Frame*>(f)->*S).set_error(std::move(e));
  }
  static void* slot_of(durable_core* f) noexcept { return &(static_cast<Frame*>(f)->*S); }
};

/// The resume_site of a partition that continues `listen(ctx, k, slot)`.
template <class Frame, class E, slot<E> Frame::*S>
inline constexpr resume_site listen_site{resume_kind::listen,
                                         &codec<stored_t<E>>::name,
                                         &type_tag<E>,
                                         &site_functions<Frame, E, S>::put,
                                         &site_functions<Frame, E, S>::put_error,
                                         &site_functions<Frame, E, S>::slot_of};
/// ... that continues `wait_for(child, k, slot)`.
template <class Frame, class U, slot<U> Frame::*S>
inline constexpr resume_site wait_site{resume_kind::wait_for,
                                       &codec<stored_t<U>>::name,
                                       &type_tag<U>,
                                       &site_functions<Frame, U, S>::put,
                                       &site_functions<Frame, U, S>::put_error,
                                       &site_functions<Frame, U, S>::slot_of};
/// ... that continues a durable call `park(run, k, slot)`.
template <class Frame, class U, slot<U> Frame::*S>
inline constexpr resume_site call_site{resume_kind::call,
                                       &codec<stored_t<U>>::name,
                                       &type_tag<U>,
                                       &site_functions<Frame, U, S>::put,
                                       &site_functions<Frame, U, S>::put_error,
                                       &site_functions<Frame, U, S>::slot_of};

/// One partition of a durable frame: sp's partition_info fields, plus the
/// hash and the resume site.
struct durable_partition_info {
  step (*fn)(durable_core*);
  const char* name;  // stable: "<function>#<index>"
  const char* file;
  std::uint32_t line;
  std::uint32_t col;
  const char* live;     // kept locals live at entry, comma-separated
  std::int32_t region;  // innermost exploded try region, -1 for none
  /// braidc's hash of this partition's code and of the frame layout it
  /// sees (docs/durable.md "Versioning"): a stored frame is resumed here
  /// only by code with the same hash.
  std::uint64_t hash;
  /// Non-null for a partition a frame can be stored at.
  const resume_site* resumes;
};

struct durable_table {
  const char* function;  // the stable name: the registry's key
  const durable_partition_info* parts;
  std::uint32_t nparts;
  const region_info* regions;
  std::uint32_t nregions;
  /// Destroys, in reverse declaration order, the alive kept locals declared
  /// inside `region` (-1: all of them). Idempotent.
  void (*unwind)(durable_core*, std::int32_t region) noexcept;
  /// Writes the parameters and the kept locals live at the frame's state.
  void (*encode)(const durable_core*, frame_writer&);
  /// A new frame from what encode wrote, at reader.state().
  durable_core* (*decode)(const durable_table&, frame_reader&);
  /// A new frame at partition 0 from the encoded arguments (make_frame).
  durable_core* (*make)(const durable_table&, reader&);
  /// braidc's hash of the signature (parameter types and names, result type).
  std::uint64_t signature_hash;
  std::string (*result_type)();
};

/// Adapts a member partition to the table's function pointer type.
template <class Frame, step (Frame::*P)()>
step durable_thunk(durable_core* f) {
  return (static_cast<Frame*>(f)->*P)();
}

// The engine side of the suspension points (src/durable/engine.cpp). The
// current step is the frame's engine_.
bool engine_cancelling(const engine&) noexcept;
void engine_rest_listen(engine&, std::string context);
void engine_push_call(engine&, const durable_table& callee, std::string_view args);
void engine_rest_child(engine&, run_id child);
step engine_abort(engine&, std::exception_ptr why) noexcept;

/// How a child run has ended, as wait_for sees it.
struct child_outcome {
  bool ended = false;
  run_status status = run_status::running;
  std::string result;  // encoded (complete)
  std::string error;   // failed, cancelled
  std::string error_type;
};
child_outcome engine_child(engine&, run_id child);
/// The exception wait_for throws for a child that failed (child_failed) or
/// was cancelled (braid::cancelled).
std::exception_ptr child_error(run_id child, const child_outcome& o);

/// A park on an ordinary task inside a step: the step's thread waits for
/// it (the task may complete on any thread); partitions always run on the
/// thread that runs the step.
template <class U>
struct park_wait {
  explicit park_wait(slot<U>* sl) noexcept : s(sl) {}
  slot<U>* s;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;

  static void on_value(void* ctx, stored_t<U>&& v) noexcept {
    auto* w = static_cast<park_wait*>(ctx);
    std::lock_guard<std::mutex> g(w->m);
    try {
      w->s->set_value(std::move(v));
    } catch (...) {
      w->s->set_error(std::current_exception());
    }
    w->done = true;
    // Under the lock: the waiter may destroy *w as soon as it sees done.
    w->cv.notify_one();
  }
  static void on_error(void* ctx, std::exception_ptr e) noexcept {
    auto* w = static_cast<park_wait*>(ctx);
    std::lock_guard<std::mutex> g(w->m);
    w->s->set_error(std::move(e));
    w->done = true;
    w->cv.notify_one();
  }
  void wait() {
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [this] { return done; });
  }
};

/// The base of every durable frame, independent of the result type.
class durable_core {
 public:
  virtual ~durable_core() = default;
  durable_core(const durable_core&) = delete;
  durable_core& operator=(const durable_core&) = delete;

  const durable_table& table() const noexcept { return *table_; }
  /// The partition the frame is in, or is stored at.
  std::int32_t state() const noexcept { return state_; }

 protected:
  durable_core(const durable_table& t, const void* result_id) noexcept : table_(&t), result_id_(result_id) {}

  /// `listen<E>(context)`: the run is stored here until an event of that
  /// context continues it at partition k with the event's value in `s`.
  /// In a cancelling step it throws braid::cancelled at k instead.
  template <class E>
  step listen(std::string context, std::int32_t k, slot<E>& s) {
    if (engine_cancelling(*engine_)) {
      state_ = k;
      s.set_error(braid::cancelled_error("braid: durable run cancelled"));
      return step{k};
    }
    engine_rest_listen(*engine_, std::move(context));
    state_ = k;
    return listening;
  }

  /// `park(t)` on an ordinary task: runs it in memory, within the step
  /// (the step's thread waits for it); continues at k with its outcome in
  /// `s`. In a cancelling step the task is started and cancelled at once.
  template <class U>
  step park(task<U> t, std::int32_t k, slot<U>& s) {
    state_ = k;
    if (t.is_ready()) {
      try {
        s.set_value(std::move(t).take_ready());
      } catch (...) {
        s.set_error(std::current_exception());
      }
      return step{k};
    }
    park_wait<U> w(&s);
    canceller c = std::move(t).start(braid::detail::sink<U>::template to<&park_wait<U>::on_value, &park_wait<U>::on_error>(&w));
    if (engine_cancelling(*engine_)) c();
    w.wait();
    return step{k};
  }

  /// `park(g(args))` on a durable function: g's frame is stacked on this
  /// one, in the same run; when g returns, its value lands in `s` and this
  /// frame continues at k. A call that cannot start throws here.
  template <class U>
  step park(braid::run<U> r, std::int32_t k, slot<U>& s) {
    (void)s;  // reached through the call_site of partition k
    engine_push_call(*engine_, r.table(), r.arguments());
    state_ = k;
    return calling;
  }

  /// `wait_for(c)`: continues at k once child run c has ended, with its
  /// result (or its error: child_failed, braid::cancelled) in `s`; at once
  /// when it has ended already, otherwise the run is stored here.
  template <class U>
  step wait_for(child<U> c, std::int32_t k, slot<U>& s) {
    state_ = k;
    if (engine_cancelling(*engine_)) {
      s.set_error(braid::cancelled_error("braid: durable run cancelled"));
      return step{k};
    }
    child_outcome o;
    try {
      o = engine_child(*engine_, c.id());
      if (!o.ended) {
        engine_rest_child(*engine_, c.id());
        return waiting_child;
      }
      if (o.status == run_status::complete) {
        reader r(o.result, "the result of child run " + to_string(c.id()));
        s.set_value(decode_from<stored_t<U>>(r));
        r.expect_end();
        return step{k};
      }
    } catch (...) {
      // A store failure or a result that does not decode is the step's
      // failure, not the body's: no handler of the body may catch it.
      return engine_abort(*engine_, std::current_exception());
    }
    s.set_error(child_error(c.id(), o));
    return step{k};
  }

  /// Missionary's `!`: throws braid::cancelled in a cancelling step.
  void check_cancelled() const {
    if (engine_cancelling(*engine_)) throw braid::cancelled("braid: durable run cancelled");
  }

  /// The exception being routed to a handler partition.
  std::exception_ptr raised_;

 private:
  friend class engine;
  virtual void encode_result(writer& w) = 0;
  virtual void deliver_result(void* slot) noexcept = 0;

  const durable_table* table_;
  const void* result_id_;
  engine* engine_ = nullptr;
  std::int32_t state_ = 0;
};

/// Base of a generated durable frame whose function returns run<T>.
template <class T>
class durable_frame : public durable_core {
  using stored = stored_t<T>;

 protected:
  explicit durable_frame(const durable_table& t) noexcept : durable_core(t, &type_tag<T>) {}
  ~durable_frame() override { result_.destroy(); }

  /// `return v;` becomes `return this->finish_with(v);`.
  template <class... A>
  step finish_with(A&&... a) {
    result_.construct(std::forward<A>(a)...);
    return braid::detail::finished;
  }

 private:
  void encode_result(writer& w) final {
    if constexpr (std::is_void_v<T>) {
      w.null();
    } else {
      encode_to(w, *result_);
    }
  }
  void deliver_result(void* s) noexcept final {
    auto& sl = *static_cast<slot<T>*>(s);
    if constexpr (std::is_void_v<T>) {
      sl.set_value(braid::unit{});
    } else {
      try {
        sl.set_value(std::move(*result_));
      } catch (...) {
        sl.set_error(std::current_exception());
      }
    }
    result_.destroy();
  }

  braid::detail::manual<stored> result_;
};

/// Writes a frame's parameters and live kept locals, by name (the
/// generated encode function calls these).
class frame_writer {
 public:
  template <class T>
  void param(std::string_view name, const T& v) {
    params_.text(name);
    encode_to(params_, v);
  }
  /// A kept local without an alive flag (live at the stored partition).
  template <class T>
  void local(std::string_view name, const T& v) {
    locals_.text(name);
    encode_to(locals_, v);
  }
  /// A kept local with an alive flag: written only when alive.
  template <class T>
  void local(std::string_view name, const T& v, bool alive) {
    if (alive) local(name, v);
  }
  /// A kept reference (braidc keeps it as a pointer) into the frame itself
  /// (a structured binding's element, a reference to a kept local): stored
  /// as its offset in the frame, rebound there when decoded. One that
  /// refers outside the frame cannot be stored (the step fails).
  template <class Frame, class T>
  void local_ref(std::string_view name, const Frame& f, const T* p) {
    const auto b = reinterpret_cast<std::uintptr_t>(std::addressof(f));
    const auto q = reinterpret_cast<std::uintptr_t>(p);
    if (p == nullptr || q < b || q >= b + sizeof(Frame))
      throw error(error_kind::codec, "braid: the kept reference '" + std::string(name) +
                                         "' refers to an object outside the run's frame (a global, a static, or "
                                         "what a parameter refers to), which cannot be stored with the run: keep a "
                                         "copy of the value in a local instead");
    locals_.text(name);
    encode_to(locals_, static_cast<std::uint64_t>(q - b));
  }

 private:
  friend class engine;
  writer params_;
  writer locals_;
};

/// Reads them back (the generated decode function calls these). Every
/// stored parameter and local must be read: one the code does not name is
/// an error after decode.
class frame_reader {
 public:
  /// The partition (in this program's table) the frame is stored at.
  std::int32_t state() const noexcept { return state_; }

  /// A parameter, by name (the constructor's arguments).
  template <class T>
  T param(std::string_view name) {
    using U = std::remove_cv_t<T>;
    const entry& e = *find(params_, name, true, "parameter");
    path_scope s(r_, ".params." + std::string(name));
    return r_.within(e.begin, e.end, [&] { return decode_from<U>(r_); });
  }
  /// A kept local without an alive flag: constructed in its storage.
  template <class T>
  void local(std::string_view name, T& storage) {
    construct(*find(locals_, name, true, "kept local"), name, storage);
  }
  /// A kept reference stored by frame_writer::local_ref: bound again to
  /// the same place in this frame.
  template <class Frame, class T>
  void local_ref(std::string_view name, Frame& f, T*& p) {
    const entry& e = *find(locals_, name, true, "kept reference");
    path_scope s(r_, ".locals." + std::string(name));
    r_.within(e.begin, e.end, [&] {
      const auto off = decode_from<std::uint64_t>(r_);
      if (off >= sizeof(Frame)) r_.fail("an offset inside the frame (a kept reference)", std::to_string(off));
      p = reinterpret_cast<T*>(reinterpret_cast<char*>(std::addressof(f)) + off);
    });
  }
  /// A kept local with an alive flag: constructed (and flagged alive) when stored.
  template <class T>
  void local(std::string_view name, T& storage, bool& alive) {
    if (const entry* e = find(locals_, name, false, "kept local")) {
      construct(*e, name, storage);
      alive = true;
    }
  }

  struct entry {
    std::string name;
    std::size_t begin, end;
    bool used = false;
  };
  frame_reader(reader& r, std::int32_t state, std::vector<entry> params, std::vector<entry> locals)
      : r_(r), state_(state), params_(std::move(params)), locals_(std::move(locals)) {}
  /// Throws unless every stored entry was read.
  void finish() const;

 private:
  template <class T>
  void construct(const entry& e, std::string_view name, T& storage) {
    using U = std::remove_cv_t<T>;
    path_scope s(r_, ".locals." + std::string(name));
    r_.within(e.begin, e.end, [&] { ::new (braid::detail::kept_storage(storage)) U(decode_from<U>(r_)); });
  }
  const entry* find(std::vector<entry>& in, std::string_view name, bool required, const char* what);

  reader& r_;
  std::int32_t state_;
  std::vector<entry> params_;
  std::vector<entry> locals_;
};

/// Deletes a frame being decoded if decode throws: its alive kept locals
/// are destroyed (unwind(-1)), then the frame.
class decode_guard {
 public:
  explicit decode_guard(durable_core* f) noexcept : f_(f) {}
  ~decode_guard() {
    if (f_) {
      f_->table().unwind(f_, -1);
      delete f_;
    }
  }
  durable_core* release() noexcept { return std::exchange(f_, nullptr); }
  decode_guard(const decode_guard&) = delete;
  decode_guard& operator=(const decode_guard&) = delete;

 private:
  durable_core* f_;
};

template <std::size_t I, class P>
P decode_argument(reader& r) {
  path_scope s(r, "[" + std::to_string(I) + "]");
  return decode_from<P>(r);
}
template <class... P, std::size_t... I>
std::tuple<P...> decode_arguments(reader& r, std::index_sequence<I...>) {
  return std::tuple<P...>{decode_argument<I, P>(r)...};  // braced: in order
}

/// The table's `make`: a frame at partition 0 from encoded arguments
/// (an array, one element per parameter, in order).
template <class Frame, class... P>
durable_core* make_frame(const durable_table& t, reader& r) {
  r.read_array(std::string("the arguments of ") + t.function, static_cast<std::int64_t>(sizeof...(P)));
  auto args = decode_arguments<P...>(r, std::index_sequence_for<P...>{});
  return std::apply([&](P&... a) -> durable_core* { return new Frame(t, std::move(a)...); }, args);
}

/// Adds a table to this program's registry (at program start, see
/// registration). A second, different table under the same stable name is
/// remembered as a conflict: finding that name then throws.
bool register_table(const durable_table& t) noexcept;
/// The registered table of a stable name, or null.
const durable_table* find_table(std::string_view function);
/// Every registered table, by name.
std::vector<const durable_table*> registered_tables();

/// Registers Frame's table before main (the dynamic initialization of an
/// instantiated static data member; make_run odr-uses it, so every
/// program that links the function's object file registers it, whether or
/// not it ever calls the function).
template <class Frame>
struct registration {
  static const bool done;
};
template <class Frame>
const bool registration<Frame>::done = register_table(Frame::__braid_table());

/// What a generated durable function returns: its arguments encoded, its
/// table registered.
template <class Frame, class T, class... A>
braid::run<T> make_run(const A&... a) {
  (void)&registration<Frame>::done;
  writer w;
  w.array(sizeof...(A));
  (encode_to(w, a), ...);
  return braid::run<T>(Frame::__braid_table(), w.take());
}

}  // namespace detail
}  // namespace braid::durable

template <class T>
std::string_view braid::run<T>::function() const noexcept {
  return table_->function;
}
