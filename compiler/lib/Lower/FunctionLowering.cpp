//===- FunctionLowering.cpp - one BRAID_SP function into a frame ----------===//
//
// SPDX-License-Identifier: MIT
//
// The lowering walks the body once. One decision waits for its end: a
// trivially destructible local (a "candidate") stays a plain C++ local of
// its partition when every use of it is in the run (Emitter.h) that declares
// it, and is kept in the frame otherwise (design.md 3: trivially
// destructible locals are kept by liveness). Its declaration and its uses
// are written as deferred text for both outcomes; decideCandidates()
// settles them, together with the diagnostics that concern kept locals
// only. Nothing else depends on that decision.
//
//===----------------------------------------------------------------------===//
#include "Lower/FunctionLowering.h"

#include "Analysis/Liveness.h"
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

namespace {

/// The names a body uses, unqualified, for what is not one of its local
/// variables: entities declared outside the function (variables, functions,
/// enumerators, types, templates) and the body's own types and functions.
/// Members (`.n`, `->n`) and names after a qualifier or a class-key are not
/// found by unqualified lookup, so a frame member cannot hide them.
class OuterNameCollector : public RecursiveASTVisitor<OuterNameCollector> {
  using Base = RecursiveASTVisitor<OuterNameCollector>;

public:
  std::set<std::string> &Names;
  explicit OuterNameCollector(std::set<std::string> &Names) : Names(Names) {}

  bool shouldVisitTemplateInstantiations() const { return false; }

  bool VisitDeclRefExpr(DeclRefExpr *E) {
    const ValueDecl *D = E->getDecl();
    if (E->hasQualifier() || isa<BindingDecl>(D))
      return true;
    if (const auto *VD = dyn_cast<VarDecl>(D); VD && VD->isLocalVarDeclOrParm())
      return true;
    add(D);
    return true;
  }
  bool VisitUnresolvedLookupExpr(UnresolvedLookupExpr *E) {
    if (!E->getQualifier() && E->getName().isIdentifier())
      Names.insert(E->getName().getAsString());
    return true;
  }
  bool TraverseElaboratedTypeLoc(ElaboratedTypeLoc TL) {
    if (TL.getQualifierLoc() || TL.getTypePtr()->getKeyword() != ElaboratedTypeKeyword::None)
      Skip.insert({TL.getNamedTypeLoc().getTypePtr(), TL.getNamedTypeLoc().getOpaqueData()});
    return Base::TraverseElaboratedTypeLoc(TL);
  }
  // A name followed by `::` is looked up among namespaces and types only
  // ([basic.lookup.qual.general]/1): a data member cannot hide it.
  bool TraverseNestedNameSpecifierLoc(NestedNameSpecifierLoc NNS) {
    if (!NNS)
      return true;
    if (TypeLoc TL = NNS.getTypeLoc()) {
      Skip.insert({TL.getTypePtr(), TL.getOpaqueData()});
      if (auto ETL = TL.getAs<ElaboratedTypeLoc>())
        Skip.insert({ETL.getNamedTypeLoc().getTypePtr(), ETL.getNamedTypeLoc().getOpaqueData()});
    }
    return Base::TraverseNestedNameSpecifierLoc(NNS);
  }
  bool VisitTagTypeLoc(TagTypeLoc TL) { return type(TL, TL.getDecl()); }
  bool VisitTypedefTypeLoc(TypedefTypeLoc TL) { return type(TL, TL.getTypedefNameDecl()); }
  bool VisitInjectedClassNameTypeLoc(InjectedClassNameTypeLoc TL) { return type(TL, TL.getDecl()); }
  bool VisitUsingTypeLoc(UsingTypeLoc TL) { return type(TL, TL.getFoundDecl()); }
  bool VisitTemplateSpecializationTypeLoc(TemplateSpecializationTypeLoc TL) {
    return type(TL, TL.getTypePtr()->getTemplateName().getAsTemplateDecl());
  }
  bool VisitDeducedTemplateSpecializationTypeLoc(DeducedTemplateSpecializationTypeLoc TL) {
    return type(TL, TL.getTypePtr()->getTemplateName().getAsTemplateDecl());
  }

private:
  bool type(TypeLoc TL, const NamedDecl *D) {
    if (D && !Skip.count({TL.getTypePtr(), TL.getOpaqueData()}))
      add(D);
    return true;
  }
  void add(const NamedDecl *D) {
    if (D && D->getIdentifier())
      Names.insert(D->getName().str());
  }
  std::set<std::pair<const Type *, void *>> Skip;
};

} // namespace

