//===- CompileCommands.cpp - the compile command of each source -----------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//

#include "Driver/CompileCommands.h"

#include "clang/Tooling/ArgumentsAdjusters.h"
#include "clang/Tooling/JSONCompilationDatabase.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace braidc {

bool CompileCommandFinder::init(std::string &Error) {
  if (Opts.FixedFlags || Opts.BuildPath.empty())
    return true;
  std::string LoadError;
  if (llvm::sys::fs::is_regular_file(Opts.BuildPath)) {
    BuildPathDb = clang::tooling::JSONCompilationDatabase::loadFromFile(
        Opts.BuildPath, LoadError, clang::tooling::JSONCommandLineSyntax::AutoDetect);
  } else {
    BuildPathDb = clang::tooling::CompilationDatabase::autoDetectFromDirectory(Opts.BuildPath, LoadError);
  }
  if (!BuildPathDb) {
    Error = "-p " + Opts.BuildPath +
            ": no compile_commands.json there or in a parent folder; configure the build "
            "with CMAKE_EXPORT_COMPILE_COMMANDS=ON, or pass the compile flags after '--'";
    if (Opts.Verbose)
      Error += "\n" + llvm::StringRef(LoadError).rtrim().str();
    return false;
  }
  BuildPathDb = clang::tooling::inferMissingCompileCommands(
      clang::tooling::expandResponseFiles(std::move(BuildPathDb),
                                          llvm::vfs::getRealFileSystem()));
  return true;
}

bool CompileCommandFinder::find(const std::string &AbsSource, clang::tooling::CompileCommand &Command,
                                std::string &How, std::string &Error) {
  if (Opts.FixedFlags) {
    llvm::SmallString<256> Cwd;
    llvm::sys::fs::current_path(Cwd);
    clang::tooling::FixedCompilationDatabase Fixed(Cwd, *Opts.FixedFlags);
    std::vector<clang::tooling::CompileCommand> Commands = Fixed.getCompileCommands(AbsSource);
    Command = Commands.front();
    How = "the flags after '--'";
    return true;
  }

  std::unique_ptr<clang::tooling::CompilationDatabase> Found;
  clang::tooling::CompilationDatabase *Db = BuildPathDb.get();
  if (Db) {
    How = "-p " + Opts.BuildPath;
  } else {
    std::string LoadError;
    Found = clang::tooling::CompilationDatabase::autoDetectFromSource(AbsSource, LoadError);
    if (!Found) {
      Error = "no compile command for " + AbsSource +
              ": no compile_commands.json in its folder or above; pass -p <build dir> or "
              "the compile flags after '--' (braidc x.cpp -- -std=c++20 -Iinclude)";
      return false;
    }
    Found = clang::tooling::inferMissingCompileCommands(std::move(Found));
    Db = Found.get();
    How = "the compilation database found above the source";
  }
  std::vector<clang::tooling::CompileCommand> Commands = Db->getCompileCommands(AbsSource);
  if (Commands.empty()) {
    Error = "no compile command for " + AbsSource + " in " + How +
            "; pass the compile flags after '--' instead";
    return false;
  }
  // A source compiled twice (two targets) has several commands; they agree
  // on what matters to braidc, and one output must come from one parse.
  Command = std::move(Commands.front());
  if (!Command.Heuristic.empty())
    How += " (" + Command.Heuristic + ")";
  return true;
}

std::vector<std::string> adjustCommandLine(const clang::tooling::CompileCommand &Command,
                                           const DriverOptions &Opts,
                                           const std::string &MainExecutable,
                                           ResourceDirChoice &Resource) {
  using namespace clang::tooling;
  std::vector<std::string> Args = Command.CommandLine;
  const std::string &File = Command.Filename;
  // What ClangTool would do by default: parse only, write nothing.
  Args = getClangStripOutputAdjuster()(Args, File);
  Args = getClangStripDependencyFileAdjuster()(Args, File);
  Args = getClangSyntaxOnlyAdjuster()(Args, File);

  if (!Opts.RemovedArgs.empty()) {
    std::vector<std::string> Kept;
    Kept.reserve(Args.size());
    for (size_t I = 0; I < Args.size(); ++I) {
      llvm::StringRef Arg = Args[I];
      bool Drop = I != 0 && llvm::any_of(Opts.RemovedArgs, [&](const std::string &R) {
                    return Arg == R || (llvm::StringRef(R).ends_with("=") && Arg.starts_with(R));
                  });
      if (!Drop)
        Kept.push_back(Args[I]);
    }
    Args = std::move(Kept);
  }

  // g++ flags in a CMake database are often unknown to Clang; they only
  // warn, and the warning says nothing useful about the annotated source.
  std::vector<std::string> Before = {"-Wno-unknown-warning-option"};
  Before.insert(Before.end(), Opts.ExtraArgsBefore.begin(), Opts.ExtraArgsBefore.end());
  Args = getInsertArgumentAdjuster(Before, ArgumentInsertPosition::BEGIN)(Args, File);
  std::vector<std::string> After = Opts.ExtraArgs;
  After.push_back("-DBRAID_ANALYZING=1");
  Args = getInsertArgumentAdjuster(After, ArgumentInsertPosition::END)(Args, File);

  Resource = findResourceDir(Args, MainExecutable);
  if (!Resource.Path.empty())
    Args = getInsertArgumentAdjuster({"-resource-dir", Resource.Path},
                                     ArgumentInsertPosition::END)(Args, File);
  return Args;
}

} // namespace braidc
