//===- Driver.cpp - braidc from argv to exit code -------------------------===//
//
// SPDX-License-Identifier: MIT
//
// For each source: find its compile command, parse it with Clang (one
// ClangTool run), call transformTranslationUnit from the ASTConsumer, then
// write the outputs. Nothing is written unless the whole source succeeded;
// a failed source removes what an earlier run left (shared/build-step.md 8,
// 9). Exceptions never cross Clang's frames (LLVM is built without them):
// the consumer catches and the driver rethrows after Clang returned.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"

#include "Diag/Diagnoser.h"
#include "Diag/InternalError.h"
#include "Driver/CompileCommands.h"
#include "Driver/DriverOptions.h"
#include "Driver/OutputFile.h"
#include "Lower/Transform.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/CompilerInvocation.h"
#include "clang/Frontend/TextDiagnosticPrinter.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Lex/PPCallbacks.h"
#include "clang/Lex/Preprocessor.h"
#include "clang/Sema/SemaConsumer.h"
#include "clang/Tooling/Core/Diagnostic.h"
#include "clang/Tooling/DiagnosticsYaml.h"
#include "clang/Tooling/Tooling.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CrashRecoveryContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/YAMLTraits.h"
#include "llvm/Support/raw_ostream.h"

#include <exception>
#include <map>

namespace braidc {

namespace {

/// What parsing and transforming one source produced.
struct SourceRun {
  TransformOptions Options;
  TransformResult Result;
  /// transformTranslationUnit ran (the parse had no error).
  bool Transformed = false;
  /// An exception thrown by the transformation, rethrown once Clang is done.
  std::exception_ptr Failure;
  /// Every file the translation unit entered, absolute, first-entry order
  /// (the main file first).
  std::vector<std::string> Inputs;
  llvm::StringSet<> SeenInputs;
};

/// Records each file the preprocessor enters (the depfile's inputs). Files
/// skipped by include guards were entered before, so they are listed once.
class InputRecorder : public clang::PPCallbacks {
public:
  InputRecorder(clang::SourceManager &SM, SourceRun &Run) : SM(SM), Run(Run) {}

  void FileChanged(clang::SourceLocation Loc, FileChangeReason Reason,
                   clang::SrcMgr::CharacteristicKind, clang::FileID) override {
    if (Reason != EnterFile)
      return;
    clang::OptionalFileEntryRef Entry =
        SM.getFileEntryRefForID(SM.getFileID(SM.getExpansionLoc(Loc)));
    if (!Entry) // <built-in>, <command line>
      return;
    llvm::SmallString<256> Path(Entry->getName());
    SM.getFileManager().makeAbsolutePath(Path);
    llvm::sys::path::remove_dots(Path, /*remove_dot_dot=*/true);
    if (Run.SeenInputs.insert(Path).second)
      Run.Inputs.push_back(Path.str().str());
  }

private:
  clang::SourceManager &SM;
  SourceRun &Run;
};

class TransformConsumer : public clang::SemaConsumer {
public:
  explicit TransformConsumer(SourceRun &Run) : Run(Run) {}

  void InitializeSema(clang::Sema &S) override { TheSema = &S; }
  void ForgetSema() override { TheSema = nullptr; }

  void HandleTranslationUnit(clang::ASTContext &Ctx) override {
    // An AST with errors is not worth transforming: the user fixes the
    // errors Clang printed first.
    if (Ctx.getDiagnostics().hasErrorOccurred() || !TheSema)
      return;
    try {
      Run.Result = transformTranslationUnit(Ctx, *TheSema, Run.Options);
      Run.Transformed = true;
    } catch (...) {
      Run.Failure = std::current_exception();
    }
  }

private:
  SourceRun &Run;
  clang::Sema *TheSema = nullptr;
};

class TransformAction : public clang::ASTFrontendAction {
public:
  explicit TransformAction(SourceRun &Run) : Run(Run) {}

protected:
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance &CI,
                                                        llvm::StringRef) override {
    CI.getPreprocessor().addPPCallbacks(
        std::make_unique<InputRecorder>(CI.getSourceManager(), Run));
    return std::make_unique<TransformConsumer>(Run);
  }

private:
  SourceRun &Run;
};

class TransformActionFactory : public clang::tooling::FrontendActionFactory {
public:
  explicit TransformActionFactory(SourceRun &Run) : Run(Run) {}
  std::unique_ptr<clang::FrontendAction> create() override {
    return std::make_unique<TransformAction>(Run);
  }

private:
  SourceRun &Run;
};

/// Prints diagnostics exactly as clang would (options such as
/// -fno-color-diagnostics or -fdiagnostics-parseable-fixits taken from the
/// compile command, then braidc's --diagnostics-format and
/// --diagnostics-parseable-fixits) and remembers whether any was an error.
/// ClangTool reports the driver's errors (an unknown argument) through the
/// same consumer but still runs the parse, so its exit status alone would
/// miss them. With --export-fixes it also collects every diagnostic, its
/// notes and fix-its as clang-tidy does (tooling::Diagnostic).
class ErrorTrackingPrinter : public clang::DiagnosticConsumer {
public:
  ErrorTrackingPrinter(const std::vector<std::string> &CommandLine, const DriverOptions &Opts,
                       std::vector<clang::tooling::Diagnostic> *Exported,
                       std::string BuildDirectory)
      : Options(makeOptions(CommandLine, Opts)), Printer(llvm::errs(), Options.get()),
        Exported(Exported), BuildDirectory(std::move(BuildDirectory)) {}