void FunctionLowering::collectOuterNames() {
  OuterNames.clear();
  OuterNameCollector C(OuterNames);
  C.TraverseStmt(F.FD->getBody());
}

FunctionLowering::FunctionLowering(ASTContext &Ctx, Diagnoser &Diags, const SpFunction &F,
                                   bool LineDirectives, std::string FileName)
    : Ctx(Ctx), SM(Ctx.getSourceManager()), Diags(Diags), F(F), LineDirectives(LineDirectives),
      FileName(std::move(FileName)), Rewriter(Ctx, *this) {}

//===----------------------------------------------------------------------===//
// Driver of the two passes
//===----------------------------------------------------------------------===//

std::optional<LoweredFunction> FunctionLowering::run() {
  // This function's errors: an earlier function's must not stop the checks
  // made after the lowering (the clones at fork points) from reporting.
  const unsigned ErrorsBefore = Diags.errorCount();
  auto Failed = [&] { return Diags.errorCount() > ErrorsBefore; };
  if (!prepare())
    return std::nullopt;
  collectOuterNames();
  findHoistable();
  HoldsLabel.clear();
  if (const auto *CS = dyn_cast<CompoundStmt>(F.FD->getBody()); CS && F.contains(CS))
    findLabels(CS);
  reset();
  lowerBody();
  decideCandidates();
  if (Failed())
    return std::nullopt;
  E->verify(FunctionName);
  E->finalize();
  collectFrameAccesses(E->partitions(), Kept);
  computeLiveness(E->partitions(), E->regions(), Kept);
  for (Partition &P : E->partitions())
    for (int K : P.LiveIn)
      if (!Kept[K].SourceName.empty())
        P.Live.push_back(Kept[K].SourceName);
  LoweredFunction LF;
  // Before the model: the check marks the scalars it value-initializes.
  std::vector<DurableResume> Durable = durableResumes();
  FrameModel Model = frameModel();
  Model.Durable = std::move(Durable);
  Model.Forks = forkClones();
  if (Failed())
    return std::nullopt;
  for (const ForkClone &C : Model.Forks)
    for (Partition &P : E->partitions())
      if (P.Label == Forks[C.Id].Label) {
        P.Clone = C.Params;
        for (int K : C.Kept)
          if (!Kept[K].Dropped)
            P.Clone.push_back(Kept[K].SourceName.empty() ? Kept[K].Member : Kept[K].SourceName);
        Model.Partitions = E->partitions();
      }
  LF.Body = FrameEmitter(Model, Kind, LineDirectives).emit();
  LF.Name = FunctionName;
  LF.Aggregates = Aggregates;
  LF.Partitions = E->partitions();
  LF.Regions = E->regions();
  return LF;
}

int FunctionLowering::partitionOfLabel(int Label, const char *What) const {
  const std::vector<Partition> &Parts = E->partitions();
  for (size_t I = 0; I < Parts.size(); ++I)
    if (Parts[I].Label == Label)
      return static_cast<int>(I);
  throw InternalError(std::string(What) + "'s resume partition is missing");
}

