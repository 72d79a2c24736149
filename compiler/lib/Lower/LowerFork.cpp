//===- LowerFork.cpp - fork points of BRAID_AP and BRAID_CP functions ------===//
//
// SPDX-License-Identifier: MIT
//
// fork(f), fork(n, f), fork_merge(f) and fork_switch(f) are lowered like a
// park (LowerPark.cpp) with the ap or cp core's fork call; this file holds
// what is their own: amb(a, b, ...) with its lazily evaluated arguments,
// amb() that ends a branch, and the clone each fork point makes of its
// frame (docs/ap.md "The clone function").
//
//===----------------------------------------------------------------------===//
#include "Lower/FunctionLowering.h"

#include "Analysis/Liveness.h"
#include "Diag/InternalError.h"
#include "Lower/LowerSupport.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Basic/SourceManager.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

using namespace clang;

namespace braidc {

namespace {

/// \p E without what Sema adds around a returned `braid::amb()`: the
/// conversion to the function's flow type and the flow's move.
const Expr *strippedConversions(const Expr *E) {
  for (;;) {
    const Expr *N = E->IgnoreImplicit()->IgnoreParens();
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(N); MC && isa<CXXConversionDecl>(MC->getMethodDecl()))
      N = MC->getImplicitObjectArgument();
    else if (const auto *CE = dyn_cast<CXXConstructExpr>(N); CE && CE->getNumArgs() == 1)
      N = CE->getArg(0);
    else if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(N))
      N = M->getSubExpr();
    else if (const auto *B = dyn_cast<CXXBindTemporaryExpr>(N))
      N = B->getSubExpr();
    else if (const auto *FE = dyn_cast<clang::FullExpr>(N))
      N = FE->getSubExpr();
    if (N == E)
      return E;
    E = N;
  }
}

/// Whether a value of type \p T can be copied into a clone: a reference
/// or scalar always, a class unless its copy constructor is deleted or
/// cannot be defaulted (dependent types are left to the instantiation).
bool copyable(QualType T) {
  if (T->isReferenceType() || T->isDependentType() || T->isScalarType())
    return true;
  if (const auto *AT = dyn_cast_or_null<ConstantArrayType>(T->getAsArrayTypeUnsafe()))
    return copyable(AT->getElementType());
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD || !RD->hasDefinition())
    return true;
  RD = RD->getDefinition();
  bool Declared = false;
  for (const CXXConstructorDecl *C : RD->ctors())
    if (C->isCopyConstructor()) {
      Declared = true;
      if (!C->isDeleted())
        return true;
    }
  if (Declared)
    return false;
  return !RD->needsImplicitCopyConstructor() || !RD->defaultedCopyConstructorIsDeleted();
}

/// What a copy of a value of type \p T still shares with the original: 0 a
/// pointer, 1 a closure with a by-reference capture, 2 a std::function
/// (which may hold one); -1 nothing braidc can see.
int sharedReference(QualType T) {
  if (T->isPointerType())
    return 0;
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD)
    return -1;
  if (RD->isLambda()) {
    for (const LambdaCapture &C : RD->captures())
      if (C.getCaptureKind() == LCK_ByRef)
        return 1;
    return -1;
  }
  if (RD->getIdentifier() && RD->getName() == "function" && RD->isInStdNamespace())
    return 2;
  return -1;
}

/// Whether \p Code names \p Name as an identifier (not as part of one, not
/// after `.` or `->`): an over-approximation of "uses the parameter".
bool namesIdentifier(const std::string &Code, const std::string &Name) {
  auto IdChar = [](char C) { return std::isalnum(static_cast<unsigned char>(C)) || C == '_'; };
  for (size_t At = Code.find(Name); At != std::string::npos; At = Code.find(Name, At + 1)) {
    size_t End = At + Name.size();
    if ((At > 0 && IdChar(Code[At - 1])) || (End < Code.size() && IdChar(Code[End])))
      continue;
    size_t B = At;
    while (B > 0 && Code[B - 1] == ' ')
      --B;
    if (B > 0 && (Code[B - 1] == '.' || (B > 1 && Code[B - 1] == '>' && Code[B - 2] == '-')))
      continue;
    return true;
  }
  return false;
}

} // namespace

std::string FunctionLowering::coreCall(const char *Method) const {
  return "this->" + CoreName + "::" + Method + "(";
}

