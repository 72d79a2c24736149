//===- FunctionLowering.cpp - one BRAID_SP function into a frame ----------===//
//
// SPDX-License-Identifier: MIT
//
// The lowering runs twice over the body with the same decisions except one:
// the first pass keeps every local of an exploded scope in the frame and
// records in which "run" (see Emitter.h) each local is declared and used;
// the second pass leaves as plain C++ locals those that are trivially
// destructible and never used outside their own run (design.md 3: trivially
// destructible locals are kept by liveness). Partition numbering does not
// depend on that decision, so both passes produce the same machine.
//
//===----------------------------------------------------------------------===//
#include "Lower/FunctionLowering.h"

#include "Diag/InternalError.h"

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

const char *const StepType = "__braid_step";
const char *const ParkCall = "this->::braid::detail::sp_core::park(";

std::string trim(std::string S) {
  size_t B = S.find_first_not_of(" \t\n\r");
  if (B == std::string::npos)
    return "";
  size_t E = S.find_last_not_of(" \t\n\r");
  return S.substr(B, E - B + 1);
}

/// The T of braid::task<T>, when \p RT is one.
std::optional<QualType> taskValueType(QualType RT) {
  // The sugared type first, so the T is spelled as the user wrote it.
  if (const auto *TST = RT->getAs<TemplateSpecializationType>()) {
    TemplateName TN = TST->getTemplateName();
    if (const TemplateDecl *TD = TN.getAsTemplateDecl())
      if (TD->getQualifiedNameAsString() == "braid::task" && TST->template_arguments().size() == 1)
        return TST->template_arguments()[0].getAsType();
  }
  RT = RT.getCanonicalType().getUnqualifiedType();
  if (const auto *CTS = dyn_cast_or_null<ClassTemplateSpecializationDecl>(RT->getAsCXXRecordDecl()))
    if (CTS->getSpecializedTemplate()->getQualifiedNameAsString() == "braid::task" &&
        CTS->getTemplateArgs().size() == 1)
      return CTS->getTemplateArgs()[0].getAsType();
  return std::nullopt;
}

/// The case or default label \p S is, under its attributes
/// (`[[likely]] case 1:`): they are hints, left out where the label becomes a
/// partition.
const SwitchCase *caseLabel(const Stmt *S) {
  while (const auto *A = dyn_cast_or_null<AttributedStmt>(S))
    S = A->getSubStmt();
  return dyn_cast_or_null<SwitchCase>(S);
}

/// Strips what Sema wraps around an expression without the user writing it.
const Expr *written(const Expr *E) {
  for (;;) {
    const Expr *N = E->IgnoreImplicit()->IgnoreParens();
    if (const auto *CE = dyn_cast<CXXConstructExpr>(N))
      if (CE->getNumArgs() == 1 && !isa<CXXTemporaryObjectExpr>(CE) &&
          CE->getParenOrBraceRange().isInvalid())
        N = CE->getArg(0);
    if (N == E)
      return N;
    E = N;
  }
}

bool isTaskType(QualType T) { return taskValueType(T).has_value(); }

/// Whether a local or temporary of type \p T needs its destructor run. A
/// dependent type may be a class with one in some instantiation:
/// kept_destroy is a no-op destructor call for the others.
bool destroys(QualType T) {
  return T->isDependentType() || T.isDestructedType() != QualType::DK_none;
}

/// False when reference type \p T initialized with \p Init may bind a
/// temporary that the template's pattern does not show: the initializer's
/// type is dependent and it is not a variable of the referenced type.
bool bindsWithoutTemporary(QualType T, const Expr *Init) {
  if (!Init->isInstantiationDependent() && !T->isInstantiationDependentType())
    return true;
  const Expr *W = Init->IgnoreParens();
  if (const auto *DRE = dyn_cast<DeclRefExpr>(W))
    if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
      return VD->getType().getNonReferenceType().getCanonicalType().getUnqualifiedType() ==
             T.getNonReferenceType().getCanonicalType().getUnqualifiedType();
  return false;
}

/// A call or construction in a template's pattern resolved per
/// instantiation: its temporaries (argument conversions, a prvalue bound to
/// a reference parameter) are not in the pattern. std::move and
/// std::forward of a name make none.
const Expr *unresolvedCall(const Stmt *S) {
  if (!S || isa<LambdaExpr>(S))
    return nullptr;
  const auto *E = dyn_cast<Expr>(S);
  if (E && E->isTypeDependent() && !isParkCall(E)) {
    if (const auto *CE = dyn_cast<CallExpr>(E)) {
      const auto *ULE = dyn_cast<UnresolvedLookupExpr>(CE->getCallee()->IgnoreImplicit());
      bool MoveOrForward = false;
      if (ULE && ULE->getName().isIdentifier() && CE->getNumArgs() == 1 &&
          isa<DeclRefExpr>(CE->getArg(0)->IgnoreParens()) &&
          (ULE->getName().getAsString() == "move" || ULE->getName().getAsString() == "forward"))
        for (const NamedDecl *D : ULE->decls())
          MoveOrForward = MoveOrForward || D->getUnderlyingDecl()->isInStdNamespace();
      if (!MoveOrForward)
        return E;
    } else if (isa<CXXUnresolvedConstructExpr>(E) || isa<ParenListExpr>(E) ||
               isa<InitListExpr>(E) || isa<CXXConstructExpr>(E)) {
      return E;
    }
  }
  if (isParkCall(S))
    return nullptr; // its operand is checked with its own park
  for (const Stmt *C : S->children())
    if (const Expr *R = unresolvedCall(C))
      return R;
  return nullptr;
}

/// `T&& x` where T is a type parameter of \p FD's own template: deduced
/// as `U&` for an lvalue argument.
bool isForwardingReference(const FunctionDecl *FD, QualType T) {
  const auto *RT = T->getAs<RValueReferenceType>();
  const FunctionTemplateDecl *FTD = FD->getDescribedFunctionTemplate();
  if (!RT || !FTD || RT->getPointeeTypeAsWritten().hasQualifiers())
    return false;
  const auto *TTP = RT->getPointeeTypeAsWritten()->getAs<TemplateTypeParmType>();
  return TTP && TTP->getDepth() == FTD->getTemplateParameters()->getDepth();
}

/// The type as the source named it (typedefs, aliases, written template
/// arguments), every name fully qualified from `::`, or nothing when that
/// spelling is not sure to name the same type from inside the frame: a
/// local class at the top of the body, where the body's own declarations
/// are not visible and the frame's members hide unqualified outer names.
/// Only namespace- and class-scope names (public ones) are spelled; a
/// deduced `auto` is its deduced type under the same rules; anything else
/// (decltype, function-local typedefs, expressions as template arguments,
/// function or array declarators) is left to the canonical spelling.
class SugarSpeller {
public:
  /// \p Hoisted: the body's own types that the frame sees by their names
  /// (declared before it, see FunctionLowering::hoistable).
  SugarSpeller(ASTContext &Ctx, const llvm::DenseSet<const Decl *> *Hoisted = nullptr)
      : Ctx(Ctx), PP(Ctx.getLangOpts()), Hoisted(Hoisted) {
    PP.SuppressTagKeyword = true;
  }

  std::optional<std::string> spell(QualType T) {
    std::string Out;
    if (!type(T, Out))
      return std::nullopt;
    return Out;
  }

private:
  ASTContext &Ctx;
  PrintingPolicy PP;
  const llvm::DenseSet<const Decl *> *Hoisted;

  bool isHoisted(const Decl *D) const { return Hoisted && Hoisted->count(D); }

  bool type(QualType T, std::string &Out) {
    Qualifiers Q = T.getLocalQualifiers();
    if (Q.hasRestrict() || Q.hasNonFastQualifiers())
      return false; // restrict, address spaces and the like
    std::string CV;
    if (Q.hasConst())
      CV += "const";
    if (Q.hasVolatile())
      CV += CV.empty() ? "volatile" : " volatile";
    const Type *Ty = T.getTypePtr();
    if (const auto *PT = dyn_cast<PointerType>(Ty)) {
      if (!declaratorFree(PT->getPointeeType()) || !type(PT->getPointeeType(), Out))
        return false;
      Out += "*";
      if (!CV.empty())
        Out += " " + CV;
      return true;
    }
    if (const auto *RT = dyn_cast<ReferenceType>(Ty)) {
      // Through collapsed references (`auto&&` deduced as `U&`, a typedef
      // of a reference): the kind is the collapsed one, RT's own class.
      QualType P = RT->getPointeeType();
      if (!declaratorFree(P) || !type(P, Out))
        return false;
      Out += isa<LValueReferenceType>(RT) ? "&" : "&&";
      return true;
    }
    std::string Base;
    if (!named(Ty, std::nullopt, Base))
      return false;
    Out += (CV.empty() ? "" : CV + " ") + Base;
    return true;
  }

  /// A pointee or referee that C's declarator syntax would wrap around the
  /// name (functions, arrays, member pointers) is left to the canonical
  /// spelling.
  static bool declaratorFree(QualType T) {
    QualType C = T.getCanonicalType();
    return !C->isFunctionType() && !C->isArrayType() && !C->isMemberPointerType();
  }

