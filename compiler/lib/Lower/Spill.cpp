//===- Spill.cpp - evaluation order: which operands are evaluated early -----===//
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

// The parks of a full-expression in C++ evaluation order: operands before
// the operation; the right operand of an assignment before its left
// ([expr.ass]); otherwise left to right (braid's choice where C++ leaves the
// order unspecified). &&, ||, ?: and GNU ?: whose later operands park need
// control flow inside the expression, and a built-in comma whose right
// operand parks evaluates its left operand first: each is a step of its own.
// Overloaded &&, || and , are calls: both operands are always evaluated, the
// left one first ([over.match.oper]/2, [expr.call]/8), as for any call.
void FunctionLowering::collectParks(const Stmt *S, std::vector<const Expr *> &Out) {
  if (!S || !F.contains(S))
    return;
  if (const auto *BO = dyn_cast<BinaryOperator>(S)) {
    if (BO->isAssignmentOp()) {
      collectParks(BO->getRHS(), Out);
      collectParks(BO->getLHS(), Out);
      return;
    }
    if (BO->isLogicalOp() && F.contains(BO->getRHS())) {
      Out.push_back(BO); // a step of its own: lowerShortCircuit
      return;
    }
    if (BO->isCommaOp() && F.contains(BO->getRHS())) {
      collectParks(BO->getLHS(), Out);
      Out.push_back(BO); // the left operand, discarded: lowerCommaLeft
      collectParks(BO->getRHS(), Out);
      return;
    }
  }
  if (const auto *CO = dyn_cast<ConditionalOperator>(S)) {
    if (F.contains(CO->getTrueExpr()) || F.contains(CO->getFalseExpr())) {
      Out.push_back(CO); // a step of its own: lowerConditional
      return;
    }
  }
  if (const auto *CO = dyn_cast<BinaryConditionalOperator>(S)) {
    if (F.contains(CO->getFalseExpr())) {
      Out.push_back(CO); // a step of its own: lowerBinaryConditional
      return;
    }
    // Only the common operand parks; the condition and the true branch are
    // that same value (evaluated once).
    collectParks(CO->getCommon(), Out);
    return;
  }
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(S)) {
    if (OC->isAssignmentOp() && OC->getNumArgs() == 2) {
      collectParks(OC->getArg(1), Out);
      collectParks(OC->getArg(0), Out);
      return;
    }
  }
  if (SuspendKind K = suspendKind(S); K != SuspendKind::None) {
    // amb's arguments are evaluated after it, each in its own branch
    // (lowerAmb); the operands of park and the forks before it.
    if (K != SuspendKind::Amb && K != SuspendKind::AmbMerge)
      for (const Expr *A : cast<CallExpr>(S)->arguments())
        collectParks(A, Out);
    Out.push_back(cast<CallExpr>(S));
    return;
  }
  // Operands left to right. Park values are carried across a park in
  // temporaries; so are the operands evaluated before a park that have
  // effects ("spilled": `f(a(), park(t))` evaluates a() into a frame
  // temporary, then parks; see spillTarget for which operands can be).
  // An inert operand (a variable, a literal, a member of one) is evaluated
  // with the whole expression, after the last park, which is a C++ order
  // because it has no effects -- unless it reads a value (a variable's, or
  // a closure's by-copy capture) where C++ fixes the order (a braced list,
  // a callee, `a[b]`, `<<`): the park runs other code, which may write that
  // variable (a global, or a local through a reference), so the read is
  // spilled as any operand with effects (FOUND.md H: `Pt{total,
  // park(g())}` read `total` after g had written it). Where the order is
  // unspecified (call arguments, `+`), reading after the park is one of the
  // orders C++ allows. Anything else before a park is diagnosed rather than
  // silently reordered.
  std::vector<const Stmt *> Pending;
  for (const Stmt *C : S->children()) {
    if (!C)
      continue;
    if (F.contains(C) && !Pending.empty()) {
      for (const Stmt *P : Pending) {
        const Expr *Target = spillTarget(S, P);
        if (!Target || !isSpillable(Target)) {
          // An operand the frame cannot hold (a closure copying a string, a
          // bit-field...) where C++ leaves the order open is evaluated with
          // the whole expression, after the park: one of the orders C++
          // allows.
          if (!F.contains(P) && orderUnspecified(S, P))
            continue;
          Diags.report(Diag::ParkAfterOperand, C->getBeginLoc()) << P->getSourceRange();
          return;
        }
        Spilled.insert(Target);
        Out.push_back(Target);
      }
      Pending.clear();
    }
    collectParks(C, Out);
    if ((!isInertOperand(C) || (readsValue(C) && !orderUnspecified(S, C))) && !Spilled.count(dyn_cast<Expr>(C)))
      Pending.push_back(C);
  }
}

