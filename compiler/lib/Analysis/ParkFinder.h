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
// ("marked", design.md 3: everything unmarked is copied verbatim), and the
// hazards that do not depend on the lowering: std locks held across a park
// (transform-cases 11), std::current_exception() in a handler that parks, a
// BRAID_SP function that never parks.
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

/// True when \p S calls braid::park: a resolved call, or in a template the
/// unresolved call whose lookup found braid::park (a dependent task).
bool isParkCall(const clang::Stmt *S);

/// True when \p S is a park whose callee is still unresolved (a template's
/// pattern: the task's type is dependent).
bool isDependentParkCall(const clang::Stmt *S);

/// `ns::f(int, const std::string &)`, `ns::C::g() const`, `h<T>(T)`: the
/// qualified name and the parameter types (canonical, or as written when
/// dependent), unique among the functions of a translation unit except for
/// the specializations of one function template, which share the pattern's.
std::string stableFunctionName(const clang::FunctionDecl *FD);

/// One annotated function and what the analysis learnt about it.
struct SpFunction {
  clang::FunctionDecl *FD = nullptr;
  /// The function's name in the frame table and dumps: qualified, with its
  /// parameter types (docs/compiler.md, "Partitions and the table").
  std::string StableName;
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
