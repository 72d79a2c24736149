//===- ParkFinder.cpp - annotated functions and their suspension points ---===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Analysis/ParkFinder.h"

#include "clang/AST/Attr.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMap.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

#include <set>
#include <string_view>
#include <utility>

using namespace clang;

namespace braidc {

namespace {
SuspendKind dependentSuspendKind(const CallExpr *CE);

bool inBraidNamespace(const Decl *D) {
  const auto *NS = dyn_cast<NamespaceDecl>(D->getDeclContext()->getRedeclContext());
  return NS && NS->getIdentifier() && NS->getName() == "braid" &&
         NS->getDeclContext()->getRedeclContext()->isTranslationUnit();
}

/// braid::durable (where wait_for is).
bool inBraidDurableNamespace(const Decl *D) {
  const auto *NS = dyn_cast<NamespaceDecl>(D->getDeclContext()->getRedeclContext());
  return NS && NS->getIdentifier() && NS->getName() == "durable" && inBraidNamespace(NS);
}

/// The kind a declaration named \p Name in braid (or braid::durable) is.
SuspendKind kindOf(StringRef Name, unsigned Args);
SuspendKind kindOfDecl(const Decl *D, StringRef Name, unsigned Args) {
  if (inBraidNamespace(D))
    return kindOf(Name, Args);
  if (inBraidDurableNamespace(D) && Name == "wait_for" && Args == 1)
    return SuspendKind::WaitFor;
  return SuspendKind::None;
}

/// The kind named \p Name called with \p Args arguments (the declarations
/// in <braid/dsl.hpp>), None for any other.
SuspendKind kindOf(StringRef Name, unsigned Args) {
  if (Name == "park")
    return Args == 1 ? SuspendKind::Park : SuspendKind::None;
  if (Name == "fork")
    return Args == 1 || Args == 2 ? SuspendKind::Fork : SuspendKind::None;
  if (Name == "fork_merge")
    return Args == 1 ? SuspendKind::ForkMerge : SuspendKind::None;
  if (Name == "fork_switch")
    return Args == 1 ? SuspendKind::ForkSwitch : SuspendKind::None;
  if (Name == "amb")
    return Args == 0 ? SuspendKind::AmbNone : SuspendKind::Amb;
  if (Name == "amb_merge")
    return Args == 0 ? SuspendKind::None : SuspendKind::AmbMerge;
  if (Name == "listen")
    return Args == 1 ? SuspendKind::Listen : SuspendKind::None;
  return SuspendKind::None;
}

/// A call resolved to one of braid's suspension points.
SuspendKind resolvedSuspendKind(const Stmt *S) {
  const auto *CE = dyn_cast_or_null<CallExpr>(S);
  if (!CE || isa<CXXMemberCallExpr>(CE) || isa<CXXOperatorCallExpr>(CE))
    return SuspendKind::None;
  const FunctionDecl *F = CE->getDirectCallee();
  if (!F || !F->getIdentifier())
    return SuspendKind::None;
  return kindOfDecl(F, F->getName(), CE->getNumArgs());
}
} // namespace

SuspendKind suspendKind(const Stmt *S) {
  SuspendKind K = resolvedSuspendKind(S);
  if (K != SuspendKind::None)
    return K;
  const auto *CE = dyn_cast_or_null<CallExpr>(S);
  return CE ? dependentSuspendKind(CE) : SuspendKind::None;
}

const char *suspendName(SuspendKind K) {
  switch (K) {
  case SuspendKind::None:
  case SuspendKind::Park:
    return "braid::park";
  case SuspendKind::Fork:
    return "braid::fork";
  case SuspendKind::ForkMerge:
    return "braid::fork_merge";
  case SuspendKind::ForkSwitch:
    return "braid::fork_switch";
  case SuspendKind::Amb:
  case SuspendKind::AmbNone:
    return "braid::amb";
  case SuspendKind::AmbMerge:
    return "braid::amb_merge";
  case SuspendKind::Listen:
    return "braid::listen";
  case SuspendKind::WaitFor:
    return "braid::durable::wait_for";
  }
  return "braid::park";
}

bool isDependentParkCall(const Stmt *S) {
  const auto *CE = dyn_cast_or_null<CallExpr>(S);
  return CE && resolvedSuspendKind(CE) == SuspendKind::None &&
         dependentSuspendKind(CE) != SuspendKind::None;
}

std::string stableFunctionName(const FunctionDecl *FD) {
  // Durable runs will use these names as identities (design.md 6), so they
  // depend on the function alone (not on which overloads the file has) and
  // spell types canonically: `f(std::vector<int>)` whether the source wrote
  // `std::vector<int>` or an alias of it.
  PrintingPolicy PP(FD->getASTContext().getLangOpts());
  PP.SuppressUnwrittenScope = true;
  PP.SuppressInlineNamespace = true;
  PP.SuppressTagKeyword = true;
  std::string Name = FD->getQualifiedNameAsString();
  if (const FunctionTemplateDecl *TD = FD->getDescribedFunctionTemplate()) {
    Name += "<";
    bool First = true;
    for (const NamedDecl *P : *TD->getTemplateParameters()) {
      // An `auto` parameter's invented template parameter has no name of
      // its own (Clang calls it `t:auto`).
      const auto *TTP = dyn_cast<TemplateTypeParmDecl>(P);
      Name += (First ? "" : ", ") + (TTP && TTP->isImplicit() ? std::string("auto") : P->getNameAsString());
      if (P->isTemplateParameterPack())
        Name += "...";
      First = false;
    }
    Name += ">";
  }
  Name += "(";
  const auto *FPT = FD->getType()->getAs<FunctionProtoType>();
  if (FPT) {
    bool First = true;
    for (QualType T : FPT->getParamTypes()) {
      std::string S = (T->isDependentType() ? T : T.getCanonicalType()).getAsString(PP);
      // The canonical std::string is std::basic_string<char>: spelled as
      // everyone writes it (the names are shown by braid-runs and dumps).
      for (const auto &[Long, Short] : {std::pair<std::string_view, std::string_view>{"std::basic_string<char>", "std::string"},
                                        {"std::basic_string_view<char>", "std::string_view"}})
        for (size_t At = S.find(Long); At != std::string::npos; At = S.find(Long, At + Short.size()))
          S.replace(At, Long.size(), Short);
      Name += (First ? "" : ", ") + S;
      First = false;
    }
    if (FPT->isVariadic())
      Name += First ? "..." : ", ...";
  }
  Name += ")";
  if (FPT) {
    if (FPT->getMethodQuals().hasConst())
      Name += " const";
    if (FPT->getMethodQuals().hasVolatile())
      Name += " volatile";
    if (FPT->getRefQualifier() == RQ_LValue)
      Name += " &";
    else if (FPT->getRefQualifier() == RQ_RValue)
      Name += " &&";
  }
  return Name;
}

namespace {

/// True when \p T is braid::<Name><...> (also as written in a template).
bool isBraidTemplateType(QualType T, StringRef Name) {
  auto IsTask = [Name](const NamedDecl *D) {
    if (!D || !D->getIdentifier() || D->getName() != Name)
      return false;
    const auto *NS = dyn_cast<NamespaceDecl>(D->getDeclContext()->getRedeclContext());
    return NS && NS->getIdentifier() && NS->getName() == "braid" &&
           NS->getDeclContext()->getRedeclContext()->isTranslationUnit();
  };
  if (const auto *TST = T->getAs<TemplateSpecializationType>())
    if (IsTask(TST->getTemplateName().getAsTemplateDecl()))
      return true;
  if (const auto *CTS =
          dyn_cast_or_null<ClassTemplateSpecializationDecl>(T.getCanonicalType()->getAsCXXRecordDecl()))
    return IsTask(CTS->getSpecializedTemplate());
  return false;
}

bool isBraidTaskType(QualType T) { return isBraidTemplateType(T, "task"); }

/// The std lock a local of type \p T is: 2 for one that always holds its
/// mutexes while alive (lock_guard, a scoped_lock of at least one mutex), 1
/// for one that may have unlocked (unique_lock, shared_lock), 0 otherwise.
int stdLockKind(QualType T) {
  if (T->isReferenceType())
    return 0; // a reference to a lock does not hold anything itself
  const NamedDecl *Template = nullptr;
  const ClassTemplateSpecializationDecl *CTS =
      dyn_cast_or_null<ClassTemplateSpecializationDecl>(T.getCanonicalType()->getAsCXXRecordDecl());
  if (CTS)
    Template = CTS->getSpecializedTemplate();
  else if (const auto *TST = T->getAs<TemplateSpecializationType>())
    Template = TST->getTemplateName().getAsTemplateDecl();
  if (!Template || !Template->getIdentifier() || !Template->isInStdNamespace())
    return 0;
  StringRef N = Template->getName();
  if (N == "lock_guard")
    return 2;
  if (N == "scoped_lock") {
    // std::scoped_lock<> locks nothing.
    if (CTS && CTS->getTemplateArgs().size() == 1 &&
        CTS->getTemplateArgs()[0].getKind() == TemplateArgument::Pack &&
        CTS->getTemplateArgs()[0].pack_size() == 0)
      return 0;
    return 2;
  }
  if (N == "unique_lock" || N == "shared_lock")
    return 1;
  return 0;
}

bool isCurrentExceptionCall(const CallExpr *CE) {
  const FunctionDecl *FD = CE->getDirectCallee();
  return FD && FD->getIdentifier() && FD->getName() == "current_exception" &&
         FD->isInStdNamespace();
}

/// Finds, in one BRAID_SP body, the hazards that do not depend on how it is
/// lowered (see ParkFinder.h). Lambda bodies and local classes are skipped:
/// they cannot park, so nothing of theirs lives across a park.
class HazardVisitor : public RecursiveASTVisitor<HazardVisitor> {
public:
  HazardVisitor(ASTContext &Ctx, Diagnoser &Diags, const SpFunction &F)
      : SM(Ctx.getSourceManager()), Diags(Diags), F(F), PM(F.FD->getBody()) {}

