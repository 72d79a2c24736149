// SPDX-License-Identifier: MIT
#pragma once

/// Transducers for eduction ([spec.flow.eduction]): Clojure's map, filter,
/// take, drop, take-while, partition-all, cat, mapcat and dedupe, as values
/// that eduction composes left to right (like Clojure's `comp` of
/// transducers: the first one sees the input's values first).
///
/// A transducer here is a small immutable description (its function, its
/// count); each spawned eduction builds its own chain of stages from them,
/// so counters (take, drop), buffers (partition) and the last value (dedupe)
/// are per process. A stage's push(x) forwards zero or more values to the
/// next stage and returns false once it wants no more input (Clojure's
/// `reduced`); flush() runs at the end (Clojure's completion arity).
/// User functions are called one value at a time, never concurrently.
///
/// A stage may declare `static constexpr bool forwards_last = true;` when its
/// push forwards at most one value and does nothing after forwarding it (no
/// user code, no decision the input could observe, such as take's stop):
/// a chain of such stages can hand its output straight to a folding consumer
/// without buffering it first, with every call in the same order
/// (eduction's fusion into reduce).

#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid::xf {

/// Base of every transducer description (eduction checks its arguments).
struct transducer {};

template <class F>
struct map_t : transducer {
  F f;
  template <class In>
  using output = std::decay_t<std::invoke_result_t<F&, In&&>>;
  template <class In, class Next>
  struct stage {
    F f;
    Next next;
    template <class... A>
    explicit stage(const map_t& d, A&&... a) : f(d.f), next(std::forward<A>(a)...) {}
    static constexpr bool forwards_last = true;
    bool push(In&& x) { return next.push(std::invoke(f, std::move(x))); }
    void flush() { next.flush(); }
  };
};

template <class P>
struct filter_t : transducer {
  P p;
  template <class In>
  using output = In;
  template <class In, class Next>
  struct stage {
    P p;
    Next next;
    template <class... A>
    explicit stage(const filter_t& d, A&&... a) : p(d.p), next(std::forward<A>(a)...) {}
    static constexpr bool forwards_last = true;
    bool push(In&& x) { return std::invoke(p, std::as_const(x)) ? next.push(std::move(x)) : true; }
    void flush() { next.flush(); }
  };
};

struct take_t : transducer {
  std::size_t n;
  template <class In>
  using output = In;
  template <class In, class Next>
  struct stage {
    std::size_t left;
    Next next;
    template <class... A>
    explicit stage(const take_t& d, A&&... a) : left(d.n), next(std::forward<A>(a)...) {}
    // As Clojure's take: the value that exhausts the count is passed on and
    // stops the input at once; take(0) stops at the first value, passing none.
    bool push(In&& x) {
      if (left == 0) return false;
      --left;
      const bool more = next.push(std::move(x));
      return more && left != 0;
    }
    void flush() { next.flush(); }
  };
};

struct drop_t : transducer {
  std::size_t n;
  template <class In>
  using output = In;
  template <class In, class Next>
  struct stage {
    std::size_t left;
    Next next;
    template <class... A>
    explicit stage(const drop_t& d, A&&... a) : left(d.n), next(std::forward<A>(a)...) {}
    static constexpr bool forwards_last = true;
    bool push(In&& x) {
      if (left != 0) {
        --left;
        return true;
      }
      return next.push(std::move(x));
    }
    void flush() { next.flush(); }
  };
};

template <class P>
struct take_while_t : transducer {
  P p;
  template <class In>
  using output = In;
  template <class In, class Next>
  struct stage {
    P p;
    Next next;
    template <class... A>
    explicit stage(const take_while_t& d, A&&... a) : p(d.p), next(std::forward<A>(a)...) {}
    bool push(In&& x) { return std::invoke(p, std::as_const(x)) ? next.push(std::move(x)) : false; }
    void flush() { next.flush(); }
  };
};

