//===- LowerStmt.cpp - blocks, expression statements, returns, if -----------===//
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

// Dispatch. An unmarked statement is copied (DeclStmts of an exploded scope
// still go through lowerDeclStmt: their locals may have to be kept).
void FunctionLowering::lowerStmt(const Stmt *S) {
  StmtLoc = S->getBeginLoc();
  if (const auto *DS = dyn_cast<DeclStmt>(S))
    return lowerDeclStmt(DS);
  if (const auto *G = dyn_cast<GotoStmt>(S))
    return lowerGoto(G);
  if (const auto *L = dyn_cast<LabelStmt>(S))
    return lowerLabel(L);
  if (isa<IndirectGotoStmt>(S)) {
    Diags.report(Diag::GotoInSp, S->getBeginLoc());
    return;
  }
  if (!exploded(S))
    return lowerVerbatim(S);
  if (lowerAmbNone(S))
    return;
  if (const auto *CS = dyn_cast<CompoundStmt>(S))
    return lowerCompound(CS);
  if (const auto *R = dyn_cast<ReturnStmt>(S))
    return lowerReturn(R);
  if (const auto *If = dyn_cast<IfStmt>(S))
    return lowerIf(If);
  if (const auto *W = dyn_cast<WhileStmt>(S))
    return lowerWhile(W);
  if (const auto *D = dyn_cast<DoStmt>(S))
    return lowerDo(D);
  if (const auto *Fo = dyn_cast<ForStmt>(S))
    return lowerFor(Fo);
  if (const auto *RF = dyn_cast<CXXForRangeStmt>(S))
    return lowerRangeFor(RF);
  if (const auto *Sw = dyn_cast<SwitchStmt>(S))
    return lowerSwitch(Sw);
  if (const auto *T = dyn_cast<CXXTryStmt>(S))
    return lowerTry(T);
  if (const auto *A = dyn_cast<AttributedStmt>(S))
    return lowerStmt(A->getSubStmt());
  if (const auto *Ex = dyn_cast<Expr>(S))
    return lowerExprStmt(Ex);
  if (isa<SwitchCase>(S)) {
    Diags.report(Diag::CaseNotTopLevel, S->getBeginLoc());
    return;
  }
  Diags.report(Diag::UnsupportedStatement, S->getBeginLoc()) << S->getStmtClassName();
}

void FunctionLowering::lowerVerbatim(const Stmt *S) {
  if (isa<NullStmt>(S))
    return;
  beginCopied();
  user(S->getBeginLoc(), Rewriter.statement(S));
  if (std::string Exits = endCopied(); !Exits.empty())
    E->tool(Exits, true);
  const Stmt *Last = S;
  while (const auto *A = dyn_cast<AttributedStmt>(Last))
    Last = A->getSubStmt();
  if (const auto *EWC = dyn_cast<ExprWithCleanups>(Last))
    Last = EWC->getSubExpr();
  if (isa<ReturnStmt>(Last) || isa<CXXThrowExpr>(Last) || isa<BreakStmt>(Last) ||
      isa<ContinueStmt>(Last))
    E->terminate("", true); // the user's own jump ends the partition
}

// `{ a; b; }` -> the statements in sequence, then (if control reaches the
// closing brace) the kept locals of this scope destroyed in reverse order.
void FunctionLowering::lowerCompound(const CompoundStmt *S) {
  E->closeRun();
  BlockScope Block(*this);
  for (const Stmt *C : S->body())
    lowerStmt(C);
}

// A substatement that is not a block still has its own scope.
void FunctionLowering::lowerSubStmt(const Stmt *S) {
  if (isa<CompoundStmt>(S))
    return lowerStmt(S);
  E->closeRun();
  BlockScope Block(*this);
  lowerStmt(S);
}

void FunctionLowering::lowerExprStmt(const Expr *Ex) {
  FullExpr FE = lowerParks(Ex);
  user(Ex->getBeginLoc(), Rewriter.statement(Ex));
  endFullExpr(FE);
}

