// SPDX-License-Identifier: MIT
// The prelude of the programs fuzz_gen writes (docs/fuzz.md). One generated
// file is built twice:
//
//   transformed: braidc rewrites its BRAID_SP functions; the leaf tasks are
//     real braid tasks (make_task) that complete while being started or
//     later, from a FIFO queue the harness drains, so parks really suspend
//     and resume from the harness loop;
//   direct (-DBRAID_FUZZ_DIRECT, no braidc): a minimal braid of its own in
//     which a task is a thunk and park runs it on the spot, so a BRAID_SP
//     function is ordinary C++ whose body runs when it is called.
//
// Both print, per run of a generated function, one line: the outcome, the
// event log, the RAII counts. The runner compares the two outputs.
//
// Cancellation (driver.md, sp.hpp): cancelling a process makes its current
// park throw braid::cancelled (its leaf fails with it) and every later park
// of that process, and of the sp children it starts, starts its task and
// cancels it at once; an immediate-value task is taken on the spot
// (sp_core::park's fast path) and still delivers its value, and so does a
// child that completes while being started. The two builds model this
// identically for "cancel the top-level run when the K-th leaf park starts":
//   transformed: from the K-th leaf on, no leaf completes by itself (each
//     stays pending until cancelled, then fails with braid::cancelled); the
//     harness cancels the top-level task once the K-th leaf is pending;
//   direct: every leaf park from the K-th on throws braid::cancelled, while
//     immediate tasks keep delivering their value.
// The leaf that throws is the K-th in C++ evaluation order; the generator
// never puts two parks whose order is unspecified (function arguments,
// operands of +) where that order could be observed (docs/fuzz.md).
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(BRAID_FUZZ_DIRECT)

// ---- direct build: the reference semantics, no braidc, no libbraid -------
#define BRAID_SP

namespace braid {

/// Not a std::exception, like braid's (cancelled.hpp).
class cancelled {
 public:
  const char* what() const noexcept { return "braid::cancelled"; }
};

/// A thunk (a leaf: park runs it) or an immediate value (a BRAID_SP
/// function's `return v;`, or a task built from a value).
template <class T>
class task {
 public:
  using value_type = T;
  template <class U>
    requires(std::is_convertible_v<U &&, T> && !std::is_same_v<std::remove_cvref_t<U>, task>)
  task(U&& v) : value_(std::forward<U>(v)) {}
  explicit task(std::function<T()> f) : thunk_(std::move(f)) {}
  T get() && { return thunk_ ? thunk_() : std::move(value_); }

 private:
  T value_{};
  std::function<T()> thunk_;
};

template <>
class task<void> {
 public:
  using value_type = void;
  task() = default;  // `return {};`
  explicit task(std::function<void()> f) : thunk_(std::move(f)) {}
  void get() && {
    if (thunk_) thunk_();
  }

 private:
  std::function<void()> thunk_;
};

template <class T>
T park(task<T> t) {
  return std::move(t).get();
}

// BRAID_AP, directly: a body is run once per branch, from the start; each
// fork point takes the value its branch is for (fz::explorer picks the
// branches in Missionary's order for fork(f) and amb: depth first), and the
// body's `return v;` is that branch's value (`return amb();`: none).
#define BRAID_AP

struct amb_nothing {};

/// A flow is its list of values (the direct build forks over them), or the
/// outcome of one branch (a BRAID_AP function's `return v;`).
template <class T>
class flow {
 public:
  using value_type = T;
  flow(std::vector<T> vs) : values(std::move(vs)) {}
  flow(amb_nothing) {}
  template <class U>
    requires(std::is_convertible_v<U &&, T> && !std::is_same_v<std::remove_cvref_t<U>, flow> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::vector<T>>)
  flow(U&& v) : values{T(std::forward<U>(v))} {}
  std::vector<T> values;
};

inline amb_nothing amb() { return {}; }

}  // namespace braid

