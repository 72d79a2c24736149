//===- CommandLine.cpp - braidc's CLI11 front -----------------------------===//
//
// SPDX-License-Identifier: MIT
//
// The spelling follows Clang's tools (CommonOptionsParser): positional
// sources, -p, --extra-arg, --extra-arg-before, and "--" followed by a fixed
// compile command (shared/build-step.md 11).
//
//===----------------------------------------------------------------------===//

#include "Driver/DriverOptions.h"

#include "clang/Basic/Version.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace braidc {

std::string versionString() {
  return std::string("braidc ") + BRAIDC_VERSION + " (" + clang::getClangFullVersion() + ")";
}

namespace {

/// Options whose value may start with '-' ("--extra-arg -DX"): CLI11 would
/// take such a value for an option, so "--opt value" becomes "--opt=value".
bool cliTakesDashValue(const std::string &Arg) {
  return Arg == "--extra-arg" || Arg == "--extra-arg-before" || Arg == "--removed-arg";
}

int cliUsageError(const std::string &Message) {
  std::cerr << "braidc: error: " << Message << "\nRun with --help for more information.\n";
  return ExitUsageError;
}

} // namespace

std::optional<int> parseCommandLine(int Argc, const char *const *Argv, DriverOptions &Opts) {
  Opts.Argv0 = Argc > 0 ? Argv[0] : "braidc";

  // Split at the first "--": what follows is a compile command, not ours.
  std::vector<std::string> Ours;
  std::vector<std::string> WarningOptions;
  Ours.push_back(Opts.Argv0);
  for (int I = 1; I < Argc; ++I) {
    std::string Arg = Argv[I];
    if (Arg == "--") {
      Opts.FixedFlags.emplace(Argv + I + 1, Argv + Argc);
      break;
    }
    // braidc's own -W options, attached like clang's (-Wno-<name>): taken
    // here, since CLI11 would read "-Werror x.cpp" as -W with two values.
    if (Arg.size() > 2 && Arg.compare(0, 2, "-W") == 0) {
      WarningOptions.push_back(Arg.substr(2));
      continue;
    }
    if (cliTakesDashValue(Arg) && I + 1 < Argc) {
      Ours.push_back(Arg + "=" + Argv[++I]);
      continue;
    }
    Ours.push_back(std::move(Arg));
  }

  CLI::App App{"braidc: rewrites the BRAID_SP functions of annotated C++ sources into the "
               "frames and partitions braid's runtime drives (x.cpp -> x.braid.cpp).\n"
               "Compile flags come from compile_commands.json (-p, or searched upward "
               "from each source) or follow '--'.",
               "braidc"};
  App.footer("Examples:\n"
             "  braidc x.cpp -- -std=c++20 -Iinclude     flags given, writes x.braid.cpp\n"
             "  braidc -p build --out-dir gen a.cpp b.cpp  flags from build/compile_commands.json\n"
             "  braidc x.cpp --stdout --dump-partitions=text -- -std=c++20\n"
             "  braidc -Werror -Wno-braid-sp-without-park x.cpp -- -std=c++20\n"
             "Warnings: braidc's own -W options go before '--' (the compile command's -W flags "
             "only concern Clang's):\n"
             "  -W<name>, -Wno-<name>    enable (the default) or disable a warning\n"
             "  -Werror, -Wno-error      make every warning an error, or not\n"
             "  -Werror=<name>, -Wno-error=<name>  the same for one warning\n"
             "  names: braid-lock-across-park, braid-sp-without-park,\n"
             "         braid-current-exception-in-parking-handler, braid-fork-shared-reference\n"
             "Exit codes: 0 success, 1 errors in the input (diagnostics printed), 2 usage "
             "error, 3 internal error");
  App.set_version_flag("--version", versionString(), "Print braidc's version and exit");
  App.add_option("sources", Opts.Sources, "Annotated source files")->required();
  App.add_option("-p", Opts.BuildPath,
                 "Build directory holding compile_commands.json (default: searched upward "
                 "from each source's folder)");
  auto TakeEach = [](CLI::Option *O) {
    return O->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  };
  TakeEach(App.add_option("--extra-arg", Opts.ExtraArgs,
                          "Argument appended to the compile command (repeatable)"));
  TakeEach(App.add_option("--extra-arg-before", Opts.ExtraArgsBefore,
                          "Argument prepended to the compile command (repeatable)"));
  TakeEach(App.add_option("--removed-arg", Opts.RemovedArgs,
                          "Compile argument to drop (repeatable; a value ending in '=' "
                          "drops every argument starting with it)"));
  auto *Out = App.add_option("-o", Opts.Output, "Output file (only with one source)");
  auto *OutDir = App.add_option("--out-dir", Opts.OutDir,
                                "Output folder: x.cpp -> <dir>/x.braid.cpp");
  auto *Stdout = App.add_flag("--stdout", Opts.ToStdout,
                              "Print the generated code to stdout; write no file");
  std::string Dump;
  App.add_option("--dump-partitions", Dump,
                 "Print the partitions of every annotated function (to stdout, or to "
                 "--dump-file)")
      ->check(CLI::IsMember({"text", "json", "dot"}));
  App.add_option("--dump-file", Opts.DumpFile, "Write the partition dump to this file");
  bool NoLines = false;
  App.add_flag("--no-line-directives", NoLines,
               "Do not emit #line directives pointing into the annotated source");
  App.add_flag("-v,--verbose", Opts.Verbose,
               "Print the compile command, the resource directory and the files written");
  App.add_option("--depfile", Opts.DepFile,
                 "Write a make-style depfile: the output depends on every file the "
                 "source includes and on braidc itself");
  std::string Format = "clang";
  App.add_option("--diagnostics-format", Format,
                 "How diagnostics print: clang (file:line:col: error: ...) or msvc "
                 "(file(line,col): error: ...)")
      ->check(CLI::IsMember({"clang", "msvc"}));
  App.add_flag("--diagnostics-parseable-fixits", Opts.ParseableFixits,
               "Also print each fix-it as a machine-readable 'fix-it:' line (like clang's "
               "-fdiagnostics-parseable-fixits)");
  App.add_option("--export-fixes", Opts.ExportFixes,
                 "Write the diagnostics and their fix-its to this YAML file, in clang-tidy's "
                 "format (apply them with clang-apply-replacements)");
  Out->excludes(OutDir);
  Stdout->excludes(Out);
  Stdout->excludes(OutDir);

  std::vector<const char *> CArgs;
  for (const std::string &A : Ours)
    CArgs.push_back(A.c_str());
  try {
    App.parse(static_cast<int>(CArgs.size()), CArgs.data());
  } catch (const CLI::ParseError &E) {
    int Code = App.exit(E); // prints help, version, or the error message
    return Code == 0 ? ExitSuccess : ExitUsageError;
  }

  Opts.LineDirectives = !NoLines;
  Opts.MsvcDiagnostics = Format == "msvc";
  for (const std::string &W : WarningOptions) {
    std::string Error;
    if (!Opts.Warnings.apply(W, Error))
      return cliUsageError("-W" + W + ": " + Error);
  }
  Opts.Dump = Dump == "text"   ? DumpFormat::Text
              : Dump == "json" ? DumpFormat::Json
              : Dump == "dot"  ? DumpFormat::Dot
                               : DumpFormat::None;
  if (!Opts.Output.empty() && Opts.Sources.size() != 1)
    return cliUsageError("-o names one output but " + std::to_string(Opts.Sources.size()) +
                         " sources were given; use --out-dir <dir> for several");
  if (!Opts.DumpFile.empty() && Opts.Dump == DumpFormat::None)
    return cliUsageError("--dump-file needs --dump-partitions=text|json|dot");
  if (!Opts.DepFile.empty() && Opts.ToStdout)
    return cliUsageError("--depfile describes an output file, but --stdout writes none");
  return std::nullopt;
}

} // namespace braidc