  /// A type without pointer, reference or cv on top. \p Prefix is the
  /// written qualifier (`::std::map<::std::string, int>::`) when it names a
  /// class; otherwise the scope is spelled from the declaration.
  bool named(const Type *Ty, std::optional<std::string> Prefix, std::string &Out) {
    switch (Ty->getTypeClass()) {
    case Type::Builtin:
      if (Ty->isDependentType() || Ty->isPlaceholderType())
        return false;
      Out += QualType(Ty, 0).getAsString(PP);
      return true;
    case Type::Paren:
      return type(cast<ParenType>(Ty)->getInnerType(), Out);
    case Type::Elaborated: {
      const auto *ET = cast<ElaboratedType>(Ty);
      std::optional<std::string> P;
      if (const NestedNameSpecifier *NNS = ET->getQualifier())
        if (NNS->getKind() == NestedNameSpecifier::TypeSpec) {
          std::string Q;
          if (!type(QualType(NNS->getAsType(), 0), Q))
            return false;
          P = Q + "::";
        }
      QualType N = ET->getNamedType();
      if (N.hasLocalQualifiers())
        return type(N, Out);
      return named(N.getTypePtr(), P, Out);
    }
    case Type::Using:
      return type(cast<UsingType>(Ty)->desugar(), Out);
    case Type::SubstTemplateTypeParm:
      return type(cast<SubstTemplateTypeParmType>(Ty)->getReplacementType(), Out);
    case Type::Auto: {
      QualType D = cast<AutoType>(Ty)->getDeducedType();
      return !D.isNull() && type(D, Out);
    }
    case Type::Typedef: {
      const TypedefNameDecl *D = cast<TypedefType>(Ty)->getDecl();
      if (!visible(D) || !D->getIdentifier())
        return false;
      if (!Prefix && isHoisted(D))
        Prefix = "";
      if (!Prefix && !(Prefix = scope(D->getDeclContext())))
        return false;
      Out += *Prefix + D->getName().str();
      return true;
    }
    case Type::Record:
    case Type::Enum: {
      const TagDecl *D = cast<TagType>(Ty)->getDecl();
      return tag(D, Prefix, Out);
    }
    case Type::TemplateSpecialization: {
      const auto *TST = cast<TemplateSpecializationType>(Ty);
      const TemplateDecl *TD = TST->getTemplateName().getAsTemplateDecl();
      if (!TD || isa<BuiltinTemplateDecl>(TD) || !visible(TD) || TST->isDependentType())
        return false;
      if (!Prefix && isHoisted(TD))
        Prefix = "";
      if (!Prefix && !(Prefix = scope(TD->getDeclContext())))
        return false;
      std::string Args;
      for (const TemplateArgument &A : TST->template_arguments())
        if (!argument(A, Args))
          return false;
      Out += *Prefix + TD->getName().str() + "<" + Args + ">";
      return true;
    }
    default:
      return false;
    }
  }

  /// A class or enumeration by its declaration; a template specialization
  /// with its (canonical) arguments, trailing default arguments left out.
  bool tag(const TagDecl *D, std::optional<std::string> Prefix, std::string &Out) {
    if (!D->getIdentifier() || !visible(D))
      return false;
    if (const auto *RD = dyn_cast<CXXRecordDecl>(D))
      if ((RD->isLocalClass() && !isHoisted(RD)) || RD->isLambda())
        return false;
    if (!Prefix && isHoisted(D))
      Prefix = "";
    if (!Prefix && !(Prefix = scope(D->getDeclContext())))
      return false;
    Out += *Prefix + D->getName().str();
    const auto *CTS = dyn_cast<ClassTemplateSpecializationDecl>(D);
    if (!CTS)
      return true;
    if (isa<ClassTemplatePartialSpecializationDecl>(CTS))
      return false;
    const TemplateParameterList *TPL = CTS->getSpecializedTemplate()->getTemplateParameters();
    ArrayRef<TemplateArgument> Args = CTS->getTemplateArgs().asArray();
    size_t N = Args.size();
    if (N != TPL->size())
      return false;
    while (N > 0 && !TPL->getParam(N - 1)->isTemplateParameterPack() &&
           isSubstitutedDefaultArgument(Ctx, Args[N - 1], TPL->getParam(N - 1), Args.take_front(N - 1),
                                        TPL->getDepth()))
      --N;
    std::string List;
    for (const TemplateArgument &A : Args.take_front(N))
      if (!argument(A, List))
        return false;
    Out += "<" + List + ">";
    return true;
  }

  bool argument(const TemplateArgument &A, std::string &List) {
    auto Add = [&List](const std::string &S) { List += (List.empty() ? "" : ", ") + S; };
    switch (A.getKind()) {
    case TemplateArgument::Type: {
      std::string S;
      if (!type(A.getAsType(), S))
        return false;
      Add(S);
      return true;
    }
    case TemplateArgument::Integral: {
      // An enumerator would print by its unqualified type's name: it is
      // the value converted to the ::-qualified enumeration.
      if (A.getIntegralType()->isEnumeralType()) {
        std::string E;
        if (!type(A.getIntegralType(), E))
          return false;
        Add("(" + E + ")" + llvm::toString(A.getAsIntegral(), 10));
        return true;
      }
      if (!A.getIntegralType()->isBuiltinType())
        return false;
      std::string S;
      llvm::raw_string_ostream OS(S);
      A.print(PP, OS, /*IncludeType=*/true);
      Add(OS.str());
      return true;
    }
    case TemplateArgument::Template: {
      const TemplateDecl *TD = A.getAsTemplate().getAsTemplateDecl();
      std::optional<std::string> P;
      if (!TD || !visible(TD) || !(P = scope(TD->getDeclContext())))
        return false;
      Add(*P + TD->getName().str());
      return true;
    }
    case TemplateArgument::Pack:
      for (const TemplateArgument &E : A.pack_elements())
        if (!argument(E, List))
          return false;
      return true;
    default:
      return false; // expressions as written, declarations, nullptr
    }
  }

  /// Named outside any function body (or one of the body's hoisted
  /// types, or a member of one), and public wherever it is a member.
  bool visible(const NamedDecl *D) const {
    for (const Decl *C = D; C && !isa<TranslationUnitDecl>(C); C = dyn_cast<Decl>(C->getDeclContext())) {
      if (isHoisted(C))
        return true;
      if (C->getDeclContext()->isFunctionOrMethod())
        return false;
      if (isa<CXXRecordDecl>(C->getDeclContext()) && C->getAccess() != AS_public)
        return false;
    }
    return true;
  }

  /// `::ns::` or `::ns::klass<args>::` for the scope \p DC, anonymous,
  /// inline and linkage-specification scopes left out (as the canonical
  /// spelling does).
  std::optional<std::string> scope(const DeclContext *DC) {
    if (isa<TranslationUnitDecl>(DC))
      return std::string("::");
    if (isa<LinkageSpecDecl>(DC) || isa<ExportDecl>(DC))
      return scope(DC->getParent());
    if (const auto *NS = dyn_cast<NamespaceDecl>(DC)) {
      std::optional<std::string> P = scope(NS->getParent());
      if (!P || NS->isAnonymousNamespace() || NS->isInline())
        return P;
      return *P + NS->getName().str() + "::";
    }
    if (const auto *RD = dyn_cast<CXXRecordDecl>(DC)) {
      std::string S;
      if ((RD->isDependentContext() && !isHoisted(RD)) || !tag(RD, std::nullopt, S))
        return std::nullopt;
      return S + "::";
    }
    return std::nullopt;
  }
};

/// Why a dependent type cannot be spelled as written inside the template
/// (the frame's member declarations are at class scope, before any of the
/// function's statements): "" when it can.
class DependentSpelling : public RecursiveASTVisitor<DependentSpelling> {
public:
  explicit DependentSpelling(const FunctionDecl *FD,
                             const llvm::DenseSet<const Decl *> *Hoisted = nullptr)
      : FD(FD), Hoisted(Hoisted) {}
  std::string Why;

  bool VisitAutoType(AutoType *) { return fail("it is deduced ('auto')"); }
  bool VisitDeducedTemplateSpecializationType(DeducedTemplateSpecializationType *) {
    return fail("its template arguments are deduced");
  }
  bool VisitDecltypeType(DecltypeType *) { return fail("it is a 'decltype' of an expression"); }
  bool VisitTypeOfExprType(TypeOfExprType *) { return fail("it is a 'typeof' of an expression"); }
  bool VisitPackExpansionType(PackExpansionType *) { return fail("it is a pack expansion"); }
  bool VisitBuiltinType(BuiltinType *BT) {
    if (BT->isDependentType())
      return fail("it is the type of an expression resolved per instantiation");
    return true;
  }
  bool VisitTemplateTypeParmType(TemplateTypeParmType *T) {
    if (!T->getDecl() || T->getDecl()->isImplicit())
      return fail("it is an invented template parameter (an 'auto' parameter)");
    return true;
  }
  bool VisitTypedefType(TypedefType *T) { return local(T->getDecl()); }
  bool VisitTagType(TagType *T) { return local(T->getDecl()); }

private:
  bool local(const Decl *D) {
    for (const Decl *C = D; C; C = dyn_cast_or_null<Decl>(C->getDeclContext())) {
      if (Hoisted && Hoisted->count(C))
        return true; // declared before the frame
      if (C->getDeclContext() == FD)
        return fail("it is declared in the function's body");
    }
    return true;
  }
  bool fail(const char *W) {
    if (Why.empty())
      Why = W;
    return false;
  }
  const FunctionDecl *FD;
  const llvm::DenseSet<const Decl *> *Hoisted;
};

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
  if (!prepare())
    return std::nullopt;
  collectOuterNames();
  findHoistable();
  HoldsLabel.clear();
  if (const auto *CS = dyn_cast<CompoundStmt>(F.FD->getBody()); CS && F.contains(CS))
    findLabels(CS);
  // Pass 1: everything kept, runs recorded. Diagnostics are reported here.
  FirstPass = true;
  reset();
  lowerBody();
  for (const VarDecl *VD : Candidates) {
    auto It = DeclRun.find(VD);
    bool SameRun = It != DeclRun.end() && It->second >= 0;
    for (int R : UseRuns[VD])
      SameRun = SameRun && R == It->second;
    if (SameRun)
      Plain.insert(VD);
    else if (!VD->hasLocalStorage())
      Diags.report(Diag::Unsupported, VD->getLocation())
          << ("static local '" + VD->getNameAsString() + "' used after a park")
          << "declare it outside the function";
  }
  if (Diags.hadErrors())
    return std::nullopt;
  // Pass 2: the real output.
  FirstPass = false;
  Diags.setMuted(true);
  reset();
  lowerBody();
  Diags.setMuted(false);
  if (Diags.hadErrors())
    return std::nullopt;
  E->verify(FunctionName);
  E->finalize();
  LoweredFunction LF;
  LF.Body = assemble();
  LF.Name = FunctionName;
  LF.Partitions = E->partitions();
  LF.Regions = E->regions();
  return LF;
}