namespace fz {
/// The branches of one BRAID_AP run: the index taken at each fork point
/// reached, and how many there were.
struct explorer {
  std::vector<std::size_t> path, widths;
  std::size_t depth = 0;
  std::size_t choose(std::size_t width) {
    std::size_t d = depth++;
    if (d == path.size()) {
      path.push_back(0);
      widths.push_back(width);
    }
    return path[d];
  }
  /// The next branch, depth first; false after the last.
  bool next() {
    path.resize(depth);
    widths.resize(depth);
    while (!path.empty() && path.back() + 1 >= widths.back()) {
      path.pop_back();
      widths.pop_back();
    }
    if (path.empty()) return false;
    ++path.back();
    depth = 0;
    return true;
  }
};
inline explorer* branches = nullptr;
}  // namespace fz

namespace braid {
template <class T>
T fork(flow<T> f) {
  return f.values.at(fz::branches->choose(f.values.size()));
}
template <class A, class... B>
std::common_type_t<A, B...> amb(A a, B... b) {
  std::common_type_t<A, B...> all[] = {a, b...};
  return all[fz::branches->choose(1 + sizeof...(B))];
}
}  // namespace braid

#else

// ---- transformed build: the real runtime ---------------------------------
#include <braid/ap.hpp>
#include <braid/braid.hpp>
#include <braid/op/seed.hpp>

#endif

