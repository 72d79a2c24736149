//===- Diagnoser.h - braidc's diagnostic ids and messages -----------------===//
//
// SPDX-License-Identifier: MIT
//
// Every user-facing error braidc reports goes through Clang's
// DiagnosticsEngine with an id from this table, so it prints in clang's
// format (file:line:col, caret, notes, fix-its). Wording follows the LLVM
// rules: lower-case start, no trailing period, name the construct, say what
// to do.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_DIAG_DIAGNOSER_H
#define BRAIDC_DIAG_DIAGNOSER_H

#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceLocation.h"

namespace braidc {

/// braidc's diagnostics. The message of each is in Diagnoser.cpp.
enum class Diag {
  ParkOutsideSp,          ///< park in a function that is not BRAID_SP
  ParkOutsideFunction,    ///< park in a global initializer
  ParkInLambda,           ///< park inside a lambda body
  SpNotTask,              ///< BRAID_SP function not returning braid::task<T>
  SpNoBody,               ///< BRAID_SP on a declaration without a body
  SpTemplate,             ///< BRAID_SP on a template, or a function of one
  CoroutineInSp,          ///< co_await / co_return / co_yield in BRAID_SP
  GotoInSp,               ///< goto or a label in a BRAID_SP function with parks
  ClosureKept,            ///< lambda object kept across a park
  UnspellableKept,        ///< a kept local whose type cannot be spelled
  ArrayKept,              ///< a C array kept across a park
  ParkInMacro,            ///< a construct braidc must rewrite comes from a macro
  ReturnTask,             ///< `return t;` with t a task
  CaseNotTopLevel,        ///< case label nested inside a statement of the switch
  ParkInShortCircuit,     ///< park in an operand that is not always evaluated
  ParkAfterOperand,       ///< park after an operand with effects (no spilling yet)
  Unsupported,            ///< anything else that cannot be transformed faithfully
  NoteAnnotation,         ///< note: the BRAID_SP annotation
  NoteParkHere,           ///< note: the park
};

/// Reports braidc's diagnostics through a DiagnosticsEngine.
class Diagnoser {
public:
  explicit Diagnoser(clang::DiagnosticsEngine &DE) : DE(DE) {}

  /// Starts a diagnostic; stream arguments (%0, %1...) and fix-its into it.
  clang::DiagnosticBuilder report(Diag D, clang::SourceLocation Loc);

  /// True once any braidc error was reported.
  bool hadErrors() const { return Errors > 0; }

  /// While muted, nothing prints (the lowering's second pass repeats the
  /// first pass's decisions and would report the same things again).
  void setMuted(bool M) {
    Muted = M;
    DE.setSuppressAllDiagnostics(M);
  }

private:
  unsigned idFor(Diag D);

  clang::DiagnosticsEngine &DE;
  unsigned Errors = 0;
  bool Muted = false;
};

} // namespace braidc

#endif
