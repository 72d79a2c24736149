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

#include <string>

namespace braidc {

/// Which driver runs the frame. Only Sp is generated today; the others
/// share the model and add their steps, a clone (ap, cp) or an encoding
/// (durable) of the kept-local table.
class FrameEmitter {
public:
  FrameEmitter(const FrameModel &M, Flavour Kind, bool LineDirectives)
      : M(M), Kind(Kind), LineDirectives(LineDirectives) {}

  /// The function's new body, braces included.
  std::string emit() const;

private:
  std::string members(std::string &CtorParams, std::string &CtorInit, std::string &Args) const;
  std::string partitions() const;
  std::string unwind() const;
  std::string clone() const;
  /// "sp", "ap" or "cp": the prefix of the base, core, table and recipe names.
  const char *core() const;
  /// The continuation table's type: frame_table (sp), ap_table, cp_table.
  std::string tableType() const;
  std::string table() const;
  std::string generatedLine() const;
  std::string sourceLine(unsigned Line) const;

  const FrameModel &M;
  Flavour Kind;
  bool LineDirectives;
};

} // namespace braidc

#endif
