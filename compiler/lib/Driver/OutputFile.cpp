//===- OutputFile.cpp - atomic, change-preserving writes ------------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//

#include "Driver/OutputFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace braidc {

WriteOutcome writeFileIfChanged(const std::string &Path, llvm::StringRef Content,
                                std::string &Error) {
  if (auto Existing = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                                  /*RequiresNullTerminator=*/false)) {
    if ((*Existing)->getBuffer() == Content)
      return WriteOutcome::Unchanged;
  }

  llvm::StringRef Dir = llvm::sys::path::parent_path(Path);
  if (!Dir.empty()) {
    if (std::error_code EC = llvm::sys::fs::create_directories(
            Dir, /*IgnoreExisting=*/true, llvm::sys::fs::all_all)) {
      Error = "cannot create folder " + Dir.str() + ": " + EC.message();
      return WriteOutcome::Failed;
    }
  }
  // Same folder as the target: rename() is atomic only within one file
  // system.
  llvm::SmallString<256> TempPath;
  int FD = -1;
  if (std::error_code EC =
          llvm::sys::fs::createUniqueFile(Path + ".tmp-%%%%%%%%", FD, TempPath)) {
    Error = "cannot create a temporary file next to " + Path + ": " + EC.message();
    return WriteOutcome::Failed;
  }
  {
    llvm::raw_fd_ostream Out(FD, /*shouldClose=*/true);
    Out << Content;
    Out.close();
    if (Out.has_error()) {
      Error = "cannot write " + TempPath.str().str() + ": " + Out.error().message();
      Out.clear_error();
      llvm::sys::fs::remove(TempPath);
      return WriteOutcome::Failed;
    }
  }
  if (std::error_code EC = llvm::sys::fs::rename(TempPath, Path)) {
    Error = "cannot rename " + TempPath.str().str() + " to " + Path + ": " + EC.message();
    llvm::sys::fs::remove(TempPath);
    return WriteOutcome::Failed;
  }
  return WriteOutcome::Written;
}

bool removeStaleFile(const std::string &Path) {
  if (Path.empty() || !llvm::sys::fs::exists(Path))
    return false;
  return !llvm::sys::fs::remove(Path);
}

namespace {

void appendDepFilePath(std::string &Out, llvm::StringRef Path) {
  for (char C : Path) {
    if (C == ' ' || C == '#')
      Out += '\\';
    else if (C == '$')
      Out += '$';
    Out += C;
  }
}

} // namespace

std::string renderDepFile(llvm::StringRef Target, const std::vector<std::string> &Deps) {
  std::string Out;
  appendDepFilePath(Out, Target);
  Out += ':';
  for (const std::string &Dep : Deps) {
    Out += " \\\n  ";
    appendDepFilePath(Out, Dep);
  }
  Out += '\n';
  return Out;
}

} // namespace braidc
