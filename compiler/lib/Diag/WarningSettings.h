//===- WarningSettings.h - what braidc's -W options say -------------------===//
//
// SPDX-License-Identifier: MIT
//
// Kept apart from Diagnoser.h (no Clang headers) so that the driver's
// options and TransformOptions can carry it.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_DIAG_WARNINGSETTINGS_H
#define BRAIDC_DIAG_WARNINGSETTINGS_H

#include <map>
#include <optional>
#include <string>

namespace braidc {

/// What braidc's -W options made of one warning.
enum class WarningLevel { Ignored, Warning, Error };

/// braidc's -W options, applied left to right like Clang's:
///   -W<name>            enable the warning (all are enabled by default)
///   -Wno-<name>         disable it
///   -Werror             every enabled warning is an error
///   -Wno-error          undoes -Werror
///   -Werror=<name>      enable <name> and make it an error
///   -Wno-error=<name>   <name> stays a warning even with -Werror
/// <name> is a warning's full name, `braid-...`.
class WarningSettings {
public:
  /// Applies one option given without its "-W" ("no-braid-sp-without-park",
  /// "error", "error=braid-..."). False with \p Error set when the option or
  /// the warning name is unknown.
  bool apply(const std::string &Option, std::string &Error);
  WarningLevel levelOf(const std::string &Name) const;

private:
  struct PerWarning {
    bool Enabled = true;
    std::optional<bool> AsError;
  };
  std::map<std::string, PerWarning> Per;
  bool AllErrors = false;
};

} // namespace braidc

#endif
