//===- ParkFinder.cpp - annotated functions and their suspension points ---===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Analysis/ParkFinder.h"

#include "clang/AST/Attr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;

namespace braidc {

bool isParkCall(const Stmt *S) {
  const auto *CE = dyn_cast_or_null<CallExpr>(S);
  if (!CE || isa<CXXMemberCallExpr>(CE) || CE->getNumArgs() != 1)
    return false;
  const FunctionDecl *F = CE->getDirectCallee();
  if (!F || !F->getIdentifier() || F->getName() != "park")
    return false;
  const auto *NS = dyn_cast<NamespaceDecl>(F->getDeclContext()->getRedeclContext());
  return NS && NS->getIdentifier() && NS->getName() == "braid" &&
         NS->getDeclContext()->getRedeclContext()->isTranslationUnit();
}

namespace {

bool isSpAnnotated(const FunctionDecl *FD) {
  for (const auto *A : FD->specific_attrs<AnnotateAttr>())
    if (A->getAnnotation() == "braid.sp")
      return true;
  return false;
}

/// Walks the translation unit with a stack of the enclosing functions and
/// lambdas, so each park knows who would have to suspend.
class ParkVisitor : public RecursiveASTVisitor<ParkVisitor> {
public:
  ParkVisitor(ASTContext &Ctx, Diagnoser &Diags) : Ctx(Ctx), SM(Ctx.getSourceManager()), Diags(Diags) {}

  std::vector<SpFunction> Functions;

#define BRAIDC_TRAVERSE_FUNCTION(KIND)                                                   \
  bool Traverse##KIND(KIND *FD) {                                                          \
    enterFunction(FD);                                                                     \
    bool R = RecursiveASTVisitor::Traverse##KIND(FD);                                      \
    Stack.pop_back();                                                                      \
    return R;                                                                              \
  }
  BRAIDC_TRAVERSE_FUNCTION(FunctionDecl)
  BRAIDC_TRAVERSE_FUNCTION(CXXMethodDecl)
  BRAIDC_TRAVERSE_FUNCTION(CXXConstructorDecl)
  BRAIDC_TRAVERSE_FUNCTION(CXXDestructorDecl)
  BRAIDC_TRAVERSE_FUNCTION(CXXConversionDecl)
#undef BRAIDC_TRAVERSE_FUNCTION

  bool TraverseLambdaExpr(LambdaExpr *LE) {
    Stack.push_back({nullptr, LE, -1});
    bool R = RecursiveASTVisitor::TraverseLambdaExpr(LE);
    Stack.pop_back();
    return R;
  }

  bool VisitCallExpr(CallExpr *CE) {
    if (!isParkCall(CE) || !SM.isInMainFile(SM.getExpansionLoc(CE->getBeginLoc())))
      return true;
    if (Stack.empty()) {
      Diags.report(Diag::ParkOutsideFunction, CE->getBeginLoc()) << CE->getSourceRange();
      return true;
    }
    const Frame &F = Stack.back();
    if (F.Lambda) {
      Diags.report(Diag::ParkInLambda, CE->getBeginLoc()) << CE->getSourceRange();
      return true;
    }
    if (F.SpIndex < 0) {
      Diags.report(Diag::ParkOutsideSp, CE->getBeginLoc()) << CE->getSourceRange();
      return true;
    }
    Functions[F.SpIndex].Parks.push_back(CE);
    return true;
  }

  bool VisitCoawaitExpr(CoawaitExpr *E) { return coroutineKeyword(E->getKeywordLoc(), "co_await"); }
  bool VisitDependentCoawaitExpr(DependentCoawaitExpr *E) {
    return coroutineKeyword(E->getKeywordLoc(), "co_await");
  }
  bool VisitCoyieldExpr(CoyieldExpr *E) { return coroutineKeyword(E->getKeywordLoc(), "co_yield"); }
  bool VisitCoreturnStmt(CoreturnStmt *S) { return coroutineKeyword(S->getKeywordLoc(), "co_return"); }

private:
  struct Frame {
    FunctionDecl *FD;
    LambdaExpr *Lambda;
    int SpIndex; // index into Functions, -1 when not annotated
  };

  bool coroutineKeyword(SourceLocation Loc, const char *Kw) {
    if (!Stack.empty() && !Stack.back().Lambda && Stack.back().SpIndex >= 0)
      Diags.report(Diag::CoroutineInSp, Loc) << Kw;
    return true;
  }

  void enterFunction(FunctionDecl *FD) {
    int Index = -1;
    if (isSpAnnotated(FD) && SM.isInMainFile(SM.getExpansionLoc(FD->getLocation()))) {
      if (!FD->doesThisDeclarationHaveABody()) {
        // Only a definition is transformed; an annotated declaration whose
        // definition exists elsewhere in the file is fine.
        if (!FD->isDefined())
          Diags.report(Diag::SpNoBody, FD->getLocation()) << FD;
      } else {
        Index = static_cast<int>(Functions.size());
        Functions.push_back(SpFunction{FD, {}, {}});
      }
    }
    Stack.push_back({FD, nullptr, Index});
  }

  ASTContext &Ctx;
  SourceManager &SM;
  Diagnoser &Diags;
  std::vector<Frame> Stack;
};

/// Post-order: a statement is marked when it is a park or has a marked
/// child. Lambda bodies never mark their enclosing statement (a park there
/// is an error reported by ParkVisitor).
bool markStmt(const Stmt *S, llvm::DenseSet<const Stmt *> &Marked) {
  if (!S || isa<LambdaExpr>(S))
    return false;
  bool Any = isParkCall(S);
  for (const Stmt *C : S->children())
    Any |= markStmt(C, Marked);
  if (Any)
    Marked.insert(S);
  return Any;
}

} // namespace

std::vector<SpFunction> ParkFinder::run() {
  ParkVisitor V(Ctx, Diags);
  V.TraverseDecl(Ctx.getTranslationUnitDecl());
  for (SpFunction &F : V.Functions)
    markStmt(F.FD->getBody(), F.Marked);
  return std::move(V.Functions);
}

} // namespace braidc
