//===- LowerBindings.cpp - structured bindings ------------------------------===//
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
    Diags.report(Diag::StaticBinding, DD->getLocation());
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
    Diags.report(Diag::BindingCopiesArray, DD->getLocation());
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
    K.Declarator = Speller.declarator(Storage, (Pointer ? "*" : "") + Member);
  K.NeedsDestroy = !Pointer && !Arr && destroys(Storage);
  K.Escapes = true; // its parts may be named anywhere (copied lambdas capture them)
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
  Stack.Scopes.back().Vars.push_back(Index);

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
        Diags.report(Diag::BindingTupleLike, B->getLocation());
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
      Stack.Scopes.back().Vars.push_back(HK);
      BindingText[B] = HExt ? "this->" + Kept[HK].Member : "(*this->" + Kept[HK].Member + ")";
      continue;
    }
    const Expr *BE = B->getBinding() ? B->getBinding()->IgnoreImplicit() : nullptr;
    if (const auto *ME = dyn_cast_or_null<MemberExpr>(BE)) {
      BindingText[B] = Obj + "." + ME->getMemberDecl()->getNameAsString();
    } else if (isa_and_nonnull<ArraySubscriptExpr>(BE)) {
      BindingText[B] = Obj + "[" + Idx + "]";
    } else {
      Diags.report(Diag::BindingOther, B->getLocation());
      return;
    }
  }
  endFullExpr(FE);
}

} // namespace braidc
