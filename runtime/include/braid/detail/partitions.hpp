// SPDX-License-Identifier: MIT
#pragma once

/// What every frame flavour shares ([design.3], docs/driver.md): the step a
/// partition returns, the continuation table (partitions and try regions),
/// the one thunk that adapts a member partition to the table, and the one
/// partition loop that runs a frame's partitions and routes exceptions to
/// its try-region handlers. sp_core, ap_core and cp_core each instantiate
/// the table and the loop over their own frame base; only what the driver
/// does around the loop (deliver, emit, rerun) differs.

#include <cstdint>
#include <exception>
#include <utility>

namespace braid::detail {

/// What a partition returns: `step{k}` continues at partition k; the
/// negative values end the partition loop.
struct step {
  std::int32_t k;
  friend constexpr bool operator==(step, step) = default;
};
/// The frame waits for a child (parked); the completer resumes it.
inline constexpr step suspended{-1};
/// The body returned (its value, if any, is made).
inline constexpr step finished{-2};
/// What run_partitions returns when an exception left every try region.
inline constexpr step branch_failed{-4};
/// A partition's park found its child failed and no try region of the frame
/// can see the error: the loop unwinds every kept local and fails with the
/// error the core stored in `raised`, without throwing it (sp_core::park).
inline constexpr step failed_at_park{-5};

/// One exploded try region of a frame.
struct region_info {
  std::int32_t handler;  // partition that dispatches the stored exception
  std::int32_t parent;   // enclosing region, -1 for none
};

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

/// Adapts a member partition to the table's function pointer type; Core is
/// deduced from the entry it initializes (`{&partition_thunk<F, &F::p>, ...}`).
template <class Frame, step (Frame::*P)(), class Core>
step partition_thunk(Core* f) {
  return (static_cast<Frame*>(f)->*P)();
}

/// Runs partitions of `f` from `state` while they return `step{k}`.
/// An exception escaping a partition unwinds the partition's region, is
/// stored in `raised` and continues at the region's handler; with no region
/// left, every kept local is unwound, the exception goes to `error` and the
/// result is branch_failed. A partition returning `finished` (or another
/// ending step) has its kept locals unwound after its value was made
/// (C++ order: `return v;` makes v before the locals die). `suspended` is
/// returned as is. The exception is routed after its catch block has ended:
/// it may reach another thread through a parent, and a caught exception's
/// count is touched again when its handler exits.
template <class Core>
[[gnu::always_inline]] inline step run_partitions(Core* f, const basic_frame_table<Core>& t, std::int32_t& state,
                    std::exception_ptr& raised, std::exception_ptr& error) noexcept {
  std::exception_ptr e;  // null but between a catch and its routing
  for (;;) {
    step s{0};
    try {
      s = t.parts[state].fn(f);
    } catch (...) {
      e = std::current_exception();
    }
    if (s.k >= 0 && !e) {
      state = s.k;
      continue;
    }
    if (e) {
      const std::int32_t r = t.parts[state].region;
      t.unwind(f, r);
      if (r < 0) {
        raised = nullptr;
        error = std::move(e);
        return branch_failed;
      }
      raised = std::move(e);  // leaves e null
      state = t.regions[r].handler;
      continue;
    }
    if (s == suspended) return s;
    t.unwind(f, -1);
    if (s == failed_at_park) {
      error = std::move(raised);
      raised = nullptr;
      return branch_failed;
    }
    if (raised) raised = nullptr;
    return s;
  }
}

}  // namespace braid::detail
