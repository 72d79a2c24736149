//===- ParkFinder.h - annotated functions and their suspension points -----===//
//
// SPDX-License-Identifier: MIT
//
// Walks the main file of a translation unit once and finds:
//  - every BRAID_SP function definition (annotate("braid.sp")),
//  - every call to braid::park, attributed to the innermost enclosing
//    function or lambda; a park that is not directly in a BRAID_SP body
//    (in a lambda, a plain function, a global initializer) is reported,
//  - constructs that cannot appear in a BRAID_SP body at all (co_await...).
// Then, per function, which statements and expressions contain a park
// ("marked", design.md 3: everything unmarked is copied verbatim).
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_ANALYSIS_PARKFINDER_H
#define BRAIDC_ANALYSIS_PARKFINDER_H

#include "Diag/Diagnoser.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/DenseSet.h"

#include <vector>

namespace braidc {

/// True when \p CE calls braid::park.
bool isParkCall(const clang::Stmt *S);

/// One annotated function and what the analysis learnt about it.
struct SpFunction {
  clang::FunctionDecl *FD = nullptr;
  /// The parks of its body, in source order.
  std::vector<const clang::CallExpr *> Parks;
  /// Statements and expressions that contain a park (lambda bodies excluded).
  llvm::DenseSet<const clang::Stmt *> Marked;
  bool contains(const clang::Stmt *S) const { return S && Marked.count(S); }
};

/// Finds annotated functions and parks; reports misplaced parks.
class ParkFinder {
public:
  ParkFinder(clang::ASTContext &Ctx, Diagnoser &Diags) : Ctx(Ctx), Diags(Diags) {}

  /// Analyses the main file; returns the annotated definitions in source order.
  std::vector<SpFunction> run();

private:
  clang::ASTContext &Ctx;
  Diagnoser &Diags;
};

} // namespace braidc

#endif