namespace fz {

// ---- what a run observes --------------------------------------------------

inline std::string events;   // space-separated
inline int constructed = 0;  // Res objects
inline int destroyed = 0;
inline int leaves = 0;       // leaf parks started in this run (the cancel counter)
inline int cancel_at = 0;    // 0: no cancellation; else the K of "the K-th leaf"
inline bool cancel_reached = false;
/// The object behind the `int&` parameter of a top-level call.
inline int ref_cell = 0;
/// A new int for each call that passes an `int&` to a generated function:
/// a variable of the caller would be read and written by the callee in one
/// full-expression in an unspecified order (`r != park(g(r))`), and no
/// other code ever refers to this one. References stay valid (a deque).
inline int& fresh_cell() {
  static std::deque<int> cells;
  cells.push_back(0);
  return cells.back();
}

inline void ev(const std::string& e) {
  if (!events.empty()) events += ' ';
  events += e;
}
/// An event inside an expression (the left operand of a comma).
inline int lg(const char* e) {
  ev(e);
  return 0;
}
/// Records a local's value.
inline void obs(const char* name, int v) { ev(std::string(name) + "=" + std::to_string(v)); }
inline void obs(const char* name, const std::string& v) { ev(std::string(name) + "=\"" + v + "\""); }

/// An RAII local: logs "+name" and "-name", counted. Neither copied nor
/// moved (braidc constructs kept locals in place), so the counts of both
/// builds are the same exactly when the lifetimes are.
struct Res {
  std::string name;
  explicit Res(std::string n) : name(std::move(n)) {
    ++constructed;
    ev("+" + name);
  }
  /// Throws std::runtime_error("ctor:" + name) instead when `fail`: a kept
  /// local whose constructor threw was never alive and is not destroyed.
  Res(std::string n, bool fail) : name(std::move(n)) {
    if (fail) {
      ev("!" + name);
      throw std::runtime_error("ctor:" + name);
    }
    ++constructed;
    ev("+" + name);
  }
  Res(const Res&) = delete;
  Res& operator=(const Res&) = delete;
  ~Res() {
    ++destroyed;
    ev("-" + name);
  }
  int size() const { return static_cast<int>(name.size()); }
};

/// An aggregate for structured bindings (the pair is the tuple-like case).
struct Pt {
  int x;
  int y;
};
/// An aggregate holding a vector: a range-for over a member of a temporary.
struct Box {
  std::vector<int> v;
};
// An aggregate whose reference member extends the temporary it binds
// ([class.temporary]/6), as a reference to it would.
struct Hold {
  const Res& r;
  int k;
};

/// Plain helpers called with several parks among their arguments.
inline int add3(int a, int b, int c) { return a + b + c; }
inline int pick(int a, int b) { return a > b ? a - b : b - a; }
/// `v`, or throws std::runtime_error(msg) when v % 4 == 3: an exception in the
/// middle of an expression, after some of its parks and temporaries.
inline int thr(int v, const char* msg) {
  if (v % 4 == 3) throw std::runtime_error(msg);
  return v;
}

// ---- leaf tasks -----------------------------------------------------------

enum class how { sync, later, fail, fail_later, quiet };

/// Counts the leaf, logs it (not when quiet), and says whether it must be
/// cancelled (the K-th leaf and every later one).
inline bool leaf_started(int id, how h) {
  ++leaves;
  if (h != how::quiet) ev("@" + std::to_string(id));
  if (cancel_at != 0 && leaves >= cancel_at) {
    cancel_reached = true;
    return true;
  }
  return false;
}

#if defined(BRAID_FUZZ_DIRECT)

template <class T>
braid::task<T> leaf(int id, T v, how h, std::string msg = {}) {
  return braid::task<T>(std::function<T()>([=]() -> T {
    if (leaf_started(id, h)) throw braid::cancelled();
    if (h == how::fail || h == how::fail_later) throw std::runtime_error(msg);
    return v;
  }));
}

#else

/// Completions of leaves that end "later", run by the harness in order.
inline std::deque<std::function<void()>> queue;

template <class T>
braid::task<T> leaf(int id, T v, how h, std::string msg = {}) {
  return braid::make_task<T>([=](auto ok, auto fail) -> std::function<void()> {
    // Pending until cancelled; then fails with cancelled (a built-in task).
    auto cancel = [fail] { fail(braid::cancelled_error("fuzz leaf cancelled")); };
    if (leaf_started(id, h)) return cancel;
    bool later = h == how::later || h == how::fail_later || (h == how::quiet && leaves % 2 == 0);
    auto finish = [=] {
      if (h == how::fail || h == how::fail_later)
        fail(std::make_exception_ptr(std::runtime_error(msg)));
      else
        ok(v);
    };
    if (!later) {
      finish();
      return {};
    }
    queue.push_back(finish);
    return cancel;
  });
}

#endif

/// Logged leaves: `L` completes while started, `A` later, `F`/`FA` fail
/// with std::runtime_error(msg); `Q` is quiet (not logged, never fails:
/// where its order against another park is unspecified); `S` a string, `QS`
/// a quiet one.
inline braid::task<int> L(int id, int v) { return leaf<int>(id, v, how::sync); }
inline braid::task<int> A(int id, int v) { return leaf<int>(id, v, how::later); }
inline braid::task<int> F(int id, const char* msg) { return leaf<int>(id, 0, how::fail, msg); }
inline braid::task<int> FA(int id, const char* msg) { return leaf<int>(id, 0, how::fail_later, msg); }
inline braid::task<int> Q(int v) { return leaf<int>(0, v, how::quiet); }
inline braid::task<std::string> S(int id, const char* v) {
  return leaf<std::string>(id, v, id % 2 ? how::later : how::sync);
}
inline braid::task<std::string> QS(const char* v) { return leaf<std::string>(0, v, how::quiet); }
/// A logged leaf with a pair value (structured bindings of a park).
inline braid::task<std::pair<int, int>> LP(int id, int a, int b) {
  return leaf<std::pair<int, int>>(id, std::pair<int, int>(a, b), id % 2 ? how::later : how::sync);
}
/// An immediate-value task: no process, not a leaf (not counted).
inline braid::task<int> I(int v) { return braid::task<int>(v); }

// ---- the harness ----------------------------------------------------------

/// `"..."` with \ " and non-printable bytes escaped.
inline std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

inline std::string show(int v) { return std::to_string(v); }
inline std::string show(const std::string& v) { return quote(v); }

inline std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const braid::cancelled&) {
    return "throw cancelled";
  } catch (const std::exception& x) {
    return "throw " + quote(x.what());
  } catch (...) {
    return "throw ?";
  }
}

inline void reset(int k) {
  events.clear();
  constructed = destroyed = leaves = 0;
  cancel_at = k;
  cancel_reached = false;
  ref_cell = 5;
}

