//===- main.cpp - braidc --------------------------------------------------===//
//
// SPDX-License-Identifier: MIT
//
// braidc rewrites the annotated functions of C++ sources into the state
// machines braid's runtime drives. Everything but process setup lives in
// lib/Driver.
//
//===----------------------------------------------------------------------===//

#include "Driver/Driver.h"

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/PrettyStackTrace.h"

int main(int Argc, char **Argv) {
  llvm::InitLLVM Init(Argc, Argv);
  llvm::setBugReportMsg("braidc: internal error (crash); please report this with the input "
                        "file and the stack dump below\n");
  return braidc::runDriver(Argc, Argv);
}
