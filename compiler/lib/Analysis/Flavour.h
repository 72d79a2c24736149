//===- Flavour.h - the kinds of annotated function ------------------------===//
//
// SPDX-License-Identifier: MIT
//
// BRAID_SP, BRAID_AP or BRAID_CP: which suspension points a body may have
// (ParkFinder), and which frame base, table, thunks and recipe the
// generated frame uses (FrameEmitter): `::braid::detail::<prefix>_core`,
// `<prefix>_frame<T>`, `make_<prefix>_with_table`.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_ANALYSIS_FLAVOUR_H
#define BRAIDC_ANALYSIS_FLAVOUR_H

namespace braidc {

enum class Flavour { Sp, Ap, Cp };

/// "sp", "ap" or "cp": the prefix of the runtime's names for \p F.
inline const char *flavourPrefix(Flavour F) {
  return F == Flavour::Sp ? "sp" : F == Flavour::Ap ? "ap" : "cp";
}

} // namespace braidc

#endif