// The frame as data (FrameModel.h), for FrameEmitter.
FrameModel FunctionLowering::frameModel() {
  const FunctionDecl *FD = F.FD;
  FrameModel M;
  M.FunctionName = FunctionName;
  M.FileName = FileName;
  M.ResultType = ResultType;
  M.IsMethod = IsMethod;
  for (const ParmVarDecl *P : FD->parameters()) {
    const auto *TTP = P->getType().getNonReferenceType()->getAs<TemplateTypeParmType>();
    auto It = TTP ? InventedAliases.find({TTP->getDepth(), TTP->getIndex()}) : InventedAliases.end();
    if (It != InventedAliases.end() && It->second.first == "__braid_auto_" + P->getNameAsString())
      M.Aliases.push_back("using " + It->second.first + " = " + It->second.second + ";");
  }
  M.Hoisted = HoistedText;
  for (const ParmVarDecl *P : FD->parameters()) {
    if (!P->getIdentifier())
      continue;
    FrameParam FP;
    FP.Name = P->getNameAsString();
    QualType T = P->getType();
    if (isForwardingReference(FD, T)) {
      FP.How = FrameParam::Passing::Forwarding;
      FP.Type = spell(T.getNonReferenceType());
    } else if (T->isLValueReferenceType() && !T.getNonReferenceType().isConstQualified()) {
      FP.How = FrameParam::Passing::Ref;
      FP.Type = spell(T.getNonReferenceType());
    } else {
      QualType V = T.getNonReferenceType();
      FP.How = T->isLValueReferenceType() ? FrameParam::Passing::ConstRef : FrameParam::Passing::Value;
      FP.Const = V.isConstQualified();
      FP.Type = spell(V.getUnqualifiedType());
    }
    M.Params.push_back(std::move(FP));
  }
  M.Kept = Kept;
  M.Slots = Slots;
  M.Members = MemberOrder;
  M.Partitions = E->partitions();
  M.Regions = E->regions();
  return M;
}

bool FunctionLowering::prepare() {
  const FunctionDecl *FD = F.FD;
  FunctionName = F.StableName;
  Kind = F.Kind;
  const char *C = flavourPrefix(Kind);
  const std::string NS = flavourNamespace(Kind);
  CoreName = NS + "::" + C + "_core";
  std::optional<QualType> VT = Kind == Flavour::Sp        ? taskValueType(FD->getReturnType())
                               : Kind == Flavour::Durable ? runValueType(FD->getReturnType())
                                                          : flowValueType(FD->getReturnType());
  if (!VT) {
    if (Kind == Flavour::Sp)
      Diags.report(Diag::SpNotTask, FD->getLocation()) << FD << FD->getReturnType();
    else if (Kind == Flavour::Durable)
      Diags.report(Diag::DurableNotRun, FD->getLocation()) << FD << FD->getReturnType();
    else
      Diags.report(Diag::ApNotFlow, FD->getLocation())
          << FD << FD->getReturnType() << unsigned(Kind == Flavour::Cp);
    for (const auto *A : FD->specific_attrs<AnnotateAttr>())
      Diags.report(Diag::NoteAnnotation, A->getLocation()) << flavourMacro(Kind);
    return false;
  }
  VoidResult = (*VT)->isVoidType();
  DependentResult = (*VT)->isDependentType();
  ResultType = spell(*VT);
  FrameBase = NS + "::" + C + "_frame<" + ResultType + ">";
  if (const auto *MD = dyn_cast<CXXMethodDecl>(FD))
    IsMethod = MD->isInstance();
  if (Kind == Flavour::Durable && !prepareDurable(*VT))
    return false;
  // The invented template parameter of an `auto` parameter, named from the
  // parameter (at the function's scope, before the frame: inside it the
  // member of the same name would be found).
  const FunctionTemplateDecl *FTD = FD->getDescribedFunctionTemplate();
  for (const ParmVarDecl *P : FTD ? FD->parameters() : ArrayRef<ParmVarDecl *>()) {
    QualType PT = P->getType();
    QualType B = PT.getNonReferenceType();
    const auto *TTP = B->getAs<TemplateTypeParmType>();
    const TemplateParameterList *TPL = FTD->getTemplateParameters();
    if (!TTP || TTP->getDepth() != TPL->getDepth() || TTP->getIndex() >= TPL->size() ||
        !TPL->getParam(TTP->getIndex())->isImplicit() || !P->getIdentifier() ||
        B.isVolatileQualified() || InventedAliases.count({TTP->getDepth(), TTP->getIndex()}))
      continue;
    std::string D = "decltype(" + P->getNameAsString() + ")";
    std::string Def;
    if (PT->isLValueReferenceType())
      Def = B.isConstQualified() ? "::std::remove_cvref_t<" + D + ">" : "::std::remove_reference_t<" + D + ">";
    else if (PT->isRValueReferenceType())
      Def = B.isConstQualified() ? "::std::remove_cvref_t<" + D + ">"
                                 : "::std::conditional_t<::std::is_lvalue_reference_v<" + D + ">, " + D +
                                       ", ::std::remove_reference_t<" + D + ">>";
    else
      Def = B.isConstQualified() ? "::std::remove_const_t<" + D + ">" : D;
    InventedAliases[{TTP->getDepth(), TTP->getIndex()}] = {"__braid_auto_" + P->getNameAsString(), Def};
  }
  // The result and parameter types are spelled by assemble(), after the
  // passes: what the frame cannot write is reported here, first.
  bool Spellable = true;
  auto Check = [&](QualType T, SourceLocation Loc, const ParmVarDecl *P) {
    std::optional<DependentReason> Why = Speller.whyNotSpellable(T);
    if (!Why)
      return;
    if (P)
      Diags.report(Diag::TemplateParameterType, Loc) << P->getNameAsString() << unsigned(*Why);
    else
      Diags.report(Diag::TemplateResultType, Loc) << unsigned(*Why);
    Spellable = false;
  };
  Check(*VT, FD->getLocation(), nullptr);
  for (const ParmVarDecl *P : FD->parameters())
    if (P->getIdentifier())
      Check(P->getType(), P->getLocation(), P);
  if (!Spellable)
    return false;
  collectBaseNames();
  if (isa<CXXConstructorDecl>(FD) || isa<CXXDestructorDecl>(FD)) {
    Diags.report(Diag::SpOnConstructor, FD->getLocation());
    return false;
  }
  return true;
}