/// True when C++ does not sequence \p Operand of \p Parent before its later
/// operands: the arguments of a call or of a parenthesized construction
/// ([expr.call]/8: indeterminately sequenced), the operands of the
/// arithmetic, comparison and bitwise operators (also overloaded:
/// [over.match.oper]/2). Not: a callee, the operands of `<<`, `>>`, `[]`,
/// assignments, `,`, `&&`, `||`, `.*`, and braced lists (left to right).
bool FunctionLowering::orderUnspecified(const Stmt *Parent, const Stmt *Operand) const {
  auto Unsequenced = [](BinaryOperatorKind K) {
    return BinaryOperator::isAdditiveOp(K) || BinaryOperator::isMultiplicativeOp(K) ||
           BinaryOperator::isComparisonOp(K) || K == BO_And || K == BO_Or || K == BO_Xor;
  };
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(Parent)) {
    if (Operand == OC->getCallee() || OC->getNumArgs() != 2 || !OC->isInfixBinaryOp())
      return false;
    return Unsequenced(BinaryOperator::getOverloadedOpcode(OC->getOperator()));
  }
  if (const auto *Call = dyn_cast<CallExpr>(Parent))
    return Operand != Call->getCallee();
  if (const auto *CE = dyn_cast<CXXConstructExpr>(Parent))
    return !CE->isListInitialization();
  if (const auto *BO = dyn_cast<BinaryOperator>(Parent))
    return Unsequenced(BO->getOpcode());
  return false;
}

/// What to evaluate early when \p Operand of \p Parent has effects and a
/// later operand parks, or null when that would change the meaning:
///  - a call argument (also of an overloaded operator, whose operands are
///    sequenced as the built-in operator's, or left to right);
///  - the callee of a call, evaluated before the arguments ([expr.call]/8):
///    the object of a member call (`obj().m(park(t))`), a function pointer;
///  - an operand of a binary operator, a subscript, a constructor call or a
///    braced list (left to right; for `a[b]`, `a << b` that is C++'s order).
const Expr *FunctionLowering::spillTarget(const Stmt *Parent, const Stmt *Operand) const {
  const auto *Op = dyn_cast<Expr>(Operand);
  if (!Op)
    return nullptr;
  if (const auto *Call = dyn_cast<CallExpr>(Parent)) {
    if (Operand != Call->getCallee())
      return Op;
    if (const auto *ME = dyn_cast<MemberExpr>(Op->IgnoreParenImpCasts()))
      return ME->isImplicitAccess() ? nullptr : ME->getBase();
    if (Op->getType()->isFunctionPointerType())
      return Op;
    return nullptr;
  }
  if (isa<BinaryOperator>(Parent) || isa<ArraySubscriptExpr>(Parent) ||
      isa<CXXConstructExpr>(Parent) || isa<InitListExpr>(Parent))
    return Op;
  return nullptr;
}

bool FunctionLowering::isSpillable(const Expr *E) const {
  if (E->getType()->isVoidType() || E->isTypeDependent() || E->isValueDependent())
    return false;
  if (E->isGLValue() && E->refersToBitField())
    return false;
  return tempTypeKeepable(E->getType(), Hoisted);
}