/// One run: `make()` calls the generated function (in the direct build
/// that runs its body). Returns the outcome text.
template <class Make>
std::string run_once(Make& make) {
  using T = decltype(std::declval<Make&>()());
  using V = typename T::value_type;
#if defined(BRAID_FUZZ_DIRECT)
  try {
    if constexpr (std::is_void_v<V>) {
      braid::park(make());
      return "= ()";
    } else {
      return "= " + show(braid::park(make()));
    }
  } catch (...) {
    return describe(std::current_exception());
  }
#else
  std::string outcome;
  bool done = false;
  T t = make();
  braid::canceller c;
  if constexpr (std::is_void_v<V>) {
    c = std::move(t).run([&] { outcome = "= ()", done = true; },
                         [&](std::exception_ptr e) { outcome = describe(e), done = true; });
  } else {
    c = std::move(t).run([&](V v) { outcome = "= " + show(v), done = true; },
                         [&](std::exception_ptr e) { outcome = describe(e), done = true; });
  }
  bool cancelled = false;
  while (!done) {
    if (cancel_reached && !cancelled) {
      cancelled = true;
      c();
    } else if (!queue.empty()) {
      auto f = std::move(queue.front());
      queue.pop_front();
      f();
    } else {
      // Nothing pending can complete it: a lost wake-up in the driver.
      outcome = "stuck (no completion pending)";
      break;
    }
  }
  if (!queue.empty()) {
    outcome += " [" + std::to_string(queue.size()) + " completions left]";
    queue.clear();
  }
  return outcome;
#endif
}

/// A flow of the values `vs` (fork points fork over it).
inline braid::flow<int> vals(std::vector<int> vs) {
#if defined(BRAID_FUZZ_DIRECT)
  return braid::flow<int>(std::move(vs));
#else
  return braid::seed(std::move(vs));
#endif
}

/// One run of a BRAID_AP function: its values in order and how it ended
/// (the values of branches after a failing one are not compared: the
/// failure's transfer discards them). Logs and RAII counts are not printed:
/// the direct build runs the code before a fork point once per branch,
/// braid once (then copies the frame); both must end with every Res
/// destroyed.
template <class Make>
void run_ap(const char* name, void (*reset_globals)(), Make make) {
  reset(0);
  reset_globals();
  std::string got, outcome = "end";
#if defined(BRAID_FUZZ_DIRECT)
  explorer e;
  branches = &e;
  do {
    try {
      braid::flow<int> r = make();
      for (int v : r.values) got += " " + show(v);
    } catch (...) {
      outcome = describe(std::current_exception());
      break;
    }
  } while (e.next());
  branches = nullptr;
#else
  bool notified = false, terminated = false, failed = false;
  braid::flow_iterator<int> it = make().spawn([&] { notified = true; }, [&] { terminated = true; });
  while (!terminated) {
    if (notified) {
      notified = false;
      try {
        int v = it.transfer();
        if (!failed) got += " " + show(v);
      } catch (...) {
        if (!failed) outcome = describe(std::current_exception());
        failed = true;
      }
    } else if (!queue.empty()) {
      auto f = std::move(queue.front());
      queue.pop_front();
      f();
    } else {
      outcome += " stuck (no completion pending)";
      break;
    }
  }
  queue.clear();
#endif
  std::printf("%s ap: [%s ] %s | res %s\n", name, got.c_str(), outcome.c_str(),
              constructed == destroyed ? "balanced" : "unbalanced");
  std::fflush(stdout);
}

/// One line per run: the normal run, then, when `cancels` > 0, runs
/// cancelled at the K-th leaf for up to `cancels` values of K spread over
/// the leaves of the normal run (all of them when there are few).
template <class Make>
void run_top(const char* name, int cancels, void (*reset_globals)(), Make make) {
  auto line = [&](int k) {
    reset(k);
    reset_globals();
    std::string outcome = run_once(make);
    int n = leaves;
    std::printf("%s k=%d: %s | %s | res %d/%d | ref %d\n", name, k, outcome.c_str(),
                events.c_str(), constructed, destroyed, ref_cell);
    std::fflush(stdout);
    return n;
  };
  int n = line(0);
  if (cancels <= 0 || n == 0) return;
  if (n <= cancels) {
    for (int k = 1; k <= n; ++k) line(k);
  } else {
    for (int i = 0; i < cancels; ++i) line(1 + static_cast<int>(static_cast<long>(i) * (n - 1) / (cancels - 1 > 0 ? cancels - 1 : 1)));
  }
}

#if !defined(BRAID_FUZZ_DIRECT)
/// A protocol violation or a throwing callback shows up in the log (and
/// makes the outputs differ) instead of going to stderr.
inline void on_callback_error(std::exception_ptr e) { ev("callback-error:" + describe(e)); }
inline void begin() { braid::set_callback_error_handler(&on_callback_error); }
#else
inline void begin() {}
#endif

}  // namespace fz