  bool TraverseLambdaExpr(LambdaExpr *) { return true; }
  bool TraverseCXXRecordDecl(CXXRecordDecl *) { return true; }

  bool VisitDeclStmt(DeclStmt *DS) {
    for (Decl *D : DS->decls())
      if (auto *VD = dyn_cast<VarDecl>(D); VD && VD->hasLocalStorage())
        checkLock(VD, DS);
    return true;
  }

  bool VisitCallExpr(CallExpr *CE) {
    if (!isCurrentExceptionCall(CE))
      return true;
    // The innermost handler around the call decides: one that parks is
    // exploded, and its whole body runs after the catch clause was left.
    for (const Stmt *S = PM.getParent(CE); S; S = PM.getParent(S)) {
      const auto *H = dyn_cast<CXXCatchStmt>(S);
      if (!H)
        continue;
      if (F.contains(H->getHandlerBlock())) {
        Diags.report(Diag::CurrentExceptionInParkingHandler, CE->getBeginLoc())
            << CE->getSourceRange();
        if (const CallExpr *P = firstParkIn(offset(H->getBeginLoc()), offset(H->getEndLoc())))
          Diags.report(Diag::NoteParkHere, P->getBeginLoc()) << P->getSourceRange();
      }
      break;
    }
    return true;
  }

private:
  unsigned offset(SourceLocation L) const { return SM.getFileOffset(SM.getExpansionLoc(L)); }