// `braid::amb();` and `return braid::amb();` end the branch: the frame's
// kept locals are unwound by the driver (as after `return v;`).
bool FunctionLowering::lowerAmbNone(const Stmt *S) {
  const Expr *Ex = nullptr;
  if (const auto *R = dyn_cast<ReturnStmt>(S))
    Ex = R->getRetValue();
  else
    Ex = dyn_cast<Expr>(S);
  if (!Ex || suspendKind(strippedConversions(Ex)) != SuspendKind::AmbNone)
    return false;
  user(S->getBeginLoc(), "return " + coreCall("amb") + ");");
  E->terminate("", true);
  return true;
}

// amb(a0, ..., an-1)  ->
//   __braid_fork = f; return amb(n, Lk, slot);        (amb_merge: all at once)
//   Lk: i = slot.take();
//   if (i == 0) {} else jump L1;  [parks of a0]  r = a0;  jump Lend;
//   L1: if (i == 1) {} else jump L2; ...  Ln-1: [parks of an-1]  r = an-1;
//   Lend:
// and the expression reads r, a kept temporary of amb's type destroyed at
// the end of the full-expression. Each branch evaluates its own argument
// only (Missionary: amb's arguments are evaluated lazily, one per branch).
void FunctionLowering::lowerAmb(const CallExpr *P, FullExpr &FE) {
  const bool Merge = suspendKind(P) == SuspendKind::AmbMerge;
  const unsigned N = P->getNumArgs();
  StmtLoc = P->getBeginLoc();
  QualType T = P->getType();
  if (!T->isVoidType() && !keepableTemp(T, P->getBeginLoc()))
    return;
  std::string Slot = "__braid_slot_" + std::to_string(Counter++);
  Slots.push_back({Slot, "::std::size_t"});
  MemberOrder.push_back({true, static_cast<int>(Slots.size()) - 1});
  int L = E->newLabel();
  std::string Mark = "this->__braid_fork = " + std::to_string(Forks.size()) + "; ";
  Forks.push_back({L, P->getBeginLoc()});
  user(P->getBeginLoc(), Mark + "return " + coreCall(Merge ? "amb_merge" : "amb") + std::to_string(N) +
                             ", " + E->labelRef(L) + ", this->" + Slot + ");");
  E->terminate("", true);
  markHere(L, P->getBeginLoc(), "fork");
  KeptVar Ix;
  Ix.Member = inventedName("amb");
  Ix.Type = "::std::size_t";
  int IK = addKept(Ix);
  Stack.Scopes.back().Vars.push_back(IK);
  FE.Temps.push_back(IK);
  E->tool(constructText(IK, "this->" + Slot + ".take()", VarDecl::CInit, true));
  const std::string Index = "this->" + Kept[IK].Member;
  const bool Void = T->isVoidType();
  int R = Void ? -1 : addTemp(T, false, FE);
  int End = E->newLabel();
  for (unsigned I = 0; I < N; ++I) {
    const Expr *A = P->getArg(I);
    if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(A))
      A = M->getSubExpr();
    int Next = I + 1 < N ? E->newLabel() : -1;
    if (Next >= 0)
      user(A->getBeginLoc(), "if (" + Index + " == " + std::to_string(I) + "u) {} else { " +
                                 E->jumpText(Next) + " }");
    if (suspendKind(strippedConversions(A)) == SuspendKind::AmbNone) {
      // `amb(x, amb(), y)`: this branch ends without a value.
      user(A->getBeginLoc(), "return " + coreCall("amb") + ");");
      E->terminate("", true);
      if (Next >= 0)
        markHere(Next, P->getArg(I + 1)->getBeginLoc(), "label");
      continue;
    }
    std::vector<const Expr *> Steps;
    collectParks(A, Steps);
    lowerSteps(Steps, FE);
    if (Void) {
      user(A->getBeginLoc(), "static_cast<void>(" + partText(A, FE, false) + ");");
    } else if (A->isPRValue()) {
      partText(A, FE, true);
      user(A->getBeginLoc(), constructText(R, initFrom(A, Kept[R].Type), VarDecl::CInit, true));
    } else {
      user(A->getBeginLoc(), constructText(R, partText(A, FE, false), VarDecl::CInit, true));
    }
    if (Next >= 0) {
      E->jump(End);
      markHere(Next, P->getArg(I + 1)->getBeginLoc(), "label");
    }
  }
  markHere(End, P->getEndLoc(), "label");
  ParkValues[P] = Void ? "static_cast<void>(0)"
                       : "static_cast<" + Kept[R].Type + "&&>(this->" + Kept[R].Member + ")";
}

