//===- CompileCommands.h - the compile command of each source -------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_DRIVER_COMPILECOMMANDS_H
#define BRAIDC_DRIVER_COMPILECOMMANDS_H

#include "Driver/DriverOptions.h"
#include "Driver/ResourceDir.h"

#include "clang/Tooling/CompilationDatabase.h"

#include <memory>
#include <string>

namespace braidc {

/// Finds compile commands the way Clang's tools do: "-- <flags>" (fixed)
/// wins, then the database of -p (that folder or one above it), then a
/// compile_commands.json (or compile_flags.txt) in each source's folder or
/// one above it. A database that lacks the source gets a command inferred
/// from its closest entry (as clangd does for headers).
class CompileCommandFinder {
public:
  explicit CompileCommandFinder(const DriverOptions &Opts) : Opts(Opts) {}

  /// Loads the -p database, if any. False (with \p Error set) when -p names
  /// no database: a usage error.
  bool init(std::string &Error);

  /// The command for \p AbsSource (absolute path), or false with \p Error
  /// set (a usage error: say how to provide one). \p How describes where it
  /// came from, for -v.
  bool find(const std::string &AbsSource, clang::tooling::CompileCommand &Command,
            std::string &How, std::string &Error);

private:
  const DriverOptions &Opts;
  std::unique_ptr<clang::tooling::CompilationDatabase> BuildPathDb;
};

/// The command braidc parses \p Command with: syntax-only, no output or
/// dependency-file flags, --removed-arg dropped, --extra-arg-before /
/// --extra-arg added, BRAID_ANALYZING=1 defined, and the resource directory
/// injected when one was found (\p Resource says which).
std::vector<std::string> adjustCommandLine(const clang::tooling::CompileCommand &Command,
                                           const DriverOptions &Opts,
                                           const std::string &MainExecutable,
                                           ResourceDirChoice &Resource);

} // namespace braidc

#endif