  const CallExpr *firstParkIn(unsigned Begin, unsigned End) const {
    for (const CallExpr *P : F.Parks) {
      unsigned O = offset(P->getBeginLoc());
      if (O > Begin && O < End)
        return P;
    }
    return nullptr;
  }

  /// A std lock whose scope has a park after its declaration holds its
  /// mutex across that park (its destructor runs at the scope's end).
  void checkLock(const VarDecl *VD, const DeclStmt *DS) {
    int Kind = stdLockKind(VD->getType());
    if (!Kind)
      return;
    const Stmt *Scope = PM.getParent(DS);
    while (Scope && (isa<LabelStmt>(Scope) || isa<AttributedStmt>(Scope) || isa<SwitchCase>(Scope)))
      Scope = PM.getParent(Scope);
    if (!Scope)
      return;
    const CallExpr *P = firstParkIn(offset(DS->getEndLoc()), offset(Scope->getEndLoc()));
    if (!P)
      return;
    Diags.report(Kind == 2 ? Diag::LockAcrossPark : Diag::MaybeLockAcrossPark, VD->getLocation())
        << VD->getName() << VD->getType().getCanonicalType()
        << SM.getExpansionLineNumber(P->getBeginLoc())
        << VD->getSourceRange();
    Diags.report(Diag::NoteParkHere, P->getBeginLoc()) << P->getSourceRange();
  }

