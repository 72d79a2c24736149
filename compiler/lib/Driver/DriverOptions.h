//===- DriverOptions.h - braidc's command line, parsed --------------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_DRIVER_DRIVEROPTIONS_H
#define BRAIDC_DRIVER_DRIVEROPTIONS_H

#include "Diag/WarningSettings.h"
#include "Lower/Transform.h"

#include <optional>
#include <string>
#include <vector>

namespace braidc {

/// braidc's exit codes (shared/build-step.md 16: user errors and tool
/// failures kept apart).
enum ExitCode : int {
  ExitSuccess = 0,
  ExitUserError = 1,  ///< diagnostics were printed (the input is wrong)
  ExitUsageError = 2, ///< the command line is wrong
  ExitInternal = 3,   ///< braidc itself failed
};

/// Everything the command line says, after validation.
struct DriverOptions {
  /// The annotated sources, as the user named them.
  std::vector<std::string> Sources;
  /// `-p`: a build directory holding compile_commands.json (or the file).
  std::string BuildPath;
  /// `--extra-arg-before` / `--extra-arg`: added to every compile command.
  std::vector<std::string> ExtraArgsBefore;
  std::vector<std::string> ExtraArgs;
  /// `--removed-arg`: compile arguments Clang rejects (exact match, or
  /// prefix when the value ends with '=').
  std::vector<std::string> RemovedArgs;
  /// `-- <flags>`: a fixed compile command for every source.
  std::optional<std::vector<std::string>> FixedFlags;
  /// `-o`: the output of the only source.
  std::string Output;
  /// `--out-dir`: outputs named <dir>/<name>.braid<ext>.
  std::string OutDir;
  /// `--stdout`: print the generated code, write no file.
  bool ToStdout = false;
  DumpFormat Dump = DumpFormat::None;
  /// `--dump-file`: where the partition dump goes (stdout when empty).
  std::string DumpFile;
  bool LineDirectives = true;
  bool Verbose = false;
  /// `--depfile`: a make-style list of the inputs of the (single) output.
  std::string DepFile;
  /// `-W...` before `--`: braidc's own warnings (never the compiler's).
  WarningSettings Warnings;
  /// `--diagnostics-format=msvc`: `file(line,col): error: ...`.
  bool MsvcDiagnostics = false;
  /// `--diagnostics-parseable-fixits`: `fix-it:"file":{l:c-l:c}:"text"` lines.
  bool ParseableFixits = false;
  /// `--export-fixes`: the diagnostics and their fix-its in clang-tidy's
  /// YAML (for clang-apply-replacements).
  std::string ExportFixes;
  /// argv[0], to find braidc's own path (depfile, resource dir).
  std::string Argv0;
};

/// Parses argv (CLI11). Returns the options, or the exit code to end with
/// when parsing already decided it (2 after a usage error printed in
/// CLI11's format, 0 after --help or --version).
std::optional<int> parseCommandLine(int Argc, const char *const *Argv,
                                    DriverOptions &Opts);

/// The version line of `braidc --version`.
std::string versionString();

} // namespace braidc

#endif
