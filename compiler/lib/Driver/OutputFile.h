//===- OutputFile.h - atomic, change-preserving writes --------------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_DRIVER_OUTPUTFILE_H
#define BRAIDC_DRIVER_OUTPUTFILE_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace braidc {

enum class WriteOutcome { Written, Unchanged, Failed };

/// Writes \p Content to \p Path (shared/build-step.md 8): when the file
/// already holds exactly these bytes it is left untouched (its mtime too, so
/// nothing downstream rebuilds); otherwise the bytes go to a temporary file
/// in the same folder, renamed over \p Path, so no reader ever sees a
/// partial file. Missing parent folders are created. On failure \p Error
/// says why and nothing is left behind.
WriteOutcome writeFileIfChanged(const std::string &Path, llvm::StringRef Content,
                                std::string &Error);

/// Removes \p Path if it exists (a stale output after a failed run,
/// shared/build-step.md 9). Returns true when a file was removed.
bool removeStaleFile(const std::string &Path);

/// A make-style depfile: `<target>: <dep> <dep> ...`, with spaces, '#' and
/// '$' escaped the way GNU make and Ninja read them.
std::string renderDepFile(llvm::StringRef Target, const std::vector<std::string> &Deps);

} // namespace braidc

#endif
