//===- LowerDecl.cpp - local variables: kept or plain -----------------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Lower/FunctionLowering.h"

#include "Diag/InternalError.h"
#include "Lower/LowerSupport.h"

#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/QualTypeNames.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

#include <functional>

using namespace clang;

namespace braidc {

// Kept types are spelled as the source named them, fully qualified from the
// global namespace (`::std::map<::std::string, int>`), when SugarSpeller is
// sure that names the same type inside the frame; otherwise from the
// canonical type, which always does (`::std::map<::std::basic_string<char,
// ...>, int, ...>`). Anonymous and inline namespaces are left out (they are
// reachable without a name).
// The written initializer of \p VD (`= e`, `(a, b)`, `{a}`), edited like
// copied code. It follows the declarator, which ends after the name except
// in declarator syntax (`int (*fp)(int) = f`, `int a[2] = {}`), where it ends
// with the type.
std::string FunctionLowering::declInitText(const VarDecl *VD, const Expr *Init) {
  SourceLocation From = VD->getLocation();
  size_t Skip = VD->getName().size();
  if (const TypeSourceInfo *TSI = VD->getTypeSourceInfo()) {
    SourceLocation TypeEnd = SM.getExpansionLoc(TSI->getTypeLoc().getEndLoc());
    if (TypeEnd.isValid() && SM.isBeforeInTranslationUnit(SM.getExpansionLoc(From), TypeEnd)) {
      From = Lexer::getLocForEndOfToken(TypeEnd, 0, SM, Ctx.getLangOpts());
      Skip = 0;
    }
  }
  return trim(Rewriter.range(From, VD->getEndLoc(), Init).substr(Skip));
}

/// A kept local needs a type the frame can spell (design.md 3).
bool FunctionLowering::checkKeepable(const VarDecl *VD, QualType T, std::string Name) {
  if (Name.empty())
    Name = VD->getName().str();
  QualType Base = T.getNonReferenceType();
  if (Base->isArrayType()) {
    Diags.report(Diag::ArrayKept, VD->getLocation()) << Name << parkLine(VD->getLocation());
    noteParkAfter(VD->getLocation());
    return false;
  }
  if (const CXXRecordDecl *RD = Base->getAsCXXRecordDecl()) {
    if (RD->isLambda()) {
      Diags.report(Diag::ClosureKept, VD->getLocation())
          << Name << parkLine(VD->getLocation());
      noteParkAfter(VD->getLocation());
      return false;
    }
    if ((RD->isLocalClass() && !Hoisted.count(RD)) ||
        (!RD->getIdentifier() && !RD->getTypedefNameForAnonDecl())) {
      Diags.report(Diag::UnspellableKept, VD->getLocation())
          << Name << Base << parkLine(VD->getLocation());
      noteParkAfter(VD->getLocation());
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

void FunctionLowering::lowerDeclStmt(const DeclStmt *S) {
  bool AllVars = true;
  for (const Decl *D : S->decls())
    AllVars = AllVars && isa<VarDecl>(D);
  if (!AllVars) {
    if (F.contains(S)) {
      Diags.report(Diag::ParkInMixedDeclaration, S->getBeginLoc());
      return;
    }
    return lowerLocalDeclaration(S);
  }
  for (const Decl *D : S->decls())
    lowerVarDecl(cast<VarDecl>(D), S);
}

// `T x = init;` in an exploded scope:
//   kept:  slot parks of init...; ::new (storage(x)) T(init); alive_x = true;
//   plain: the declaration itself, inside the current run.
// A reference bound to a temporary it extends (`const T& x = f();`) keeps
// the value itself; any other reference is kept as a pointer, uses (*x).
// A local with a destructor to run is kept for its whole scope; a
// trivially destructible one is a candidate: both forms are written as
// deferred text, and decideCandidates() picks one when every use is known.
// A static local stays the C++ static it is, in its run.
void FunctionLowering::lowerVarDecl(const VarDecl *VD, const DeclStmt *DS,
                                    std::optional<std::string> InitOverride) {
  if (const auto *DD = dyn_cast<DecompositionDecl>(VD))
    return lowerDecomposition(DD, InitOverride);
  QualType T = VD->getType();
  bool Static = !VD->hasLocalStorage();
  bool NonTrivial = !T->isReferenceType() && destroys(T);
  bool Named = VD->getIdentifier() != nullptr;

  const Expr *Init = VD->getInit();
  const Expr *InitW = Init;
  if (InitW)
    if (const auto *EWC = dyn_cast<ExprWithCleanups>(InitW))
      InitW = EWC->getSubExpr();
  bool Extends = T->isReferenceType() && InitW && isa<MaterializeTemporaryExpr>(InitW->IgnoreParens());
  // The other temporaries whose life the variable extends ([class.temporary]/6):
  // `const T& m = make().member;` extends the whole temporary (the reference
  // is then kept as a pointer into it), `Agg a{Res()};` with a reference
  // member, `const Agg& a = Agg{Res()};` both. Each is kept in the scope,
  // made before the variable and destroyed after it. Known before the parks
  // of the initializer are lowered: one that must live across them is kept in
  // the scope, not with the full-expression.
  std::vector<const MaterializeTemporaryExpr *> Extended;
  extendedTemporaries(Init, VD, Extended);
  if (Extends)
    Extended.erase(std::remove(Extended.begin(), Extended.end(), InitW->IgnoreParens()),
                   Extended.end());
  if (!Static)
    ExtendedTemps.insert(Extended.begin(), Extended.end());
  FullExpr FE;
  if (Init && F.contains(Init))
    FE = lowerParks(Init);

  // The declaration as the source wrote it (a plain local of the run).
  auto PlainText = [&] {
    if (DS && DS->isSingleDecl() && !InitOverride)
      return Rewriter.statement(DS);
    std::string InitText;
    if (InitOverride)
      InitText = " = " + *InitOverride;
    else if (Init)
      InitText = declInitText(VD, Init);
    return spell(T) + " " + VD->getNameAsString() + " " + InitText + ";";
  };
  if (Static || !Named) {
    std::string Text = PlainText();
    user(VD->getBeginLoc(), Text);
    if (Static) {
      CandidateOf[VD] = static_cast<int>(Candidates.size());
      Candidates.push_back({});
      Candidates.back().VD = VD;
      Candidates.back().DeclRun = E->run();
    }
    endFullExpr(FE);
    return;
  }

  bool Member = T->isReferenceType() && !Extends && !Extended.empty();
  bool DependentRef =
      T->isReferenceType() && Init && !Extends && !Member && !bindsWithoutTemporary(T, Init);
  // A temporary extended by the variable has a destructor to run at its
  // scope end (or is a member's whole object): the variable is always kept.
  if ((Extends && destroys(T.getNonReferenceType())) || !Extended.empty())
    NonTrivial = true;
  if (NonTrivial && !checkKeepable(VD, T))
    return;
  for (const MaterializeTemporaryExpr *M : Extended)
    if (!ParkValues.count(M)) // not hoisted for a park of the initializer
      hoistTemporary(M, FE, /*AsStatement=*/false);
  KeptVar K;
  K.SourceName = VD->getNameAsString();
  K.Member = memberNameFor(K.SourceName);
  QualType Storage = T;
  if (T->isReferenceType()) {
    Storage = T.getNonReferenceType();
    K.Pointer = !Extends;
  }
  StmtLoc = VD->getLocation();
  // A candidate's type is checked only if it stays kept.
  K.Type = NonTrivial ? spellKept(Storage, Diag::DependentLocal, StmtLoc, K.SourceName)
                      : Speller.spell(Storage);
  K.NeedsDestroy = !K.Pointer && destroys(Storage);
  int Index = addKept(std::move(K));

  std::string InitText;
  bool HasInit = Init != nullptr || InitOverride;
  VarDecl::InitializationStyle Style = VD->getInitStyle();
  if (InitOverride) {
    InitText = *InitOverride;
    Style = VarDecl::CInit;
  } else if (Init) {
    InitText = declInitText(VD, Init);
    if (Style == VarDecl::CInit && !InitText.empty() && InitText[0] == '=')
      InitText = trim(InitText.substr(1));
  }
  // An implicit default construction has no written initializer.
  if (Init && !InitOverride && isa<CXXConstructExpr>(Init) && InitText.empty())
    HasInit = false;
  std::string KeptDecl = constructText(Index, InitText, Style, HasInit);
  if (NonTrivial) {
    if (DependentRef)
      Diags.report(Diag::DependentReferenceKept, VD->getLocation()) << VD->getNameAsString();
    user(VD->getBeginLoc(), KeptDecl);
  } else {
    Candidate C;
    C.VD = VD;
    C.Kept = Index;
    C.DeclText = E->newDeferred();
    C.RefText = E->newDeferred();
    C.PlainDecl = PlainText();
    C.KeptDecl = std::move(KeptDecl);
    const KeptVar &KV = Kept[Index];
    C.KeptRef = KV.Pointer ? "(*this->" + KV.Member + ")"
                           : KV.Member != KV.SourceName ? "this->" + KV.Member : KV.SourceName;
    C.CheckDependentRef = DependentRef;
    user(VD->getBeginLoc(), Emitter::deferredRef(C.DeclText));
    C.DeclRun = E->run();
    CandidateOf[VD] = static_cast<int>(Candidates.size());
    Candidates.push_back(std::move(C));
  }
  KeptIndex[VD] = Index;
  Stack.Scopes.back().Vars.push_back(Index);
  endFullExpr(FE);
}

// A candidate stays a plain C++ local of its partition when it is used only
// in the run that declares it (not in a lambda, its address never taken
// beyond the run); otherwise it is kept, and checked like any kept local.
// A static local used outside its run is an error: it cannot be both the
// function's one static and visible in another partition.
void FunctionLowering::decideCandidates() {
  for (Candidate &C : Candidates) {
    bool SameRun = C.DeclRun >= 0;
    for (int R : C.UseRuns)
      SameRun = SameRun && R == C.DeclRun;
    if (C.Kept < 0) {
      if (!SameRun)
        Diags.report(Diag::StaticLocalAfterPark, C.VD->getLocation()) << C.VD->getNameAsString();
      continue;
    }
    KeptVar &K = Kept[C.Kept];
    if (SameRun) {
      K.Dropped = true;
      E->setDeferred(C.DeclText, C.PlainDecl);
      E->setDeferred(C.RefText, K.SourceName);
      continue;
    }
    E->setDeferred(C.DeclText, C.KeptDecl);
    E->setDeferred(C.RefText, C.KeptRef);
    checkKeepable(C.VD, C.VD->getType());
    spellKept(C.VD->getType().getNonReferenceType(), Diag::DependentLocal, C.VD->getLocation(),
              K.SourceName);
    if (C.CheckDependentRef)
      Diags.report(Diag::DependentReferenceKept, C.VD->getLocation()) << C.VD->getNameAsString();
  }
}

std::string FunctionLowering::constructText(int K, const std::string &Init,
                                            VarDecl::InitializationStyle Style, bool HasInit) {
  const KeptVar &V = Kept[K];
  std::string M = "this->" + V.Member;
  if (V.Pointer) {
    std::string Arg = Init;
    if (Style != VarDecl::CInit && Arg.size() >= 2)
      Arg = Arg.substr(1, Arg.size() - 2);
    if (LvalueOnlyRef)
      return M + " = ::braid::detail::kept_lvalue_address<" + V.Type + ">(" + Arg + ");";
    return M + " = ::braid::detail::kept_address(" + Arg + ");";
  }
  std::string Ctor;
  if (!HasInit)
    Ctor = V.Type;
  else if (Style == VarDecl::CInit && !(Init.size() && Init[0] == '{'))
    Ctor = V.Type + "(" + Init + ")";
  else
    Ctor = V.Type + Init;
  std::string Out = "::new (::braid::detail::kept_storage(" + M + ")) " + Ctor + ";";
  if (V.NeedsDestroy)
    Out += " this->__braid_alive_" + V.Member + " = true;";
  return Out;
}

} // namespace braidc
