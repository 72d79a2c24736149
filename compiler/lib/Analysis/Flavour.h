//===- Flavour.h - the kinds of annotated function ------------------------===//
//
// SPDX-License-Identifier: MIT
//
// BRAID_SP, BRAID_AP, BRAID_CP or BRAID_DURABLE: which suspension points a
// body may have (ParkFinder), and which frame base, table, thunks and recipe
// the generated frame uses (FrameEmitter): `<namespace>::<prefix>_core`,
// `<prefix>_frame<T>`, `make_<prefix>_with_table` (durable frames carry
// their table and return `make_run`, docs/durable.md "The frame contract").
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_ANALYSIS_FLAVOUR_H
#define BRAIDC_ANALYSIS_FLAVOUR_H

namespace braidc {

enum class Flavour { Sp, Ap, Cp, Durable };

/// "sp", "ap", "cp" or "durable": the prefix of the runtime's names for \p F.
inline const char *flavourPrefix(Flavour F) {
  switch (F) {
  case Flavour::Sp:
    return "sp";
  case Flavour::Ap:
    return "ap";
  case Flavour::Cp:
    return "cp";
  case Flavour::Durable:
    return "durable";
  }
  return "sp";
}

/// The namespace of those names: "::braid::detail" or "::braid::durable::detail".
inline const char *flavourNamespace(Flavour F) {
  return F == Flavour::Durable ? "::braid::durable::detail" : "::braid::detail";
}

/// The annotation as the user spells it ("BRAID_SP"...).
inline const char *flavourMacro(Flavour F) {
  switch (F) {
  case Flavour::Sp:
    return "BRAID_SP";
  case Flavour::Ap:
    return "BRAID_AP";
  case Flavour::Cp:
    return "BRAID_CP";
  case Flavour::Durable:
    return "BRAID_DURABLE";
  }
  return "BRAID_SP";
}

} // namespace braidc

#endif
