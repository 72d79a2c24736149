//===- Text.h - small helpers for writing C++ text ------------------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_EMIT_TEXT_H
#define BRAIDC_EMIT_TEXT_H

#include <string>
#include <string_view>
#include <vector>

namespace braidc {

/// \p S as a C++ string literal (backslashes and quotes escaped).
inline std::string cppQuote(std::string_view S) {
  std::string Q = "\"";
  for (char C : S) {
    if (C == '\\' || C == '"')
      Q += '\\';
    Q += C;
  }
  return Q + "\"";
}

/// "a, b, c".
inline std::string commaJoined(const std::vector<std::string> &V) {
  std::string Out;
  for (const std::string &S : V)
    Out += (Out.empty() ? "" : ", ") + S;
  return Out;
}

} // namespace braidc

#endif
