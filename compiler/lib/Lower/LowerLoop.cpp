//===- LowerLoop.cpp - while, do, for and range-for -------------------------===//
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

// while (cond) body  ->
//   Lhead: [iteration scope] cond; if (c) {} else { leave; jump Lbreak }
//          body; leave; jump Lhead
//   Lbreak:
void FunctionLowering::lowerWhile(const WhileStmt *S) {
  E->closeRun();
  int Head = E->newLabel(), Break = E->newLabel();
  markHere(Head, S->getWhileLoc(), "label");
  size_t Depth = Stack.Scopes.size();
  {
    BlockScope Iteration(*this);
    std::string C = lowerCondition(S->getConditionVariable(), S->getCond());
    branchUnless(C, S->getCond()->getBeginLoc(), Break, Depth);
    LeapScope Loop(*this, {true, Break, Head, Depth});
    lowerSubStmt(S->getBody());
  }
  if (E->isOpen())
    E->jump(Head);
  markHere(Break, S->getEndLoc(), "label");
}

// do body while (cond);  ->  Lbody: body; Lcond: cond; if (c) jump Lbody;  Lbreak:
void FunctionLowering::lowerDo(const DoStmt *S) {
  E->closeRun();
  int Body = E->newLabel(), Cond = E->newLabel(), Break = E->newLabel();
  markHere(Body, S->getDoLoc(), "label");
  {
    LeapScope Loop(*this, {true, Break, Cond, Stack.Scopes.size()});
    lowerSubStmt(S->getBody());
  }
  markHere(Cond, S->getCond()->getBeginLoc(), "label");
  {
    BlockScope Condition(*this);
    std::string C = lowerCondition(nullptr, S->getCond());
    user(S->getCond()->getBeginLoc(), "if (" + C + ") { " + E->jumpText(Body) + " }");
  }
  markHere(Break, S->getEndLoc(), "label");
}

// for (init; cond; inc) body  ->
//   [for scope] init; Lhead: [iteration] cond; if (c) {} else { leave; jump Lbreak }
//   body; Lcont: inc; jump Lhead;  Lbreak: [destroy for scope]
void FunctionLowering::lowerFor(const ForStmt *S) {
  E->closeRun();
  BlockScope ForScope(*this);
  if (S->getInit())
    lowerStmt(S->getInit());
  int Head = E->newLabel(), Cont = E->newLabel(), Break = E->newLabel();
  markHere(Head, S->getForLoc(), "label");
  size_t Depth = Stack.Scopes.size();
  {
    BlockScope Iteration(*this);
    if (S->getCond() || S->getConditionVariable()) {
      std::string C = lowerCondition(S->getConditionVariable(), S->getCond());
      branchUnless(C, S->getCond()->getBeginLoc(), Break, Depth);
    }
    LeapScope Loop(*this, {true, Break, Cont, Depth});
    lowerSubStmt(S->getBody());
  }
  markHere(Cont, S->getInc() ? S->getInc()->getBeginLoc() : S->getForLoc(), "label");
  if (const Expr *Inc = S->getInc()) {
    BlockScope Increment(*this);
    lowerExprStmt(Inc);
  }
  E->jump(Head);
  markHere(Break, S->getEndLoc(), "label");
}

