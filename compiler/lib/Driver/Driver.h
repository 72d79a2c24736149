//===- Driver.h - braidc from argv to exit code ---------------------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_DRIVER_DRIVER_H
#define BRAIDC_DRIVER_DRIVER_H

namespace braidc {

/// Runs braidc on the command line \p Argv and returns the exit code
/// (DriverOptions.h: 0 success, 1 user error, 2 usage error, 3 internal
/// error). Never throws: braidc's own failures, including crashes inside
/// Clang, are reported as internal errors.
int runDriver(int Argc, const char *const *Argv);

} // namespace braidc

#endif
