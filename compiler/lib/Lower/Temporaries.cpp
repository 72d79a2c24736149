//===- Temporaries.cpp - temporaries that live across a park ----------------===//
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

bool FunctionLowering::keepableTemp(QualType T, SourceLocation Loc) {
  if (tempTypeKeepable(T, Hoisted))
    return true;
  Diags.report(Diag::TemporaryNotKeepable, Loc) << T.getAsString();
  return false;
}

// a ?: b (GNU) where b parks  ->
//   [parks of a]  c = a;  if (c) {} else jump Lelse;  r = c; jump Lend;
//   Lelse: [parks of b]  r = b;  Lend:
// a is evaluated once, into the kept temporary c (a pointer for a glvalue);
// r is kept as for ?:. Both die at the end of the full-expression.
// A frame temporary of the current full-expression, destroyed at its end:
// the value of type \p T, or a pointer to it when \p Pointer (a glvalue).
int FunctionLowering::addTemp(QualType T, bool Pointer, FullExpr &FE) {
  KeptVar V;
  V.Member = inventedName("tmp");
  V.Pointer = Pointer;
  V.Type = spell(Pointer ? T : T.getUnqualifiedType());
  V.NeedsDestroy = !Pointer && destroys(T);
  int K = addKept(std::move(V));
  TempTypes[K] = T;
  Stack.Scopes.back().Vars.push_back(K);
  FE.Temps.push_back(K);
  return K;
}

// The text of \p Part, a piece of a full-expression that is evaluated as a
// statement of its own before a park (a spilled operand, a park's operand,
// an operand of && || ?: ,). C++ destroys the temporaries it creates at the
// end of the whole full-expression, after the park ([class.temporary]/4):
// each one becomes a kept temporary (hoistTemporaries). \p SkipTop: Part is a
// prvalue whose own object the caller constructs (or a parameter's).
std::string FunctionLowering::partText(const Expr *Part, FullExpr &FE, bool SkipTop) {
  bool Saved = PartValueOwnsItself;
  PartValueOwnsItself = Part->isPRValue() && cannotReferToTemporaries(Part->getType());
  if (SkipTop)
    hoistInside(Part, FE);
  else
    hoistTemporaries(Part, FE);
  PartValueOwnsItself = Saved;
  return Rewriter.text(Part);
}

/// The temporaries inside \p Prvalue, whose own object is made elsewhere.
void FunctionLowering::hoistInside(const Expr *Prvalue, FullExpr &FE) {
  std::vector<const Expr *> Chain = tempChain(Prvalue);
  for (const Expr *N : Chain)
    if (ParkValues.count(N) || CommaValues.count(N))
      return;
  hoistChildren(Chain.back(), FE);
}

// Materialized temporaries of a part, in evaluation order (operands before
// the temporary they make), each constructed in place into a kept member:
//   make_tmp().ref()  ->
//   (static_cast<void>(::new (kept_storage(tmp)) T(make_tmp())),
//    static_cast<void>(alive_tmp = true), static_cast<T&&>(tmp)).ref()
// so it lives, and its destructor runs, where C++ says: at the end of the
// full-expression (endFullExpr, reverse construction order), or when an
// exception or a cancellation unwinds the frame. Not kept (documented):
// a by-value parameter object of a call inside the part, which the
// generated statement destroys when it ends.
void FunctionLowering::hoistTemporaries(const Stmt *S, FullExpr &FE) {
  if (!S)
    return;
  if (const auto *Ex = dyn_cast<Expr>(S); Ex && (ParkValues.count(Ex) || CommaValues.count(Ex)))
    return; // already lowered: its temporaries are its own lowering's
  if (const auto *LE = dyn_cast<LambdaExpr>(S)) {
    for (const Expr *I : LE->capture_inits()) {
      if (I && I->isPRValue() && I->getType()->isRecordType())
        hoistInside(I, FE); // initializes the closure's member in place
      else
        hoistTemporaries(I, FE);
    }
    return;
  }
  if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(S)) {
    hoistTemporary(M, FE, false);
    return;
  }
  const Expr *Hidden = nullptr;
  SourceLocation Used;
  if (const auto *D = dyn_cast<CXXDefaultArgExpr>(S)) {
    Hidden = D->getExpr();
    Used = D->getUsedLocation();
  } else if (const auto *D = dyn_cast<CXXDefaultInitExpr>(S)) {
    Hidden = D->getExpr();
    Used = D->getUsedLocation();
  }
  if (Hidden) {
    if (const MaterializeTemporaryExpr *M = hiddenTemporary(Hidden)) {
      const CXXRecordDecl *RD = M->getType()->getAsCXXRecordDecl();
      // The standard library's own default arguments (allocators) have no
      // observable destructor; a user type's would run before the park.
      bool Std = RD && RD->isInStdNamespace();
      if (!Std)
        Diags.report(Diag::DefaultArgumentTemporary, Used) << M->getType().getAsString();
    }
    return;
  }
  if (const auto *CE = dyn_cast<CastExpr>(S); CE && CE->getCastKind() == CK_ToVoid) {
    // `(void)make()`: a discarded temporary, destroyed at the end of the
    // full-expression like a materialized one.
    if (const auto *B = dyn_cast<CXXBindTemporaryExpr>(CE->getSubExpr()->IgnoreParens())) {
      hoistTemporary(B, FE, false);
      return;
    }
  }
  if (const auto *B = dyn_cast<CXXBindTemporaryExpr>(S)) {
    // A class prvalue neither materialized nor a parameter: its value is
    // used in a way the frame cannot hold.
    Diags.report(Diag::TemporaryUnusable, B->getBeginLoc()) << B->getType().getAsString();
    return;
  }
  hoistChildren(S, FE);
}