void FunctionLowering::collectBaseNames() {
  if (!BaseNames.empty())
    return;
  // braid::detail::{sp_frame, sp_core} (ap_, cp_; durable_ in
  // braid::durable::detail) and their bases, from the AST (the namespaces
  // are reopened many times: look at every block).
  const std::string Core = std::string(flavourPrefix(Kind)) + "_core";
  const std::string Frame = std::string(flavourPrefix(Kind)) + "_frame";
  const bool Durable = Kind == Flavour::Durable;
  std::vector<const CXXRecordDecl *> Work;
  auto Named = [](const Decl *D, StringRef Name) {
    const auto *ND = dyn_cast<NamedDecl>(D);
    return ND && ND->getIdentifier() && ND->getName() == Name;
  };
  auto Blocks = [&](const DeclContext *In, StringRef Name) {
    std::vector<const NamespaceDecl *> Out;
    for (const Decl *D : In->decls())
      if (isa<NamespaceDecl>(D) && Named(D, Name))
        Out.push_back(cast<NamespaceDecl>(D));
    return Out;
  };
  std::vector<const NamespaceDecl *> Details;
  for (const NamespaceDecl *B : Blocks(Ctx.getTranslationUnitDecl(), "braid")) {
    if (!Durable) {
      for (const NamespaceDecl *D : Blocks(B, "detail"))
        Details.push_back(D);
      continue;
    }
    for (const NamespaceDecl *U : Blocks(B, "durable"))
      for (const NamespaceDecl *D : Blocks(U, "detail"))
        Details.push_back(D);
  }
  for (const NamespaceDecl *D : Details) {
    for (const Decl *C : D->decls()) {
      if (const auto *RD = dyn_cast<CXXRecordDecl>(C); RD && Named(RD, Core))
        Work.push_back(RD->getDefinition());
      if (const auto *TD = dyn_cast<ClassTemplateDecl>(C); TD && Named(TD, Frame))
        Work.push_back(TD->getTemplatedDecl()->getDefinition());
    }
  }
  while (!Work.empty()) {
    const CXXRecordDecl *RD = Work.back();
    Work.pop_back();
    if (!RD)
      continue;
    for (const Decl *D : RD->decls())
      if (const auto *ND = dyn_cast<NamedDecl>(D); ND && ND->getIdentifier())
        BaseNames.insert(ND->getName().str());
    for (const CXXBaseSpecifier &B : RD->bases())
      if (const CXXRecordDecl *BD = B.getType()->getAsCXXRecordDecl())
        Work.push_back(BD->getDefinition());
  }
}

