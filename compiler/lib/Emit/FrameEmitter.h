//===- FrameEmitter.h - the frame class, its unwind and its table ---------===//
//
// SPDX-License-Identifier: MIT
//
// Writes a FrameModel as the replacement body of its function:
//
//   {
//     <aliases, hoisted local types>
//     struct __braid_frame final : <base for the flavour> {
//       <parameters, kept locals (manual lifetime), slots>
//       <constructor>
//       // #k <kind> at line L[, region r][, kept: a, b]     one per partition
//       #line L "x.cpp"
//       __braid_step __braid_part_k() { <code> }
//       <thunks>  <unwind>
//     };
//     <continuation table>
//     return <recipe for the flavour>(...);
//   }
//
// A `#line` back into the generated file stands only before the code that
// tool-written declarations could make a compiler complain about (the
// frame's members, the thunks, unwind and table); user code carries its own
// `#line` to the annotated source, and so does each partition's header.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_EMIT_FRAMEEMITTER_H
#define BRAIDC_EMIT_FRAMEEMITTER_H

#include "Emit/FrameModel.h"

#include <cstdint>
#include <string>
#include <vector>

namespace braidc {

/// The generated frame class's name.
inline constexpr const char *FrameName = "__braid_frame";

/// Which driver runs the frame: the flavours share the model; ap and cp
/// add a clone, durable an encoding of the kept-local table.
class FrameEmitter {
public:
  FrameEmitter(const FrameModel &M, Flavour Kind, bool LineDirectives)
      : M(M), Kind(Kind), LineDirectives(LineDirectives) {}

  /// The function's new body, braces included.
  std::string emit() const;

private:
  std::string members(std::string &CtorParams, std::string &CtorInit, std::string &Args) const;
  std::string frameHead(const std::string &Base, const std::string &TableType, std::string &Args) const;
  std::string partitions() const;
  std::string unwind() const;
  std::string clone() const;
  /// "sp", "ap" or "cp": the prefix of the base, core, table and recipe names.
  const char *core() const;
  /// `::braid::detail::sp_core` (the partitions' base, with its namespace).
  std::string coreType() const;
  /// The static thunk of partition \p I (the table's function pointer).
  std::string thunk(size_t I) const;
  /// The continuation table's type: frame_table (sp), ap_table, cp_table.
  std::string tableType() const;
  std::string table() const;
  std::string generatedLine() const;
  std::string sourceLine(unsigned Line) const;
  // BRAID_DURABLE (DurableFrame.cpp): the table lives in the frame (a static
  // member function), with encode, decode and the hashes.
  std::string emitDurable() const;
  std::string durableEncode() const;
  std::string durableDecode() const;
  std::string durableTable() const;
  /// The encode/decode switch over the stored partitions, calling \p Obj.
  std::string storedSwitch(const std::string &State, const std::string &Obj) const;
  /// Appends the regions' table to \p O; returns its name or "nullptr".
  std::string regionsTable(const std::string &Indent, std::string &O) const;
  /// The name each kept entry stored at resume \p D is encoded under.
  std::vector<std::string> storedNames(const DurableResume &D) const;
  std::uint64_t partitionHash(size_t I) const;
  std::uint64_t signatureHash() const;

  const FrameModel &M;
  Flavour Kind;
  bool LineDirectives;
};

} // namespace braidc

#endif
