//===- LocalDecls.cpp - the body's own types and using-declarations ------===//
//
// SPDX-License-Identifier: MIT
//
// A declaration that is not a variable, in a scope that parks, is needed
// wherever its name is used, but a partition is its own C++ function and a
// run its own block: a local type declared in one partition does not exist
// in the next.
//
//   - Local types (classes, enumerations, typedefs, alias templates) are
//     hoisted: written once at the start of the generated body, before the
//     frame, in source order, so every partition and the frame's member
//     declarations see them (kept locals of local class types are then
//     spelled by their names). Hoisting moves a declaration up to the top
//     of the function, which is the same program only when nothing between
//     the two places could name something else by that name, and when the
//     declaration itself names nothing of the body that is not hoisted
//     (hoistable() checks both). A local type that cannot be hoisted stays
//     where it is; a use of it from another run is diagnosed.
//   - using-declarations, using-directives, namespace aliases and block-
//     scope function declarations only affect name lookup: each is copied
//     where it stands and again at the start of every later run of its
//     scope (Emitter's run prologue).
//
//===----------------------------------------------------------------------===//
#include "Lower/FunctionLowering.h"

#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"

#include <functional>
#include <map>
#include <set>

using namespace clang;

namespace braidc {

namespace {

/// True when \p D is declared inside the body of \p FD (at any depth).
bool declaredIn(const Decl *D, const FunctionDecl *FD) {
  for (const DeclContext *DC = D->getDeclContext(); DC; DC = DC->getParent())
    if (DC == FD)
      return true;
  return false;
}

/// True when \p D is \p Root or declared inside it.
bool within(const Decl *D, const Decl *Root) {
  for (const Decl *C = D; C; C = dyn_cast_or_null<Decl>(C->getDeclContext()))
    if (C == Root)
      return true;
  return false;
}

/// The declarations and unqualified uses of names in a function body, and
/// its local type declaration statements (hoisting candidates).
class LocalNameIndex : public RecursiveASTVisitor<LocalNameIndex> {
  using Base = RecursiveASTVisitor<LocalNameIndex>;

public:
  explicit LocalNameIndex(const FunctionDecl *FD) : FD(FD) {}

  std::map<std::string, std::vector<const NamedDecl *>> Declared;
  std::map<std::string, std::vector<const NamedDecl *>> Used;
  std::vector<const DeclStmt *> TypeStmts;
  std::vector<SourceLocation> UsingDirectives;

  bool shouldVisitTemplateInstantiations() const { return false; }

  bool VisitNamedDecl(NamedDecl *D) {
    if (!D->getIdentifier() || isa<LabelDecl>(D) || D == FD)
      return true;
    // Members are found through their class only, except the enumerators
    // of an unscoped enumeration, which belong to the enclosing scope.
    const DeclContext *DC = D->getDeclContext();
    if (const auto *ED = dyn_cast<EnumDecl>(DC); ED && !ED->isScoped())
      DC = ED->getDeclContext();
    if (DC->isRecord() || isa<EnumDecl>(DC))
      return true;
    Declared[D->getName().str()].push_back(D);
    return true;
  }
  bool VisitUsingDirectiveDecl(UsingDirectiveDecl *D) {
    UsingDirectives.push_back(D->getLocation());
    return true;
  }
  bool VisitDeclStmt(DeclStmt *DS) {
    bool Types = true;
    for (const Decl *D : DS->decls())
      Types = Types && ((isa<TagDecl>(D) && cast<TagDecl>(D)->isThisDeclarationADefinition()) ||
                        isa<TypedefNameDecl>(D) || isa<TypeAliasTemplateDecl>(D));
    if (Types)
      TypeStmts.push_back(DS);
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *E) {
    if (!E->hasQualifier())
      use(E->getDecl());
    return true;
  }
  bool VisitUnresolvedLookupExpr(UnresolvedLookupExpr *E) {
    if (!E->getQualifier())
      for (const NamedDecl *D : E->decls())
        use(D->getUnderlyingDecl());
    return true;
  }
  bool TraverseNestedNameSpecifierLoc(NestedNameSpecifierLoc NNS) {
    // The first name of a qualifier is found by unqualified lookup too
    // (types and namespaces only): it counts as a use.
    return Base::TraverseNestedNameSpecifierLoc(NNS);
  }
  bool TraverseElaboratedTypeLoc(ElaboratedTypeLoc TL) {
    if (TL.getQualifierLoc())
      Qualified.insert({TL.getNamedTypeLoc().getTypePtr(), TL.getNamedTypeLoc().getOpaqueData()});
    return Base::TraverseElaboratedTypeLoc(TL);
  }
  bool VisitTagTypeLoc(TagTypeLoc TL) { return type(TL, TL.getDecl()); }
  bool VisitTypedefTypeLoc(TypedefTypeLoc TL) { return type(TL, TL.getTypedefNameDecl()); }
  bool VisitUsingTypeLoc(UsingTypeLoc TL) { return type(TL, TL.getFoundDecl()); }
  bool VisitTemplateSpecializationTypeLoc(TemplateSpecializationTypeLoc TL) {
    return type(TL, TL.getTypePtr()->getTemplateName().getAsTemplateDecl());
  }

private:
  bool type(TypeLoc TL, const NamedDecl *D) {
    if (D && !Qualified.count({TL.getTypePtr(), TL.getOpaqueData()}))
      use(D);
    return true;
  }
  void use(const NamedDecl *D) {
    if (D && D->getIdentifier())
      Used[D->getName().str()].push_back(D);
  }
  const FunctionDecl *FD;
  std::set<std::pair<const Type *, void *>> Qualified;
};

/// What a declaration names of the enclosing function's body: a use of a
/// local entity that is neither inside the declaration itself, nor one of
/// the function's template parameters, nor accepted by \p Ok.
class BodyReferenceFinder : public RecursiveASTVisitor<BodyReferenceFinder> {
public:
  BodyReferenceFinder(const FunctionDecl *FD, const DeclStmt *Root,
                      const std::function<bool(const Decl *)> &Ok)
      : FD(FD), Root(Root), Ok(Ok) {}
  bool Found = false;