void FunctionLowering::reset() {
  E = std::make_unique<Emitter>(LineDirectives, FileName);
  Kept.clear();
  KeptIndex.clear();
  MemberNames.clear();
  MemberOrder.clear();
  Slots.clear();
  Forks.clear();
  DurableSites.clear();
  TempTypes.clear();
  Stack.clear();
  Copying.reset();
  CopySerial = 0;
  Hoisted.clear();
  HoistedText.clear();
  LocalTypeRun.clear();
  ParkValues.clear();
  Spilled.clear();
  CommaValues.clear();
  Counter = 0;
  BindingText.clear();
  Labels.clear();
  Candidates.clear();
  CandidateOf.clear();
  PendingGotos.clear();
  for (const ParmVarDecl *P : F.FD->parameters())
    if (P->getIdentifier())
      MemberNames.insert(P->getNameAsString());
}

void FunctionLowering::lowerBody() {
  const Stmt *Body = F.FD->getBody();
  int Entry = E->newLabel();
  markHere(Entry, Body->getBeginLoc(), "entry");
  {
    BlockScope Outer(*this);
    if (const auto *CS = dyn_cast<CompoundStmt>(Body); CS && F.contains(CS)) {
      for (const Stmt *C : CS->body())
        lowerStmt(C);
    } else {
      lowerVerbatim(Body);
    }
  }
  if (E->isOpen()) {
    // Running off the end: a void task ends with unit; a value task that
    // has no value is braid's defined failure instead of C++'s UB.
    std::string Throw = "throw ::std::logic_error(\"braid: " + std::string(flavourMacro(Kind)) + " function '" +
                        FunctionName + "' ended without returning a value\");";
    if (Kind == Flavour::Ap || Kind == Flavour::Cp)
      // A branch has no value to emit: C++ would have none either (UB).
      E->terminate("throw ::std::logic_error(\"braid: " + std::string(flavourMacro(Kind)) + " function '" +
                       FunctionName +
                       "' ended without returning a value; end a branch without a value with "
                       "'return braid::amb();'\");",
                   false);
    else if (VoidResult)
      E->terminate("return this->" + FrameBase + "::finish_with();", false);
    else if (DependentResult)
      // In a template, whether the value type is void is known per
      // instantiation.
      E->terminate("if constexpr (::std::is_void_v<" + ResultType + ">) return this->" + FrameBase +
                       "::finish_with(); else " + Throw,
                   false);
    else
      E->terminate(Throw, false);
  }
}

//===----------------------------------------------------------------------===//
// RewriteContext
//===----------------------------------------------------------------------===//

std::optional<std::string> FunctionLowering::varRef(const VarDecl *VD, bool InLambda,
                                                    bool Escapes) {
  if (auto C = CandidateOf.find(VD); C != CandidateOf.end()) {
    Candidate &Cand = Candidates[C->second];
    bool Ref = VD->getType()->isReferenceType();
    Cand.UseRuns.push_back(InLambda || (Escapes && !Ref) ? -1 : E->run());
    if (Cand.Kept < 0)
      return std::nullopt; // a static local: always the C++ static
    noteUse(Cand.Kept, InLambda || (Escapes && !Ref));
    return E->deferredRef(Cand.RefText);
  }
  auto It = KeptIndex.find(VD);
  if (It == KeptIndex.end())
    return std::nullopt;
  noteUse(It->second, InLambda || (Escapes && !VD->getType()->isReferenceType()));
  const KeptVar &K = Kept[It->second];
  if (K.Pointer)
    return "(*this->" + K.Member + ")";
  if (K.Member != K.SourceName)
    return "this->" + K.Member;
  return std::nullopt;
}

