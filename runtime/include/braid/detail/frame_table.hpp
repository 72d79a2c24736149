// SPDX-License-Identifier: MIT
#pragma once

/// What the ap and cp drivers share beyond the table and the partition loop
/// every flavour shares (detail/partitions.hpp, included through sp.hpp):
/// the arguments a flow keeps to spawn each new root frame.

#include <braid/sp.hpp>

#include <cstdint>
#include <exception>
#include <tuple>
#include <utility>

namespace braid::detail {

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

}  // namespace braid::detail