  const SourceManager &SM;
  Diagnoser &Diags;
  const SpFunction &F;
  ParentMap PM;
};

/// A call in a template whose callee is still unresolved (a dependent
/// argument) but whose lookup found braid::park: the pattern of a park on a
/// dependent task. Lowered like a resolved one in a templated BRAID_SP
/// function (the frame is instantiated with it), and reported like one
/// elsewhere.
SuspendKind dependentSuspendKind(const CallExpr *CE) {
  const auto *ULE = dyn_cast<UnresolvedLookupExpr>(CE->getCallee()->IgnoreImplicit());
  if (!ULE || !ULE->getName().isIdentifier())
    return SuspendKind::None;
  const std::string Name = ULE->getName().getAsString();
  for (const NamedDecl *D : ULE->decls()) {
    const NamedDecl *U = D->getUnderlyingDecl();
    if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(U))
      U = FTD->getTemplatedDecl();
    if (SuspendKind K = kindOfDecl(U, Name, CE->getNumArgs()); K != SuspendKind::None)
      return K;
  }
  return SuspendKind::None;
}

/// The flavour an annotation names, if the function has one.
std::optional<Flavour> annotatedFlavour(const FunctionDecl *FD) {
  for (const auto *A : FD->specific_attrs<AnnotateAttr>()) {
    if (A->getAnnotation() == "braid.sp")
      return Flavour::Sp;
    if (A->getAnnotation() == "braid.ap")
      return Flavour::Ap;
    if (A->getAnnotation() == "braid.cp")
      return Flavour::Cp;
    if (A->getAnnotation() == "braid.durable")
      return Flavour::Durable;
  }
  return std::nullopt;
}

/// Walks the translation unit with a stack of the enclosing functions and
/// lambdas, so each park knows who would have to suspend.
class ParkVisitor : public RecursiveASTVisitor<ParkVisitor> {
public:
  ParkVisitor(ASTContext &Ctx, Diagnoser &Diags) : Ctx(Ctx), SM(Ctx.getSourceManager()), Diags(Diags) {}

  std::vector<SpFunction> Functions;

#define BRAIDC_TRAVERSE_FUNCTION(KIND)                                                   \
  bool Traverse##KIND(KIND *FD) {                                                          \
    enterFunction(FD);                                                                     \
    bool R = RecursiveASTVisitor::Traverse##KIND(FD);                                      \
    Stack.pop_back();                                                                      \
    return R;                                                                              \
  }
  BRAIDC_TRAVERSE_FUNCTION(FunctionDecl)
  BRAIDC_TRAVERSE_FUNCTION(CXXMethodDecl)
  BRAIDC_TRAVERSE_FUNCTION(CXXConstructorDecl)
  BRAIDC_TRAVERSE_FUNCTION(CXXDestructorDecl)
  BRAIDC_TRAVERSE_FUNCTION(CXXConversionDecl)
#undef BRAIDC_TRAVERSE_FUNCTION

  bool TraverseLambdaExpr(LambdaExpr *LE) {
    Stack.push_back({nullptr, LE, -1});
    bool R = RecursiveASTVisitor::TraverseLambdaExpr(LE);
    Stack.pop_back();
    return R;
  }

