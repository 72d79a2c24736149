//===- Diagnoser.cpp - braidc's diagnostic ids and messages ---------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Diag/Diagnoser.h"

using namespace clang;

namespace braidc {

namespace {

struct DiagText {
  DiagnosticsEngine::Level Level;
  const char *Format;
};

// Indexed by braidc::Diag. Messages name the construct and say what to do.
const DiagText DiagTable[] = {
    {DiagnosticsEngine::Error,
     "braid::park is used outside a BRAID_SP function; mark the enclosing function BRAID_SP "
     "(it must return braid::task<T>) or run the task with run_blocking"},
    {DiagnosticsEngine::Error,
     "braid::park is used outside a function; only a BRAID_SP function can park"},
    {DiagnosticsEngine::Error,
     "lambdas cannot park; make it a BRAID_SP function and park on the task it returns"},
    {DiagnosticsEngine::Error,
     "BRAID_SP function %0 must return braid::task<T>, not %1"},
    {DiagnosticsEngine::Error,
     "BRAID_SP is given to a declaration of %0 without a body; annotate the definition"},
    {DiagnosticsEngine::Error,
     "BRAID_SP function %0 is %1, which braidc does not transform yet; write a non-template "
     "BRAID_SP function (or an explicit specialization) for each type it is used with"},
    {DiagnosticsEngine::Error,
     "'%0' cannot be used in a BRAID_SP function; park on the task with braid::park"},
    {DiagnosticsEngine::Error,
     "'%0' is not supported in a BRAID_SP function that parks; use a loop, break or "
     "continue instead"},
    {DiagnosticsEngine::Error,
     "lambda stored in '%0' lives across the park at line %1; its closure type cannot be "
     "kept in the frame; store it in a std::function"},
    {DiagnosticsEngine::Error,
     "local '%0' of type %1 lives across the park at line %2, but its type cannot be named "
     "outside the function; declare the type outside the function or use a type that can be "
     "named"},
    {DiagnosticsEngine::Error,
     "array '%0' lives across the park at line %1; C arrays cannot be kept in the frame; "
     "use std::array"},
    {DiagnosticsEngine::Error,
     "%0 comes from a macro expansion and braidc must rewrite it; write it without the "
     "macro"},
    {DiagnosticsEngine::Error,
     "a BRAID_SP function returns its value, not a task; write 'return braid::park(...);' "
     "to return the task's result"},
    {DiagnosticsEngine::Error,
     "case label inside a nested statement of a switch that parks is not supported; move "
     "the label to the switch body"},
    {DiagnosticsEngine::Error,
     "braid::park in %0 is not supported yet; evaluate it in a separate statement before"},
    {DiagnosticsEngine::Error,
     "braid::park after an operand that C++ evaluates first is not supported yet; store that "
     "operand in a local in a statement before"},
    {DiagnosticsEngine::Error, "%0 is not supported in a BRAID_SP function that parks; %1"},
    {DiagnosticsEngine::Note, "function marked BRAID_SP here"},
    {DiagnosticsEngine::Note, "park here"},
};
static_assert(sizeof(DiagTable) / sizeof(DiagTable[0]) ==
                  static_cast<unsigned>(Diag::NoteParkHere) + 1,
              "one message per braidc::Diag");

} // namespace

unsigned Diagnoser::idFor(Diag D) {
  const DiagText &T = DiagTable[static_cast<unsigned>(D)];
  // getCustomDiagID caches by (level, text), so repeated calls are cheap.
  return DE.getDiagnosticIDs()->getCustomDiagID(
      static_cast<DiagnosticIDs::Level>(T.Level), T.Format);
}

DiagnosticBuilder Diagnoser::report(Diag D, SourceLocation Loc) {
  if (!Muted && DiagTable[static_cast<unsigned>(D)].Level == DiagnosticsEngine::Error)
    ++Errors;
  return DE.Report(Loc, idFor(D));
}

} // namespace braidc
