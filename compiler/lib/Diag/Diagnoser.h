//===- Diagnoser.h - braidc's diagnostic ids and messages -----------------===//
//
// SPDX-License-Identifier: MIT
//
// Every user-facing error or warning braidc reports goes through Clang's
// DiagnosticsEngine with an id from this table, so it prints in clang's
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
#include <string>
#include <vector>

namespace braidc {

/// braidc's diagnostics. The message of each is in Diagnoser.cpp.
enum class Diag {
  ParkOutsideSp,          ///< park in a function that is not BRAID_SP
  ParkOutsideFunction,    ///< park in a global initializer
  ParkInLambda,           ///< park inside a lambda body
  SpNotTask,              ///< BRAID_SP function not returning braid::task<T>
  SpNoBody,               ///< BRAID_SP on a declaration without a body
  SpParameterPack,        ///< a BRAID_SP function with a function parameter pack
  CoroutineInSp,          ///< co_await / co_return / co_yield in BRAID_SP
  GotoInSp,               ///< computed goto in a BRAID_SP function with parks
  ClosureKept,            ///< lambda object kept across a park
  UnspellableKept,        ///< a kept local whose type cannot be spelled
  ArrayKept,              ///< a C array kept across a park
  ParkInMacro,            ///< a construct braidc must rewrite comes from a macro
  ReturnTask,             ///< `return t;` with t a task
  CaseNotTopLevel,        ///< case label nested inside a statement of the switch
  ParkAfterOperand,       ///< park after an operand with effects that cannot be kept
  Unsupported,            ///< anything else that cannot be transformed faithfully
  LockAcrossPark,         ///< a lock_guard / scoped_lock alive across a park
  // Warnings (named; see warningNames()).
  MaybeLockAcrossPark,    ///< a unique_lock / shared_lock alive across a park
  SpWithoutPark,          ///< a BRAID_SP function that never parks
  CurrentExceptionInParkingHandler, ///< std::current_exception() in a handler that parks
  // Notes.
  NoteAnnotation,         ///< note: the BRAID_SP annotation
  NoteParkHere,           ///< note: the park
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

  /// While muted, nothing prints (the lowering's second pass repeats the
  /// first pass's decisions and would report the same things again).
  void setMuted(bool M) {
    Muted = M;
    DE.setSuppressAllDiagnostics(M);
  }

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
  bool Muted = false;
};

} // namespace braidc

#endif