  bool VisitCallExpr(CallExpr *CE) {
    SuspendKind K = suspendKind(CE);
    if (K == SuspendKind::None || !SM.isInMainFile(SM.getExpansionLoc(CE->getBeginLoc())))
      return true;
    // A park on a braid::run<T> is a durable call: a durable point.
    bool DurablePoint = K == SuspendKind::Listen || K == SuspendKind::WaitFor ||
                        (K == SuspendKind::Park && CE->getNumArgs() == 1 &&
                         isBraidRunType(CE->getArg(0)->getType().getNonReferenceType()));
    bool Park = K == SuspendKind::Park && !DurablePoint;
    // A fork point outside a BRAID_AP or BRAID_CP body: where it is.
    auto Misplaced = [&](unsigned Where) {
      if (DurablePoint)
        Diags.report(Diag::DurablePointOutside, CE->getBeginLoc())
            << (K == SuspendKind::Park ? "braid::park on a braid::run<T>" : suspendName(K)) << Where
            << CE->getSourceRange();
      else
        Diags.report(Diag::ForkOutsideAp, CE->getBeginLoc())
            << suspendName(K) << Where << CE->getSourceRange();
      return true;
    };
    if (Stack.empty()) {
      if (!Park)
        return Misplaced(0);
      Diags.report(Diag::ParkOutsideFunction, CE->getBeginLoc()) << CE->getSourceRange();
      return true;
    }
    const Frame &F = Stack.back();
    if (F.Lambda) {
      if (!Park)
        return Misplaced(1);
      Diags.report(Diag::ParkInLambda, CE->getBeginLoc()) << CE->getSourceRange();
      return true;
    }
    if (F.SpIndex == RefusedSp)
      return true; // its BRAID_SP was refused already; one error is enough
    if (F.SpIndex < 0 && !Park)
      return Misplaced(2);
    if (F.SpIndex >= 0) {
      Flavour Fl = Functions[F.SpIndex].Kind;
      if (DurablePoint && Fl != Flavour::Durable)
        return Misplaced(Fl == Flavour::Sp ? 3 : Fl == Flavour::Ap ? 4 : 5);
      if (Fl == Flavour::Durable && isForkKind(K)) {
        Diags.report(Diag::ForkOutsideAp, CE->getBeginLoc())
            << suspendName(K) << 4u << CE->getSourceRange();
        return true;
      }
      if (!Park && !DurablePoint && Fl == Flavour::Sp)
        return Misplaced(3);
      if (Park && Fl == Flavour::Cp) {
        Diags.report(Diag::ParkInCp, CE->getBeginLoc()) << CE->getSourceRange();
        return true;
      }
      if (Fl == Flavour::Cp && K != SuspendKind::ForkSwitch) {
        Diags.report(Diag::ForkInCp, CE->getBeginLoc()) << suspendName(K) << CE->getSourceRange();
        return true;
      }
    }
    if (F.SpIndex < 0) {
      DiagnosticBuilder DB = Diags.report(Diag::ParkOutsideSp, CE->getBeginLoc());
      DB << CE->getSourceRange();
      // The fix is mechanical only when the function already returns a
      // task; offered once per function.
      SourceLocation Begin = F.FD->getBeginLoc();
      if (isBraidTaskType(F.FD->getReturnType()) && Begin.isFileID() &&
          FixedFunctions.insert(F.FD).second)
        DB << FixItHint::CreateInsertion(Begin, "BRAID_SP ");
      return true;
    }
    Functions[F.SpIndex].Parks.push_back(CE);
    return true;
  }

  // Fix-its: `co_await x` -> `braid::park(x)`, `co_return` -> `return`
  // (BRAID_SP code returns its value); co_yield has no equivalent.
  bool VisitCoawaitExpr(CoawaitExpr *E) {
    return coroutineKeyword(E->getKeywordLoc(), "co_await", E->getOperand());
  }
  bool VisitDependentCoawaitExpr(DependentCoawaitExpr *E) {
    return coroutineKeyword(E->getKeywordLoc(), "co_await", E->getOperand());
  }
  bool VisitCoyieldExpr(CoyieldExpr *E) { return coroutineKeyword(E->getKeywordLoc(), "co_yield"); }
  bool VisitCoreturnStmt(CoreturnStmt *S) {
    return coroutineKeyword(S->getKeywordLoc(), "co_return", nullptr, true);
  }

private:
  struct Frame {
    FunctionDecl *FD;
    LambdaExpr *Lambda;
    int SpIndex; // index into Functions, -1 when not annotated, RefusedSp
  };
  static constexpr int RefusedSp = -2; // annotated, but reported (SpParameterPack)