// A use the liveness analysis must know of. One that may outlive its
// statement (in a lambda, through a pointer or reference) makes the entry
// live wherever it is in scope.
void FunctionLowering::noteUse(int K, bool Escapes) {
  E->use(K);
  if (Escapes)
    Kept[K].Escapes = true;
}

std::optional<std::string> FunctionLowering::keptAccess(const VarDecl *VD) {
  // A parameter is a frame member of its own name: a lambda captures it by
  // an init-capture of that member (`[a]` -> `[a = this->a]`).
  if (const auto *P = dyn_cast<ParmVarDecl>(VD); P && P->getDeclContext() == F.FD)
    return "this->" + P->getNameAsString();
  auto It = KeptIndex.find(VD);
  if (It == KeptIndex.end())
    return std::nullopt;
  const KeptVar &K = Kept[It->second];
  return K.Pointer ? "(*this->" + K.Member + ")" : "this->" + K.Member;
}

// Inside a partition (a member function of the frame), unqualified lookup
// finds the driver's members (release, cancel, state, start...) before an
// entity of the same name declared outside the function: a variable, a
// function, an enumerator, a type or a template. Such a use is qualified:
// with its namespace, or with its class for a static member or a member
// type (that qualification skips argument-dependent lookup of other
// namespaces for a call). What cannot be named from the frame (a member of
// a class template's current instantiation, a function-local entity of
// another function) is diagnosed.
std::optional<std::string> FunctionLowering::hiddenGlobal(const NamedDecl *D, SourceLocation Use) {
  if (!D->getIdentifier() || !BaseNames.count(D->getName().str()))
    return std::nullopt;
  const DeclContext *DC = D->getDeclContext()->getRedeclContext();
  if (DC->isFunctionOrMethod())
    return std::nullopt; // declared in the body: in the partition's own scope
  if (const auto *RD = dyn_cast<CXXRecordDecl>(DC);
      RD && !RD->isDependentContext() && !RD->isLambda() && RD->getIdentifier())
    return Speller.spellTypeId(Ctx.getRecordType(RD)) + "::";
  if (!DC->isFileContext()) {
    Diags.report(Diag::HiddenNameUnqualifiable, Use) << D->getNameAsString();
    return std::nullopt;
  }
  // Named, non-inline namespaces only: members of anonymous and inline
  // namespaces are found through their enclosing namespace.
  std::vector<std::string> Parts;
  for (; DC && !DC->isTranslationUnit(); DC = DC->getParent())
    if (const auto *NS = dyn_cast<NamespaceDecl>(DC); NS && !NS->isAnonymousNamespace() && !NS->isInline())
      Parts.push_back(NS->getNameAsString());
  std::string Q = "::";
  for (auto It = Parts.rbegin(); It != Parts.rend(); ++It)
    Q += *It + "::";
  return Q;
}

std::string FunctionLowering::accessText(const VarDecl *VD) {
  if (std::optional<std::string> R = varRef(VD, false, false))
    return *R;
  return VD->getNameAsString();
}

std::optional<std::string> FunctionLowering::parkValue(const Expr *Park) {
  // A comma whose left operand was evaluated as a step reads as its right
  // operand (same type and value category, [expr.comma]).
  if (CommaValues.count(Park))
    return "(" + Rewriter.text(cast<BinaryOperator>(Park)->getRHS()) + ")";
  auto It = ParkValues.find(Park);
  if (It == ParkValues.end())
    return std::nullopt;
  return It->second;
}

