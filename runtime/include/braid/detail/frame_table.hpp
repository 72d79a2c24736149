// SPDX-License-Identifier: MIT
#pragma once

/// The continuation table, the partition loop and the spawn arguments shared
/// by the ap and cp drivers ([design.3]): the same table shape as sp's
/// frame_table (docs/driver.md), over the driver's own frame base, and the
/// same routing of exceptions to try-region handlers.

#include <braid/sp.hpp>

#include <cstdint>
#include <exception>
#include <tuple>
#include <utility>

namespace braid::detail {

/// One partition of a frame whose base class is Core.
template <class Core>
struct basic_partition_info {
  step (*fn)(Core*);
  const char* name;  // stable: "<function>#<index>"
  const char* file;
  std::uint32_t line;
  std::uint32_t col;
  const char* live;     // kept locals live at entry, comma-separated
  std::int32_t region;  // innermost exploded try region, -1 for none
};

/// The continuation table of a frame whose base class is Core.
template <class Core>
struct basic_frame_table {
  const char* function;
  const basic_partition_info<Core>* parts;
  std::uint32_t nparts;
  const region_info* regions;
  std::uint32_t nregions;
  /// Destroys, in reverse declaration order, the constructed kept locals
  /// declared inside `region` (-1: all of them). Idempotent.
  void (*unwind)(Core*, std::int32_t region) noexcept;
};

/// The arguments of a BRAID_AP or BRAID_CP function, kept by its flow and
/// given to a new root frame at each spawn (see arg_box in sp.hpp). With a
/// table, make() is `new Frame(table, args...)`, otherwise
/// `new Frame(args...)` (a frame that knows its own table).
template <class Frame, class Table, bool WithTable, class... Args>
class frame_args {
 public:
  template <class... A>
  explicit frame_args(const Table* t, A&&... a) : table_(t), args_(arg_box<Args>(std::forward<A>(a))...) {}

  /// A new root frame; throws what the allocation or a copy throws.
  Frame* make() const {
    if constexpr (WithTable)
      return std::apply([this](const arg_box<Args>&... a) { return new Frame(*table_, a.get()...); }, args_);
    else
      return std::apply([](const arg_box<Args>&... a) { return new Frame(a.get()...); }, args_);
  }

 private:
  const Table* table_;
  std::tuple<arg_box<Args>...> args_;
};

/// What run_partitions ends with besides the partition steps.
inline constexpr step branch_failed{-4};

/// Runs partitions of `f` from `state` while they return `step{k}`.
/// An exception escaping a partition unwinds the partition's region, is
/// stored in `raised` and continues at the region's handler; with no region
/// left, every kept local is unwound, the exception goes to `error` and the
/// result is branch_failed. A partition returning `finished` (or another
/// ending step) has its kept locals unwound after its value was made
/// (C++ order: `return v;` makes v before the locals die). `suspended` is
/// returned as is.
template <class Core>
step run_partitions(Core* f, const basic_frame_table<Core>& t, std::int32_t& state,
                    std::exception_ptr& raised, std::exception_ptr& error) noexcept {
  for (;;) {
    step s;
    try {
      s = t.parts[state].fn(f);
    } catch (...) {
      std::exception_ptr e = std::current_exception();
      const std::int32_t r = t.parts[state].region;
      t.unwind(f, r);
      if (r < 0) {
        raised = nullptr;
        error = std::move(e);
        return branch_failed;
      }
      raised = std::move(e);
      state = t.regions[r].handler;
      continue;
    }
    if (s.k >= 0) {
      state = s.k;
      continue;
    }
    if (s == suspended) return s;
    t.unwind(f, -1);
    raised = nullptr;
    return s;
  }
}

}  // namespace braid::detail