/// True when evaluating the (inert) operand \p S reads a value that code
/// running during a later park could change: an lvalue-to-rvalue conversion
/// (of a variable, a member, `*p`), or a closure's by-copy capture of a
/// variable. Not a const object's value (it cannot legally change), nor a
/// glvalue only designated (bound to a reference, its address taken).
bool FunctionLowering::readsValue(const Stmt *S) const {
  const auto *E = dyn_cast<Expr>(S);
  if (!E)
    return false;
  for (;;) {
    E = E->IgnoreParens();
    if (const auto *IC = dyn_cast<ImplicitCastExpr>(E)) {
      if (IC->getCastKind() == CK_LValueToRValue) {
        const Expr *Sub = IC->getSubExpr()->IgnoreParens();
        if (const auto *DR = dyn_cast<DeclRefExpr>(Sub))
          if (const auto *VD = dyn_cast<VarDecl>(DR->getDecl()))
            if (!VD->getType()->isReferenceType() && VD->getType().isConstQualified())
              return false;
        return true;
      }
      E = IC->getSubExpr();
      continue;
    }
    if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(E)) {
      E = M->getSubExpr();
      continue;
    }
    if (const auto *B = dyn_cast<CXXBindTemporaryExpr>(E)) {
      E = B->getSubExpr();
      continue;
    }
    if (const auto *FE = dyn_cast<clang::FullExpr>(E)) {
      E = FE->getSubExpr();
      continue;
    }
    break;
  }
  if (const auto *LE = dyn_cast<LambdaExpr>(E))
    for (const LambdaCapture &C : LE->captures())
      if (C.capturesVariable() && C.getCaptureKind() == LCK_ByCopy)
        return true;
  return false;
}

/// An operand whose evaluation has no effect that order could reveal, or a
/// park (whose value is carried in a temporary).
bool FunctionLowering::isInertOperand(const Stmt *S) const {
  const auto *Ex = dyn_cast<Expr>(S);
  if (!Ex)
    return false;
  for (;;) {
    const Expr *N = Ex->IgnoreParenImpCasts();
    if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(N))
      N = M->getSubExpr();
    else if (const auto *B = dyn_cast<CXXBindTemporaryExpr>(N))
      N = B->getSubExpr();
    else if (const auto *FE = dyn_cast<clang::FullExpr>(N))
      N = FE->getSubExpr();
    if (N == Ex)
      break;
    Ex = N;
  }
  if (isParkCall(Ex))
    return true;
  if (isa<DeclRefExpr>(Ex) || isa<IntegerLiteral>(Ex) || isa<FloatingLiteral>(Ex) ||
      isa<StringLiteral>(Ex) || isa<CharacterLiteral>(Ex) || isa<CXXBoolLiteralExpr>(Ex) ||
      isa<CXXNullPtrLiteralExpr>(Ex) || isa<CXXThisExpr>(Ex) || isa<UnaryExprOrTypeTraitExpr>(Ex))
    return true;
  // In a template's pattern: the callee of an operator or call resolved per
  // instantiation, a name only.
  if (isa<UnresolvedLookupExpr>(Ex) || isa<DependentScopeDeclRefExpr>(Ex))
    return true;
  // `obj.f` of a dependent object, as a MemberExpr of a resolved one.
  if (const auto *DM = dyn_cast<CXXDependentScopeMemberExpr>(Ex))
    return DM->isImplicitAccess() || isInertOperand(DM->getBase());
  if (const auto *UM = dyn_cast<UnresolvedMemberExpr>(Ex))
    return UM->isImplicitAccess() || isInertOperand(UM->getBase());
  if (const auto *ME = dyn_cast<MemberExpr>(Ex))
    return isInertOperand(ME->getBase());
  if (const auto *UO = dyn_cast<UnaryOperator>(Ex))
    return (UO->getOpcode() == UO_AddrOf || UO->getOpcode() == UO_Deref) &&
           isInertOperand(UO->getSubExpr());
  // A closure whose captures copy nothing observable (references, `this`,
  // trivially copyable values) can be made after the park.
  if (const auto *LE = dyn_cast<LambdaExpr>(Ex)) {
    for (const LambdaCapture &C : LE->captures()) {
      if (C.capturesThis() || C.getCaptureKind() == LCK_ByRef)
        continue;
      const auto *VD = dyn_cast_or_null<VarDecl>(C.capturesVariable() ? C.getCapturedVar() : nullptr);
      if (!VD || VD->isInitCapture() || !VD->getType().isTriviallyCopyableType(Ctx))
        return false;
    }
    return true;
  }
  return false;
}

