//===- LowerSupport.cpp - AST helpers shared by the lowering ----------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Lower/LowerSupport.h"

#include "Analysis/ParkFinder.h"

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

std::string trim(std::string S) {
  size_t B = S.find_first_not_of(" \t\n\r");
  if (B == std::string::npos)
    return "";
  size_t E = S.find_last_not_of(" \t\n\r");
  return S.substr(B, E - B + 1);
}

/// The T of braid::task<T>, when \p RT is one.
namespace {
/// The T of \p RT when it is `<Template><T>` (braid::task, braid::flow).
std::optional<QualType> argumentOf(QualType RT, const char *Template) {
  // The sugared type first, so the T is spelled as the user wrote it.
  if (const auto *TST = RT->getAs<TemplateSpecializationType>()) {
    TemplateName TN = TST->getTemplateName();
    if (const TemplateDecl *TD = TN.getAsTemplateDecl())
      if (TD->getQualifiedNameAsString() == Template && TST->template_arguments().size() == 1)
        return TST->template_arguments()[0].getAsType();
  }
  RT = RT.getCanonicalType().getUnqualifiedType();
  if (const auto *CTS = dyn_cast_or_null<ClassTemplateSpecializationDecl>(RT->getAsCXXRecordDecl()))
    if (CTS->getSpecializedTemplate()->getQualifiedNameAsString() == Template &&
        CTS->getTemplateArgs().size() == 1)
      return CTS->getTemplateArgs()[0].getAsType();
  return std::nullopt;
}
} // namespace

std::optional<QualType> taskValueType(QualType RT) { return argumentOf(RT, "braid::task"); }

std::optional<QualType> flowValueType(QualType RT) { return argumentOf(RT, "braid::flow"); }

std::optional<QualType> runValueType(QualType RT) { return argumentOf(RT, "braid::run"); }

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
bool cannotReferToTemporaries(QualType T, unsigned Depth) {
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

bool unobservableDestruction(QualType T, unsigned Depth) {
  if (Depth > 16 || T->isDependentType())
    return false;
  if (!destroys(T))
    return true;
  T = T.getCanonicalType();
  if (const ArrayType *AT = T->getAsArrayTypeUnsafe())
    return unobservableDestruction(AT->getElementType(), Depth + 1);
  const auto *RD = T->getAsCXXRecordDecl();
  if (!RD || !RD->hasDefinition())
    return false;
  if (const auto *CTS = dyn_cast<ClassTemplateSpecializationDecl>(RD);
      CTS && CTS->isInStdNamespace() && CTS->getIdentifier()) {
    static const std::set<std::string> Owning = {
        "basic_string", "vector", "deque", "list", "forward_list", "map", "multimap", "set",
        "multiset", "unordered_map", "unordered_multimap", "unordered_set", "unordered_multiset",
        "optional", "pair", "tuple", "variant", "array", "unique_ptr", "allocator", "char_traits",
        "less", "hash", "equal_to", "default_delete"};
    if (!Owning.count(CTS->getName().str()))
      return false;
    for (const TemplateArgument &A : CTS->getTemplateArgs().asArray())
      if (A.getKind() == TemplateArgument::Type && !unobservableDestruction(A.getAsType(), Depth + 1))
        return false;
    return true;
  }
  if (RD->hasUserDeclaredDestructor() || RD->getNumVBases() > 0)
    return false;
  for (const CXXBaseSpecifier &B : RD->bases())
    if (!unobservableDestruction(B.getType(), Depth + 1))
      return false;
  for (const FieldDecl *FD : RD->fields())
    if (!unobservableDestruction(FD->getType(), Depth + 1))
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

void extendedTemporaries(const Expr *Init, const ValueDecl *VD,
                          std::vector<const MaterializeTemporaryExpr *> &Out) {
  if (!Init || isa<LambdaExpr>(Init))
    return;
  for (const Stmt *C : Init->children())
    if (const auto *CE = dyn_cast_or_null<Expr>(C))
      extendedTemporaries(CE, VD, Out);
  if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(Init); M && M->getExtendingDecl() == VD)
    Out.push_back(M);
}

const MaterializeTemporaryExpr *extendedTemporary(const Expr *Init, const ValueDecl *VD) {
  if (!Init || isa<LambdaExpr>(Init))
    return nullptr;
  if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(Init); M && M->getExtendingDecl() == VD)
    return M;
  for (const Stmt *C : Init->children())
    if (const auto *CE = dyn_cast_or_null<Expr>(C))
      if (const MaterializeTemporaryExpr *M = extendedTemporary(CE, VD))
        return M;
  return nullptr;
}

bool extendsDestroyed(const Expr *Init, const ValueDecl *VD) {
  if (!Init || isa<LambdaExpr>(Init))
    return false;
  if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(Init);
      M && M->getExtendingDecl() == VD && destroys(M->getType()))
    return true;
  for (const Stmt *C : Init->children())
    if (const auto *CE = dyn_cast_or_null<Expr>(C); CE && extendsDestroyed(CE, VD))
      return true;
  return false;
}

} // namespace braidc
