//===- LowerGoto.cpp - labels, goto, and jumps out of copied code -----------===//
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

std::string FunctionLowering::jumpOut(const Stmt *S, bool Deferred) {
  bool IsBreak = isa<BreakStmt>(S);
  for (auto It = Stack.Leaps.rbegin(); It != Stack.Leaps.rend(); ++It) {
    if (!IsBreak && !It->IsLoop)
      continue;
    return exitText(leaveScopes(It->Depth) + E->jumpText(IsBreak ? It->Break : It->Continue),
                    Deferred);
  }
  throw InternalError("break or continue without an enclosing exploded loop");
}

// A jump out of copied code destroys the kept locals it leaves, then jumps
// (returns the next partition). Where C++ objects of the copied statement
// are still alive at the jump, that code runs after the statement instead,
// reached by a `goto` out of it, so that C++ first destroys those objects
// (inner first, [stmt.jump]):
//   { Res inner; if (c) break; }   ->
//   { Res inner; if (c) goto __braid_exit_3_0; }
//   goto __braid_past_3;
//   __braid_exit_3_0: { <destroy kept locals left> return __braid_step{L}; }
//   __braid_past_3:;
std::string FunctionLowering::exitText(const std::string &Code, bool Deferred) {
  if (!Deferred || !Copying)
    return "{ " + Code + " }";
  std::string Label = "__braid_exit_" + std::to_string(Copying->Id) + "_" +
                      std::to_string(Copying->Exits.size());
  Copying->Exits.push_back(Code);
  return "goto " + Label; // the source's own semicolon follows
}

void FunctionLowering::beginCopied() { Copying = CopiedExits{CopySerial++, {}}; }

std::string FunctionLowering::endCopied(const std::string &BeforeEach) {
  CopiedExits C = std::move(*Copying);
  Copying.reset();
  if (C.Exits.empty())
    return "";
  std::string Id = std::to_string(C.Id);
  std::string Out = "goto __braid_past_" + Id + ";";
  for (size_t I = 0; I < C.Exits.size(); ++I)
    Out += "\n    __braid_exit_" + Id + "_" + std::to_string(I) + ": { " + BeforeEach + C.Exits[I] + " }";
  return Out + "\n    __braid_past_" + Id + ":;";
}

std::string FunctionLowering::gotoOut(const GotoStmt *S, bool Deferred) {
  return exitText(gotoCode(S->getLabel()), Deferred);
}

// L: S  ->  a partition starts at L (the scopes around it are recorded for
// the gotos that jump to it), then S.
void FunctionLowering::lowerLabel(const LabelStmt *S) {
  const LabelDecl *LD = S->getDecl();
  int L = labelFor(LD);
  LabelAt &A = Labels[LD];
  A.Marked = true;
  A.Path.clear();
  A.Counts.clear();
  for (const Scope &Sc : Stack.Scopes) {
    A.Path.push_back(Sc.Id);
    A.Counts.push_back(Sc.Vars.size());
  }
  // The gotos before it that jump here: settle what each leaves.
  for (PendingGoto &G : PendingGotos)
    if (G.Label == LD && G.Text >= 0) {
      size_t D = 0;
      while (D < G.Path.size() && D < A.Path.size() && G.Path[D] == A.Path[D])
        ++D;
      E->setDeferred(G.Text, G.LeaveFrom[D]);
      G.Text = -1;
    }
  markHere(L, S->getBeginLoc(), "label");
  lowerStmt(S->getSubStmt());
}

// goto L;  ->  { destroy the kept locals of the scopes the jump leaves; jump L }
void FunctionLowering::lowerGoto(const GotoStmt *S) {
  user(S->getGotoLoc(), "{ " + gotoCode(S->getLabel()) + " }");
  E->terminate("", true); // the user's own jump ends the partition
}

// [stmt.jump]: a jump out of a scope destroys its locals; a jump back past
// a declaration destroys that local too. The scopes left are those of the
// goto that are not around the label (the common ancestor rule), innermost
// first; then, jumping backward, the locals of the common innermost scopes
// declared after the label. A jump forward never passes an initialized
// local of a common scope (Sema rejects that), and a jump into a scope may
// only pass trivially destructible locals without initializer: their
// storage is there, with no alive flag to set.
// A forward goto's label is not reached yet: what it leaves is deferred
// text, with the destruction for every depth it may leave written now
// (these scopes' kept locals), settled by lowerLabel.
std::string FunctionLowering::gotoCode(const LabelDecl *LD) {
  int L = labelFor(LD);
  const LabelAt &A = Labels[LD];
  if (!A.Marked) {
    PendingGoto G{LD, E->newDeferred(), {}, {}};
    for (const Scope &Sc : Stack.Scopes)
      G.Path.push_back(Sc.Id);
    for (size_t D = 0; D <= Stack.Scopes.size(); ++D)
      G.LeaveFrom.push_back(leaveScopes(D));
    std::string Out = Emitter::deferredRef(G.Text) + E->jumpText(L);
    PendingGotos.push_back(std::move(G));
    return Out;
  }
  size_t D = 0;
  while (D < Stack.Scopes.size() && D < A.Path.size() && Stack.Scopes[D].Id == A.Path[D])
    ++D;
  std::string Out = leaveScopes(D);
  for (size_t I = D; I-- > 0;) {
    const std::vector<int> &V = Stack.Scopes[I].Vars;
    for (size_t J = V.size(); J-- > A.Counts[I];) {
      std::string T = destroyText(V[J]);
      if (!T.empty())
        Out += T + " ";
    }
  }
  return Out + E->jumpText(L);
}

int FunctionLowering::labelFor(const LabelDecl *LD) {
  LabelAt &A = Labels[LD];
  if (A.Label < 0)
    A.Label = E->newLabel();
  return A.Label;
}

// A statement that holds a label some goto outside it jumps to cannot be
// copied: the label must start a partition. The statements around both the
// goto and its label can be copied (the goto stays a goto) unless they park.
void FunctionLowering::findLabels(const Stmt *Body) {
  std::map<const Stmt *, std::vector<const Stmt *>> LabelAround;
  std::vector<std::pair<const GotoStmt *, std::set<const Stmt *>>> Gotos;
  std::vector<const Stmt *> Stack;
  std::function<void(const Stmt *)> Walk = [&](const Stmt *S) {
    if (!S || isa<LambdaExpr>(S) || isa<BlockExpr>(S))
      return;
    if (isa<LabelStmt>(S))
      LabelAround[S] = Stack;
    if (const auto *G = dyn_cast<GotoStmt>(S))
      Gotos.emplace_back(G, std::set<const Stmt *>(Stack.begin(), Stack.end()));
    Stack.push_back(S);
    for (const Stmt *C : S->children())
      Walk(C);
    Stack.pop_back();
  };
  Walk(Body);
  for (const auto &[G, Around] : Gotos) {
    auto It = LabelAround.find(G->getLabel()->getStmt());
    if (It == LabelAround.end())
      continue;
    for (const Stmt *S : It->second)
      if (!Around.count(S))
        HoldsLabel.insert(S);
  }
}

} // namespace braidc
