//===- ResourceDir.cpp - where Clang's builtin headers are ----------------===//
//
// SPDX-License-Identifier: MIT
//
// A LibTooling tool parses with the builtin headers of its own Clang; they
// are not on any default search path, and without them <cstddef> fails with
// "'stddef.h' file not found" (LibTooling.rst, "Builtin includes"). clangd
// and the other tools in build-step.md 13 settled on the order used here.
//
//===----------------------------------------------------------------------===//

#include "Driver/ResourceDir.h"

#include "clang/Basic/Version.h"
#include "clang/Driver/Driver.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <map>
#include <mutex>

namespace braidc {

namespace {

bool holdsBuiltinHeaders(llvm::StringRef Dir) {
  if (Dir.empty())
    return false;
  llvm::SmallString<256> Probe(Dir);
  llvm::sys::path::append(Probe, "include", "stddef.h");
  return llvm::sys::fs::exists(Probe);
}

/// Runs `<clang> -print-resource-dir` and returns its first line (empty on
/// any failure). Spawning costs a few milliseconds, so the answer is cached
/// per compiler for the whole run (several sources, one spawn).
std::string askClangForResourceDir(const std::string &Clang) {
  static std::mutex CacheMutex;
  static std::map<std::string, std::string> Cache;
  std::lock_guard<std::mutex> Lock(CacheMutex);
  auto [It, Inserted] = Cache.try_emplace(Clang);
  std::string &Answer = It->second;
  if (!Inserted)
    return Answer;
  llvm::ErrorOr<std::string> Exe = llvm::sys::findProgramByName(Clang);
  if (!Exe)
    return Answer;
  llvm::SmallString<128> OutPath;
  if (llvm::sys::fs::createTemporaryFile("braidc-resource-dir", "txt", OutPath))
    return Answer;
  std::optional<llvm::StringRef> Redirects[] = {llvm::StringRef(""), OutPath.str(),
                                                llvm::StringRef("")};
  llvm::StringRef Args[] = {*Exe, "-print-resource-dir"};
  int Rc = llvm::sys::ExecuteAndWait(*Exe, Args, std::nullopt, Redirects, /*SecondsToWait=*/30);
  if (Rc == 0) {
    if (auto Buf = llvm::MemoryBuffer::getFile(OutPath))
      Answer = (*Buf)->getBuffer().split('\n').first.trim().str();
  }
  llvm::sys::fs::remove(OutPath);
  return Answer;
}

} // namespace

ResourceDirChoice findResourceDir(const std::vector<std::string> &CommandLine,
                                  const std::string &MainExecutable) {
  ResourceDirChoice Choice;
  for (const std::string &Arg : CommandLine) {
    if (Arg == "-resource-dir" || llvm::StringRef(Arg).starts_with("-resource-dir=")) {
      Choice.How = "from the compile command";
      return Choice;
    }
  }

  auto Consider = [&](std::string Dir, const char *How) {
    Choice.Tried.push_back(Dir.empty() ? std::string("(") + How + ": nothing)" : Dir);
    if (!holdsBuiltinHeaders(Dir))
      return false;
    Choice.Path = std::move(Dir);
    Choice.How = How;
    return true;
  };

  if (!MainExecutable.empty() &&
      Consider(clang::driver::Driver::GetResourcesPath(MainExecutable), "next to braidc"))
    return Choice;
  // The clang found at build time, else the same major version on PATH (an
  // installed braidc may run on another machine).
  static const std::string ClangNames[] = {
      BRAIDC_CLANG_EXECUTABLE, "clang-" + std::to_string(CLANG_VERSION_MAJOR)};
  for (const std::string &Clang : ClangNames)
    if (Consider(askClangForResourceDir(Clang), (Clang + " -print-resource-dir").c_str()))
      return Choice;
  if (Consider(BRAIDC_CLANG_RESOURCE_DIR, "build-time path"))
    return Choice;
  Choice.How = "not found";
  return Choice;
}

} // namespace braidc
