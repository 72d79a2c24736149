//===- Diagnoser.h - braidc's diagnostic ids and messages -----------------===//
//
// SPDX-License-Identifier: MIT
//
// Every user-facing error or warning braidc reports goes through Clang's
// DiagnosticsEngine with an id from Diagnostics.def, so it prints in clang's
// format (file:line:col, caret, notes, fix-its). Wording follows the LLVM
// rules: lower-case start, no trailing period, name the construct, say what
// to do.
//
// Warnings have names (`-Wbraid-lock-across-park`) that braidc's own -W
// options (before `--`) turn off or into errors. Clang 19 cannot remap the
// level of a custom diagnostic, so the level is decided here, when the
// diagnostic is reported, and the compile command's -W flags never touch
// braidc's warnings.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_DIAG_DIAGNOSER_H
#define BRAIDC_DIAG_DIAGNOSER_H

#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceLocation.h"
#include "Diag/WarningSettings.h"

#include <optional>
#include <set>
#include <utility>
#include <string>
#include <vector>

namespace braidc {

/// braidc's diagnostics; ids, levels and wording in Diagnostics.def.
enum class Diag {
#define BRAIDC_ERROR(Id, Message) Id,
#define BRAIDC_WARNING(Id, Name, Message) Id,
#define BRAIDC_NOTE(Id, Message) Id,
#include "Diag/Diagnostics.def"
#undef BRAIDC_ERROR
#undef BRAIDC_WARNING
#undef BRAIDC_NOTE
};

/// Why a dependent type cannot be written at the frame's class scope: the
/// %select of Diagnostics.def's BRAIDC_DEPENDENT_REASON, in its order.
enum class DependentReason : unsigned {
  Deduced,
  DeducedTemplateArguments,
  Decltype,
  Typeof,
  PackExpansion,
  ExpressionType,
  InventedParameter,
  DeclaredInBody,
};

/// Reports braidc's diagnostics through a DiagnosticsEngine.
class Diagnoser {
public:
  explicit Diagnoser(clang::DiagnosticsEngine &DE, WarningSettings Warnings = {})
      : DE(DE), Warnings(std::move(Warnings)) {}

  /// Starts a diagnostic; stream arguments (%0, %1...) and fix-its into it.
  /// A disabled warning (and the notes after it) prints nothing.
  clang::DiagnosticBuilder report(Diag D, clang::SourceLocation Loc);

  /// True once any braidc error (a warning made an error included) was
  /// reported.
  bool hadErrors() const { return Errors > 0; }
  unsigned errorCount() const { return Errors; }

  /// The names of braidc's warnings, sorted (`braid-lock-across-park`...).
  static std::vector<std::string> warningNames();

  /// The name of the braidc diagnostic with id \p ID in \p DE (a warning's
  /// name, or `braidc-error` / `braidc-note`), or nothing when \p ID is not
  /// one of braidc's. Used to name diagnostics in --export-fixes.
  static std::optional<std::string> nameOf(const clang::DiagnosticsEngine &DE, unsigned ID);

  /// Fix-it helpers: wrap the source range \p R in \p Before ... \p After
  /// (nothing when any end is inside a macro expansion).
  static void wrapIn(const clang::DiagnosticBuilder &DB, clang::SourceRange R,
                     llvm::StringRef Before, llvm::StringRef After,
                     const clang::SourceManager &SM, const clang::LangOptions &LO);

private:
  clang::DiagnosticsEngine &DE;
  WarningSettings Warnings;
  unsigned Errors = 0;
  std::set<std::pair<unsigned, unsigned>> Reported;
};

} // namespace braidc

#endif
