//===- ParkFinder.cpp - annotated functions and their suspension points ---===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Analysis/ParkFinder.h"

#include "clang/AST/Attr.h"
#include "clang/AST/DeclTemplate.h"
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

/// A call in a template whose callee is still unresolved (a dependent
/// argument) but can only be braid::park: its lookup found braid::park.
/// Not lowered (templated BRAID_SP functions are refused); only diagnosed,
/// so a park in a generic lambda or a non-BRAID_SP template is reported by
/// braidc, as a resolved one is.
bool isDependentParkCall(const CallExpr *CE) {
  const auto *ULE = dyn_cast<UnresolvedLookupExpr>(CE->getCallee()->IgnoreImplicit());
  if (!ULE || CE->getNumArgs() != 1 || !ULE->getName().isIdentifier() ||
      ULE->getName().getAsString() != "park")
    return false;
  for (const NamedDecl *D : ULE->decls()) {
    const NamedDecl *U = D->getUnderlyingDecl();
    if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(U))
      U = FTD->getTemplatedDecl();
    const auto *NS = dyn_cast<NamespaceDecl>(U->getDeclContext()->getRedeclContext());
    if (NS && NS->getIdentifier() && NS->getName() == "braid" &&
        NS->getDeclContext()->getRedeclContext()->isTranslationUnit())
      return true;
  }
  return false;
}

bool isSpAnnotated(const FunctionDecl *FD) {
  for (const auto *A : FD->specific_attrs<AnnotateAttr>())
    if (A->getAnnotation() == "braid.sp")
      return true;
  return false;
}

/// What makes a templated function a template, for SpTemplate's message.
const char *templatedKind(const FunctionDecl *FD) {
  if (FD->getDescribedFunctionTemplate()) {
    // An abbreviated template (an `auto` parameter) has only invented
    // template parameters.
    const TemplateParameterList *TPL = FD->getDescribedFunctionTemplate()->getTemplateParameters();
    bool AllInvented = TPL->size() > 0;
    for (const NamedDecl *P : *TPL)
      if (const auto *TT = dyn_cast<TemplateTypeParmDecl>(P); !TT || !TT->isImplicit())
        AllInvented = false;
    if (AllInvented)
      return "an abbreviated function template (an 'auto' parameter)";
    return isa<CXXMethodDecl>(FD) ? "a member function template" : "a function template";
  }
  return "a member of a class template (or of a class inside a template)";
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
    const bool Dependent = !isParkCall(CE) && isDependentParkCall(CE);
    if ((!Dependent && !isParkCall(CE)) || !SM.isInMainFile(SM.getExpansionLoc(CE->getBeginLoc())))
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
    if (F.SpIndex == RefusedSp)
      return true; // its BRAID_SP was refused already; one error is enough
    if (F.SpIndex < 0) {
      Diags.report(Diag::ParkOutsideSp, CE->getBeginLoc()) << CE->getSourceRange();
      return true;
    }
    if (Dependent) // cannot happen: only a templated function has one, and those are refused
      return true;
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
    int SpIndex; // index into Functions, -1 when not annotated, RefusedSp
  };
  static constexpr int RefusedSp = -2; // annotated, but reported (SpTemplate)

  bool coroutineKeyword(SourceLocation Loc, const char *Kw) {
    if (!Stack.empty() && !Stack.back().Lambda && Stack.back().SpIndex >= 0)
      Diags.report(Diag::CoroutineInSp, Loc) << Kw;
    return true;
  }

  void enterFunction(FunctionDecl *FD) {
    int Index = -1;
    if (isSpAnnotated(FD) && SM.isInMainFile(SM.getExpansionLoc(FD->getLocation()))) {
      if (FD->isTemplated()) {
        // The dependent pattern is all braidc sees (instantiations are not
        // in the source): a park on a dependent task is not even a resolved
        // call there, and dependent types cannot be spelled from it, so
        // transforming it would silently drop parks or emit a frame that
        // does not compile. Refused until templates are lowered.
        Diags.report(Diag::SpTemplate, FD->getLocation())
            << FD << templatedKind(FD) << FD->getSourceRange();
        Index = RefusedSp;
      } else if (!FD->doesThisDeclarationHaveABody()) {
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
