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

// Indexed by braidc::Diag.
const DiagText DiagTable[] = {
#define BRAIDC_ERROR(Id, Message) {DiagnosticsEngine::Error, nullptr, Message},
#define BRAIDC_WARNING(Id, Name, Message) {DiagnosticsEngine::Warning, Name, Message},
#define BRAIDC_NOTE(Id, Message) {DiagnosticsEngine::Note, nullptr, Message},
#include "Diag/Diagnostics.def"
#undef BRAIDC_ERROR
#undef BRAIDC_WARNING
#undef BRAIDC_NOTE
};
static_assert(sizeof(DiagTable) / sizeof(DiagTable[0]) ==
                  static_cast<unsigned>(Diag::NoteParkHere) + 1,
              "one message per braidc::Diag");

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
  // One name may cover several diagnostics (braid-fork-shared-reference).
  std::sort(Names.begin(), Names.end());
  Names.erase(std::unique(Names.begin(), Names.end()), Names.end());
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
  // The same diagnostic at the same place once: a piece of source can be
  // rewritten more than once (a local's two forms, FunctionLowering.cpp).
  // Its notes follow it into silence (Clang drops the notes of an ignored
  // diagnostic).
  if (T.Level != DiagnosticsEngine::Note &&
      !Reported.insert({static_cast<unsigned>(D), Loc.getRawEncoding()}).second)
    L = DiagnosticIDs::Ignored;
  if (L == DiagnosticIDs::Error)
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