  bool shouldVisitTemplateInstantiations() const { return false; }
  bool shouldVisitImplicitCode() const { return false; }

  bool VisitDeclRefExpr(DeclRefExpr *E) {
    check(E->getDecl());
    if (E->getFoundDecl() != E->getDecl())
      check(E->getFoundDecl());
    return !Found;
  }
  bool VisitTagTypeLoc(TagTypeLoc TL) { return check(TL.getDecl()); }
  bool VisitTypedefTypeLoc(TypedefTypeLoc TL) { return check(TL.getTypedefNameDecl()); }
  bool VisitUsingTypeLoc(UsingTypeLoc TL) { return check(TL.getFoundDecl()); }
  bool VisitTemplateSpecializationTypeLoc(TemplateSpecializationTypeLoc TL) {
    return check(TL.getTypePtr()->getTemplateName().getAsTemplateDecl());
  }

private:
  bool check(const Decl *D) {
    if (!D || isa<TemplateTypeParmDecl>(D) || isa<NonTypeTemplateParmDecl>(D) ||
        isa<TemplateTemplateParmDecl>(D) || !declaredIn(D, FD))
      return true;
    for (const Decl *Own : Root->decls())
      if (within(D, Own))
        return true;
    if (!Ok(D))
      Found = true;
    return !Found;
  }
  const FunctionDecl *FD;
  const DeclStmt *Root;
  const std::function<bool(const Decl *)> &Ok;
};

} // namespace

// A local type declaration statement can be hoisted to the start of the
// body when moving it there changes nothing:
//  - its names (and the enumerators of an unscoped enumeration) are neither
//    declared again anywhere in the function nor used for anything else
//    (above its original place the name would otherwise find it instead);
//  - it names no entity of the body other than itself, the function's
//    template parameters and earlier hoisted types, and no local
//    using-directive precedes it (what it names must exist at the top);
//  - no name is one of the frame's base members (the partitions would find
//    the member, not the type).
void FunctionLowering::findHoistable() {
  Hoistable.clear();
  LocalNameIndex Index(F.FD);
  Index.TraverseStmt(F.FD->getBody());
  for (const ParmVarDecl *P : F.FD->parameters())
    if (P->getIdentifier())
      Index.Declared[P->getName().str()].push_back(P);
  llvm::DenseSet<const Decl *> Accepted;
  for (const DeclStmt *DS : Index.TypeStmts) {
    std::vector<const NamedDecl *> Own;
    for (const Decl *D : DS->decls()) {
      Own.push_back(cast<NamedDecl>(D));
      if (const auto *ED = dyn_cast<EnumDecl>(D); ED && !ED->isScoped())
        for (const EnumConstantDecl *C : ED->enumerators())
          Own.push_back(C);
      if (const auto *TD = dyn_cast<TypeAliasTemplateDecl>(D))
        Own.push_back(TD->getTemplatedDecl());
    }
    auto IsOwn = [&](const NamedDecl *D) {
      for (const NamedDecl *O : Own)
        if (within(D, O))
          return true;
      return false;
    };
    bool Ok = true;
    for (const NamedDecl *O : Own) {
      if (!O->getIdentifier() || BaseNames.count(O->getName().str())) {
        Ok = false;
        break;
      }
      std::string N = O->getName().str();
      for (const NamedDecl *D : Index.Declared[N])
        Ok = Ok && IsOwn(D);
      for (const NamedDecl *D : Index.Used[N])
        Ok = Ok && IsOwn(D);
    }
    unsigned At = SM.getFileOffset(SM.getExpansionLoc(DS->getBeginLoc()));
    for (SourceLocation U : Index.UsingDirectives)
      Ok = Ok && SM.getFileOffset(SM.getExpansionLoc(U)) > At;
    if (Ok) {
      std::function<bool(const Decl *)> Earlier = [&](const Decl *D) {
        for (const Decl *C = D; C; C = dyn_cast_or_null<Decl>(C->getDeclContext()))
          if (Accepted.count(C))
            return true;
        return false;
      };
      BodyReferenceFinder R(F.FD, DS, Earlier);
      for (const Decl *D : DS->decls())
        R.TraverseDecl(const_cast<Decl *>(D));
      Ok = !R.Found;
    }
    if (!Ok)
      continue;
    Hoistable.insert(DS);
    for (const Decl *D : DS->decls())
      Accepted.insert(D);
  }
}

// Only name lookup is affected by these: copied where they stand, and
// again at the start of each later run of their scope.
static bool affectsLookupOnly(const DeclStmt *S) {
  for (const Decl *D : S->decls())
    if (!isa<UsingDecl>(D) && !isa<UsingDirectiveDecl>(D) && !isa<NamespaceAliasDecl>(D) &&
        !isa<UsingEnumDecl>(D) && !(isa<FunctionDecl>(D) && !cast<FunctionDecl>(D)->hasBody()))
      return false;
  return true;
}

void FunctionLowering::lowerLocalDeclaration(const DeclStmt *S) {
  if (Hoistable.count(S)) {
    for (const Decl *D : S->decls()) {
      Hoisted.insert(D);
      if (const auto *TD = dyn_cast<TypeAliasTemplateDecl>(D))
        Hoisted.insert(TD->getTemplatedDecl());
    }
    std::string Text = E->lineDirective(lineOf(S->getBeginLoc()));
    Text.append(colOf(S->getBeginLoc()) > 1 ? colOf(S->getBeginLoc()) - 1 : 0, ' ');
    HoistedText.push_back(Text + Rewriter.statement(S) + "\n");
    return;
  }
  if (affectsLookupOnly(S)) {
    std::string Text = Rewriter.statement(S);
    user(S->getBeginLoc(), Text);
    Stack.Scopes.back().Lookup.push_back(Text);
    updateRunPrologue();
    return;
  }
  // A local type that stays where it is: visible in this run only.
  lowerVerbatim(S);
  for (const Decl *D : S->decls())
    LocalTypeRun[D] = E->run();
}

void FunctionLowering::updateRunPrologue() {
  std::string P;
  for (const Scope &Sc : Stack.Scopes)
    for (const std::string &U : Sc.Lookup)
      P += "    " + U + "\n";
  E->setRunPrologue(P);
}

void FunctionLowering::localTypeUse(const NamedDecl *D, SourceLocation Use) {
  for (const Decl *C = D; C; C = dyn_cast_or_null<Decl>(C->getDeclContext())) {
    auto It = LocalTypeRun.find(C);
    if (It == LocalTypeRun.end())
      continue;
    if (It->second == E->run() && It->second >= 0)
      return;
    const auto *ND = cast<NamedDecl>(C);
    if (!ReportedLocalType.insert(Use.getRawEncoding()).second)
      return;
    Diags.report(Diag::LocalTypeAcrossStretch, Use) << ND->getNameAsString();
    return;
  }
}

} // namespace braidc