RewriteContext::ReturnEdit FunctionLowering::returnEdit(const ReturnStmt *R) {
  std::string Finish = "this->" + FrameBase + "::finish_with(";
  const Expr *V = R->getRetValue();
  if (!V)
    return {"return " + Finish, ")", false};
  const Expr *W = written(V);
  if (suspendKind(W) == SuspendKind::AmbNone)
    return {"return " + coreCall("amb") + ")", "", true};
  // `return {};` ends a task<void> (the source converts {} to the task).
  bool EmptyBraces = false;
  if (const auto *IL = dyn_cast<InitListExpr>(W))
    EmptyBraces = IL->getNumInits() == 0;
  if (const auto *CE = dyn_cast<CXXConstructExpr>(W))
    EmptyBraces = CE->getNumArgs() == 0 && CE->isListInitialization();
  if (EmptyBraces && VoidResult)
    return {"return " + Finish, ")", true};
  if (isTaskType(W->getType()) && !W->isTypeDependent()) {
    Diagnoser::wrapIn(Diags.report(Diag::ReturnTask, W->getBeginLoc()) << W->getSourceRange(),
                      W->getSourceRange(), "braid::park(", ")", SM, Ctx.getLangOpts());
    return {"return", "", false};
  }
  if (W->getType()->isVoidType())
    return {"{", "; return " + Finish + "); }", false};
  // C++'s implicit move of a returned local ([class.copy.elision]/3): the
  // frame member is an lvalue, so say it.
  if (const auto *DRE = dyn_cast<DeclRefExpr>(W->IgnoreParens()))
    if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
      if (VD->isLocalVarDeclOrParm() && !VD->getType()->isReferenceType() &&
          !VD->getType().isVolatileQualified())
        return {"return " + Finish + "::std::move(", "))", false};
  return {"return " + Finish, ")", false};
}

std::optional<std::string> FunctionLowering::rethrow() {
  if (Stack.Handlers.empty())
    return std::nullopt;
  return "::std::rethrow_exception(this->" + Stack.Handlers.back() + ")";
}

std::optional<std::string> FunctionLowering::self() {
  if (!IsMethod)
    return std::nullopt;
  return std::string("this->__braid_self");
}

void FunctionLowering::editInMacro(SourceLocation Loc, const char *What) {
  Diags.report(Diag::ParkInMacro, Loc) << What;
}

void FunctionLowering::computedGoto(SourceLocation Loc) { Diags.report(Diag::GotoInSp, Loc); }