  bool sawError() const { return SawError; }

  void BeginSourceFile(const clang::LangOptions &LangOpts,
                       const clang::Preprocessor *PP) override {
    LO = LangOpts;
    Printer.BeginSourceFile(LangOpts, PP);
  }
  void EndSourceFile() override { Printer.EndSourceFile(); }
  void finish() override { Printer.finish(); }
  void HandleDiagnostic(clang::DiagnosticsEngine::Level Level,
                        const clang::Diagnostic &Info) override {
    clang::DiagnosticConsumer::HandleDiagnostic(Level, Info);
    if (Level >= clang::DiagnosticsEngine::Error)
      SawError = true;
    Printer.HandleDiagnostic(Level, Info);
    if (Exported)
      exportDiagnostic(Level, Info);
  }

private:
  static llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions>
  makeOptions(const std::vector<std::string> &CommandLine, const DriverOptions &Opts) {
    std::vector<const char *> Argv;
    for (const std::string &Arg : CommandLine)
      Argv.push_back(Arg.c_str());
    llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> O(
        clang::CreateAndPopulateDiagOpts(Argv).release());
    if (Opts.MsvcDiagnostics)
      O->setFormat(clang::DiagnosticOptions::MSVC);
    if (Opts.ParseableFixits)
      O->ShowParseableFixits = true;
    return O;
  }

  void exportDiagnostic(clang::DiagnosticsEngine::Level Level, const clang::Diagnostic &Info) {
    using clang::tooling::Diagnostic;
    using clang::tooling::DiagnosticMessage;
    llvm::SmallString<256> Text;
    Info.FormatDiagnostic(Text);
    std::string Message = Text.str().str();
    std::string Name;
    if (std::optional<std::string> Ours = Diagnoser::nameOf(*Info.getDiags(), Info.getID())) {
      Name = *Ours;
      // clang-tidy's messages do not repeat the name: drop " [-W...]".
      size_t Flag = Message.rfind(" [-W");
      if (Flag != std::string::npos && Message.back() == ']')
        Message.erase(Flag);
    } else {
      llvm::StringRef Flag = clang::DiagnosticIDs::getWarningOptionForDiag(Info.getID());
      Name = "clang-diagnostic-" +
             (!Flag.empty() ? Flag.str()
                            : std::string(Level >= clang::DiagnosticsEngine::Error ? "error"
                                                                                    : "warning"));
    }
    DiagnosticMessage M;
    M.Message = Message;
    if (Info.hasSourceManager() && Info.getLocation().isValid()) {
      const clang::SourceManager &SM = Info.getSourceManager();
      M = DiagnosticMessage(Message, SM, SM.getFileLoc(Info.getLocation()));
      for (const clang::FixItHint &Fix : Info.getFixItHints()) {
        if (Fix.RemoveRange.isInvalid() || Fix.RemoveRange.getBegin().isMacroID() ||
            Fix.RemoveRange.getEnd().isMacroID())
          continue;
        clang::tooling::Replacement R(SM, Fix.RemoveRange, Fix.CodeToInsert, LO);
        if (llvm::Error E = M.Fix[R.getFilePath()].add(R))
          llvm::consumeError(std::move(E)); // an overlapping fix-it is left out
      }
    }
    if (Level == clang::DiagnosticsEngine::Note) {
      if (!Exported->empty())
        Exported->back().Notes.push_back(std::move(M));
      return;
    }
    if (Level < clang::DiagnosticsEngine::Warning)
      return;
    Diagnostic D(Name, M, {},
                 Level >= clang::DiagnosticsEngine::Error ? Diagnostic::Error : Diagnostic::Warning,
                 BuildDirectory);
    Exported->push_back(std::move(D));
  }

  llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> Options;
  clang::TextDiagnosticPrinter Printer;
  std::vector<clang::tooling::Diagnostic> *Exported;
  std::string BuildDirectory;
  clang::LangOptions LO;
  bool SawError = false;
};

/// Hands ClangTool the one, already adjusted, command braidc chose.
class ChosenCommandDatabase : public clang::tooling::CompilationDatabase {
public:
  explicit ChosenCommandDatabase(clang::tooling::CompileCommand Command)
      : Command(std::move(Command)) {}
  std::vector<clang::tooling::CompileCommand> getCompileCommands(llvm::StringRef) const override {
    return {Command};
  }

private:
  clang::tooling::CompileCommand Command;
};

std::string absolutePath(llvm::StringRef Path) {
  llvm::SmallString<256> Abs(Path);
  llvm::sys::fs::make_absolute(Abs);
  llvm::sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
  return Abs.str().str();
}

/// x.cpp -> x.braid.cpp, in \p Dir (or beside the source when empty).
std::string mirroredOutputName(llvm::StringRef Source, llvm::StringRef Dir) {
  llvm::SmallString<256> Out(Dir.empty() ? llvm::sys::path::parent_path(Source) : Dir);
  llvm::sys::path::append(Out, llvm::sys::path::stem(Source) + ".braid" +
                                   llvm::sys::path::extension(Source));
  return Out.str().str();
}

void reportInternalError(llvm::StringRef What) {
  llvm::errs() << "braidc: internal error: " << What
               << "; please report this with the input file\n";
}

std::string quoteForDisplay(const std::vector<std::string> &Args) {
  std::string Out;
  for (const std::string &Arg : Args) {
    if (!Out.empty())
      Out += ' ';
    if (Arg.find_first_of(" \t\"'\\$") == std::string::npos && !Arg.empty()) {
      Out += Arg;
      continue;
    }
    Out += '\'';
    for (char C : Arg)
      Out += C == '\'' ? std::string("'\\''") : std::string(1, C);
    Out += '\'';
  }
  return Out;
}

class DriverRun {
public:
  DriverRun(const DriverOptions &Opts, std::string MainExecutable)
      : Opts(Opts), MainExecutable(std::move(MainExecutable)), Finder(Opts) {}

  int run();

private:
  /// One source from command to outputs; returns its exit code.
  int runSource(const std::string &Source, const std::string &Output);
  /// Parses and transforms; returns ExitSuccess or ExitUserError, throws
  /// on internal errors.
  int transformSource(const std::string &Source, const std::string &Output, SourceRun &Run);
  void discardOutputs(const std::string &Output);
  /// Writes the dump or depfile gathered over all sources (or removes a
  /// stale one when a source failed); false when writing failed.
  bool writeSideFile(const std::string &Path, llvm::StringRef Content);
  /// Writes --export-fixes; false when writing failed.
  bool writeExportedFixes();

