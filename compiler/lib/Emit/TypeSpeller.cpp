//===- TypeSpeller.cpp - types of frame members, spelled --------------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Emit/TypeSpeller.h"

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
/// function's statements): nothing when it can.
class DependentSpelling : public RecursiveASTVisitor<DependentSpelling> {
public:
  DependentSpelling(const FunctionDecl *FD, const llvm::DenseSet<const Decl *> &Hoisted)
      : FD(FD), Hoisted(Hoisted) {}
  std::optional<DependentReason> Why;

  bool VisitAutoType(AutoType *) { return fail(DependentReason::Deduced); }
  bool VisitDeducedTemplateSpecializationType(DeducedTemplateSpecializationType *) {
    return fail(DependentReason::DeducedTemplateArguments);
  }
  bool VisitDecltypeType(DecltypeType *) { return fail(DependentReason::Decltype); }
  bool VisitTypeOfExprType(TypeOfExprType *) { return fail(DependentReason::Typeof); }
  bool VisitPackExpansionType(PackExpansionType *) { return fail(DependentReason::PackExpansion); }
  bool VisitBuiltinType(BuiltinType *BT) {
    if (BT->isDependentType())
      return fail(DependentReason::ExpressionType);
    return true;
  }
  bool VisitTemplateTypeParmType(TemplateTypeParmType *T) {
    if (!T->getDecl() || T->getDecl()->isImplicit())
      return fail(DependentReason::InventedParameter);
    return true;
  }
  bool VisitTypedefType(TypedefType *T) { return local(T->getDecl()); }
  bool VisitTagType(TagType *T) { return local(T->getDecl()); }

private:
  bool local(const Decl *D) {
    for (const Decl *C = D; C; C = dyn_cast_or_null<Decl>(C->getDeclContext())) {
      if (Hoisted.count(C))
        return true; // declared before the frame
      if (C->getDeclContext() == FD)
        return fail(DependentReason::DeclaredInBody);
    }
    return true;
  }
  bool fail(DependentReason W) {
    if (!Why)
      Why = W;
    return false;
  }
  const FunctionDecl *FD;
  const llvm::DenseSet<const Decl *> &Hoisted;
};

} // namespace

// A spelling with declarator syntax (`int (*)(int)`, `int (&)[3]`) is a
// type-id, not a decl-specifier: `int (*)(int) f;` does not declare f. The
// frame declares members as `<spelling> name`, so such a spelling goes
// through std::type_identity_t, which names the same type in any position.
std::string TypeSpeller::spell(QualType T) const {
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

std::string TypeSpeller::spellTypeId(QualType T) const {
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
// declared in the body) is what whyNotSpellable() reports.
std::string TypeSpeller::spellDependent(QualType T) const {
  // An 'auto' parameter's invented type has no name: it is spelled by the
  // alias assemble() declares from the parameter (`[const] U [&|&&]` only).
  QualType B = T.getNonReferenceType();
  if (const auto *TTP = B->getAs<TemplateTypeParmType>()) {
    auto It = Invented.find({TTP->getDepth(), TTP->getIndex()});
    if (It != Invented.end()) {
      std::string S = std::string(B.isConstQualified() ? "const " : "") +
                      (B.isVolatileQualified() ? "volatile " : "") + It->second.first;
      if (T->isLValueReferenceType())
        S += "&";
      else if (T->isRValueReferenceType())
        S += "&&";
      return S;
    }
  }
  PrintingPolicy PP(Ctx.getLangOpts());
  PP.SuppressTagKeyword = true;
  PP.SuppressUnwrittenScope = true;
  PP.SuppressInlineNamespace = true;
  return T.getAsString(PP);
}

std::optional<DependentReason> TypeSpeller::whyNotSpellable(QualType T) const {
  if (!T->isInstantiationDependentType())
    return std::nullopt;
  QualType B = T.getNonReferenceType();
  if (const auto *TTP = B->getAs<TemplateTypeParmType>())
    if (Invented.count({TTP->getDepth(), TTP->getIndex()}))
      return std::nullopt;
  DependentSpelling Check(FD, Hoisted);
  Check.TraverseType(T);
  return Check.Why;
}

// C's declarator syntax: an array's bounds follow the name, so `int[2] a`
// and `int[2]* p` must read `int a[2]` and `int (*p)[2]`.
std::string TypeSpeller::declarator(QualType T, const std::string &Name) const {
  if (const ConstantArrayType *CAT = Ctx.getAsConstantArrayType(T)) {
    std::string Inner = Name;
    if (!Inner.empty() && Inner[0] == '*')
      Inner = "(" + Inner + ")";
    return declarator(CAT->getElementType(),
                      Inner + "[" + std::to_string(CAT->getSize().getZExtValue()) + "]");
  }
  return spell(T) + " " + Name;
}

} // namespace braidc