bool FunctionLowering::prepare() {
  const FunctionDecl *FD = F.FD;
  FunctionName = F.StableName;
  std::optional<QualType> VT = taskValueType(FD->getReturnType());
  if (!VT) {
    Diags.report(Diag::SpNotTask, FD->getLocation()) << FD << FD->getReturnType();
    for (const auto *A : FD->specific_attrs<AnnotateAttr>())
      Diags.report(Diag::NoteAnnotation, A->getLocation());
    return false;
  }
  VoidResult = (*VT)->isVoidType();
  DependentResult = (*VT)->isDependentType();
  ResultType = spell(*VT);
  if (const auto *MD = dyn_cast<CXXMethodDecl>(FD))
    IsMethod = MD->isInstance();
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
  auto Check = [&](QualType T, SourceLocation Loc, const std::string &What) {
    if (!T->isInstantiationDependentType())
      return;
    QualType B = T.getNonReferenceType();
    if (const auto *TTP = B->getAs<TemplateTypeParmType>())
      if (InventedAliases.count({TTP->getDepth(), TTP->getIndex()}))
        return;
    DependentSpelling C(FD);
    C.TraverseType(T);
    if (C.Why.empty())
      return;
    Diags.report(Diag::Unsupported, Loc)
        << (What + " (" + C.Why + ")") << "write the type with the template's parameters";
    Spellable = false;
  };
  Check(*VT, FD->getLocation(), "a result type the frame cannot name");
  for (const ParmVarDecl *P : FD->parameters())
    if (P->getIdentifier())
      Check(P->getType(), P->getLocation(),
            "parameter '" + P->getNameAsString() + "' of a type the frame cannot name");
  if (!Spellable)
    return false;
  collectBaseNames();
  if (isa<CXXConstructorDecl>(FD) || isa<CXXDestructorDecl>(FD)) {
    Diags.report(Diag::Unsupported, FD->getLocation())
        << "BRAID_SP on a constructor or destructor" << "annotate a function returning braid::task<T>";
    return false;
  }
  return true;
}

