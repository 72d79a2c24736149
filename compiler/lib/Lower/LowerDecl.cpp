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
  if (FirstPass) {
    // Pass 1 keeps everything; only what pass 2 still keeps is an error.
    return true;
  }
  Diags.setMuted(false);
  struct Remute {
    Diagnoser &D;
    ~Remute() { D.setMuted(true); }
  } R{Diags};
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
      if (FirstPass)
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
void FunctionLowering::lowerVarDecl(const VarDecl *VD, const DeclStmt *DS,
                                    std::optional<std::string> InitOverride) {
  if (const auto *DD = dyn_cast<DecompositionDecl>(VD))
    return lowerDecomposition(DD, InitOverride);
  QualType T = VD->getType();
  bool Static = !VD->hasLocalStorage();
  bool NonTrivial = !T->isReferenceType() && destroys(T);
  if (FirstPass && !Static && !NonTrivial && VD->getIdentifier())
    Candidates.insert(VD);
  bool KeepIt = !Static && (NonTrivial || !Plain.count(VD));
  if (FirstPass && Static) {
    // A static local stays one C++ static; it must not be needed elsewhere.
    Candidates.insert(VD);
  }
  if (!VD->getIdentifier())
    KeepIt = false;

  const Expr *Init = VD->getInit();
  FullExpr FE;
  if (Init && F.contains(Init))
    FE = lowerParks(Init);

  if (!KeepIt) {
    std::string Text;
    if (DS && DS->isSingleDecl() && !InitOverride) {
      Text = Rewriter.statement(DS);
    } else {
      std::string InitText;
      if (InitOverride)
        InitText = " = " + *InitOverride;
      else if (Init)
        InitText = declInitText(VD, Init);
      Text = spell(T) + " " + VD->getNameAsString() + " " + InitText + ";";
    }
    if (FirstPass)
      DeclRun[VD] = -2; // set below once the run is open
    user(VD->getBeginLoc(), Text);
    if (FirstPass)
      DeclRun[VD] = E->run();
    endFullExpr(FE);
    return;
  }

  // Kept.
  const Expr *InitW = Init;
  if (InitW)
    if (const auto *EWC = dyn_cast<ExprWithCleanups>(InitW))
      InitW = EWC->getSubExpr();
  bool Extends = T->isReferenceType() && InitW && isa<MaterializeTemporaryExpr>(InitW->IgnoreParens());
  if (!checkKeepable(VD, T))
    return;
  if (!FirstPass && T->isReferenceType() && Init && !Extends && !bindsWithoutTemporary(T, Init)) {
    // In a template the pattern has no MaterializeTemporaryExpr where the
    // initializer's type is dependent: whether the reference binds a
    // temporary (whose lifetime it would extend past the park) is decided
    // per instantiation.
    Diags.setMuted(false);
    Diags.report(Diag::DependentReferenceKept, VD->getLocation()) << VD->getNameAsString();
    Diags.setMuted(true);
    return;
  }
  KeptVar K;
  K.SourceName = VD->getNameAsString();
  K.Member = memberNameFor(K.SourceName);
  QualType Storage = T;
  if (T->isReferenceType()) {
    Storage = T.getNonReferenceType();
    K.Pointer = !Extends;
  }
  StmtLoc = VD->getLocation();
  K.Type = spellKept(Storage, Diag::DependentLocal, StmtLoc, K.SourceName);
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
  user(VD->getBeginLoc(), constructText(Index, InitText, Style, HasInit));
  if (FirstPass)
    DeclRun[VD] = E->run();
  KeptIndex[VD] = Index;
  Stack.Scopes.back().Vars.push_back(Index);
  endFullExpr(FE);
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