// for (decl : range) body  ->  ([stmt.ranged])
//   [range scope] __range = range (by value when a temporary, else a
//   pointer); __begin, __end;  Lhead: if (__begin != __end) {} else jump Lbreak;
//   [iteration] decl = *__begin; body;  Lcont: ++__begin; jump Lhead;
//   Lbreak: [destroy range scope: the temporary range dies here]
void FunctionLowering::lowerRangeFor(const CXXForRangeStmt *S) {
  E->closeRun();
  BlockScope RangeScope(*this);
  if (S->getInit())
    lowerStmt(S->getInit());
  const Expr *Range = S->getRangeInit();
  FullExpr FE;
  if (F.contains(Range))
    FE = lowerParks(Range);
  // `for (x : make().member)`: __range binds a member of a temporary, whose
  // life it extends to the loop's end ([class.temporary]/6): kept in the
  // range scope, the range a pointer into it.
  if (const DeclStmt *RS = S->getRangeStmt())
    if (const auto *RV = dyn_cast<VarDecl>(RS->getSingleDecl()))
      if (const MaterializeTemporaryExpr *M = extendedTemporary(Range, RV);
          M && M != written(Range)->IgnoreParens() && isa<MemberExpr>(written(Range)->IgnoreParens())) {
        ExtendedTemps.insert(M);
        hoistTemporary(M, FE, /*AsStatement=*/false);
      }
  std::string RangeText = Rewriter.text(Range);
  const Expr *RW = Range;
  if (const auto *EWC = dyn_cast<ExprWithCleanups>(RW))
    RW = EWC->getSubExpr();
  bool Temporary = RW->isPRValue() || isa<MaterializeTemporaryExpr>(RW->IgnoreParens());
  KeptVar RV;
  RV.Member = inventedName("range");
  RV.Pointer = !Temporary;
  QualType RT = Range->getType().getNonReferenceType();
  if (Temporary)
    RT = RT.getUnqualifiedType();
  RV.Type = spell(RT);
  RV.NeedsDestroy = Temporary && destroys(RT);
  int RI = addKept(RV);
  Stack.Scopes.back().Vars.push_back(RI);
  SourceLocation Loc = S->getForLoc();
  user(Range->getBeginLoc(), constructText(RI, RangeText, VarDecl::CInit, true));
  endFullExpr(FE);
  std::string RangeRef = Temporary ? "this->" + Kept[RI].Member : "(*this->" + Kept[RI].Member + ")";
  // In a template's pattern a range of dependent type has no begin/end
  // statements yet: the iterators' type is that of range_begin/range_end
  // on the kept range.
  const bool DependentRange = !S->getBeginStmt() || !S->getEndStmt();
  if (DependentRange) {
    const Expr *RI = Range->IgnoreParens();
    bool Named = isa<DeclRefExpr>(RI) || isa<MemberExpr>(RI) || isa<CXXDependentScopeMemberExpr>(RI);
    const VarDecl *LV = S->getLoopVariable();
    if (!Named || LV->getType()->isRValueReferenceType()) {
      if (!Named)
        Diags.report(Diag::DependentRangeFor, Range->getBeginLoc());
      else
        Diags.report(Diag::DependentRangeForRvalue, LV->getLocation());
    }
  }
  auto Iter = [&](const char *Name, const Stmt *DS, const char *Fn) {
    KeptVar IV;
    IV.Member = inventedName(Name);
    if (DependentRange) {
      IV.Type = "decltype(::braid::detail::" + std::string(Fn) + "(::std::declval<" + Kept[RI].Type + "&>()))";
      IV.NeedsDestroy = true;
    } else {
      const auto *VD = cast<VarDecl>(cast<DeclStmt>(DS)->getSingleDecl());
      IV.Type = spell(VD->getType());
      IV.NeedsDestroy = destroys(VD->getType());
    }
    int I = addKept(IV);
    Stack.Scopes.back().Vars.push_back(I);
    user(Loc, constructText(I, std::string("::braid::detail::") + Fn + "(" + RangeRef + ")",
                            VarDecl::CInit, true));
    return "this->" + Kept[I].Member;
  };
  std::string Begin = Iter("begin", S->getBeginStmt(), "range_begin");
  std::string End = Iter("end", S->getEndStmt(), "range_end");
  int Head = E->newLabel(), Cont = E->newLabel(), Break = E->newLabel();
  markHere(Head, Loc, "label");
  size_t Depth = Stack.Scopes.size();
  branchUnless(Begin + " != " + End, Loc, Break, Depth);
  {
    BlockScope Iteration(*this);
    // A reference loop variable over a dependent range must bind `*it`
    // itself: kept_lvalue_address refuses (at compile time) the temporary a
    // prvalue `*it` or a conversion would make.
    LvalueOnlyRef = DependentRange;
    lowerVarDecl(S->getLoopVariable(), nullptr, "*" + Begin);
    LvalueOnlyRef = false;
    LeapScope Loop(*this, {true, Break, Cont, Depth});
    lowerSubStmt(S->getBody());
  }
  markHere(Cont, Loc, "label");
  E->tool("++" + Begin + ";");
  E->jump(Head);
  markHere(Break, S->getEndLoc(), "label");
}

} // namespace braidc
