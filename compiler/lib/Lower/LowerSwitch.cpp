//===- LowerSwitch.cpp - switch ---------------------------------------------===//
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

// switch (cond) { case A: ...; default: ... }  ->
//   [switch scope] cond; switch (c) { case A: jump La; ... default: jump Ld; } jump Lbreak
//   [body scope] La: ... (falls through) Ld: ...;  Lbreak: [destroy]
// Case labels must be statements of the switch body itself.
void FunctionLowering::lowerSwitch(const SwitchStmt *S) {
  E->closeRun();
  BlockScope SwitchScope(*this);
  if (S->getInit())
    lowerStmt(S->getInit());
  std::string C = lowerCondition(S->getConditionVariable(), S->getCond(), /*Switch=*/true);
  const auto *Body = dyn_cast<CompoundStmt>(S->getBody());
  if (!Body) {
    Diags.report(Diag::SwitchWithoutBraces, S->getSwitchLoc());
    return;
  }
  // The labels, in body order; every SwitchCase must be found here.
  std::map<const SwitchCase *, int> Labels;
  for (const Stmt *Child : Body->body())
    for (const SwitchCase *SC = caseLabel(Child); SC; SC = caseLabel(SC->getSubStmt()))
      Labels[SC] = E->newLabel();
  for (const SwitchCase *SC = S->getSwitchCaseList(); SC; SC = SC->getNextSwitchCase())
    if (!Labels.count(SC)) {
      Diags.report(Diag::CaseNotTopLevel, SC->getKeywordLoc());
      return;
    }
  int Break = E->newLabel();
  std::string Dispatch = "switch (" + C + ") {";
  bool HasDefault = false;
  for (const Stmt *Child : Body->body())
    for (const SwitchCase *SC = caseLabel(Child); SC; SC = caseLabel(SC->getSubStmt())) {
      if (const auto *CS = dyn_cast<CaseStmt>(SC)) {
        Dispatch += " case " + Rewriter.text(CS->getLHS());
        if (CS->getRHS())
          Dispatch += " ... " + Rewriter.text(CS->getRHS());
        Dispatch += ": ";
      } else {
        HasDefault = true;
        Dispatch += " default: ";
      }
      Dispatch += E->jumpText(Labels[SC]);
    }
  Dispatch += " }";
  user(S->getSwitchLoc(), Dispatch);
  if (!HasDefault)
    E->terminate(E->jumpText(Break), true);
  else
    E->terminate("", true);
  size_t Depth = Stack.Scopes.size();
  {
    BlockScope BodyScope(*this);
    LeapScope Switch(*this, {false, Break, -1, Depth});
    for (const Stmt *Child : Body->body()) {
      const Stmt *X = Child;
      while (const SwitchCase *SC = caseLabel(X)) {
        markHere(Labels[SC], SC->getKeywordLoc(), "label");
        X = SC->getSubStmt();
      }
      lowerStmt(X);
    }
  }
  markHere(Break, S->getEndLoc(), "label");
}

} // namespace braidc