/// The temporaries of the operands of \p S. A class prvalue operand that
/// initializes an object in place (a by-value parameter, an element of a
/// braced list, the exception object of a throw, a new-expression's object)
/// is no temporary of this expression: only what is inside it is; nor is an
/// operand of ?: or , that is the operator's own prvalue result.
void FunctionLowering::hoistChildren(const Stmt *S, FullExpr &FE) {
  bool InPlace = isa<CallExpr>(S) || isa<CXXConstructExpr>(S) || isa<InitListExpr>(S) ||
                 isa<CXXThrowExpr>(S) || isa<CXXNewExpr>(S) || isa<CXXParenListInitExpr>(S) ||
                 isa<LambdaExpr>(S) || isa<AbstractConditionalOperator>(S);
  // A prvalue ?: or comma is its chosen operand's object.
  if (const auto *BO = dyn_cast<BinaryOperator>(S))
    InPlace = BO->isCommaOp();
  for (const Stmt *C : S->children()) {
    const auto *CE = dyn_cast_or_null<Expr>(C);
    // An operand whose value cannot refer to what it makes (an int argument
    // computed by an immediately invoked lambda) lets those end early, as
    // a whole piece's value does (hoistTemporary).
    bool Saved = PartValueOwnsItself;
    if (CE && CE->isPRValue() && cannotReferToTemporaries(CE->getType()))
      PartValueOwnsItself = true;
    if (InPlace && CE && CE->isPRValue() && CE->getType()->isRecordType())
      hoistInside(CE, FE);
    else
      hoistTemporaries(C, FE);
    PartValueOwnsItself = Saved;
  }
}

