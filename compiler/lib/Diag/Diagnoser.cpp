//===- Diagnoser.cpp - braidc's diagnostic ids and messages ---------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Diag/Diagnoser.h"

#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

#include <algorithm>

using namespace clang;

namespace braidc {

namespace {

struct DiagText {
  DiagnosticsEngine::Level Level;
  /// The warning's name (for -W options and the `[-W...]` suffix); null for
  /// errors and notes.
  const char *Name;
  const char *Format;
};

// The advice shared by the lock diagnostics (transform-cases 11).
#define BRAIDC_LOCK_WHY                                                                      \
  "the task may resume on another thread, which must not unlock a std mutex it did not "   \
  "lock, and a mutex held across a wait blocks its other users (or deadlocks)"
#define BRAIDC_LOCK_WHAT                                                                     \
  "use braid::sem with braid::holding or a braid::permit, which wait without blocking a "  \
  "thread"

// Indexed by braidc::Diag. Messages name the construct and say what to do.
const DiagText DiagTable[] = {
    {DiagnosticsEngine::Error, nullptr,
     "braid::park is used outside a BRAID_SP function; mark the enclosing function BRAID_SP "
     "(it must return braid::task<T>) or run the task with run_blocking"},
    {DiagnosticsEngine::Error, nullptr,
     "braid::park is used outside a function; only a BRAID_SP function can park"},
    {DiagnosticsEngine::Error, nullptr,
     "lambdas cannot park; make it a BRAID_SP function and park on the task it returns"},
    {DiagnosticsEngine::Error, nullptr,
     "BRAID_SP function %0 must return braid::task<T>, not %1"},
    {DiagnosticsEngine::Error, nullptr,
     "BRAID_SP is given to a declaration of %0 without a body; annotate the definition"},
    {DiagnosticsEngine::Error, nullptr,
     "BRAID_SP function %0 has the function parameter pack '%1', which its frame cannot store; "
     "take a std::tuple (or fixed parameters), or forward the pack from a plain template to a "
     "BRAID_SP function"},
    {DiagnosticsEngine::Error, nullptr,
     "'%0' cannot be used in a BRAID_SP function; park on the task with braid::park"},
    {DiagnosticsEngine::Error, nullptr,
     "computed 'goto' is not supported in a BRAID_SP function that parks; jump with a "
     "switch over an index (or an enum) to plain labels instead"},
    {DiagnosticsEngine::Error, nullptr,
     "lambda stored in '%0' lives across the park at line %1; its closure type cannot be "
     "kept in the frame; store it in a std::function"},
    {DiagnosticsEngine::Error, nullptr,
     "local '%0' of type %1 lives across the park at line %2, but its type cannot be named "
     "outside the function; declare the type outside the function or use a type that can be "
     "named"},
    {DiagnosticsEngine::Error, nullptr,
     "array '%0' lives across the park at line %1; C arrays cannot be kept in the frame; "
     "use std::array"},
    {DiagnosticsEngine::Error, nullptr,
     "%0 comes from a macro expansion and braidc must rewrite it; write it without the "
     "macro"},
    {DiagnosticsEngine::Error, nullptr,
     "a BRAID_SP function returns its value, not a task; write 'return braid::park(...);' "
     "to return the task's result"},
    {DiagnosticsEngine::Error, nullptr,
     "case label inside a nested statement of a switch that parks is not supported; move "
     "the label to the switch body"},
    {DiagnosticsEngine::Error, nullptr,
     "braid::park after an operand that C++ evaluates first is not supported yet; store that "
     "operand in a local in a statement before"},
    {DiagnosticsEngine::Error, nullptr,
     "%0 is not supported in a BRAID_SP function that parks; %1"},
    {DiagnosticsEngine::Error, nullptr,
     "lock '%0' of type %1 holds its mutex across the park at line %2: " BRAIDC_LOCK_WHY
     "; release it before the park (end its block there) or " BRAIDC_LOCK_WHAT},
    {DiagnosticsEngine::Warning, "braid-lock-across-park",
     "lock '%0' of type %1 holds its mutex across the park at line %2 unless it is unlocked "
     "before: " BRAIDC_LOCK_WHY "; unlock it before the park or " BRAIDC_LOCK_WHAT},
    {DiagnosticsEngine::Warning, "braid-sp-without-park",
     "BRAID_SP function %0 never parks, but its task still allocates a frame each time it "
     "runs; without BRAID_SP it returns an immediate task, if running its body when it is "
     "called (not when the task runs) is fine"},
    {DiagnosticsEngine::Warning, "braid-current-exception-in-parking-handler",
     "std::current_exception() in a handler that parks is not the handled exception (braidc "
     "runs the handler's body after leaving the C++ catch clause); save it in a handler that "
     "does not park and park after the try, or rethrow it with 'throw;'"},
    {DiagnosticsEngine::Note, nullptr, "function marked BRAID_SP here"},
    {DiagnosticsEngine::Note, nullptr, "park here"},
};
static_assert(sizeof(DiagTable) / sizeof(DiagTable[0]) ==
                  static_cast<unsigned>(Diag::NoteParkHere) + 1,
              "one message per braidc::Diag");

#undef BRAIDC_LOCK_WHY
#undef BRAIDC_LOCK_WHAT

bool isWarningName(const std::string &Name) {
  for (const DiagText &T : DiagTable)
    if (T.Name && Name == T.Name)
      return true;
  return false;
}

/// The (level, format) pair braidc registers for \p T at \p L: a warning
/// names its option like clang does ("[-Wname]", "[-Werror,-Wname]").
std::string formatAt(const DiagText &T, DiagnosticIDs::Level L) {
  std::string F = T.Format;
  if (T.Name && L == DiagnosticIDs::Warning)
    F += std::string(" [-W") + T.Name + "]";
  else if (T.Name && L == DiagnosticIDs::Error)
    F += std::string(" [-Werror,-W") + T.Name + "]";
  return F;
}

DiagnosticIDs::Level baseLevel(const DiagText &T) {
  return static_cast<DiagnosticIDs::Level>(T.Level);
}

} // namespace

bool WarningSettings::apply(const std::string &Option, std::string &Error) {
  auto Known = [&](const std::string &Name) {
    if (isWarningName(Name))
      return true;
    Error = "unknown warning '" + Name + "'; braidc's warnings are:";
    for (const std::string &N : Diagnoser::warningNames())
      Error += " " + N;
    Error += " (the compiler's -W flags go after '--')";
    return false;
  };
  auto StartsWith = [&](const char *P) { return Option.rfind(P, 0) == 0; };
  if (Option == "error") {
    AllErrors = true;
  } else if (Option == "no-error") {
    AllErrors = false;
  } else if (StartsWith("error=")) {
    std::string Name = Option.substr(6);
    if (!Known(Name))
      return false;
    Per[Name].Enabled = true;
    Per[Name].AsError = true;
  } else if (StartsWith("no-error=")) {
    std::string Name = Option.substr(9);
    if (!Known(Name))
      return false;
    Per[Name].AsError = false;
  } else if (StartsWith("no-")) {
    std::string Name = Option.substr(3);
    if (!Known(Name))
      return false;
    Per[Name].Enabled = false;
  } else {
    if (!Known(Option))
      return false;
    Per[Option].Enabled = true;
  }
  return true;
}

WarningLevel WarningSettings::levelOf(const std::string &Name) const {
  auto It = Per.find(Name);
  PerWarning P = It == Per.end() ? PerWarning{} : It->second;
  if (!P.Enabled)
    return WarningLevel::Ignored;
  return P.AsError.value_or(AllErrors) ? WarningLevel::Error : WarningLevel::Warning;
}

std::vector<std::string> Diagnoser::warningNames() {
  std::vector<std::string> Names;
  for (const DiagText &T : DiagTable)
    if (T.Name)
      Names.push_back(T.Name);
  std::sort(Names.begin(), Names.end());
  return Names;
}

std::optional<std::string> Diagnoser::nameOf(const DiagnosticsEngine &DE, unsigned ID) {
  // getCustomDiagID returns the existing id of a (level, format) pair, so
  // every form braidc may have registered is compared.
  DiagnosticIDs &IDs = *DE.getDiagnosticIDs();
  for (const DiagText &T : DiagTable) {
    for (DiagnosticIDs::Level L : {baseLevel(T), DiagnosticIDs::Error, DiagnosticIDs::Ignored}) {
      if ((L != baseLevel(T)) && !T.Name)
        continue;
      if (IDs.getCustomDiagID(L, formatAt(T, L)) != ID)
        continue;
      if (T.Name)
        return std::string(T.Name);
      return std::string(T.Level == DiagnosticsEngine::Note ? "braidc-note" : "braidc-error");
    }
  }
  return std::nullopt;
}

DiagnosticBuilder Diagnoser::report(Diag D, SourceLocation Loc) {
  const DiagText &T = DiagTable[static_cast<unsigned>(D)];
  DiagnosticIDs::Level L = baseLevel(T);
  if (T.Name) {
    switch (Warnings.levelOf(T.Name)) {
    case WarningLevel::Ignored:
      L = DiagnosticIDs::Ignored;
      break;
    case WarningLevel::Warning:
      break;
    case WarningLevel::Error:
      L = DiagnosticIDs::Error;
      break;
    }
  }
  if (!Muted && L == DiagnosticIDs::Error)
    ++Errors;
  // getCustomDiagID caches by (level, text), so repeated calls are cheap.
  return DE.Report(Loc, DE.getDiagnosticIDs()->getCustomDiagID(L, formatAt(T, L)));
}

void Diagnoser::wrapIn(const DiagnosticBuilder &DB, SourceRange R, StringRef Before,
                       StringRef After, const SourceManager &SM, const LangOptions &LO) {
  if (R.isInvalid() || R.getBegin().isMacroID() || R.getEnd().isMacroID())
    return;
  SourceLocation End = Lexer::getLocForEndOfToken(R.getEnd(), 0, SM, LO);
  if (End.isInvalid())
    return;
  DB << FixItHint::CreateInsertion(R.getBegin(), Before)
     << FixItHint::CreateInsertion(End, After);
}

} // namespace braidc
