//===- LowerPark.cpp - parks and the operators that become jumps ------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Lower/FunctionLowering.h"

#include "Analysis/ParkFinder.h"

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

/// An operand that can be evaluated early into a frame temporary: a value,
/// or a glvalue whose address can be kept (not a bit-field, a function or an
/// array), of a type the frame can declare.
// The operand of a park is evaluated before the park and its temporaries
// live to the end of the full-expression, after the park: the lowering keeps
// them in the frame (hoistTemporaries). A call resolved per instantiation
// shows none in the pattern, so it is diagnosed rather than letting its
// temporaries die at the suspension.
void FunctionLowering::checkDependentOperand(const CallExpr *P) {
  for (const Expr *A : P->arguments())
    if (const Expr *U = unresolvedCall(A)) {
      Diags.report(Diag::DependentCallInParkOperand, U->getBeginLoc());
      return;
    }
}

// Each park: `return park(operand, Lk, slot_k);` then, at Lk, its value:
// the last park of the expression is read in place (`slot_k.take()`, a
// prvalue with the temporary lifetime C++ gives it); an earlier one is
// taken at once into a kept temporary (so its error surfaces before the
// next park starts) that lives until the end of the full-expression.
FunctionLowering::FullExpr FunctionLowering::lowerParks(const Expr *Ex) {
  FullExpr FE;
  if (!Ex || !F.contains(Ex))
    return FE;
  std::vector<const Expr *> Steps;
  collectParks(Ex, Steps);
  lowerSteps(Steps, FE);
  return FE;
}

void FunctionLowering::lowerSteps(const std::vector<const Expr *> &Steps, FullExpr &FE) {
  for (size_t I = 0; I < Steps.size(); ++I) {
    // A spilled operand may itself be an operator: test it first.
    if (Spilled.count(Steps[I])) {
      lowerSpill(Steps[I], FE);
      continue;
    }
    if (const auto *BO = dyn_cast<BinaryOperator>(Steps[I])) {
      if (BO->isCommaOp())
        lowerCommaLeft(BO, FE);
      else
        lowerShortCircuit(BO, FE);
      continue;
    }
    if (const auto *CO = dyn_cast<ConditionalOperator>(Steps[I])) {
      lowerConditional(CO, FE);
      continue;
    }
    if (const auto *CO = dyn_cast<BinaryConditionalOperator>(Steps[I])) {
      lowerBinaryConditional(CO, FE);
      continue;
    }
    const auto *P = cast<CallExpr>(Steps[I]);
    const SuspendKind SK = suspendKind(P);
    if (SK == SuspendKind::AmbNone) {
      Diags.report(Diag::AmbNoneInExpression, P->getBeginLoc()) << P->getSourceRange();
      continue;
    }
    if (SK == SuspendKind::Amb || SK == SuspendKind::AmbMerge) {
      lowerAmb(P, FE);
      continue;
    }
    QualType VT = P->getType().getNonReferenceType().getUnqualifiedType();
    StmtLoc = P->getBeginLoc();
    std::string U;
    if (SK != SuspendKind::Park && isDependentParkCall(P)) {
      // A fork on a flow whose type is dependent: its value type is the T
      // of flow<T> as written.
      QualType AT = P->getArg(P->getNumArgs() - 1)->getType();
      if (std::optional<QualType> FV = flowValueType(AT.getNonReferenceType())) {
        VT = FV->getUnqualifiedType();
        U = spell(VT);
      } else {
        U = "typename " + spellKept(AT, Diag::DependentParkOperand, StmtLoc, "") + "::value_type";
      }
      checkDependentOperand(P);
    } else if (isDependentParkCall(P)) {
      // In a template's pattern the call is unresolved (its type is
      // dependent): the value type is the T of the operand's task<T>,
      // spelled as written, or named through the operand's type.
      QualType AT = P->getArg(0)->getType();
      if (std::optional<QualType> TV = taskValueType(AT.getNonReferenceType())) {
        VT = TV->getUnqualifiedType();
        U = spell(VT);
      } else {
        U = "::braid::detail::task_value_t<" +
            spellKept(AT, Diag::DependentParkOperand, StmtLoc, "") + ">";
      }
      checkDependentOperand(P);
    } else {
      U = spell(VT);
    }
    std::string Slot = "__braid_slot_" + std::to_string(Counter++);
    Slots.push_back({Slot, U});
    MemberOrder.push_back({true, static_cast<int>(Slots.size()) - 1});
    // The operand initializes park's by-value task parameter; temporaries
    // inside it live to the end of the full-expression, past the park.
    // (A fork's flow likewise; fork(n, f) evaluates n and f as a call does.)
    std::string Operand;
    for (unsigned A = 0; A < P->getNumArgs(); ++A)
      Operand += partText(P->getArg(A), FE, /*SkipTop=*/true) + ", ";
    int L = E->newLabel();
    const char *Method = SK == SuspendKind::Park        ? "park"
                         : SK == SuspendKind::Listen    ? "listen"
                         : SK == SuspendKind::WaitFor   ? "wait_for"
                         : SK == SuspendKind::Fork      ? "fork"
                         : SK == SuspendKind::ForkMerge ? "fork_merge"
                                                        : "fork_switch";
    std::string Mark;
    if (isForkKind(SK)) {
      Mark = "this->__braid_fork = " + std::to_string(Forks.size()) + "; ";
      Forks.push_back({L, P->getBeginLoc()});
    }
    const char *ResumeKind = isForkKind(SK) ? "fork" : "resume";
    // A durable body's listens, waits and durable calls are where its run
    // is stored: their resume partitions carry a resume site.
    if (Kind == Flavour::Durable) {
      DurableSite::Kind SiteKind = SK == SuspendKind::Listen    ? DurableSite::Listen
                                   : SK == SuspendKind::WaitFor ? DurableSite::WaitFor
                                   : isBraidRunType(P->getArg(0)->getType().getNonReferenceType())
                                       ? DurableSite::Call
                                       : DurableSite::None;
      if (SiteKind != DurableSite::None) {
        if (!Stack.Handlers.empty())
          Diags.report(Diag::DurableInHandler, P->getBeginLoc())
              << (SiteKind == DurableSite::Call ? "a durable call (braid::park on a braid::run<T>)"
                                                 : suspendName(SK))
              << (unsigned(SiteKind) - 1) << P->getSourceRange();
        DurableSites.push_back({L, SiteKind, Slot, U, VT, P->getBeginLoc()});
        ResumeKind = SiteKind == DurableSite::Listen ? "listen" : SiteKind == DurableSite::WaitFor ? "wait" : "call";
      }
    }
    user(P->getBeginLoc(), Mark + "return " + coreCall(Method) + Operand + E->labelRef(L) +
                               ", this->" + Slot + ");");
    E->terminate("", true);
    markHere(L, P->getBeginLoc(), ResumeKind);
    std::string Take = "this->" + Slot + ".take()";
    if (I + 1 == Steps.size()) {
      ParkValues[P] = Take;
      continue;
    }
    if (VT->isVoidType()) {
      E->tool(Take + ";");
      ParkValues[P] = "void()";
      continue;
    }
    KeptVar T;
    T.Member = inventedName("tmp");
    T.Type = U;
    T.NeedsDestroy = destroys(VT);
    int K = addKept(T);
    TempTypes[K] = VT;
    Stack.Scopes.back().Vars.push_back(K);
    FE.Temps.push_back(K);
    E->tool(constructText(K, Take, VarDecl::CInit, true));
    ParkValues[P] = "static_cast<" + U + "&&>(this->" + Kept[K].Member + ")";
  }
}