void FunctionLowering::collectBaseNames() {
  if (!BaseNames.empty())
    return;
  // braid::detail::{sp_frame, sp_core} and their bases, from the AST (the
  // namespaces are reopened many times: look at every block).
  std::vector<const CXXRecordDecl *> Work;
  auto Named = [](const Decl *D, StringRef Name) {
    const auto *ND = dyn_cast<NamedDecl>(D);
    return ND && ND->getIdentifier() && ND->getName() == Name;
  };
  for (const Decl *B : Ctx.getTranslationUnitDecl()->decls()) {
    if (!isa<NamespaceDecl>(B) || !Named(B, "braid"))
      continue;
    for (const Decl *D : cast<NamespaceDecl>(B)->decls()) {
      if (!isa<NamespaceDecl>(D) || !Named(D, "detail"))
        continue;
      for (const Decl *C : cast<NamespaceDecl>(D)->decls()) {
        if (const auto *RD = dyn_cast<CXXRecordDecl>(C); RD && Named(RD, "sp_core"))
          Work.push_back(RD->getDefinition());
        if (const auto *TD = dyn_cast<ClassTemplateDecl>(C); TD && Named(TD, "sp_frame"))
          Work.push_back(TD->getTemplatedDecl()->getDefinition());
      }
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
  Members.clear();
  Scopes.clear();
  Leaps.clear();
  Handlers.clear();
  Copying.reset();
  CopySerial = 0;
  CurRegion = -1;
  Hoisted.clear();
  HoistedText.clear();
  LocalTypeRun.clear();
  ParkValues.clear();
  Spilled.clear();
  CommaValues.clear();
  Counter = 0;
  BindingText.clear();
  Labels.clear();
  ScopeSerial = 0;
  if (FirstPass) {
    DeclRun.clear();
    UseRuns.clear();
    Candidates.clear();
    Plain.clear();
    LabelPaths.clear();
  }
  for (const ParmVarDecl *P : F.FD->parameters())
    if (P->getIdentifier())
      MemberNames.insert(P->getNameAsString());
}

void FunctionLowering::lowerBody() {
  const Stmt *Body = F.FD->getBody();
  int Entry = E->newLabel();
  markHere(Entry, Body->getBeginLoc(), "entry");
  pushScope();
  if (const auto *CS = dyn_cast<CompoundStmt>(Body); CS && F.contains(CS)) {
    for (const Stmt *C : CS->body())
      lowerStmt(C);
  } else {
    lowerVerbatim(Body);
  }
  popScope();
  if (E->isOpen()) {
    // Running off the end: a void task ends with unit; a value task that
    // has no value is braid's defined failure instead of C++'s UB.
    std::string Throw = "throw ::std::logic_error(\"braid: BRAID_SP function '" + FunctionName +
                        "' ended without returning a value\");";
    if (VoidResult)
      E->terminate("return this->::braid::detail::sp_frame<void>::finish_with();", false);
    else if (DependentResult)
      // In a template, whether the value type is void is known per
      // instantiation.
      E->terminate("if constexpr (::std::is_void_v<" + ResultType + ">) return this->::braid::detail::sp_frame<" +
                       ResultType + ">::finish_with(); else " + Throw,
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
  if (FirstPass && Candidates.count(VD)) {
    bool Ref = VD->getType()->isReferenceType();
    UseRuns[VD].push_back(InLambda || (Escapes && !Ref) ? -1 : E->run());
  }
  auto It = KeptIndex.find(VD);
  if (It == KeptIndex.end())
    return std::nullopt;
  const KeptVar &K = Kept[It->second];
  if (K.Pointer)
    return "(*this->" + K.Member + ")";
  if (K.Member != K.SourceName)
    return "this->" + K.Member;
  return std::nullopt;
}

std::optional<std::string> FunctionLowering::keptAccess(const VarDecl *VD) {
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
    return spellTypeId(Ctx.getRecordType(RD)) + "::";
  if (!DC->isFileContext()) {
    if (FirstPass)
      Diags.report(Diag::Unsupported, Use)
          << ("a use of '" + D->getNameAsString() +
              "' that braid's frame would hide (its base class has a member of that name) and "
              "that braidc cannot qualify")
          << "qualify the name in the source, or rename it";
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
  std::string Finish = "this->::braid::detail::sp_frame<" + ResultType + ">::finish_with(";
  const Expr *V = R->getRetValue();
  if (!V)
    return {"return " + Finish, ")", false};
  const Expr *W = written(V);
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

std::string FunctionLowering::jumpOut(const Stmt *S, bool Deferred) {
  bool IsBreak = isa<BreakStmt>(S);
  for (auto It = Leaps.rbegin(); It != Leaps.rend(); ++It) {
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

std::optional<std::string> FunctionLowering::rethrow() {
  if (Handlers.empty())
    return std::nullopt;
  return "::std::rethrow_exception(this->" + Handlers.back() + ")";
}

std::optional<std::string> FunctionLowering::self() {
  if (!IsMethod)
    return std::nullopt;
  return std::string("this->__braid_self");
}

void FunctionLowering::unsupported(SourceLocation Loc, const std::string &What) {
  if (!FirstPass)
    return;
  if (What == "computed 'goto'") {
    Diags.report(Diag::GotoInSp, Loc);
    return;
  }
  Diags.report(Diag::Unsupported, Loc) << What << "rewrite the statement without it";
}

std::string FunctionLowering::gotoOut(const GotoStmt *S, bool Deferred) {
  return exitText(gotoCode(S->getLabel()), Deferred);
}

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

std::vector<std::string> FunctionLowering::liveNames() const {
  std::vector<std::string> Out;
  for (const Scope &S : Scopes)
    for (int K : S.Vars)
      if (!Kept[K].SourceName.empty())
        Out.push_back(Kept[K].SourceName);
  return Out;
}

void FunctionLowering::markHere(int L, SourceLocation Loc, const char *Kind) {
  E->mark(L, lineOf(Loc), colOf(Loc), CurRegion, liveNames(), Kind);
}

// Kept types are spelled as the source named them, fully qualified from the
// global namespace (`::std::map<::std::string, int>`), when SugarSpeller is
// sure that names the same type inside the frame; otherwise from the
// canonical type, which always does (`::std::map<::std::basic_string<char,
// ...>, int, ...>`). Anonymous and inline namespaces are left out (they are
// reachable without a name).
// The written initializer of \p VD (`= e`, `(a, b)`, `{a}`), edited like
// copied code. It follows the declarator, which ends after the name except
// in declarator syntax (`int (*fp)(int) = f`, `int a[2] = {}`), where it ends
// with the type.
std::string FunctionLowering::declInitText(const VarDecl *VD, const Expr *Init) {
  SourceLocation From = VD->getLocation();
  size_t Skip = VD->getName().size();
  if (const TypeSourceInfo *TSI = VD->getTypeSourceInfo()) {
    SourceLocation TypeEnd = SM.getExpansionLoc(TSI->getTypeLoc().getEndLoc());
    if (TypeEnd.isValid() && SM.isBeforeInTranslationUnit(SM.getExpansionLoc(From), TypeEnd)) {
      From = Lexer::getLocForEndOfToken(TypeEnd, 0, SM, Ctx.getLangOpts());
      Skip = 0;
    }
  }
  return trim(Rewriter.range(From, VD->getEndLoc(), Init).substr(Skip));
}

// A spelling with declarator syntax (`int (*)(int)`, `int (&)[3]`) is a
// type-id, not a decl-specifier: `int (*)(int) f;` does not declare f. The
// frame declares members as `<spelling> name`, so such a spelling goes
// through std::type_identity_t, which names the same type in any position.
std::string FunctionLowering::spell(QualType T) {
  std::string S = spellTypeId(T);
  if (T->isInstantiationDependentType())
    return S;
  // Parentheses or brackets inside template arguments (`::tinted<(::e)1>`,
  // `::std::function<int (int)>`) are not declarator syntax.
  int Angles = 0;
  for (char C : S) {
    if (C == '<')
      ++Angles;
    else if (C == '>')
      --Angles;
    else if ((C == '(' || C == '[') && Angles == 0)
      return "::std::type_identity_t<" + S + ">";
  }
  return S;
}

std::string FunctionLowering::spellTypeId(QualType T) {
  if (T->isInstantiationDependentType())
    return spellDependent(T);
  SugarSpeller Sugar(Ctx, &Hoisted);
  if (std::optional<std::string> S = Sugar.spell(T))
    return *S;
  // The canonical type through the same speller: `::`-qualified and without
  // default template arguments where it can.
  if (std::optional<std::string> S = Sugar.spell(T.getCanonicalType()))
    return *S;
  PrintingPolicy PP(Ctx.getLangOpts());
  PP.SuppressTagKeyword = true;
  PP.FullyQualifiedName = true;
  PP.SuppressScope = false;
  PP.SuppressUnwrittenScope = true;
  PP.SuppressInlineNamespace = true;
  PP.PrintCanonicalTypes = true;
  return TypeName::getFullyQualifiedName(T.getCanonicalType(), Ctx, PP, /*WithGlobalNsPrefix=*/true);
}

// A dependent type has no canonical spelling outside its template
// ('type-parameter-0-0'); the frame is a local class of the template, so the
// type is spelled as written, where the template's parameters and the
// names the source used are in scope. What cannot be written at the frame's
// class scope (a deduced type, a decltype of a local's expression, a type
// declared in the body) is diagnosed in pass 2, where a local is known to be
// kept.
std::string FunctionLowering::spellDependent(QualType T) {
  // An 'auto' parameter's invented type has no name: it is spelled by the
  // alias assemble() declares from the parameter (`[const] U [&|&&]` only).
  QualType B = T.getNonReferenceType();
  if (const auto *TTP = B->getAs<TemplateTypeParmType>()) {
    auto It = InventedAliases.find({TTP->getDepth(), TTP->getIndex()});
    if (It != InventedAliases.end()) {
      std::string S = std::string(B.isConstQualified() ? "const " : "") +
                      (B.isVolatileQualified() ? "volatile " : "") + It->second.first;
      if (T->isLValueReferenceType())
        S += "&";
      else if (T->isRValueReferenceType())
        S += "&&";
      return S;
    }
  }
  DependentSpelling Check(F.FD, &Hoisted);
  Check.TraverseType(T);
  if (!Check.Why.empty() && !FirstPass) {
    SourceLocation Loc = SpellLoc.isValid() ? SpellLoc : F.FD->getLocation();
    if (ReportedSpell.insert(Loc.getRawEncoding()).second) {
      Diags.setMuted(false);
      std::string What = SpellWhat.empty() ? "a value of dependent type '" + T.getAsString() + "' kept across a park"
                                           : SpellWhat;
      Diags.report(Diag::Unsupported, Loc)
          << (What + " (" + Check.Why + ")")
          << (SpellFix.empty() ? std::string("store it in a local whose type is written with the template's parameters")
                               : SpellFix);
      Diags.setMuted(true);
    }
  }
  PrintingPolicy PP(Ctx.getLangOpts());
  PP.SuppressTagKeyword = true;
  PP.SuppressUnwrittenScope = true;
  PP.SuppressInlineNamespace = true;
  return T.getAsString(PP);
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
  for (int R = CurRegion; R >= 0; R = E->regions()[R].Parent)
    V.Regions.push_back(R);
  if (!V.Declarator.empty() && V.Pointer)
    Members.push_back(V.Declarator + " = nullptr;");
  else if (!V.Declarator.empty())
    Members.push_back("union { " + V.Declarator + "; };");
  else if (V.Pointer)
    Members.push_back(V.Type + "* " + V.Member + " = nullptr;");
  else
    Members.push_back("union { " + V.Type + " " + V.Member + "; };");
  if (V.NeedsDestroy)
    Members.push_back("bool __braid_alive_" + V.Member + " = false;");
  Kept.push_back(std::move(V));
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
  for (size_t I = Scopes.size(); I-- > Depth;)
    for (auto It = Scopes[I].Vars.rbegin(); It != Scopes[I].Vars.rend(); ++It) {
      std::string D = destroyText(*It);
      if (!D.empty())
        Out += D + " ";
    }
  return Out;
}

void FunctionLowering::popScope() {
  if (E->isOpen()) {
    std::string D = leaveScopes(Scopes.size() - 1);
    if (!D.empty())
      E->tool(D);
  }
  bool Lookup = !Scopes.back().Lookup.empty();
  Scopes.pop_back();
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

// C's declarator syntax: an array's bounds follow the name, so `int[2] a`
// and `int[2]* p` must read `int a[2]` and `int (*p)[2]`.
std::string FunctionLowering::declarator(QualType T, const std::string &Name) {
  if (const ConstantArrayType *CAT = Ctx.getAsConstantArrayType(T)) {
    std::string Inner = Name;
    if (!Inner.empty() && Inner[0] == '*')
      Inner = "(" + Inner + ")";
    return declarator(CAT->getElementType(),
                      Inner + "[" + std::to_string(CAT->getSize().getZExtValue()) + "]");
  }
  return spell(T) + " " + Name;
}

/// A kept local needs a type the frame can spell (design.md 3).
bool FunctionLowering::checkKeepable(const VarDecl *VD, QualType T, std::string Name) {
  if (Name.empty())
    Name = VD->getName().str();
  if (FirstPass) {
    // Pass 1 keeps everything; only what pass 2 still keeps is an error.
    return true;
  }
  Diags.setMuted(false);
  struct Remute {
    Diagnoser &D;
    ~Remute() { D.setMuted(true); }
  } R{Diags};
  QualType Base = T.getNonReferenceType();
  if (Base->isArrayType()) {
    Diags.report(Diag::ArrayKept, VD->getLocation()) << Name << parkLine(VD->getLocation());
    noteParkAfter(VD->getLocation());
    return false;
  }
  if (const CXXRecordDecl *RD = Base->getAsCXXRecordDecl()) {
    if (RD->isLambda()) {
      Diags.report(Diag::ClosureKept, VD->getLocation())
          << Name << parkLine(VD->getLocation());
      noteParkAfter(VD->getLocation());
      return false;
    }
    if ((RD->isLocalClass() && !Hoisted.count(RD)) ||
        (!RD->getIdentifier() && !RD->getTypedefNameForAnonDecl())) {
      Diags.report(Diag::UnspellableKept, VD->getLocation())
          << Name << Base << parkLine(VD->getLocation());
      noteParkAfter(VD->getLocation());
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

// Dispatch. An unmarked statement is copied (DeclStmts of an exploded scope
// still go through lowerDeclStmt: their locals may have to be kept).
void FunctionLowering::lowerStmt(const Stmt *S) {
  SpellLoc = S->getBeginLoc();
  if (const auto *DS = dyn_cast<DeclStmt>(S))
    return lowerDeclStmt(DS);
  if (const auto *G = dyn_cast<GotoStmt>(S))
    return lowerGoto(G);
  if (const auto *L = dyn_cast<LabelStmt>(S))
    return lowerLabel(L);
  if (isa<IndirectGotoStmt>(S)) {
    if (FirstPass)
      Diags.report(Diag::GotoInSp, S->getBeginLoc());
    return;
  }
  if (!exploded(S))
    return lowerVerbatim(S);
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
    if (FirstPass)
      Diags.report(Diag::CaseNotTopLevel, S->getBeginLoc());
    return;
  }
  if (FirstPass)
    Diags.report(Diag::Unsupported, S->getBeginLoc())
        << (std::string("'") + S->getStmtClassName() + "'") << "rewrite it without a park inside";
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
  pushScope();
  for (const Stmt *C : S->body())
    lowerStmt(C);
  E->closeRun();
  popScope();
}

// A substatement that is not a block still has its own scope.
void FunctionLowering::lowerSubStmt(const Stmt *S) {
  if (isa<CompoundStmt>(S))
    return lowerStmt(S);
  E->closeRun();
  pushScope();
  lowerStmt(S);
  E->closeRun();
  popScope();
}

void FunctionLowering::lowerDeclStmt(const DeclStmt *S) {
  bool AllVars = true;
  for (const Decl *D : S->decls())
    AllVars = AllVars && isa<VarDecl>(D);
  if (!AllVars) {
    if (F.contains(S)) {
      if (FirstPass)
        Diags.report(Diag::Unsupported, S->getBeginLoc())
            << "this declaration" << "declare the parked value in a separate statement";
      return;
    }
    return lowerLocalDeclaration(S);
  }
  for (const Decl *D : S->decls())
    lowerVarDecl(cast<VarDecl>(D), S);
}

// `T x = init;` in an exploded scope:
//   kept:  slot parks of init...; ::new (storage(x)) T(init); alive_x = true;
//   plain: the declaration itself, inside the current run.
// A reference bound to a temporary it extends (`const T& x = f();`) keeps
// the value itself; any other reference is kept as a pointer, uses (*x).
void FunctionLowering::lowerVarDecl(const VarDecl *VD, const DeclStmt *DS,
                                    std::optional<std::string> InitOverride) {
  if (const auto *DD = dyn_cast<DecompositionDecl>(VD))
    return lowerDecomposition(DD, InitOverride);
  QualType T = VD->getType();
  bool Static = !VD->hasLocalStorage();
  bool NonTrivial = !T->isReferenceType() && destroys(T);
  if (FirstPass && !Static && !NonTrivial && VD->getIdentifier())
    Candidates.insert(VD);
  bool KeepIt = !Static && (NonTrivial || !Plain.count(VD));
  if (FirstPass && Static) {
    // A static local stays one C++ static; it must not be needed elsewhere.
    Candidates.insert(VD);
  }
  if (!VD->getIdentifier())
    KeepIt = false;

  const Expr *Init = VD->getInit();
  FullExpr FE;
  if (Init && F.contains(Init))
    FE = lowerParks(Init);

  if (!KeepIt) {
    std::string Text;
    if (DS && DS->isSingleDecl() && !InitOverride) {
      Text = Rewriter.statement(DS);
    } else {
      std::string InitText;
      if (InitOverride)
        InitText = " = " + *InitOverride;
      else if (Init)
        InitText = declInitText(VD, Init);
      Text = spell(T) + " " + VD->getNameAsString() + " " + InitText + ";";
    }
    if (FirstPass)
      DeclRun[VD] = -2; // set below once the run is open
    user(VD->getBeginLoc(), Text);
    if (FirstPass)
      DeclRun[VD] = E->run();
    endFullExpr(FE);
    return;
  }

  // Kept.
  const Expr *InitW = Init;
  if (InitW)
    if (const auto *EWC = dyn_cast<ExprWithCleanups>(InitW))
      InitW = EWC->getSubExpr();
  bool Extends = T->isReferenceType() && InitW && isa<MaterializeTemporaryExpr>(InitW->IgnoreParens());
  if (!checkKeepable(VD, T))
    return;
  if (!FirstPass && T->isReferenceType() && Init && !Extends && !bindsWithoutTemporary(T, Init)) {
    // In a template the pattern has no MaterializeTemporaryExpr where the
    // initializer's type is dependent: whether the reference binds a
    // temporary (whose lifetime it would extend past the park) is decided
    // per instantiation.
    Diags.setMuted(false);
    Diags.report(Diag::Unsupported, VD->getLocation())
        << ("reference '" + VD->getNameAsString() + "' bound to an expression of dependent type, kept across a park (it may bind a temporary in some instantiations)")
        << ("make '" + VD->getNameAsString() + "' a value, or bind it to a named variable");
    Diags.setMuted(true);
    return;
  }
  KeptVar K;
  K.SourceName = VD->getNameAsString();
  K.Member = memberNameFor(K.SourceName);
  QualType Storage = T;
  if (T->isReferenceType()) {
    Storage = T.getNonReferenceType();
    K.Pointer = !Extends;
  }
  SpellLoc = VD->getLocation();
  SpellWhat = "local '" + K.SourceName + "' of a dependent type kept across a park";
  SpellFix = "write the type of '" + K.SourceName + "'";
  K.Type = spell(Storage);
  SpellWhat.clear();
  SpellFix.clear();
  K.NeedsDestroy = !K.Pointer && destroys(Storage);
  int Index = addKept(std::move(K));

  std::string InitText;
  bool HasInit = Init != nullptr || InitOverride;
  VarDecl::InitializationStyle Style = VD->getInitStyle();
  if (InitOverride) {
    InitText = *InitOverride;
    Style = VarDecl::CInit;
  } else if (Init) {
    InitText = declInitText(VD, Init);
    if (Style == VarDecl::CInit && !InitText.empty() && InitText[0] == '=')
      InitText = trim(InitText.substr(1));
  }
  // An implicit default construction has no written initializer.
  if (Init && !InitOverride && isa<CXXConstructExpr>(Init) && InitText.empty())
    HasInit = false;
  user(VD->getBeginLoc(), constructText(Index, InitText, Style, HasInit));
  if (FirstPass)
    DeclRun[VD] = E->run();
  KeptIndex[VD] = Index;
  Scopes.back().Vars.push_back(Index);
  endFullExpr(FE);
}

std::string FunctionLowering::constructText(int K, const std::string &Init,
                                            VarDecl::InitializationStyle Style, bool HasInit) {
  const KeptVar &V = Kept[K];
  std::string M = "this->" + V.Member;
  if (V.Pointer) {
    std::string Arg = Init;
    if (Style != VarDecl::CInit && Arg.size() >= 2)
      Arg = Arg.substr(1, Arg.size() - 2);
    if (LvalueOnlyRef)
      return M + " = ::braid::detail::kept_lvalue_address<" + V.Type + ">(" + Arg + ");";
    return M + " = ::braid::detail::kept_address(" + Arg + ");";
  }
  std::string Ctor;
  if (!HasInit)
    Ctor = V.Type;
  else if (Style == VarDecl::CInit && !(Init.size() && Init[0] == '{'))
    Ctor = V.Type + "(" + Init + ")";
  else
    Ctor = V.Type + Init;
  std::string Out = "::new (::braid::detail::kept_storage(" + M + ")) " + Ctor + ";";
  if (V.NeedsDestroy)
    Out += " this->__braid_alive_" + V.Member + " = true;";
  return Out;
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
  pushScope();
  if (S->getInit())
    lowerStmt(S->getInit());
  int Else = E->newLabel(), End = S->getElse() ? E->newLabel() : Else;
  std::string C = lowerCondition(S->getConditionVariable(), S->getCond());
  branchUnless(C, S->getCond()->getBeginLoc(), Else, Scopes.size());
  lowerSubStmt(S->getThen());
  if (S->getElse()) {
    if (E->isOpen())
      E->jump(End);
    markHere(Else, S->getElse()->getBeginLoc(), "label");
    lowerSubStmt(S->getElse());
  }
  markHere(End, S->getEndLoc(), "label");
  popScope();
}

// while (cond) body  ->
//   Lhead: [iteration scope] cond; if (c) {} else { leave; jump Lbreak }
//          body; leave; jump Lhead
//   Lbreak:
void FunctionLowering::lowerWhile(const WhileStmt *S) {
  E->closeRun();
  int Head = E->newLabel(), Break = E->newLabel();
  markHere(Head, S->getWhileLoc(), "label");
  size_t Depth = Scopes.size();
  pushScope();
  std::string C = lowerCondition(S->getConditionVariable(), S->getCond());
  branchUnless(C, S->getCond()->getBeginLoc(), Break, Depth);
  Leaps.push_back({true, Break, Head, Depth});
  lowerSubStmt(S->getBody());
  Leaps.pop_back();
  E->closeRun();
  popScope();
  if (E->isOpen())
    E->jump(Head);
  markHere(Break, S->getEndLoc(), "label");
}

// do body while (cond);  ->  Lbody: body; Lcond: cond; if (c) jump Lbody;  Lbreak:
void FunctionLowering::lowerDo(const DoStmt *S) {
  E->closeRun();
  int Body = E->newLabel(), Cond = E->newLabel(), Break = E->newLabel();
  markHere(Body, S->getDoLoc(), "label");
  Leaps.push_back({true, Break, Cond, Scopes.size()});
  lowerSubStmt(S->getBody());
  Leaps.pop_back();
  markHere(Cond, S->getCond()->getBeginLoc(), "label");
  pushScope();
  std::string C = lowerCondition(nullptr, S->getCond());
  user(S->getCond()->getBeginLoc(), "if (" + C + ") { " + E->jumpText(Body) + " }");
  E->closeRun();
  popScope();
  markHere(Break, S->getEndLoc(), "label");
}

// for (init; cond; inc) body  ->
//   [for scope] init; Lhead: [iteration] cond; if (c) {} else { leave; jump Lbreak }
//   body; Lcont: inc; jump Lhead;  Lbreak: [destroy for scope]
void FunctionLowering::lowerFor(const ForStmt *S) {
  E->closeRun();
  pushScope();
  if (S->getInit())
    lowerStmt(S->getInit());
  int Head = E->newLabel(), Cont = E->newLabel(), Break = E->newLabel();
  markHere(Head, S->getForLoc(), "label");
  size_t Depth = Scopes.size();
  pushScope();
  if (S->getCond() || S->getConditionVariable()) {
    std::string C = lowerCondition(S->getConditionVariable(), S->getCond());
    branchUnless(C, S->getCond()->getBeginLoc(), Break, Depth);
  }
  Leaps.push_back({true, Break, Cont, Depth});
  lowerSubStmt(S->getBody());
  Leaps.pop_back();
  E->closeRun();
  popScope();
  markHere(Cont, S->getInc() ? S->getInc()->getBeginLoc() : S->getForLoc(), "label");
  if (const Expr *Inc = S->getInc()) {
    pushScope();
    lowerExprStmt(Inc);
    E->closeRun();
    popScope();
  }
  E->jump(Head);
  markHere(Break, S->getEndLoc(), "label");
  popScope();
}

// for (decl : range) body  ->  ([stmt.ranged])
//   [range scope] __range = range (by value when a temporary, else a
//   pointer); __begin, __end;  Lhead: if (__begin != __end) {} else jump Lbreak;
//   [iteration] decl = *__begin; body;  Lcont: ++__begin; jump Lhead;
//   Lbreak: [destroy range scope: the temporary range dies here]
void FunctionLowering::lowerRangeFor(const CXXForRangeStmt *S) {
  E->closeRun();
  pushScope();
  if (S->getInit())
    lowerStmt(S->getInit());
  const Expr *Range = S->getRangeInit();
  FullExpr FE;
  if (F.contains(Range))
    FE = lowerParks(Range);
  std::string RangeText = Rewriter.text(Range);
  const Expr *RW = Range;
  if (const auto *EWC = dyn_cast<ExprWithCleanups>(RW))
    RW = EWC->getSubExpr();
  bool Temporary = RW->isPRValue() || isa<MaterializeTemporaryExpr>(RW->IgnoreParens());
  KeptVar RV;
  RV.Member = inventedName("range");
  RV.Pointer = !Temporary;
  QualType RT = Range->getType().getNonReferenceType();
  if (Temporary)
    RT = RT.getUnqualifiedType();
  RV.Type = spell(RT);
  RV.NeedsDestroy = Temporary && destroys(RT);
  int RI = addKept(RV);
  Scopes.back().Vars.push_back(RI);
  SourceLocation Loc = S->getForLoc();
  user(Range->getBeginLoc(), constructText(RI, RangeText, VarDecl::CInit, true));
  endFullExpr(FE);
  std::string RangeRef = Temporary ? "this->" + Kept[RI].Member : "(*this->" + Kept[RI].Member + ")";
  // In a template's pattern a range of dependent type has no begin/end
  // statements yet: the iterators' type is that of range_begin/range_end
  // on the kept range.
  const bool DependentRange = !S->getBeginStmt() || !S->getEndStmt();
  if (DependentRange && !FirstPass) {
    const Expr *RI = Range->IgnoreParens();
    bool Named = isa<DeclRefExpr>(RI) || isa<MemberExpr>(RI) || isa<CXXDependentScopeMemberExpr>(RI);
    const VarDecl *LV = S->getLoopVariable();
    std::string Why;
    if (!Named)
      Why = "a range-based 'for' over an expression of dependent type whose body parks (whether "
            "it is a temporary to keep or an object to refer to is known per instantiation)";
    else if (LV->getType()->isRValueReferenceType())
      Why = "a '&&' loop variable over a range of dependent type whose body parks";
    if (!Why.empty()) {
      Diags.setMuted(false);
      Diags.report(Diag::Unsupported, Named ? LV->getLocation() : Range->getBeginLoc())
          << Why << (Named ? "declare the loop variable by value or as an lvalue reference"
                           : "store the range in a local of a written type first");
      Diags.setMuted(true);
    }
  }
  auto Iter = [&](const char *Name, const Stmt *DS, const char *Fn) {
    KeptVar IV;
    IV.Member = inventedName(Name);
    if (DependentRange) {
      IV.Type = "decltype(::braid::detail::" + std::string(Fn) + "(::std::declval<" + Kept[RI].Type + "&>()))";
      IV.NeedsDestroy = true;
    } else {
      const auto *VD = cast<VarDecl>(cast<DeclStmt>(DS)->getSingleDecl());
      IV.Type = spell(VD->getType());
      IV.NeedsDestroy = destroys(VD->getType());
    }
    int I = addKept(IV);
    Scopes.back().Vars.push_back(I);
    user(Loc, constructText(I, std::string("::braid::detail::") + Fn + "(" + RangeRef + ")",
                            VarDecl::CInit, true));
    return "this->" + Kept[I].Member;
  };
  std::string Begin = Iter("begin", S->getBeginStmt(), "range_begin");
  std::string End = Iter("end", S->getEndStmt(), "range_end");
  int Head = E->newLabel(), Cont = E->newLabel(), Break = E->newLabel();
  markHere(Head, Loc, "label");
  size_t Depth = Scopes.size();
  branchUnless(Begin + " != " + End, Loc, Break, Depth);
  pushScope();
  // A reference loop variable over a dependent range must bind `*it`
  // itself: kept_lvalue_address refuses (at compile time) the temporary a
  // prvalue `*it` or a conversion would make.
  LvalueOnlyRef = DependentRange;
  lowerVarDecl(S->getLoopVariable(), nullptr, "*" + Begin);
  LvalueOnlyRef = false;
  Leaps.push_back({true, Break, Cont, Depth});
  lowerSubStmt(S->getBody());
  Leaps.pop_back();
  E->closeRun();
  popScope();
  markHere(Cont, Loc, "label");
  E->tool("++" + Begin + ";");
  E->jump(Head);
  markHere(Break, S->getEndLoc(), "label");
  popScope();
}

// switch (cond) { case A: ...; default: ... }  ->
//   [switch scope] cond; switch (c) { case A: jump La; ... default: jump Ld; } jump Lbreak
//   [body scope] La: ... (falls through) Ld: ...;  Lbreak: [destroy]
// Case labels must be statements of the switch body itself.
void FunctionLowering::lowerSwitch(const SwitchStmt *S) {
  E->closeRun();
  pushScope();
  if (S->getInit())
    lowerStmt(S->getInit());
  std::string C = lowerCondition(S->getConditionVariable(), S->getCond(), /*Switch=*/true);
  const auto *Body = dyn_cast<CompoundStmt>(S->getBody());
  if (!Body) {
    if (FirstPass)
      Diags.report(Diag::Unsupported, S->getSwitchLoc())
          << "a switch without a braced body" << "put its statements in braces";
    popScope();
    return;
  }
  // The labels, in body order; every SwitchCase must be found here.
  std::map<const SwitchCase *, int> Labels;
  for (const Stmt *Child : Body->body())
    for (const SwitchCase *SC = caseLabel(Child); SC; SC = caseLabel(SC->getSubStmt()))
      Labels[SC] = E->newLabel();
  for (const SwitchCase *SC = S->getSwitchCaseList(); SC; SC = SC->getNextSwitchCase())
    if (!Labels.count(SC)) {
      if (FirstPass)
        Diags.report(Diag::CaseNotTopLevel, SC->getKeywordLoc());
      popScope();
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
  size_t Depth = Scopes.size();
  pushScope();
  Leaps.push_back({false, Break, -1, Depth});
  for (const Stmt *Child : Body->body()) {
    const Stmt *X = Child;
    while (const SwitchCase *SC = caseLabel(X)) {
      markHere(Labels[SC], SC->getKeywordLoc(), "label");
      X = SC->getSubStmt();
    }
    lowerStmt(X);
  }
  Leaps.pop_back();
  E->closeRun();
  popScope();
  markHere(Break, S->getEndLoc(), "label");
  popScope();
}

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
  int Parent = CurRegion;
  int R = E->newRegion(Parent);
  int Body = E->newLabel(), Dispatch = E->newLabel(), End = E->newLabel();
  if (E->isOpen())
    E->jump(Body);
  CurRegion = R;
  markHere(Body, S->getTryLoc(), "label");
  lowerStmt(S->getTryBlock());
  E->closeRun();
  if (E->isOpen())
    E->jump(End);
  CurRegion = Parent;
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
              " = ::std::move(this->::braid::detail::sp_core::raised_);",
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
    pushScope();
    Scopes.back().Vars.push_back(X.Holder);
    if (X.Param >= 0)
      Scopes.back().Vars.push_back(X.Param);
    markHere(X.Label, X.H->getHandlerBlock()->getBeginLoc(), "label");
    Handlers.push_back(Kept[X.Holder].Member);
    lowerStmt(X.H->getHandlerBlock());
    Handlers.pop_back();
    E->closeRun();
    popScope();
    if (E->isOpen())
      E->jump(End);
  }
  markHere(End, S->getEndLoc(), "label");
}

// auto [a, b] = init;  ([dcl.struct.bind])  ->
//   the hidden object e, kept like any local: by value (destroyed at the
//   closing brace), through a pointer when it is a reference to an lvalue,
//   the value itself when it is a reference extending a temporary;
//   for a tuple-like type, each binding's variable
//   `std::tuple_element_t<i, E>&& v_i = get<i>(e)` kept like any reference
//   (a pointer, or the value when get returns a prvalue), after e, so it
//   dies before e. Copied code names a binding `e.m`, `e[i]` or `v_i`.
// A C array copied by value is copied element by element.
void FunctionLowering::lowerDecomposition(const DecompositionDecl *DD,
                                          std::optional<std::string> InitOverride) {
  QualType T = DD->getType();
  std::string Names, Member = "__braid_bind";
  for (const BindingDecl *B : DD->bindings()) {
    Names += (Names.empty() ? "" : ", ") + B->getNameAsString();
    Member += "_" + B->getNameAsString();
  }
  std::string Shown = "[" + Names + "]";
  if (!DD->hasLocalStorage()) {
    if (FirstPass)
      Diags.report(Diag::Unsupported, DD->getLocation())
          << "a static or thread_local structured binding"
          << "declare it outside the function";
    return;
  }
  const Expr *Init = DD->getInit();
  FullExpr FE;
  if (Init && F.contains(Init))
    FE = lowerParks(Init);
  const Expr *InitW = Init;
  if (InitW)
    if (const auto *EWC = dyn_cast<ExprWithCleanups>(InitW))
      InitW = EWC->getSubExpr();
  bool Extends = T->isReferenceType() && InitW && isa<MaterializeTemporaryExpr>(InitW->IgnoreParens());
  QualType Storage = T.getNonReferenceType();
  bool Pointer = T->isReferenceType() && !Extends;
  const ConstantArrayType *Arr = Ctx.getAsConstantArrayType(Storage);
  if (Arr && !Pointer &&
      (Arr->getElementType()->isArrayType() ||
       destroys(Arr->getElementType()))) {
    if (FirstPass)
      Diags.report(Diag::Unsupported, DD->getLocation())
          << "a structured binding that copies a C array of arrays or of objects with a destructor"
          << "bind a reference to the array (auto& [...]) or use std::array";
    return;
  }
  if (!Arr && !checkKeepable(DD, T, Shown))
    return;
  while (!MemberNames.insert(Member).second)
    Member += "_" + std::to_string(Counter++);
  KeptVar K;
  K.SourceName = Shown;
  K.Member = Member;
  K.Pointer = Pointer;
  K.Type = spell(Storage);
  if (Arr)
    K.Declarator = declarator(Storage, (Pointer ? "*" : "") + Member);
  K.NeedsDestroy = !Pointer && !Arr && destroys(Storage);
  int Index = addKept(std::move(K));

  std::string InitText;
  VarDecl::InitializationStyle Style = DD->getInitStyle();
  if (InitOverride) {
    InitText = *InitOverride;
    Style = VarDecl::CInit;
  } else if (Init) {
    // The text after the last binding's name and the closing ']'.
    const BindingDecl *Last = DD->bindings().back();
    InitText = trim(Rewriter.range(Last->getLocation(), DD->getEndLoc(), Init)
                        .substr(Last->getName().size()));
    if (!InitText.empty() && InitText[0] == ']')
      InitText = trim(InitText.substr(1));
    if (Style == VarDecl::CInit && !InitText.empty() && InitText[0] == '=')
      InitText = trim(InitText.substr(1));
  }
  std::string Obj = Pointer ? "(*this->" + Member + ")" : "this->" + Member;
  if (Arr && !Pointer) {
    std::string Src = "__braid_src";
    std::string N = std::to_string(Arr->getSize().getZExtValue());
    user(DD->getBeginLoc(),
         "{ auto&& " + Src + (Style == VarDecl::CInit ? " = " : "") + InitText +
             "; for (::std::size_t __braid_i = 0; __braid_i < " + N +
             "; ++__braid_i) ::new (::braid::detail::kept_storage(" + Obj + "[__braid_i])) " +
             spell(Arr->getElementType().getUnqualifiedType()) + "(" + Src + "[__braid_i]); }");
  } else {
    user(DD->getBeginLoc(), constructText(Index, InitText, Style, true));
  }
  Scopes.back().Vars.push_back(Index);

  // e is an lvalue when E is an lvalue reference, an xvalue otherwise.
  std::string Whole = T->isLValueReferenceType() ? Obj
                                                 : "static_cast<" + spell(Storage) + "&&>(" + Obj + ")";
  unsigned I = 0;
  for (const BindingDecl *B : DD->bindings()) {
    std::string Idx = std::to_string(I++);
    if (const VarDecl *H = B->getHoldingVar()) {
      const Expr *HI = H->getInit();
      const Expr *HW = HI;
      if (const auto *EWC = dyn_cast<ExprWithCleanups>(HW))
        HW = EWC->getSubExpr();
      bool HExt = isa<MaterializeTemporaryExpr>(HW->IgnoreParens());
      const auto *Call = dyn_cast<CallExpr>(HI->IgnoreImplicit());
      if (!Call) {
        if (FirstPass)
          Diags.report(Diag::Unsupported, B->getLocation())
              << "this tuple-like structured binding" << "bind a named variable and use std::get";
        return;
      }
      std::string Get;
      if (isa<CXXMemberCallExpr>(Call)) {
        Get = Whole + ".get<" + Idx + ">()";
      } else {
        // get<i> is found by argument-dependent lookup only; inside the
        // frame a member named get would hide it: name its namespace.
        std::string Q;
        if (const FunctionDecl *G = Call->getDirectCallee())
          if (G->getDeclContext()->getRedeclContext()->isFileContext()) {
            Q = "::";
            std::vector<std::string> Parts;
            for (const DeclContext *DC = G->getDeclContext(); DC && !DC->isTranslationUnit();
                 DC = DC->getParent())
              if (const auto *NS = dyn_cast<NamespaceDecl>(DC);
                  NS && !NS->isAnonymousNamespace() && !NS->isInline())
                Parts.push_back(NS->getNameAsString());
            for (auto It = Parts.rbegin(); It != Parts.rend(); ++It)
              Q += *It + "::";
          }
        Get = Q + "get<" + Idx + ">(" + Whole + ")";
      }
      KeptVar HV;
      HV.Member = inventedName(B->getNameAsString());
      HV.Pointer = !HExt;
      QualType HT = H->getType().getNonReferenceType();
      HV.Type = spell(HT);
      HV.NeedsDestroy = HExt && destroys(HT);
      int HK = addKept(HV);
      user(B->getLocation(), constructText(HK, Get, VarDecl::CInit, true));
      Scopes.back().Vars.push_back(HK);
      BindingText[B] = HExt ? "this->" + Kept[HK].Member : "(*this->" + Kept[HK].Member + ")";
      continue;
    }
    const Expr *BE = B->getBinding() ? B->getBinding()->IgnoreImplicit() : nullptr;
    if (const auto *ME = dyn_cast_or_null<MemberExpr>(BE)) {
      BindingText[B] = Obj + "." + ME->getMemberDecl()->getNameAsString();
    } else if (isa_and_nonnull<ArraySubscriptExpr>(BE)) {
      BindingText[B] = Obj + "[" + Idx + "]";
    } else {
      if (FirstPass)
        Diags.report(Diag::Unsupported, B->getLocation())
            << "this structured binding" << "bind a named variable and use its members";
      return;
    }
  }
  endFullExpr(FE);
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
  for (const Scope &Sc : Scopes) {
    A.Path.push_back(Sc.Id);
    A.Counts.push_back(Sc.Vars.size());
  }
  if (FirstPass)
    LabelPaths[LD] = A.Path;
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
std::string FunctionLowering::gotoCode(const LabelDecl *LD) {
  int L = labelFor(LD);
  const LabelAt &A = Labels[LD];
  const std::vector<int> *Path = nullptr;
  if (A.Marked)
    Path = &A.Path;
  else if (auto It = LabelPaths.find(LD); It != LabelPaths.end())
    Path = &It->second; // forward: where pass 1 found the label
  size_t D = 0;
  while (Path && D < Scopes.size() && D < Path->size() && Scopes[D].Id == (*Path)[D])
    ++D;
  std::string Out = leaveScopes(D);
  if (A.Marked)
    for (size_t I = D; I-- > 0;) {
      const std::vector<int> &V = Scopes[I].Vars;
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
      if (FirstPass)
        Diags.report(Diag::Unsupported, S->getIfLoc())
            << "'if constexpr' whose condition depends on a template parameter"
            << "park in separate BRAID_SP functions called from each branch, or make the "
               "condition independent of the template parameters";
      return;
    }
    Taken = *Case;
  }
  E->closeRun();
  pushScope();
  if (S->getInit())
    lowerStmt(S->getInit());
  if (Taken)
    lowerSubStmt(Taken);
  E->closeRun();
  popScope();
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

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
  if (isParkCall(S)) {
    collectParks(cast<CallExpr>(S)->getArg(0), Out);
    Out.push_back(cast<CallExpr>(S));
    return;
  }
  // Operands left to right. Park values are carried across a park in
  // temporaries; so are the operands evaluated before a park that have
  // effects ("spilled": `f(a(), park(t))` evaluates a() into a frame
  // temporary, then parks; see spillTarget for which operands can be).
  // An inert operand (a variable, a literal, a member of one) is evaluated
  // with the whole expression, after the last park, which is a C++ order
  // because it has no effects. Anything else before a park is diagnosed
  // rather than silently reordered.
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
          if (FirstPass)
            Diags.report(Diag::ParkAfterOperand, C->getBeginLoc()) << P->getSourceRange();
          return;
        }
        Spilled.insert(Target);
        Out.push_back(Target);
      }
      Pending.clear();
    }
    collectParks(C, Out);
    if (!isInertOperand(C) && !Spilled.count(dyn_cast<Expr>(C)))
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

namespace {

/// A type a frame temporary can be declared with (spell() names it, a union
/// can hold it): not a closure, a local or unnamed class, an array.
bool tempTypeKeepable(QualType T, const llvm::DenseSet<const Decl *> &Hoisted) {
  T = T.getNonReferenceType();
  if (T->isArrayType() || T->isFunctionType() || T->isVoidType())
    return false;
  if (const CXXRecordDecl *RD = T->getAsCXXRecordDecl())
    if (RD->isLambda() || (RD->isLocalClass() && !Hoisted.count(RD)) ||
        (!RD->getIdentifier() && !RD->getTypedefNameForAnonDecl()))
      return false;
  return true;
}

/// True when a value of type \p T cannot refer to another object's storage:
/// no pointer or reference in it (scalars, enumerations, classes of such
/// members) except the owning ones of the standard containers, strings,
/// optionals, tuples and smart pointers (what they point to is their own).
bool cannotReferToTemporaries(QualType T, unsigned Depth = 0) {
  if (Depth > 16)
    return false;
  T = T.getCanonicalType();
  if (T->isReferenceType() || T->isPointerType() || T->isMemberPointerType() ||
      T->isDependentType())
    return false;
  if (const ArrayType *AT = T->getAsArrayTypeUnsafe())
    return cannotReferToTemporaries(AT->getElementType(), Depth + 1);
  if (T->isVoidType() || T->isArithmeticType() || T->isEnumeralType() || T->isNullPtrType())
    return true;
  const auto *RD = T->getAsCXXRecordDecl();
  if (!RD || !RD->hasDefinition())
    return false;
  if (const auto *CTS = dyn_cast<ClassTemplateSpecializationDecl>(RD);
      CTS && CTS->isInStdNamespace() && CTS->getIdentifier()) {
    static const std::set<std::string> Owning = {
        "basic_string", "vector", "deque", "list", "forward_list", "map", "multimap", "set",
        "multiset", "unordered_map", "unordered_multimap", "unordered_set", "unordered_multiset",
        "optional", "pair", "tuple", "variant", "array", "unique_ptr", "shared_ptr",
        "allocator", "char_traits", "less", "hash", "equal_to", "default_delete"};
    if (!Owning.count(CTS->getName().str()))
      return false;
    for (const TemplateArgument &A : CTS->getTemplateArgs().asArray()) {
      if (A.getKind() == TemplateArgument::Type && !cannotReferToTemporaries(A.getAsType(), Depth + 1))
        return false;
      if (A.getKind() == TemplateArgument::Pack)
        for (const TemplateArgument &P : A.pack_elements())
          if (P.getKind() == TemplateArgument::Type &&
              !cannotReferToTemporaries(P.getAsType(), Depth + 1))
            return false;
    }
    return true;
  }
  if (RD->isLambda() || RD->getNumVBases() > 0)
    return false;
  for (const CXXBaseSpecifier &B : RD->bases())
    if (!cannotReferToTemporaries(B.getType(), Depth + 1))
      return false;
  for (const FieldDecl *FD : RD->fields())
    if (!cannotReferToTemporaries(FD->getType(), Depth + 1))
      return false;
  return true;
}

/// The nodes of a temporary's chain: the expression and what it wraps
/// without making another object (materialization, binding, parentheses,
/// no-op and constructor casts such as `std::string("x")`). The last one
/// produces the object.
std::vector<const Expr *> tempChain(const Expr *E) {
  std::vector<const Expr *> Chain{E};
  for (;;) {
    const Expr *N = E;
    if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(N))
      N = M->getSubExpr();
    else if (const auto *B = dyn_cast<CXXBindTemporaryExpr>(N))
      N = B->getSubExpr();
    else if (const auto *P = dyn_cast<ParenExpr>(N))
      N = P->getSubExpr();
    else if (const auto *FE = dyn_cast<clang::FullExpr>(N))
      N = FE->getSubExpr();
    else if (const auto *CE = dyn_cast<CastExpr>(N);
             CE && (CE->getCastKind() == CK_NoOp || CE->getCastKind() == CK_ConstructorConversion ||
                    CE->getCastKind() == CK_UserDefinedConversion))
      N = CE->getSubExpr();
    if (N == E)
      return Chain;
    E = N;
    Chain.push_back(E);
  }
}

/// A temporary with a non-trivial destructor created by a default argument
/// or default member initializer (invisible in the source), if any.
const MaterializeTemporaryExpr *hiddenTemporary(const Stmt *S) {
  if (!S || isa<LambdaExpr>(S))
    return nullptr;
  if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(S))
    if (destroys(M->getType()))
      return M;
  for (const Stmt *C : S->children())
    if (const MaterializeTemporaryExpr *M = hiddenTemporary(C))
      return M;
  return nullptr;
}

} // namespace

/// An operand that can be evaluated early into a frame temporary: a value,
/// or a glvalue whose address can be kept (not a bit-field, a function or an
/// array), of a type the frame can declare.
// The operand of a park is evaluated before the park and its temporaries
// live to the end of the full-expression, after the park: the lowering keeps
// them in the frame (hoistTemporaries). A call resolved per instantiation
// shows none in the pattern, so it is diagnosed rather than letting its
// temporaries die at the suspension.
void FunctionLowering::checkDependentOperand(const CallExpr *P) {
  const Expr *U = unresolvedCall(P->getArg(0));
  if (!U || FirstPass)
    return;
  Diags.setMuted(false);
  Diags.report(Diag::Unsupported, U->getBeginLoc())
      << "a call resolved per instantiation in the operand of a park (its temporaries, which "
         "live across the park, are not known from the template)"
      << "store the task in a local first ('braid::task<T> t = ...;') and park on it";
  Diags.setMuted(true);
}

bool FunctionLowering::isSpillable(const Expr *E) const {
  if (E->getType()->isVoidType() || E->isTypeDependent() || E->isValueDependent())
    return false;
  if (E->isGLValue() && E->refersToBitField())
    return false;
  return tempTypeKeepable(E->getType(), Hoisted);
}

bool FunctionLowering::keepableTemp(QualType T, SourceLocation Loc) {
  if (tempTypeKeepable(T, Hoisted))
    return true;
  if (FirstPass)
    Diags.report(Diag::Unsupported, Loc)
        << ("a temporary of type '" + T.getAsString() + "' that must live across a park")
        << "store the value in a local declared in a statement before";
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
    QualType VT = P->getType().getNonReferenceType().getUnqualifiedType();
    SpellLoc = P->getBeginLoc();
    std::string U;
    if (isDependentParkCall(P)) {
      // In a template's pattern the call is unresolved (its type is
      // dependent): the value type is the T of the operand's task<T>,
      // spelled as written, or named through the operand's type.
      QualType AT = P->getArg(0)->getType();
      if (std::optional<QualType> TV = taskValueType(AT.getNonReferenceType())) {
        VT = TV->getUnqualifiedType();
        U = spell(VT);
      } else {
        SpellWhat = "park on an operand whose type is resolved per instantiation";
        SpellFix = "store the task in a local of type braid::task<...> and park on it";
        U = "::braid::detail::task_value_t<" + spell(AT) + ">";
        SpellWhat.clear();
        SpellFix.clear();
      }
      checkDependentOperand(P);
    } else {
      U = spell(VT);
    }
    std::string Slot = "__braid_slot_" + std::to_string(Counter++);
    Members.push_back("::braid::detail::slot<" + U + "> " + Slot + ";");
    // The operand initializes park's by-value task parameter; temporaries
    // inside it live to the end of the full-expression, past the park.
    std::string Operand = partText(P->getArg(0), FE, /*SkipTop=*/true);
    int L = E->newLabel();
    E->edge(L);
    user(P->getBeginLoc(), "return " + std::string(ParkCall) + Operand + ", " + std::to_string(L) +
                               ", this->" + Slot + ");");
    E->terminate("", true);
    markHere(L, P->getBeginLoc(), "resume");
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
    Scopes.back().Vars.push_back(K);
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
  Scopes.back().Vars.push_back(K);
  FE.Temps.push_back(K);
  return K;
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
      if (!Std && FirstPass)
        Diags.report(Diag::Unsupported, Used)
            << ("a default argument that creates a temporary of type '" +
                M->getType().getAsString() + "' before a park")
            << "pass the argument explicitly";
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
    if (FirstPass)
      Diags.report(Diag::Unsupported, B->getBeginLoc())
          << ("a temporary of type '" + B->getType().getAsString() + "' created before a park")
          << "store it in a local declared in a statement before";
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
    if (InPlace && CE && CE->isPRValue() && CE->getType()->isRecordType())
      hoistInside(CE, FE);
    else
      hoistTemporaries(C, FE);
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
  if (!tempTypeKeepable(T, Hoisted) && !destroys(T) && PartValueOwnsItself)
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
  Scopes.back().Vars.push_back(K);
  FE.Temps.push_back(K);
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
    std::vector<int> &V = Scopes.back().Vars;
    V.erase(std::remove(V.begin(), V.end(), *It), V.end());
  }
}

//===----------------------------------------------------------------------===//
// The frame
//===----------------------------------------------------------------------===//

std::string FunctionLowering::assemble() {
  const FunctionDecl *FD = F.FD;
  std::string Frame = "__braid_frame";
  std::string Gen = LineDirectives ? std::string(GeneratedLineMarker) + "\n" : "";
  std::string O = "{\n" + Gen;
  if (IsMethod)
    O += "  using __braid_self_t = decltype(this);\n";
  for (const ParmVarDecl *P : FD->parameters()) {
    const auto *TTP = P->getType().getNonReferenceType()->getAs<TemplateTypeParmType>();
    auto It = TTP ? InventedAliases.find({TTP->getDepth(), TTP->getIndex()}) : InventedAliases.end();
    if (It != InventedAliases.end() && It->second.first == "__braid_auto_" + P->getNameAsString())
      O += "  using " + It->second.first + " = " + It->second.second + ";\n";
  }
  // The body's own types, before the frame that uses them (LocalDecls.cpp).
  for (const std::string &H : HoistedText)
    O += H;
  if (!HoistedText.empty())
    O += Gen;
  O += "  struct " + Frame + " final : ::braid::detail::sp_frame<" + ResultType + "> {\n";
  O += "    using __braid_step = ::braid::detail::step;\n";
  std::string CtorParams = "const ::braid::detail::frame_table& __braid_table";
  std::string CtorInit = "::braid::detail::sp_frame<" + ResultType + ">(__braid_table)";
  std::string Args = "__braid_table";
  if (IsMethod) {
    O += "    __braid_self_t __braid_self;\n";
    CtorParams += ", __braid_self_t __braid_self_arg";
    CtorInit += ", __braid_self(__braid_self_arg)";
    Args += ", this";
  }
  // [spec.sp.params] T& stays a reference to the caller's object; const T&
  // is copied (the task may run after the caller's temporaries died); by
  // value (and T&&) is moved into the recipe, then into each frame.
  for (const ParmVarDecl *P : FD->parameters()) {
    if (!P->getIdentifier())
      continue;
    std::string N = P->getNameAsString();
    QualType T = P->getType();
    if (isForwardingReference(FD, T)) {
      std::string Ty = spell(T.getNonReferenceType());
      std::string Arg = "::braid::detail::frame_arg_t<" + Ty + ">";
      O += "    " + Ty + " " + N + ";\n";
      CtorParams += ", " + Arg + " " + N;
      CtorInit += ", " + N + "(static_cast<" + Arg + "&&>(" + N + "))";
      Args += ", ::braid::detail::frame_arg<" + Ty + ">(" + N + ")";
    } else if (T->isLValueReferenceType() && !T.getNonReferenceType().isConstQualified()) {
      std::string Ty = spell(T.getNonReferenceType());
      O += "    " + Ty + "& " + N + ";\n";
      CtorParams += ", ::std::reference_wrapper<" + Ty + "> " + N;
      CtorInit += ", " + N + "(" + N + ".get())";
      Args += ", ::std::ref(" + N + ")";
    } else {
      QualType V = T.getNonReferenceType();
      bool Const = V.isConstQualified();
      std::string Ty = spell(V.getUnqualifiedType());
      O += "    " + std::string(Const ? "const " : "") + Ty + " " + N + ";\n";
      CtorParams += ", " + Ty + " " + N;
      CtorInit += ", " + N + "(static_cast<" + Ty + "&&>(" + N + "))";
      Args += T->isLValueReferenceType() ? ", " + N : ", static_cast<" + Ty + "&&>(" + N + ")";
    }
  }
  for (const std::string &M : Members)
    O += "    " + M + "\n";
  O += "    " + Frame + "(" + CtorParams + ")\n        : " + CtorInit + " {}\n";
  O += "    ~" + Frame + "() override {}\n";
  std::vector<Partition> &Parts = E->partitions();
  for (size_t I = 0; I < Parts.size(); ++I) {
    O += Gen + "    __braid_step __braid_part_" + std::to_string(I) + "() {\n";
    O += Parts[I].Code;
    O += Gen + "    }\n";
  }
  O += Gen;
  for (size_t I = 0; I < Parts.size(); ++I)
    O += "    static __braid_step __braid_thunk_" + std::to_string(I) +
         "(::braid::detail::sp_core* f) { return static_cast<" + Frame + "*>(f)->__braid_part_" +
         std::to_string(I) + "(); }\n";
  // [spec.sp.unwind] reverse declaration order; a local belongs to region r
  // when r is one of the regions around its declaration.
  O += "    static void __braid_unwind(::braid::detail::sp_core* f, ::std::int32_t r) noexcept {\n";
  O += "      auto* self = static_cast<" + Frame + "*>(f);\n      (void)self;\n      (void)r;\n";
  for (size_t I = Kept.size(); I-- > 0;) {
    const KeptVar &V = Kept[I];
    if (!V.NeedsDestroy)
      continue;
    std::string Cond = "r < 0";
    for (int R : V.Regions)
      Cond += " || r == " + std::to_string(R);
    O += "      if (" + Cond + ") ::braid::detail::kept_destroy(self->" + V.Member +
         ", self->__braid_alive_" + V.Member + ");\n";
  }
  O += "    }\n  };\n";
  auto Quote = [](const std::string &S) {
    std::string Q = "\"";
    for (char C : S) {
      if (C == '\\' || C == '"')
        Q += '\\';
      Q += C;
    }
    return Q + "\"";
  };
  O += "  static const ::braid::detail::partition_info __braid_parts[] = {\n";
  for (size_t I = 0; I < Parts.size(); ++I) {
    std::string Live;
    for (const std::string &L : Parts[I].Live)
      Live += (Live.empty() ? "" : ", ") + L;
    O += "      {&" + Frame + "::__braid_thunk_" + std::to_string(I) + ", " +
         Quote(FunctionName + "#" + std::to_string(I)) + ", " + Quote(FileName) + ", " +
         std::to_string(Parts[I].Line) + ", " + std::to_string(Parts[I].Col) + ", " + Quote(Live) +
         ", " + std::to_string(Parts[I].Region) + "},\n";
  }
  O += "  };\n";
  const std::vector<Region> &Rs = E->regions();
  std::string RegionsRef = "nullptr";
  if (!Rs.empty()) {
    O += "  static const ::braid::detail::region_info __braid_regions[] = {\n";
    for (const Region &R : Rs)
      O += "      {" + std::to_string(R.Handler) + ", " + std::to_string(R.Parent) + "},\n";
    O += "  };\n";
    RegionsRef = "__braid_regions";
  }
  O += "  static const ::braid::detail::frame_table __braid_table = {" + Quote(FunctionName) +
       ", __braid_parts, " + std::to_string(Parts.size()) + ", " + RegionsRef + ", " +
       std::to_string(Rs.size()) + ", &" + Frame + "::__braid_unwind};\n";
  O += "  return ::braid::detail::make_sp_with_table<" + Frame + ", " + ResultType + ">(" + Args +
       ");\n}";
  return O;
}

} // namespace braidc