  const DriverOptions &Opts;
  std::string MainExecutable;
  CompileCommandFinder Finder;
  bool WarnedResourceDir = false;
  /// Partition dumps and depfile rules gathered over all sources.
  std::string Dumps;
  std::string DepRules;
  /// --export-fixes: every source's diagnostics.
  std::vector<clang::tooling::Diagnostic> Exported;
  bool AnyFailed = false;
};

int DriverRun::run() {
  std::string Error;
  if (!Finder.init(Error)) {
    llvm::errs() << "braidc: error: " << Error << "\n";
    return ExitUsageError;
  }

  // Decide every output first: clashes are usage errors, found before any
  // work is done.
  std::vector<std::string> Outputs;
  std::map<std::string, std::string> Claimed; // absolute output -> source
  for (const std::string &Source : Opts.Sources) {
    std::string Output;
    if (!Opts.ToStdout)
      Output = !Opts.Output.empty() ? Opts.Output : mirroredOutputName(Source, Opts.OutDir);
    if (!Output.empty()) {
      std::string Abs = absolutePath(Output);
      if (Abs == absolutePath(Source)) {
        llvm::errs() << "braidc: error: the output " << Output << " would overwrite its source\n"
                     << "Run with --help for more information.\n";
        return ExitUsageError;
      }
      auto [It, Inserted] = Claimed.try_emplace(Abs, Source);
      if (!Inserted) {
        llvm::errs() << "braidc: error: " << It->second << " and " << Source
                     << " would both be written to " << Output
                     << "; run braidc once per folder, or give each its own -o\n"
                     << "Run with --help for more information.\n";
        return ExitUsageError;
      }
    }
    Outputs.push_back(std::move(Output));
  }

  int Worst = ExitSuccess;
  for (size_t I = 0; I < Opts.Sources.size(); ++I) {
    int Code = runSource(Opts.Sources[I], Outputs[I]);
    if (Code != ExitSuccess)
      AnyFailed = true;
    // Internal (3) outranks user (1): the worse news decides the exit code.
    Worst = std::max(Worst, Code);
  }

  if (!Opts.DumpFile.empty()) {
    if (!writeSideFile(Opts.DumpFile, Dumps))
      Worst = std::max<int>(Worst, ExitUserError);
  } else if (!Dumps.empty()) {
    llvm::outs() << Dumps;
    llvm::outs().flush();
  }
  if (!Opts.DepFile.empty() && !writeSideFile(Opts.DepFile, DepRules))
    Worst = std::max<int>(Worst, ExitUserError);
  if (!Opts.ExportFixes.empty() && !writeExportedFixes())
    Worst = std::max<int>(Worst, ExitUserError);
  return Worst;
}

bool DriverRun::writeExportedFixes() {
  // Written after failures too: the fixes are most useful then. One YAML
  // document, as clang-tidy writes it (clang-apply-replacements reads one
  // per file); its MainSourceFile is the first source.
  clang::tooling::TranslationUnitDiagnostics TU;
  TU.MainSourceFile = absolutePath(Opts.Sources.front());
  TU.Diagnostics = Exported;
  std::string Yaml;
  llvm::raw_string_ostream OS(Yaml);
  llvm::yaml::Output Y(OS);
  Y << TU;
  OS.flush();
  std::string Error;
  if (writeFileIfChanged(Opts.ExportFixes, Yaml, Error) == WriteOutcome::Failed) {
    llvm::errs() << "braidc: error: " << Error << "\n";
    return false;
  }
  return true;
}

bool DriverRun::writeSideFile(const std::string &Path, llvm::StringRef Content) {
  // A dump or depfile describes all the outputs: after any failure it
  // would describe files that were not written.
  if (AnyFailed) {
    removeStaleFile(Path);
    return true;
  }
  std::string Error;
  WriteOutcome W = writeFileIfChanged(Path, Content, Error);
  if (W == WriteOutcome::Failed) {
    llvm::errs() << "braidc: error: " << Error << "\n";
    return false;
  }
  if (Opts.Verbose)
    llvm::errs() << "braidc: " << (W == WriteOutcome::Written ? "wrote " : "unchanged ") << Path
                 << "\n";
  return true;
}

void DriverRun::discardOutputs(const std::string &Output) {
  if (removeStaleFile(Output) && Opts.Verbose)
    llvm::errs() << "braidc: removed stale " << Output << "\n";
}

int DriverRun::runSource(const std::string &Source, const std::string &Output) {
  SourceRun Run;
  int Code;
  try {
    Code = transformSource(Source, Output, Run);
  } catch (const std::exception &E) {
    // InternalError included: braidc's own invariant broke.
    reportInternalError(E.what());
    Code = ExitInternal;
  } catch (...) {
    reportInternalError("an unknown exception escaped the transformation");
    Code = ExitInternal;
  }
  if (Code != ExitSuccess) {
    discardOutputs(Output);
    return Code;
  }

  if (Opts.ToStdout) {
    llvm::outs() << Run.Result.Code;
    llvm::outs().flush();
  } else {
    std::string Error;
    WriteOutcome W = writeFileIfChanged(absolutePath(Output), Run.Result.Code, Error);
    if (W == WriteOutcome::Failed) {
      llvm::errs() << "braidc: error: " << Error << "\n";
      discardOutputs(Output);
      return ExitUserError;
    }
    if (Opts.Verbose)
      llvm::errs() << "braidc: " << (W == WriteOutcome::Written ? "wrote " : "unchanged ")
                   << Output << " (" << Run.Result.Functions << " annotated function"
                   << (Run.Result.Functions == 1 ? "" : "s") << ")\n";
  }
  Dumps += Run.Result.Dump;
  if (!Opts.DepFile.empty()) {
    std::vector<std::string> Deps = Run.Inputs;
    if (!MainExecutable.empty())
      Deps.push_back(MainExecutable);
    DepRules += renderDepFile(Output, Deps);
  }
  return ExitSuccess;
}

int DriverRun::transformSource(const std::string &Source, const std::string &Output,
                            SourceRun &Run) {
  std::string AbsSource = absolutePath(Source);
  if (!llvm::sys::fs::is_regular_file(AbsSource)) {
    llvm::errs() << "braidc: error: no such file: " << Source << "\n";
    return ExitUserError;
  }

  clang::tooling::CompileCommand Command;
  std::string How, Error;
  if (!Finder.find(AbsSource, Command, How, Error)) {
    llvm::errs() << "braidc: error: " << Error << "\n";
    return ExitUsageError;
  }
  ResourceDirChoice Resource;
  Command.CommandLine = adjustCommandLine(Command, Opts, MainExecutable, Resource);
  Command.Filename = AbsSource;

  if (Opts.Verbose) {
    llvm::errs() << "braidc: " << Source << ": compile command from " << How << ", in "
                 << Command.Directory << ":\n  " << quoteForDisplay(Command.CommandLine)
                 << "\nbraidc: resource dir: "
                 << (Resource.Path.empty() ? std::string("-") : Resource.Path) << " ("
                 << Resource.How << ")\n";
  }
  if (Resource.How == "not found" && !WarnedResourceDir) {
    WarnedResourceDir = true;
    llvm::errs() << "braidc: warning: Clang's resource directory (builtin headers such as "
                    "<stddef.h>) was not found; tried:";
    for (const std::string &T : Resource.Tried)
      llvm::errs() << " " << T;
    llvm::errs() << "; pass --extra-arg=-resource-dir=<dir> (run with -v to see the "
                    "compile command)\n";
  }

  Run.Options.LineDirectives = Opts.LineDirectives;
  Run.Options.Dump = Opts.Dump;
  Run.Options.MainFileName = Source;
  Run.Options.OutputFileName = Opts.ToStdout ? std::string("<stdout>") : Output;
  Run.Options.Warnings = Opts.Warnings;

  ChosenCommandDatabase Db(Command);
  clang::tooling::ClangTool Tool(Db, {AbsSource});
  Tool.clearArgumentsAdjusters(); // adjustCommandLine already did their work
  Tool.setPrintErrorMessage(false);
  ErrorTrackingPrinter Diagnostics(Command.CommandLine, Opts,
                                   Opts.ExportFixes.empty() ? nullptr : &Exported,
                                   Command.Directory);
  Tool.setDiagnosticConsumer(&Diagnostics);
  TransformActionFactory Factory(Run);

  // A crash inside Clang (or the transformation) becomes an internal error
  // with exit code 3 rather than a signal.
  int ToolRc = 0;
  llvm::CrashRecoveryContext Recovery;
  if (!Recovery.RunSafely([&] { ToolRc = Tool.run(&Factory); }))
    throw InternalError("braidc crashed while processing " + Source);

  if (Run.Failure)
    std::rethrow_exception(Run.Failure);
  // Clang's own errors were printed by its diagnostic printer already.
  if (ToolRc != 0 || Diagnostics.sawError() || !Run.Transformed || Run.Result.HadUserErrors)
    return ExitUserError;
  return ExitSuccess;
}

} // namespace

int runDriver(int Argc, const char *const *Argv) {
  try {
    DriverOptions Opts;
    if (std::optional<int> Code = parseCommandLine(Argc, Argv, Opts))
      return *Code;
    // Any address inside braidc will do: it locates the executable when
    // argv[0] is not a path.
    static int Anchor;
    std::string MainExecutable = llvm::sys::fs::getMainExecutable(Opts.Argv0.c_str(), &Anchor);
    llvm::CrashRecoveryContext::Enable();
    DriverRun D(Opts, std::move(MainExecutable));
    return D.run();
  } catch (const std::exception &E) {
    reportInternalError(E.what());
  } catch (...) {
    reportInternalError("an unknown exception");
  }
  return ExitInternal;
}

} // namespace braidc