// a && b (or a || b) where b parks  ->
//   [parks of a]  v = bool(a);  if (!v) jump Lskip;     (|| : if (v))
//   [parks of b]  v = bool(b);  Lskip:
// and the expression reads v. A short-circuited b never starts its tasks.
// Temporaries of a and b live in the frame to the end of the full-expression.
void FunctionLowering::lowerShortCircuit(const BinaryOperator *BO, FullExpr &FE) {
  std::vector<const Expr *> L;
  collectParks(BO->getLHS(), L);
  lowerSteps(L, FE);
  KeptVar V;
  V.Member = inventedName("cond");
  V.Type = "bool";
  int K = addKept(V);
  std::string Var = "this->" + Kept[K].Member;
  user(BO->getLHS()->getBeginLoc(),
       Var + " = static_cast<bool>(" + partText(BO->getLHS(), FE, false) + ");");
  int Skip = E->newLabel();
  user(BO->getOperatorLoc(), std::string("if (") + (BO->getOpcode() == BO_LAnd ? "!" : "") + Var +
                                 ") { " + E->jumpText(Skip) + " }");
  std::vector<const Expr *> R;
  collectParks(BO->getRHS(), R);
  lowerSteps(R, FE);
  user(BO->getRHS()->getBeginLoc(),
       Var + " = static_cast<bool>(" + partText(BO->getRHS(), FE, false) + ");");
  markHere(Skip, BO->getOperatorLoc(), "label");
  ParkValues[BO] = Var;
}

