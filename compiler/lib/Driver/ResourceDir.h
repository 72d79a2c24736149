//===- ResourceDir.h - where Clang's builtin headers are ------------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_DRIVER_RESOURCEDIR_H
#define BRAIDC_DRIVER_RESOURCEDIR_H

#include <string>
#include <vector>

namespace braidc {

/// The resource directory chosen for one compile command, and why.
struct ResourceDirChoice {
  /// The directory to pass as -resource-dir; empty when the command already
  /// names one or when none was found.
  std::string Path;
  /// How it was found, for -v: "from the compile command", "next to
  /// braidc", "<clang> -print-resource-dir", "build-time path", "not found".
  std::string How;
  /// Every candidate tried, in order (for -v and the not-found warning).
  std::vector<std::string> Tried;
};

/// Finds Clang's resource directory (stddef.h, stdarg.h, ...) without the
/// user's help (shared/build-step.md 13), in this order: an explicit
/// -resource-dir in \p CommandLine; <braidc's dir>/../lib/clang/<major>;
/// `clang-<major> -print-resource-dir` (run once per process); the path of
/// the build machine. A candidate counts only when it holds include/stddef.h.
ResourceDirChoice findResourceDir(const std::vector<std::string> &CommandLine,
                                  const std::string &MainExecutable);

} // namespace braidc

#endif
