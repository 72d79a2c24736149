//===- LowerTry.cpp - try regions and handlers ------------------------------===//
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

// try { body } catch (T1 a) { h1 } catch (...) { h2 }  ->
//   jump Lbody;  Lbody [region r]: body; jump Lend
//   Ldispatch [region parent, handler of r]:
//     e = move(raised_); try { rethrow(e); }
//     catch (T1& c) { hold e; a = c (kept); jump Lh1 }   // handler that parks
//     catch (...) { h2 }                                  // handler that does not
//     jump Lend
//   Lh1: h1 (throw; -> rethrow(held e)); [destroy a, e]; jump Lend
//   Lend:
// An unmatched exception escapes the dispatch partition, whose region is
// the parent region, so the driver routes it outward.
void FunctionLowering::lowerTry(const CXXTryStmt *S) {
  E->closeRun();
  int R = E->newRegion(Stack.Region);
  int Body = E->newLabel(), Dispatch = E->newLabel(), End = E->newLabel();
  if (E->isOpen())
    E->jump(Body);
  {
    RegionScope Region(*this, R);
    markHere(Body, S->getTryLoc(), "label");
    lowerStmt(S->getTryBlock());
    E->closeRun();
    if (E->isOpen())
      E->jump(End);
  }
  E->setHandler(R, Dispatch);
  markHere(Dispatch, S->getHandler(0)->getCatchLoc(), "handler");

  struct Exploded {
    const CXXCatchStmt *H;
    int Label;
    int Holder;
    int Param; // -1 when unnamed or catch (...)
  };
  std::vector<Exploded> Parked;
  std::string Exc = "__braid_exc_" + std::to_string(R);
  E->openRun();
  E->tool("::std::exception_ptr " + Exc +
              " = ::std::move(this->" + CoreName + "::raised_);",
          true);
  E->tool("try { ::std::rethrow_exception(" + Exc + "); }", true);
  // Jumps out of the copied handlers leave the whole try statement first:
  // C++ ends the handled exception there (Exc still refers to it).
  beginCopied();
  for (unsigned I = 0; I < S->getNumHandlers(); ++I) {
    const CXXCatchStmt *H = S->getHandler(I);
    if (!F.contains(H->getHandlerBlock())) {
      user(H->getCatchLoc(), Rewriter.range(H->getCatchLoc(), H->getEndLoc(), H));
      continue;
    }
    Exploded X{H, E->newLabel(), -1, -1};
    KeptVar Holder;
    Holder.Member = inventedName("exception");
    Holder.Type = "::std::exception_ptr";
    Holder.NeedsDestroy = true;
    X.Holder = addKept(Holder);
    std::string Clause;
    std::string Bind = constructText(X.Holder, Exc, VarDecl::CInit, true);
    if (const VarDecl *P = H->getExceptionDecl()) {
      QualType PT = P->getType();
      std::string Caught = "__braid_caught";
      Clause = "catch (" + spell(PT.getNonReferenceType()) + "& " + Caught + ") { ";
      if (P->getIdentifier() && checkKeepable(P, PT)) {
        KeptVar PV;
        PV.SourceName = P->getNameAsString();
        PV.Member = memberNameFor(PV.SourceName);
        PV.Pointer = PT->isReferenceType();
        PV.Type = spell(PT.getNonReferenceType());
        PV.NeedsDestroy = !PV.Pointer && destroys(PT);
        X.Param = addKept(PV);
        KeptIndex[P] = X.Param;
        Bind += " " + constructText(X.Param, Caught, VarDecl::CInit, true);
      }
    } else {
      Clause = "catch (...) { ";
    }
    user(H->getCatchLoc(), Clause + Bind + " " + E->jumpText(X.Label) + " }");
    Parked.push_back(X);
  }
  if (std::string Exits = endCopied(Exc + " = nullptr; "); !Exits.empty())
    E->tool(Exits, true);
  E->terminate(E->jumpText(End), true);
  for (const Exploded &X : Parked) {
    {
      BlockScope Handler(*this);
      Stack.Scopes.back().Vars.push_back(X.Holder);
      if (X.Param >= 0)
        Stack.Scopes.back().Vars.push_back(X.Param);
      markHere(X.Label, X.H->getHandlerBlock()->getBeginLoc(), "label");
      HandlerScope Held(*this, Kept[X.Holder].Member);
      lowerStmt(X.H->getHandlerBlock());
    }
    if (E->isOpen())
      E->jump(End);
  }
  markHere(End, S->getEndLoc(), "label");
}

} // namespace braidc