// c ? a : b where a branch parks  ->
//   [parks of c]  if (c) {} else jump Lelse;
//   [parks of a]  r = a; jump Lend;  Lelse: [parks of b]  r = b;  Lend:
// r is a kept temporary of the result type (a pointer for an lvalue
// result), destroyed at the end of the full-expression; only the chosen
// branch runs. A void ?: has no r: each branch is evaluated as a statement
// (so is a branch that is a throw-expression).
void FunctionLowering::lowerConditional(const ConditionalOperator *CO, FullExpr &FE) {
  std::vector<const Expr *> C;
  collectParks(CO->getCond(), C);
  lowerSteps(C, FE);
  QualType T = CO->getType();
  bool Void = T->isVoidType();
  bool LValue = CO->isGLValue();
  int K = -1;
  if (!Void) {
    if (!keepableTemp(T, CO->getBeginLoc()))
      return;
    K = addTemp(T, LValue, FE);
  }
  int Else = E->newLabel(), End = E->newLabel();
  user(CO->getCond()->getBeginLoc(), "if (" + partText(CO->getCond(), FE, false) + ") {} else { " +
                                         E->jumpText(Else) + " }");
  auto Branch = [&](const Expr *B) {
    std::vector<const Expr *> Steps;
    collectParks(B, Steps);
    lowerSteps(Steps, FE);
    if (Void || B->getType()->isVoidType()) {
      user(B->getBeginLoc(), "static_cast<void>(" + partText(B, FE, false) + ");");
      return;
    }
    if (LValue) {
      user(B->getBeginLoc(), constructText(K, partText(B, FE, false), VarDecl::CInit, true));
      return;
    }
    // The branch's prvalue initializes r in place.
    partText(B, FE, true);
    user(B->getBeginLoc(), constructText(K, initFrom(B, Kept[K].Type), VarDecl::CInit, true));
  };
  Branch(CO->getTrueExpr());
  E->jump(End);
  markHere(Else, CO->getFalseExpr()->getBeginLoc(), "label");
  Branch(CO->getFalseExpr());
  markHere(End, CO->getEndLoc(), "label");
  if (Void) {
    ParkValues[CO] = "static_cast<void>(0)";
    return;
  }
  const std::string M = "this->" + Kept[K].Member;
  ParkValues[CO] = LValue ? "(*" + M + ")" : "static_cast<" + Kept[K].Type + "&&>(" + M + ")";
}

void FunctionLowering::lowerBinaryConditional(const BinaryConditionalOperator *CO, FullExpr &FE) {
  const Expr *Common = CO->getCommon();
  std::vector<const Expr *> C;
  collectParks(Common, C);
  lowerSteps(C, FE);
  QualType CT = Common->getType(), T = CO->getType();
  if (!keepableTemp(CT, Common->getBeginLoc()) || !keepableTemp(T, CO->getBeginLoc()))
    return;
  bool CommonRef = Common->isGLValue();
  int CK = addTemp(CT, CommonRef, FE);
  std::string CText = partText(Common, FE, !CommonRef);
  user(Common->getBeginLoc(),
       constructText(CK, CommonRef ? CText : initFrom(Common, Kept[CK].Type), VarDecl::CInit, true));
  std::string CVal = (CommonRef ? "(*this->" : "(this->") + Kept[CK].Member + ")";

  bool LValue = CO->isGLValue();
  int K = addTemp(T, LValue, FE);
  int Else = E->newLabel(), End = E->newLabel();
  user(Common->getBeginLoc(), "if (" + CVal + ") {} else { " + E->jumpText(Else) + " }");
  user(Common->getBeginLoc(), constructText(K, CVal, VarDecl::CInit, true));
  E->jump(End);
  const Expr *B = CO->getFalseExpr();
  markHere(Else, B->getBeginLoc(), "label");
  std::vector<const Expr *> Steps;
  collectParks(B, Steps);
  lowerSteps(Steps, FE);
  if (B->getType()->isVoidType()) {
    user(B->getBeginLoc(), "static_cast<void>(" + partText(B, FE, false) + ");");
  } else if (LValue) {
    user(B->getBeginLoc(), constructText(K, partText(B, FE, false), VarDecl::CInit, true));
  } else {
    partText(B, FE, true);
    user(B->getBeginLoc(), constructText(K, initFrom(B, Kept[K].Type), VarDecl::CInit, true));
  }
  markHere(End, CO->getEndLoc(), "label");
  const std::string M = "this->" + Kept[K].Member;
  ParkValues[CO] = LValue ? "(*" + M + ")" : "static_cast<" + Kept[K].Type + "&&>(" + M + ")";
}

// (a, b) where b parks  ->  [parks of a]  static_cast<void>(a);  [parks of b]
// and the expression reads as (b). a's temporaries live in the frame until
// the end of the full-expression, as C++ keeps them ([class.temporary]/4).
void FunctionLowering::lowerCommaLeft(const BinaryOperator *BO, FullExpr &FE) {
  const Expr *L = BO->getLHS();
  user(L->getBeginLoc(), "static_cast<void>(" + partText(L, FE, false) + ");");
  CommaValues.insert(BO);
}

} // namespace braidc