// After finalize and liveness: what each fork point's clone copies. A
// kept entry is copied when it is live at the fork's resume partition; a
// parameter when a partition reachable from there names it.
std::vector<ForkClone> FunctionLowering::forkClones() {
  std::vector<ForkClone> Out;
  if (Forks.empty())
    return Out;
  const std::vector<Partition> &Parts = E->partitions();
  const std::vector<Region> &Regions = E->regions();
  std::set<std::pair<std::string, unsigned>> Reported;
  std::map<int, const VarDecl *> SourceOf;
  for (const auto &[VD, K] : KeptIndex)
    SourceOf[K] = VD;
  for (size_t Id = 0; Id < Forks.size(); ++Id) {
    ForkClone C;
    C.Id = static_cast<int>(Id);
    int P = partitionOfLabel(Forks[Id].Label, "a fork point");
    unsigned Line = SM.getExpansionLineNumber(Forks[Id].Loc);
    std::vector<int> Live = Parts[P].LiveIn;
    std::sort(Live.begin(), Live.end());
    bool InRangeFor = false;
    for (int K : Live) {
      const KeptVar &V = Kept[K];
      if (V.Dropped)
        continue;
      C.Kept.push_back(K);
      // A range-for's iterators (braidc's own entries) live at the fork.
      if (!InRangeFor && V.SourceName.empty() && V.Member.rfind("__braid_begin_", 0) == 0) {
        InRangeFor = true;
        Diags.report(Diag::ForkInRangeFor, Forks[Id].Loc);
      }
      auto S = SourceOf.find(K);
      if (!V.Pointer && S != SourceOf.end() && !copyable(S->second->getType()) &&
          Reported.insert({V.Member, Line}).second) {
        Diags.report(Diag::ForkLocalNotCopyable, S->second->getLocation())
            << V.SourceName << S->second->getType() << Line << 0u;
        Diags.report(Diag::NoteForkHere, Forks[Id].Loc);
      }
      if (auto TT = TempTypes.find(K); !V.Pointer && TT != TempTypes.end() && !copyable(TT->second) &&
                                       Reported.insert({V.Member, Line}).second) {
        Diags.report(Diag::ForkTemporaryNotCopyable, Forks[Id].Loc) << TT->second << Line;
      }
      if (!V.Pointer && S != SourceOf.end())
        if (int Kind = sharedReference(S->second->getType().getNonReferenceType()); Kind >= 0)
          if (Reported.insert({V.Member + "#shared", Line}).second) {
            Diags.report(Diag::ForkSharedReference, S->second->getLocation())
                << V.SourceName << Line << unsigned(Kind);
            Diags.report(Diag::NoteForkHere, Forks[Id].Loc);
          }
    }
    // The partitions reachable from the resume partition (jumps, resumes
    // and the handlers of their try regions).
    std::vector<bool> Seen(Parts.size(), false);
    std::vector<int> Work{P};
    while (!Work.empty()) {
      int Q = Work.back();
      Work.pop_back();
      if (Q < 0 || Q >= static_cast<int>(Parts.size()) || Seen[Q])
        continue;
      Seen[Q] = true;
      for (int S : Parts[Q].Next)
        Work.push_back(S);
      for (int R = Parts[Q].Region; R >= 0; R = Regions[R].Parent)
        Work.push_back(Regions[R].Handler);
    }
    for (const ParmVarDecl *PD : F.FD->parameters()) {
      if (!PD->getIdentifier())
        continue;
      std::string Name = PD->getNameAsString();
      bool Used = false;
      for (size_t Q = 0; Q < Parts.size() && !Used; ++Q)
        Used = Seen[Q] && namesIdentifier(Parts[Q].Code, Name);
      if (!Used)
        continue;
      C.Params.push_back(Name);
      if (!copyable(PD->getType()) && Reported.insert({Name, Line}).second) {
        Diags.report(Diag::ForkLocalNotCopyable, PD->getLocation())
            << Name << PD->getType() << Line << 1u;
        Diags.report(Diag::NoteForkHere, Forks[Id].Loc);
      }
    }
    Out.push_back(std::move(C));
  }
  return Out;
}

} // namespace braidc