// `return e;` with parks in e: the parks, then `return finish_with(e')`.
// Kept temporaries die with the other kept locals when the frame ends.
void FunctionLowering::lowerReturn(const ReturnStmt *S) {
  lowerParks(S->getRetValue());
  user(S->getBeginLoc(), Rewriter.statement(S));
  E->terminate("", true);
}

// The condition of if/while/for/do is contextually converted to bool
// ([stmt.pre]/4: direct-initialization, so an explicit operator bool
// counts); a switch's is converted to an integral or enumeration type and
// promoted ([stmt.switch]/2), the type Sema gave the condition: copy-
// initialization from the source expression makes the same implicit
// conversion. A dependent switch condition (in a template) keeps its own
// type, decayed, and the switch converts that.
std::string FunctionLowering::lowerCondition(const VarDecl *CondVar, const Expr *Cond,
                                             bool Switch) {
  if (CondVar) {
    lowerVarDecl(CondVar, nullptr);
    return accessText(CondVar);
  }
  FullExpr FE = lowerParks(Cond);
  std::string Text = Rewriter.text(Cond);
  if (FE.Temps.empty())
    return Text;
  // The value must be computed before the temporaries die.
  std::string Var = "__braid_cond_" + std::to_string(Counter++);
  if (!Switch)
    user(Cond->getBeginLoc(), "const bool " + Var + "(" + Text + ");");
  else if (Cond->isTypeDependent())
    user(Cond->getBeginLoc(), "const auto " + Var + " = " + Text + ";");
  else
    user(Cond->getBeginLoc(), "const " + spell(Cond->getType().getUnqualifiedType()) + " " + Var +
                                  " = " + Text + ";");
  endFullExpr(FE);
  return Var;
}

void FunctionLowering::branchUnless(const std::string &Cond, SourceLocation Loc, int False,
                                    size_t Depth) {
  user(Loc, "if (" + Cond + ") {} else { " + leaveScopes(Depth) + E->jumpText(False) + " }");
}

// if (init; cond) A else B   ->
//   [if scope] init; cond;  if (c) {} else jump Lelse;  A; jump Lend;
//   Lelse: B;  Lend: [destroy if scope]
void FunctionLowering::lowerIf(const IfStmt *S) {
  if (S->isConstexpr() || S->isConsteval())
    return lowerConstantIf(S);
  E->closeRun();
  BlockScope IfScope(*this);
  if (S->getInit())
    lowerStmt(S->getInit());
  int Else = E->newLabel(), End = S->getElse() ? E->newLabel() : Else;
  std::string C = lowerCondition(S->getConditionVariable(), S->getCond());
  branchUnless(C, S->getCond()->getBeginLoc(), Else, Stack.Scopes.size());
  lowerSubStmt(S->getThen());
  if (S->getElse()) {
    if (E->isOpen())
      E->jump(End);
    markHere(Else, S->getElse()->getBeginLoc(), "label");
    lowerSubStmt(S->getElse());
  }
  markHere(End, S->getEndLoc(), "label");
}

// if constexpr (c) A else B with a constant c, and if consteval (false in a
// BRAID_SP function, which runs at run time): [init;] the taken branch in
// the if's scope. The discarded branch never runs, so it is left out (it
// may park: lowering it would only add unreachable partitions). A
// condition that depends on a template parameter is known only per
// instantiation, while braidc lowers the template once: diagnosed.
void FunctionLowering::lowerConstantIf(const IfStmt *S) {
  const Stmt *Taken = nullptr;
  if (S->isConsteval()) {
    Taken = S->isNegatedConsteval() ? S->getThen() : S->getElse();
  } else {
    std::optional<const Stmt *> Case = S->getNondiscardedCase(Ctx);
    if (!Case) {
      Diags.report(Diag::IfConstexprDependent, S->getIfLoc());
      return;
    }
    Taken = *Case;
  }
  E->closeRun();
  BlockScope IfScope(*this);
  if (S->getInit())
    lowerStmt(S->getInit());
  if (Taken)
    lowerSubStmt(Taken);
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

} // namespace braidc
