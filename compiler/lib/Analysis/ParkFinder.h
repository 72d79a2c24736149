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

#include "Analysis/Flavour.h"
#include "Diag/Diagnoser.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/DenseSet.h"

#include <vector>

namespace braidc {

/// The suspension points of an annotated body: a park (BRAID_SP, BRAID_AP),
/// the fork points of BRAID_AP (and fork_switch in BRAID_CP), and `amb()`,
/// which ends an ap branch without a value.
enum class SuspendKind {
  None,
  Park,       ///< braid::park(t)
  Fork,       ///< braid::fork(f), braid::fork(n, f)
  ForkMerge,  ///< braid::fork_merge(f)
  ForkSwitch, ///< braid::fork_switch(f)
  Amb,        ///< braid::amb(a, b, ...): one branch per argument, each evaluated in its branch
  AmbMerge,   ///< braid::amb_merge(a, b, ...)
  AmbNone,    ///< braid::amb(): the branch ends without a value
  Listen,     ///< braid::listen<E>(context): BRAID_DURABLE only, the run is stored
  WaitFor,    ///< braid::durable::wait_for(child): BRAID_DURABLE only
};

/// True for the fork points of BRAID_AP (and BRAID_CP).
inline bool isForkKind(SuspendKind K) {
  return K == SuspendKind::Fork || K == SuspendKind::ForkMerge || K == SuspendKind::ForkSwitch ||
         K == SuspendKind::Amb || K == SuspendKind::AmbMerge || K == SuspendKind::AmbNone;
}

/// True when \p T is braid::run<...> (a call of a BRAID_DURABLE function).
bool isBraidRunType(clang::QualType T);

/// The kind of suspension point \p S is: a resolved call of one of braid's
/// functions, or in a template the unresolved call whose lookup found it.
SuspendKind suspendKind(const clang::Stmt *S);

/// The source spelling of a kind ("braid::fork_switch"), for diagnostics.
const char *suspendName(SuspendKind K);

/// True when \p S is a suspension point of any kind (the lowering treats
/// them alike where only "does it suspend here" matters).
inline bool isParkCall(const clang::Stmt *S) { return suspendKind(S) != SuspendKind::None; }


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
  Flavour Kind = Flavour::Sp;
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