/// One materialized (or discarded, \p M a CXXBindTemporaryExpr) temporary
/// (see hoistTemporaries); returns its kept
/// index (-1 when it cannot be kept). \p AsStatement: \p M is the whole
/// part, so it is constructed by a statement of its own.
int FunctionLowering::hoistTemporary(const Expr *M, FullExpr &FE, bool AsStatement) {
  std::vector<const Expr *> Chain = tempChain(M);
  for (const Expr *N : Chain)
    if (ParkValues.count(N) || CommaValues.count(N))
      return -1; // a park's value or a lowered operator: already kept
  QualType T = M->getType();
  // What is made while computing this temporary's value flows only into
  // it: it can end early when this value cannot refer to it (or when the
  // whole piece's value cannot).
  bool Saved = PartValueOwnsItself;
  PartValueOwnsItself = Saved || cannotReferToTemporaries(T);
  hoistChildren(Chain.back(), FE);
  PartValueOwnsItself = Saved;
  // A temporary the frame cannot declare (a closure called at once, a
  // local class, the array of an initializer list) whose destruction is
  // unobservable stays a C++ temporary of the generated statement when
  // nothing read after the park can refer to it: it then ends before the
  // park instead of after, which no program can tell.
  if (!tempTypeKeepable(T, Hoisted) && unobservableDestruction(T) && PartValueOwnsItself)
    return -1;
  if (!keepableTemp(T, M->getBeginLoc()))
    return -1;
  KeptVar V;
  V.Member = inventedName("tmp");
  V.Type = spell(T.getUnqualifiedType());
  V.NeedsDestroy = destroys(T);
  const Expr *Sub = isa<MaterializeTemporaryExpr>(M)
                        ? cast<MaterializeTemporaryExpr>(M)->getSubExpr()
                        : cast<CXXBindTemporaryExpr>(M)->getSubExpr();
  std::string Init = initFrom(Sub, V.Type);
  int K = addKept(V);
  TempTypes[K] = T;
  Stack.Scopes.back().Vars.push_back(K);
  // A temporary a reference extends lives as long as the reference: it
  // stays in the scope, not with the full-expression.
  if (!ExtendedTemps.count(M))
    FE.Temps.push_back(K);
  else
    // Reached through the reference (a pointer member) only: live wherever
    // it is in scope, so that a fork's clone copies it with the pointer.
    Kept[K].Escapes = true;
  std::string Construct = constructText(K, Init, VarDecl::CInit, true);
  std::string Mem = "this->" + Kept[K].Member;
  std::string Value =
      "static_cast<" + spell(T) + (M->isLValue() ? "&" : "&&") + ">(" + Mem + ")";
  if (AsStatement) {
    user(M->getBeginLoc(), Construct);
    ParkValues[M] = Value;
    return K;
  }
  std::string Out = "(static_cast<void>(::new (::braid::detail::kept_storage(" + Mem + ")) " +
                    V.Type + "(" + Init + ")), ";
  if (V.NeedsDestroy)
    Out += "static_cast<void>(this->__braid_alive_" + Kept[K].Member + " = true), ";
  ParkValues[M] = Out + Value + ")";
  return K;
}

/// The initializer of `::new (p) Type(<here>)` from \p Prvalue, which
/// copy-initializes an object of that type in the source: its text when it
/// is a prvalue of that type already (the object is then made in place, as
/// in C++17); a conversion (an implicit converting constructor or conversion
/// function, a braced list) stays a copy-initialization, which direct
/// initialization is not (explicit constructors): `[&]() -> Type { return
/// text; }()`.
std::string FunctionLowering::initFrom(const Expr *Prvalue, const std::string &Type) {
  std::string Text = Rewriter.text(Prvalue);
  const Expr *W = Prvalue;
  for (;;) {
    const Expr *N = W;
    if (const auto *B = dyn_cast<CXXBindTemporaryExpr>(N))
      N = B->getSubExpr();
    else if (const auto *IC = dyn_cast<ImplicitCastExpr>(N); IC && IC->getCastKind() == CK_NoOp)
      N = IC->getSubExpr();
    else if (const auto *FE = dyn_cast<clang::FullExpr>(N))
      N = FE->getSubExpr();
    if (N == W)
      break;
    W = N;
  }
  bool Converts = isa<InitListExpr>(W);
  if (Prvalue->getType()->isRecordType())
    Converts = Converts || isa<ImplicitCastExpr>(W) ||
               (isa<CXXConstructExpr>(W) && !isa<CXXTemporaryObjectExpr>(W));
  else if (const auto *IC = dyn_cast<ImplicitCastExpr>(W))
    Converts = Converts || IC->getCastKind() == CK_UserDefinedConversion;
  if (!Converts)
    return Text;
  return "[&]() -> " + Type + " { return " + Text + "; }()";
}

void FunctionLowering::endFullExpr(const FullExpr &FE) {
  for (auto It = FE.Temps.rbegin(); It != FE.Temps.rend(); ++It) {
    if (E->isOpen()) {
      std::string D = destroyText(*It);
      if (!D.empty())
        E->tool(D, true);
    }
    std::vector<int> &V = Stack.Scopes.back().Vars;
    V.erase(std::remove(V.begin(), V.end(), *It), V.end());
  }
}

//===----------------------------------------------------------------------===//
// The frame
//===----------------------------------------------------------------------===//

} // namespace braidc