  bool coroutineKeyword(SourceLocation Loc, const char *Kw, const Expr *Awaited = nullptr,
                        bool IsReturn = false) {
    if (Stack.empty() || Stack.back().Lambda || Stack.back().SpIndex < 0)
      return true;
    DiagnosticBuilder DB = Diags.report(Diag::CoroutineInSp, Loc);
    DB << Kw;
    if (!Loc.isFileID())
      return true;
    if (IsReturn) {
      DB << FixItHint::CreateReplacement(SourceRange(Loc), "return");
    } else if (Awaited && Awaited->getBeginLoc().isFileID() && Awaited->getEndLoc().isFileID()) {
      SourceLocation End = Lexer::getLocForEndOfToken(Awaited->getEndLoc(), 0, SM, Ctx.getLangOpts());
      if (End.isValid())
        DB << FixItHint::CreateReplacement(
                  CharSourceRange::getCharRange(Loc, Awaited->getBeginLoc()), "braid::park(")
           << FixItHint::CreateInsertion(End, ")");
    }
    return true;
  }

  void enterFunction(FunctionDecl *FD) {
    int Index = -1;
    std::optional<Flavour> Fl = annotatedFlavour(FD);
    if (Fl && SM.isInMainFile(SM.getExpansionLoc(FD->getLocation()))) {
      const ParmVarDecl *Pack = nullptr;
      for (const ParmVarDecl *P : FD->parameters())
        if (!Pack && P->isParameterPack())
          Pack = P;
      if (Pack && FD->doesThisDeclarationHaveABody()) {
        // The frame stores each parameter as a member; a pack cannot be a
        // member, and the copied code's `a...` would need rewriting into
        // an index sequence over a tuple.
        Diags.report(Diag::SpParameterPack, Pack->getLocation())
            << FD << Pack->getName() << Pack->getSourceRange();
        Index = RefusedSp;
      } else if (!FD->doesThisDeclarationHaveABody()) {
        // Only a definition is transformed; an annotated declaration whose
        // definition exists elsewhere in the file is fine.
        if (!FD->isDefined())
          Diags.report(Diag::SpNoBody, FD->getLocation()) << FD << flavourMacro(*Fl);
      } else {
        Index = static_cast<int>(Functions.size());
        Functions.push_back(SpFunction{FD, stableFunctionName(FD), *Fl, {}, {}});
      }
    }
    Stack.push_back({FD, nullptr, Index});
  }

  ASTContext &Ctx;
  SourceManager &SM;
  Diagnoser &Diags;
  std::vector<Frame> Stack;
  std::set<const FunctionDecl *> FixedFunctions;
};

/// Post-order: a statement is marked when it is a park or has a marked
/// child. Lambda bodies never mark their enclosing statement (a park there
/// is an error reported by ParkVisitor).
bool markStmt(const Stmt *S, llvm::DenseSet<const Stmt *> &Marked) {
  if (!S || isa<LambdaExpr>(S))
    return false;
  bool Any = isParkCall(S);
  for (const Stmt *C : S->children())
    Any |= markStmt(C, Marked);
  if (Any)
    Marked.insert(S);
  return Any;
}

} // namespace

bool isBraidRunType(QualType T) { return isBraidTemplateType(T, "run"); }

std::vector<SpFunction> ParkFinder::run() {
  ParkVisitor V(Ctx, Diags);
  V.TraverseDecl(Ctx.getTranslationUnitDecl());
  for (SpFunction &F : V.Functions) {
    markStmt(F.FD->getBody(), F.Marked);
    HazardVisitor(Ctx, Diags, F).TraverseStmt(F.FD->getBody());
    // A frame and a recipe are allocated per task whether or not it parks
    // (make_sp_with_table in sp.hpp); a plain function returning an
    // immediate task allocates nothing.
    // Also in templates: a park on a dependent task is recognized there
    // (isParkCall), so "no park" holds for every instantiation.
    if (F.Parks.empty() && isBraidTaskType(F.FD->getReturnType()))
      Diags.report(Diag::SpWithoutPark, F.FD->getLocation()) << F.FD;
  }
  return std::move(V.Functions);
}

} // namespace braidc
