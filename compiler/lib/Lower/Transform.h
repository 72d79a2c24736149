//===- Transform.h - braidc's entry point into the transformation ---------===//
//
// SPDX-License-Identifier: MIT
//
// The contract between the Driver (CLI, compile database, output files,
// depfiles) and the transformation proper (Analysis, Lower, Emit, Diag).
// The Driver parses one translation unit with Clang and, inside its
// ASTConsumer::HandleTranslationUnit, calls transformTranslationUnit once.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_LOWER_TRANSFORM_H
#define BRAIDC_LOWER_TRANSFORM_H

#include "Diag/WarningSettings.h"

#include <string>

namespace clang {
class ASTContext;
class Sema;
} // namespace clang

namespace braidc {

enum class DumpFormat { None, Text, Json, Dot };

struct TransformOptions {
  /// Emit #line directives mapping generated code to the annotated source.
  bool LineDirectives = true;
  /// Also render the partitions of every annotated function.
  DumpFormat Dump = DumpFormat::None;
  /// The path written in the banner and in #line directives for the main
  /// file (as the user named it).
  std::string MainFileName;
  /// The path the generated file will have, for #line directives that point
  /// back into the generated file after tool-written code.
  std::string OutputFileName;
  /// braidc's -W options: which warnings print, and which are errors.
  WarningSettings Warnings;
};

struct TransformResult {
  /// The whole generated translation unit (x.braid.cpp). Empty on error.
  std::string Code;
  /// The rendered partition dump (when requested).
  std::string Dump;
  /// Number of annotated functions transformed.
  unsigned Functions = 0;
  /// True when a user error was reported through the DiagnosticsEngine.
  bool HadUserErrors = false;
};

/// Transforms every BRAID_SP function of the main file of the translation
/// unit. User errors are reported through Ctx.getDiagnostics() (clang
/// format: file:line:col, caret, notes, fix-its). Throws braidc::InternalError
/// (Diag/InternalError.h) for braidc's own bugs, which the tool maps to exit 3.
TransformResult transformTranslationUnit(clang::ASTContext &Ctx, clang::Sema &S,
                                         const TransformOptions &Opts);

} // namespace braidc

#endif