// An operand evaluated before a later park (see spillTarget): into a kept
// temporary that dies with the full-expression; the operation then reads it.
//  - a materialized temporary (a prvalue bound to a reference parameter, the
//    object of a member call): that temporary, constructed in the frame;
//  - another glvalue: its address (a pointer member);
//  - another prvalue: its value, which the operation reads as an xvalue. A
//    class prvalue is then moved into a by-value parameter where C++ would
//    initialize the parameter from it directly: one more move construction
//    and destruction (the type must be movable: a static_assert says so).
void FunctionLowering::lowerSpill(const Expr *A, FullExpr &FE) {
  lowerSpillValue(A, FE);
  // Copied code names the operand as written: in a braced list's syntactic
  // form (what the rewriter walks) it has no implicit conversion around it
  // (an lvalue-to-rvalue cast, a copy), so the value is found under the
  // written operand too (FOUND.md F: `Pt{(log(), a), park(t)}` evaluated
  // `(log(), a)` twice).
  auto It = ParkValues.find(A);
  if (It == ParkValues.end())
    return;
  const Expr *W = A;
  for (;;) {
    const Expr *N = W->IgnoreImplicit();
    if (const auto *CE = dyn_cast<CXXConstructExpr>(N);
        CE && CE->getNumArgs() == 1 && !isa<CXXTemporaryObjectExpr>(CE) && CE->getParenOrBraceRange().isInvalid())
      N = CE->getArg(0);
    if (N == W)
      break;
    W = N;
  }
  if (W != A)
    ParkValues[W] = It->second;
}

void FunctionLowering::lowerSpillValue(const Expr *A, FullExpr &FE) {
  QualType T = A->getType();
  const Expr *Inner = A;
  for (;;) {
    const Expr *N = Inner->IgnoreParens();
    if (const auto *IC = dyn_cast<ImplicitCastExpr>(N); IC && IC->getCastKind() == CK_NoOp)
      N = IC->getSubExpr();
    if (N == Inner)
      break;
    Inner = N;
  }
  if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(Inner)) {
    int K = hoistTemporary(M, FE, /*AsStatement=*/true);
    if (K >= 0)
      ParkValues[A] = "static_cast<" + spell(T) + (A->isLValue() ? "&" : "&&") + ">(this->" +
                      Kept[K].Member + ")";
    return;
  }
  if (!keepableTemp(T, A->getBeginLoc()))
    return;
  int K = addTemp(T, A->isGLValue(), FE);
  const KeptVar V = Kept[K]; // a copy: later steps may add to Kept
  const std::string M = "this->" + V.Member;
  if (V.Pointer) {
    user(A->getBeginLoc(), constructText(K, partText(A, FE, false), VarDecl::CInit, true));
    ParkValues[A] = A->isXValue() ? "static_cast<" + V.Type + "&&>(*" + M + ")" : "(*" + M + ")";
    return;
  }
  partText(A, FE, true);
  std::string Check;
  if (T->isRecordType())
    Check = " static_assert(::std::is_move_constructible_v<" + V.Type +
            ">, \"braid: this operand is evaluated before the park into the frame, then moved "
            "into its parameter: its type must be movable; store it in a local before\");";
  user(A->getBeginLoc(), constructText(K, initFrom(A, V.Type), VarDecl::CInit, true) + Check);
  ParkValues[A] = "static_cast<" + V.Type + "&&>(" + M + ")";
}

} // namespace braidc