struct partition_t : transducer {
  std::size_t n;
  template <class In>
  using output = std::vector<In>;
  template <class In, class Next>
  struct stage {
    std::size_t n;
    std::vector<In> chunk;
    Next next;
    template <class... A>
    explicit stage(const partition_t& d, A&&... a) : n(d.n), next(std::forward<A>(a)...) {
      chunk.reserve(n);
    }
    static constexpr bool forwards_last = true;
    bool push(In&& x) {
      chunk.push_back(std::move(x));
      if (chunk.size() < n) return true;
      return emit();
    }
    // A partial chunk is emitted at the end (partition-all).
    void flush() {
      if (!chunk.empty()) emit();
      next.flush();
    }
    bool emit() {
      std::vector<In> full;
      full.reserve(n);
      full.swap(chunk);  // leaves chunk empty with capacity n, ready for reuse
      return next.push(std::move(full));
    }
  };
};

namespace detail {
// Pushes every element of a range into `next`; stops when next does.
// Elements of a container passed as an rvalue are moved; those of an lvalue
// or of a view are copied (we do not own them).
template <class Out, class R, class Next>
bool push_all(R&& r, Next& next) {
  for (auto&& e : r) {
    bool more;
    if constexpr (std::is_lvalue_reference_v<R> || std::ranges::view<std::remove_cvref_t<R>>)
      more = next.push(Out(e));
    else
      more = next.push(Out(std::move(e)));
    if (!more) return false;
  }
  return true;
}
}  // namespace detail

struct cat_t : transducer {
  template <class In>
  using output = std::ranges::range_value_t<In>;
  template <class In, class Next>
  struct stage {
    Next next;
    template <class... A>
    explicit stage(const cat_t&, A&&... a) : next(std::forward<A>(a)...) {}
    bool push(In&& x) { return detail::push_all<output<In>>(std::move(x), next); }
    void flush() { next.flush(); }
  };
};

template <class F>
struct mapcat_t : transducer {
  F f;
  template <class In>
  using output = std::ranges::range_value_t<std::invoke_result_t<F&, In&&>>;
  template <class In, class Next>
  struct stage {
    F f;
    Next next;
    template <class... A>
    explicit stage(const mapcat_t& d, A&&... a) : f(d.f), next(std::forward<A>(a)...) {}
    bool push(In&& x) {
      auto&& r = std::invoke(f, std::move(x));
      return detail::push_all<output<In>>(std::forward<decltype(r)>(r), next);
    }
    void flush() { next.flush(); }
  };
};

struct dedupe_t : transducer {
  template <class In>
  using output = In;
  template <class In, class Next>
  struct stage {
    std::optional<In> last;
    Next next;
    template <class... A>
    explicit stage(const dedupe_t&, A&&... a) : next(std::forward<A>(a)...) {}
    static constexpr bool forwards_last = true;
    bool push(In&& x) {
      if (last && *last == x) return true;
      last.emplace(x);
      return next.push(std::move(x));
    }
    void flush() { next.flush(); }
  };
};

/// Each value v becomes f(v).
template <class F>
map_t<std::decay_t<F>> map(F&& f) {
  return {{}, std::forward<F>(f)};
}
/// Keeps the values for which p(v) is true.
template <class P>
filter_t<std::decay_t<P>> filter(P&& p) {
  return {{}, std::forward<P>(p)};
}
/// The first n values, then stops the input (early termination). take(0)
/// stops at the first value.
inline take_t take(std::size_t n) { return {{}, n}; }
/// All but the first n values.
inline drop_t drop(std::size_t n) { return {{}, n}; }
/// Values while p(v) is true; the first false stops the input (v is dropped).
template <class P>
take_while_t<std::decay_t<P>> take_while(P&& p) {
  return {{}, std::forward<P>(p)};
}
/// Groups values into std::vector chunks of n; the last chunk may be shorter
/// (Clojure's partition-all). Throws std::invalid_argument if n is 0.
inline partition_t partition(std::size_t n) {
  if (n == 0)
    throw std::invalid_argument("braid::xf::partition: the chunk size must be at least 1");
  return {{}, n};
}
/// Each value is a range; its elements are passed on one by one.
inline cat_t cat() { return {}; }
/// Each value v becomes the elements of the range f(v).
template <class F>
mapcat_t<std::decay_t<F>> mapcat(F&& f) {
  return {{}, std::forward<F>(f)};
}
/// Drops a value equal (==) to the one before it.
inline dedupe_t dedupe() { return {}; }

}  // namespace braid::xf