std::optional<std::string> FunctionLowering::bindingRef(const BindingDecl *BD) {
  auto It = BindingText.find(BD);
  if (It == BindingText.end())
    return std::nullopt;
  return It->second;
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

unsigned FunctionLowering::lineOf(SourceLocation Loc) const {
  return SM.getExpansionLineNumber(Loc);
}
unsigned FunctionLowering::colOf(SourceLocation Loc) const {
  return SM.getExpansionColumnNumber(Loc);
}

void FunctionLowering::user(SourceLocation Loc, const std::string &Text) {
  E->user(lineOf(Loc), colOf(Loc), Text);
}

std::vector<int> FunctionLowering::inScope() const {
  std::vector<int> Out;
  for (const Scope &S : Stack.Scopes)
    Out.insert(Out.end(), S.Vars.begin(), S.Vars.end());
  return Out;
}

void FunctionLowering::markHere(int L, SourceLocation Loc, const char *Kind) {
  E->mark(L, lineOf(Loc), colOf(Loc), Stack.Region, inScope(), Kind);
}

std::string FunctionLowering::spellKept(QualType T, Diag D, SourceLocation Loc,
                                        const std::string &Name) {
  if (std::optional<DependentReason> Why = Speller.whyNotSpellable(T)) {
    if (Loc.isInvalid())
      Loc = F.FD->getLocation();
    if (ReportedSpell.insert(Loc.getRawEncoding()).second) {
      DiagnosticBuilder B = Diags.report(D, Loc);
      if (D == Diag::DependentValue)
        B << T.getAsString();
      else if (!Name.empty())
        B << Name;
      B << unsigned(*Why);
    }
  }
  return Speller.spell(T);
}

// A kept local is the member of its source name, so that copied code names
// it unchanged, unless that member would hide something else the body
// names: another kept local or a parameter of that name (shadowing), or an
// entity declared outside the function that the body uses by that name (a
// variable, function, type or template: inside the frame, unqualified
// lookup finds the member first, also where the local's C++ scope has
// ended). Then it is renamed, and its uses in copied code with it.
std::string FunctionLowering::memberNameFor(const std::string &Source) {
  if (!Source.empty() && !OuterNames.count(Source) && MemberNames.insert(Source).second)
    return Source;
  return inventedName(Source.empty() ? "tmp" : Source);
}

// Every name braidc invents starts with __braid_ (reserved to the
// implementation), so it can neither capture nor hide a user's name.
std::string FunctionLowering::inventedName(const std::string &What) {
  for (;;) {
    std::string N = "__braid_" + What + "_" + std::to_string(Counter++);
    if (MemberNames.insert(N).second)
      return N;
  }
}

int FunctionLowering::addKept(KeptVar V) {
  for (int R = Stack.Region; R >= 0; R = E->regions()[R].Parent)
    V.Regions.push_back(R);
  Kept.push_back(std::move(V));
  MemberOrder.push_back({false, static_cast<int>(Kept.size()) - 1});
  return static_cast<int>(Kept.size()) - 1;
}

std::string FunctionLowering::destroyText(int K) const {
  const KeptVar &V = Kept[K];
  if (!V.NeedsDestroy)
    return "";
  return "::braid::detail::kept_destroy(this->" + V.Member + ", this->__braid_alive_" + V.Member +
         ");";
}

std::string FunctionLowering::leaveScopes(size_t Depth) const {
  std::string Out;
  for (size_t I = Stack.Scopes.size(); I-- > Depth;)
    for (auto It = Stack.Scopes[I].Vars.rbegin(); It != Stack.Scopes[I].Vars.rend(); ++It) {
      std::string D = destroyText(*It);
      if (!D.empty())
        Out += D + " ";
    }
  return Out;
}

FunctionLowering::BlockScope::~BlockScope() {
  if (Done)
    return;
  if (std::uncaught_exceptions() > 0) {
    FL.Stack.Scopes.pop_back(); // an internal error is on its way: emit nothing
    return;
  }
  exit();
}

void FunctionLowering::BlockScope::exit() {
  if (Done)
    return;
  Done = true;
  FL.E->closeRun();
  FL.popScope();
}

void FunctionLowering::popScope() {
  if (E->isOpen()) {
    std::string D = leaveScopes(Stack.Scopes.size() - 1);
    if (!D.empty())
      E->tool(D);
  }
  bool Lookup = !Stack.Scopes.back().Lookup.empty();
  Stack.Scopes.pop_back();
  if (Lookup)
    updateRunPrologue();
}

const CallExpr *FunctionLowering::parkAfter(SourceLocation After) const {
  unsigned Off = SM.getFileOffset(SM.getExpansionLoc(After));
  for (const CallExpr *P : F.Parks)
    if (SM.getFileOffset(SM.getExpansionLoc(P->getBeginLoc())) > Off)
      return P;
  return F.Parks.empty() ? nullptr : F.Parks.back();
}

int FunctionLowering::parkLine(SourceLocation After) const {
  const CallExpr *P = parkAfter(After);
  return P ? static_cast<int>(lineOf(P->getBeginLoc())) : 0;
}

void FunctionLowering::noteParkAfter(SourceLocation After) {
  if (const CallExpr *P = parkAfter(After))
    Diags.report(Diag::NoteParkHere, P->getBeginLoc()) << P->getSourceRange();
}

} // namespace braidc
