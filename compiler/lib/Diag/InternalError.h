//===- InternalError.h - braidc's own failures ----------------------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_DIAG_INTERNALERROR_H
#define BRAIDC_DIAG_INTERNALERROR_H

#include <stdexcept>
#include <string>

namespace braidc {

/// An invariant of braidc itself was broken (not the user's fault). The tool
/// prints "internal error: <what>" with a request to report the input, and
/// exits 3.
class InternalError : public std::runtime_error {
public:
  explicit InternalError(const std::string &What) : std::runtime_error(What) {}
};

} // namespace braidc

#endif
