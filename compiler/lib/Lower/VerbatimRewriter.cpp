//===- VerbatimRewriter.cpp - user code copied with the few edits it needs -===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Lower/VerbatimRewriter.h"

#include "Analysis/ParkFinder.h"
#include "Diag/InternalError.h"
#include "Lower/LowerSupport.h"

#include "clang/AST/Attr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

#include <algorithm>
#include <set>

using namespace clang;

namespace braidc {

SourceLocation startOf(const SourceManager &SM, const Stmt *S) {
  return SM.getExpansionLoc(S->getBeginLoc());
}

namespace {

struct TextEdit {
  unsigned Begin;
  unsigned End;
  std::string Text;
  unsigned Seq;
};

/// Collects the edits of one verbatim root. Break/continue/return/throw
/// edits apply only to jumps that leave the root (depth counters track the
/// loops, switches, catches and lambdas inside it).
class EditCollector : public RecursiveASTVisitor<EditCollector> {
  using Base = RecursiveASTVisitor<EditCollector>;

public:
  EditCollector(ASTContext &Ctx, RewriteContext &RC, FileID File, unsigned RootBegin,
                unsigned RootEnd)
      : Ctx(Ctx), SM(Ctx.getSourceManager()), RC(RC), File(File), RootBegin(RootBegin),
        RootEnd(RootEnd) {}

  std::vector<TextEdit> Edits;

  bool shouldVisitImplicitCode() const { return false; }
  bool shouldVisitLambdaBody() const { return true; }

  // Any expression the lowering already evaluated: a park, a short-circuit
  // operator or ?: with parks, a spilled argument.
  bool TraverseStmt(Stmt *S) {
    if (const auto *E = dyn_cast_or_null<Expr>(S))
      if (std::optional<std::string> V = RC.parkValue(E)) {
        replaceRange(E->getBeginLoc(), E->getEndLoc(), *V, "an operand evaluated before a park");
        return true;
      }
    if (!S)
      return true;
    Path.push_back(S);
    bool R = Base::TraverseStmt(S);
    Path.pop_back();
    return R;
  }

  bool TraverseCallExpr(CallExpr *CE) {
    if (isParkCall(CE)) {
      if (std::optional<std::string> V = RC.parkValue(CE)) {
        replaceRange(CE->getBeginLoc(), CE->getEndLoc(), *V, "a park");
        return true;
      }
    }
    return Base::TraverseCallExpr(CE);
  }

  bool TraverseBinaryOperator(BinaryOperator *BO) {
    if (BO->isLogicalOp())
      if (std::optional<std::string> V = RC.parkValue(BO)) {
        replaceRange(BO->getBeginLoc(), BO->getEndLoc(), *V, "an operator with a park");
        return true;
      }
    return Base::TraverseBinaryOperator(BO);
  }

  bool TraverseConditionalOperator(ConditionalOperator *CO) {
    if (std::optional<std::string> V = RC.parkValue(CO)) {
      replaceRange(CO->getBeginLoc(), CO->getEndLoc(), *V, "an operator with a park");
      return true;
    }
    return Base::TraverseConditionalOperator(CO);
  }

  // In a template's pattern an unqualified call with dependent arguments
  // names its candidates through an UnresolvedLookupExpr: qualified like a
  // DeclRefExpr when they all come from one namespace.
  bool VisitUnresolvedLookupExpr(UnresolvedLookupExpr *E) {
    if (E->getQualifier() || E->getNumDecls() == 0)
      return true;
    std::optional<std::string> Q;
    for (const NamedDecl *D : E->decls()) {
      const NamedDecl *U = D->getUnderlyingDecl();
      if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(U))
        U = FTD->getTemplatedDecl();
      if (U->getDeclContext()->isFunctionOrMethod() || U->isCXXClassMember())
        return true;
      std::optional<std::string> This = RC.hiddenGlobal(U, E->getNameLoc());
      if (!This || (Q && *Q != *This))
        return true;
      Q = This;
    }
    qualify(E->getNameLoc(), *Q);
    return true;
  }

  bool VisitDeclRefExpr(DeclRefExpr *E) {
    if (isa<EnumConstantDecl>(E->getDecl()) && E->getDecl()->getParentFunctionOrMethod())
      RC.localTypeUse(E->getDecl(), E->getLocation());
    if (!E->hasQualifier() && !E->getDecl()->getDeclContext()->isFunctionOrMethod())
      if (std::optional<std::string> Q = RC.hiddenGlobal(E->getDecl(), E->getLocation()))
        qualify(E->getLocation(), *Q);
    if (const auto *BD = dyn_cast<BindingDecl>(E->getDecl())) {
      if (!InitCaptured.count(BD))
        if (std::optional<std::string> R = RC.bindingRef(BD))
          replaceRange(E->getBeginLoc(), E->getEndLoc(), *R, "a structured binding kept in the frame");
      return true;
    }
    const auto *VD = dyn_cast<VarDecl>(E->getDecl());
    if (!VD || !VD->isLocalVarDeclOrParm() || InitCaptured.count(VD))
      return true;
    if (std::optional<std::string> R = RC.varRef(VD, LambdaDepth > 0, escapes(E)))
      replaceRange(E->getBeginLoc(), E->getEndLoc(), *R, "a local kept in the frame");
    return true;
  }

  // Types and templates named without a qualifier or a class-key (a user
  // type `state` or `table`) are hidden the same way.
  bool TraverseElaboratedTypeLoc(ElaboratedTypeLoc TL) {
    if (TL.getQualifierLoc() || TL.getTypePtr()->getKeyword() != ElaboratedTypeKeyword::None)
      QualifiedNames.insert({TL.getNamedTypeLoc().getTypePtr(), TL.getNamedTypeLoc().getOpaqueData()});
    return Base::TraverseElaboratedTypeLoc(TL);
  }
  bool VisitTagTypeLoc(TagTypeLoc TL) { return typeName(TL, TL.getDecl(), TL.getNameLoc()); }
  bool VisitTypedefTypeLoc(TypedefTypeLoc TL) {
    return typeName(TL, TL.getTypedefNameDecl(), TL.getNameLoc());
  }
  bool VisitInjectedClassNameTypeLoc(InjectedClassNameTypeLoc TL) {
    return typeName(TL, TL.getDecl(), TL.getNameLoc());
  }
  bool VisitUsingTypeLoc(UsingTypeLoc TL) {
    return typeName(TL, TL.getFoundDecl()->getTargetDecl(), TL.getNameLoc());
  }
  bool VisitTemplateSpecializationTypeLoc(TemplateSpecializationTypeLoc TL) {
    return typeName(TL, TL.getTypePtr()->getTemplateName().getAsTemplateDecl(), TL.getTemplateNameLoc());
  }
  bool VisitDeducedTemplateSpecializationTypeLoc(DeducedTemplateSpecializationTypeLoc TL) {
    return typeName(TL, TL.getTypePtr()->getTemplateName().getAsTemplateDecl(), TL.getTemplateNameLoc());
  }

  bool VisitMemberExpr(MemberExpr *E) {
    if (E->isImplicitAccess())
      insertSelf(E->getBeginLoc());
    return true;
  }
  bool VisitCXXDependentScopeMemberExpr(CXXDependentScopeMemberExpr *E) {
    if (E->isImplicitAccess())
      insertSelf(E->getBeginLoc());
    return true;
  }
  bool VisitUnresolvedMemberExpr(UnresolvedMemberExpr *E) {
    if (E->isImplicitAccess())
      insertSelf(E->getBeginLoc());
    return true;
  }
  bool VisitCXXThisExpr(CXXThisExpr *E) {
    if (E->isImplicit() || LocalClassDepth > 0)
      return true;
    if (std::optional<std::string> Self = RC.self())
      replaceRange(E->getBeginLoc(), E->getEndLoc(), *Self, "'this'");
    return true;
  }

  bool TraverseReturnStmt(ReturnStmt *R) {
    if (LambdaDepth == 0) {
      auto [Prefix, Suffix, Drop] = RC.returnEdit(R);
      SourceLocation Kw = R->getReturnLoc();
      if (const Expr *V = R->getRetValue(); V && Drop) {
        replaceRange(Kw, V->getEndLoc(), Prefix + Suffix, "'return'");
        return true;
      }
      if (const Expr *V = R->getRetValue()) {
        replaceRange(Kw, Kw, Prefix, "'return'");
        insertAfter(V->getEndLoc(), Suffix, "'return'");
      } else {
        replaceRange(Kw, Kw, Prefix + Suffix, "'return'");
      }
    }
    return Base::TraverseReturnStmt(R);
  }

  bool VisitBreakStmt(BreakStmt *S) {
    if (LambdaDepth == 0 && BreakDepth == 0)
      replaceRange(S->getBreakLoc(), S->getBreakLoc(), RC.jumpOut(S, objectsAlive()), "'break'");
    return true;
  }
  bool VisitContinueStmt(ContinueStmt *S) {
    if (LambdaDepth == 0 && ContinueDepth == 0)
      replaceRange(S->getContinueLoc(), S->getContinueLoc(), RC.jumpOut(S, objectsAlive()),
                   "'continue'");
    return true;
  }
  bool VisitCXXThrowExpr(CXXThrowExpr *E) {
    if (!E->getSubExpr() && LambdaDepth == 0 && CatchDepth == 0)
      if (std::optional<std::string> R = RC.rethrow())
        replaceRange(E->getThrowLoc(), E->getThrowLoc(), *R, "'throw;'");
    return true;
  }
  bool VisitGotoStmt(GotoStmt *S) {
    SourceLocation L = SM.getExpansionLoc(S->getLabel()->getLocation());
    unsigned Off = SM.getFileOffset(L);
    if ((SM.getFileID(L) != File || Off < RootBegin || Off >= RootEnd) && LambdaDepth == 0)
      replaceRange(S->getGotoLoc(), S->getLabelLoc(), RC.gotoOut(S, objectsAlive()), "'goto'");
    return true;
  }
  // `[[fallthrough]];` whose switch is not copied with it is dropped (an
  // exploded switch falls through by jumping, and a fallthrough outside
  // any switch is ill-formed; the attribute only silences a warning). The
  // other statement attributes ([[likely]], [[unlikely]], [[assume]], vendor
  // hints) are valid on any statement and kept.
  bool VisitAttributedStmt(AttributedStmt *S) {
    bool Drop = false;
    for (const Attr *A : S->getAttrs())
      if (isa<FallThroughAttr>(A) && SwitchDepth == 0)
        Drop = true;
    if (Drop)
      eraseBetween(S->getBeginLoc(), S->getSubStmt()->getBeginLoc(), "a statement attribute");
    return true;
  }
  bool VisitIndirectGotoStmt(IndirectGotoStmt *S) {
    RC.computedGoto(S->getGotoLoc());
    return true;
  }

#define BRAIDC_DEPTH(KIND, COUNTERS)                                                        \
  bool Traverse##KIND(KIND *S) {                                                           \
    COUNTERS(++);                                                                          \
    bool R = Base::Traverse##KIND(S);                                                      \
    COUNTERS(--);                                                                          \
    return R;                                                                              \
  }
#define BRAIDC_LOOP(OP) (OP BreakDepth, OP ContinueDepth)
#define BRAIDC_SWITCH(OP) (OP BreakDepth, OP SwitchDepth)
#define BRAIDC_CATCH(OP) (OP CatchDepth)
  BRAIDC_DEPTH(WhileStmt, BRAIDC_LOOP)
  BRAIDC_DEPTH(DoStmt, BRAIDC_LOOP)
  BRAIDC_DEPTH(ForStmt, BRAIDC_LOOP)
  BRAIDC_DEPTH(CXXForRangeStmt, BRAIDC_LOOP)
  BRAIDC_DEPTH(SwitchStmt, BRAIDC_SWITCH)
  BRAIDC_DEPTH(CXXCatchStmt, BRAIDC_CATCH)
#undef BRAIDC_DEPTH
#undef BRAIDC_LOOP
#undef BRAIDC_SWITCH
#undef BRAIDC_CATCH

  // Inside a local class, `this` and implicit member accesses are the local
  // class's own, and its member functions' returns, jumps and rethrows are
  // theirs (as in a lambda body).
  bool TraverseCXXRecordDecl(CXXRecordDecl *RD) {
    ++LocalClassDepth;
    ++LambdaDepth;
    unsigned SavedBreak = BreakDepth, SavedContinue = ContinueDepth, SavedCatch = CatchDepth,
             SavedSwitch = SwitchDepth;
    bool R = Base::TraverseCXXRecordDecl(RD);
    BreakDepth = SavedBreak;
    ContinueDepth = SavedContinue;
    CatchDepth = SavedCatch;
    SwitchDepth = SavedSwitch;
    --LambdaDepth;
    --LocalClassDepth;
    return R;
  }

  bool TraverseLambdaExpr(LambdaExpr *LE) {
    // Explicit captures of locals kept in the frame become init-captures of
    // the member (`[&x]` -> `[&x = x]`, `[x]` -> `[x = (*x)]` for a kept
    // reference), so the closure holds what the source closure held; the
    // body then keeps using the capture's name unchanged.
    std::vector<const ValueDecl *> Added;
    for (const LambdaCapture &C : LE->explicit_captures()) {
      if (!C.capturesVariable() || LE->isInitCapture(&C))
        continue;
      // A structured binding (C++20 captures them) of a kept object: the
      // capture is initialized from its access.
      if (const auto *BD = dyn_cast<BindingDecl>(C.getCapturedVar())) {
        if (std::optional<std::string> R = RC.bindingRef(BD)) {
          insertAfter(C.getLocation(), " = " + *R, "a lambda capture");
          if (InitCaptured.insert(BD).second)
            Added.push_back(BD);
        }
        continue;
      }
      const auto *VD = dyn_cast<VarDecl>(C.getCapturedVar());
      if (!VD)
        continue;
      RC.varRef(VD, /*InLambda=*/true, /*Escapes=*/true);
      if (std::optional<std::string> R = RC.keptAccess(VD)) {
        insertAfter(C.getLocation(), " = " + *R, "a lambda capture");
        if (InitCaptured.insert(VD).second)
          Added.push_back(VD);
      }
    }
    // `[=]` copies what the body uses; a kept local used there must still be
    // copied at the lambda's creation, not read from the frame later.
    if (LE->getCaptureDefault() == LCD_ByCopy) {
      std::set<const VarDecl *> Done;
      for (const LambdaCapture &C : LE->implicit_captures()) {
        if (!C.capturesVariable())
          continue;
        if (const auto *BD = dyn_cast<BindingDecl>(C.getCapturedVar())) {
          std::optional<std::string> R = RC.bindingRef(BD);
          if (R && InitCaptured.insert(BD).second) {
            insertAfter(LE->getCaptureDefaultLoc(), ", " + BD->getNameAsString() + " = " + *R,
                        "a lambda capture");
            Added.push_back(BD);
          }
          continue;
        }
        const auto *VD = dyn_cast<VarDecl>(C.getCapturedVar());
        if (!VD || InitCaptured.count(VD) || !Done.insert(VD).second)
          continue;
        RC.varRef(VD, true, true);
        if (std::optional<std::string> R = RC.keptAccess(VD)) {
          insertAfter(LE->getCaptureDefaultLoc(),
                      ", " + VD->getNameAsString() + " = " + *R, "a lambda capture");
          InitCaptured.insert(VD);
          Added.push_back(VD);
        }
      }
    }
    ++LambdaDepth;
    unsigned SavedBreak = BreakDepth, SavedContinue = ContinueDepth, SavedCatch = CatchDepth,
             SavedSwitch = SwitchDepth;
    bool R = TraverseStmt(LE->getBody());
    BreakDepth = SavedBreak;
    ContinueDepth = SavedContinue;
    CatchDepth = SavedCatch;
    SwitchDepth = SavedSwitch;
    --LambdaDepth;
    for (const ValueDecl *VD : Added)
      InitCaptured.erase(VD);
    return R;
  }

private:
  /// Whether a C++ object of the copied statement is alive at the jump being
  /// visited (the last node of Path): a local with a destructor declared
  /// before it in an enclosing block, one of an enclosing statement's
  /// init-statement, condition or range, or the exception of an enclosing
  /// handler. Approximate upward (a block's declarations are counted when
  /// they precede the jump's branch of it): the deferred form is then used
  /// where the direct one would have done.
  bool objectsAlive() const {
    for (size_t I = 0; I + 1 < Path.size(); ++I) {
      const Stmt *S = Path[I], *Child = Path[I + 1];
      if (isa<CXXCatchStmt>(S))
        return true;
      if (const auto *CS = dyn_cast<CompoundStmt>(S)) {
        for (const Stmt *C : CS->body()) {
          if (C == Child)
            break;
          if (declaresObject(C))
            return true;
        }
        continue;
      }
      if (const auto *If = dyn_cast<IfStmt>(S))
        if (declaresObject(If->getInit()) || declaresObject(If->getConditionVariableDeclStmt()))
          return true;
      if (const auto *Sw = dyn_cast<SwitchStmt>(S))
        if (declaresObject(Sw->getInit()) || declaresObject(Sw->getConditionVariableDeclStmt()))
          return true;
      if (const auto *W = dyn_cast<WhileStmt>(S))
        if (declaresObject(W->getConditionVariableDeclStmt()))
          return true;
      if (const auto *Fo = dyn_cast<ForStmt>(S))
        if (declaresObject(Fo->getInit()) || declaresObject(Fo->getConditionVariableDeclStmt()))
          return true;
      if (const auto *RF = dyn_cast<CXXForRangeStmt>(S))
        if (declaresObject(RF->getInit()) || declaresObject(RF->getRangeStmt()) ||
            declaresObject(RF->getLoopVarStmt()))
          return true;
    }
    return false;
  }

  /// A declaration statement of a local whose end of life runs code: a
  /// class with a destructor, or a reference extending such a temporary.
  static bool declaresObject(const Stmt *S) {
    const auto *DS = dyn_cast_or_null<DeclStmt>(S);
    if (!DS)
      return false;
    for (const Decl *D : DS->decls()) {
      const auto *VD = dyn_cast<VarDecl>(D);
      if (!VD || !VD->hasLocalStorage())
        continue;
      // An object with a destructor, or any variable that extends the life
      // of a temporary with one (`const std::string& m = Res().name;`, an
      // aggregate whose reference member binds a temporary): C++ destroys
      // it when the jump leaves its scope.
      QualType T = VD->getType();
      if (!T->isReferenceType() && destroys(T))
        return true;
      if (T->isDependentType() || extendsDestroyed(VD->getInit(), VD))
        return true;
    }
    return false;
  }

  /// A use "escapes" unless it only reads the value or assigns to it: the
  /// address may then outlive the run (a pointer, a reference binding, a
  /// member call), so the local cannot stay a plain C++ local.
  bool escapes(const DeclRefExpr *E) {
    const Stmt *Node = E;
    for (;;) {
      DynTypedNodeList Parents = Ctx.getParents(*Node);
      if (Parents.size() != 1)
        return true;
      if (const auto *P = Parents[0].get<ParenExpr>()) {
        Node = P;
        continue;
      }
      if (const auto *IC = Parents[0].get<ImplicitCastExpr>()) {
        if (IC->getCastKind() == CK_NoOp) {
          Node = IC;
          continue;
        }
        // An element of a local array (`a[i]`) is part of it, like a member.
        if (IC->getCastKind() == CK_ArrayToPointerDecay) {
          DynTypedNodeList Up = Ctx.getParents(*IC);
          const auto *ASE = Up.size() == 1 ? Up[0].get<ArraySubscriptExpr>() : nullptr;
          if (ASE && ASE->getBase() == IC) {
            Node = ASE;
            continue;
          }
        }
        return IC->getCastKind() != CK_LValueToRValue;
      }
      if (const auto *BO = Parents[0].get<BinaryOperator>())
        return !(BO->isAssignmentOp() && BO->getLHS()->IgnoreParens() == Node);
      if (const auto *UO = Parents[0].get<UnaryOperator>())
        return !UO->isIncrementDecrementOp();
      if (const auto *ME = Parents[0].get<MemberExpr>()) {
        // A data member of the object (`p.a`) is part of it: what is done
        // with the member decides, as for the object itself.
        if (!ME->isArrow() && ME->getBase() == Node &&
            isa<FieldDecl>(ME->getMemberDecl())) {
          Node = ME;
          continue;
        }
        // A member function called on the object (also an operator such as
        // a closure's operator()) uses its address only during the call.
        DynTypedNodeList Up = Ctx.getParents(*ME);
        return !(ME->getBase()->IgnoreParenImpCasts() == E && Up.size() == 1 &&
                 Up[0].get<CXXMemberCallExpr>());
      }
      if (const auto *OC = Parents[0].get<CXXOperatorCallExpr>())
        return !(OC->getNumArgs() >= 1 && OC->getArg(0) == Node &&
                 isa<CXXMethodDecl>(OC->getCalleeDecl()));
      return true;
    }
  }

  void insertSelf(SourceLocation Loc) {
    if (LocalClassDepth > 0)
      return; // a member of the local class itself
    if (std::optional<std::string> Self = RC.self())
      insertBefore(Loc, *Self + "->", "an implicit member access");
  }

  /// Where an edit at a token of a macro expansion can go in the file: a
  /// macro argument's token is in the file; the first (for \p Start) or
  /// last token of an expansion stands for the whole invocation (an edit
  /// before the first or after the last token of what a macro expands to
  /// is an edit before or after the invocation). Anything else is inside a
  /// macro body, which braidc cannot edit: reported once per invocation.
  std::optional<SourceLocation> fileLoc(SourceLocation Loc, bool Start, const char *What) {
    if (!Loc.isMacroID())
      return Loc;
    if (SM.isMacroArgExpansion(Loc))
      return SM.getFileLoc(Loc);
    SourceLocation Edge;
    if (Start ? Lexer::isAtStartOfMacroExpansion(Loc, SM, Ctx.getLangOpts(), &Edge)
              : Lexer::isAtEndOfMacroExpansion(Loc, SM, Ctx.getLangOpts(), &Edge))
      return SM.getExpansionLoc(Edge);
    SourceLocation Invocation = SM.getExpansionLoc(Loc);
    if (ReportedMacros.insert(Invocation.getRawEncoding()).second)
      RC.editInMacro(Loc, What);
    return std::nullopt;
  }
  /// The file offset of \p Loc (a file location) inside the root.
  unsigned offsetOf(SourceLocation Loc) {
    std::pair<FileID, unsigned> D = SM.getDecomposedLoc(Loc);
    if (D.first != File || D.second < RootBegin || D.second > RootEnd)
      throw InternalError("edit outside the statement being copied");
    return D.second;
  }
  unsigned tokenEnd(SourceLocation Loc, unsigned Off) {
    SourceLocation Sp = SM.getSpellingLoc(Loc);
    return Off + Lexer::MeasureTokenLength(Sp, SM, Ctx.getLangOpts());
  }

  void replaceRange(SourceLocation B, SourceLocation E, std::string Text, const char *What) {
    std::optional<SourceLocation> FB = fileLoc(B, true, What), FE = fileLoc(E, false, What);
    if (!FB || !FE)
      return;
    unsigned OE = offsetOf(*FE);
    Edits.push_back({offsetOf(*FB), tokenEnd(*FE, OE), std::move(Text), Seq++});
  }
  bool typeName(TypeLoc TL, const NamedDecl *D, SourceLocation NameLoc) {
    if (!D)
      return true;
    if (D->getParentFunctionOrMethod()) {
      RC.localTypeUse(D, NameLoc);
      return true;
    }
    if (QualifiedNames.count({TL.getTypePtr(), TL.getOpaqueData()}))
      return true;
    if (std::optional<std::string> Q = RC.hiddenGlobal(D, NameLoc))
      qualify(NameLoc, *Q);
    return true;
  }

  /// Inserts \p Q before the name at \p Loc, once: declarators that share
  /// a type (`state a, b;`) visit its name once per declarator.
  void qualify(SourceLocation Loc, const std::string &Q) {
    if (!Loc.isMacroID() && !Qualified.insert(SM.getFileOffset(Loc)).second)
      return;
    insertBefore(Loc, Q, "a name hidden in the frame");
  }

  /// Removes the text from \p B up to (not including) the token at \p E.
  void eraseBetween(SourceLocation B, SourceLocation E, const char *What) {
    std::optional<SourceLocation> FB = fileLoc(B, true, What), FE = fileLoc(E, true, What);
    if (FB && FE)
      Edits.push_back({offsetOf(*FB), offsetOf(*FE), "", Seq++});
  }
  void insertBefore(SourceLocation L, std::string Text, const char *What) {
    if (std::optional<SourceLocation> F = fileLoc(L, true, What)) {
      unsigned O = offsetOf(*F);
      Edits.push_back({O, O, std::move(Text), Seq++});
    }
  }
  void insertAfter(SourceLocation L, std::string Text, const char *What) {
    if (std::optional<SourceLocation> F = fileLoc(L, false, What)) {
      unsigned End = tokenEnd(*F, offsetOf(*F));
      Edits.push_back({End, End, std::move(Text), Seq++});
    }
  }

  ASTContext &Ctx;
  SourceManager &SM;
  RewriteContext &RC;
  FileID File;
  unsigned RootBegin, RootEnd;
  unsigned Seq = 0;
  unsigned BreakDepth = 0, ContinueDepth = 0, CatchDepth = 0, LambdaDepth = 0, SwitchDepth = 0,
           LocalClassDepth = 0;
  std::set<const ValueDecl *> InitCaptured;
  /// The statements from the root down to the one being visited.
  std::vector<const Stmt *> Path;
  /// Type names written with a qualifier or class-key (not hidden).
  std::set<std::pair<const Type *, void *>> QualifiedNames;
  /// Offsets of the names already qualified.
  std::set<unsigned> Qualified;
  /// Macro invocations already reported (one error each).
  std::set<unsigned> ReportedMacros;
};

bool needsSemicolon(const Stmt *S) {
  return isa<Expr>(S) || isa<ReturnStmt>(S) || isa<BreakStmt>(S) || isa<ContinueStmt>(S) ||
         isa<DoStmt>(S) || isa<GotoStmt>(S);
}

} // namespace

std::string VerbatimRewriter::range(SourceLocation Begin, SourceLocation End, const Stmt *Root,
                                    bool WithSemicolon) {
  const SourceManager &SM = Ctx.getSourceManager();
  const LangOptions &LO = Ctx.getLangOpts();
  // A token of a macro argument is copied from where the argument is
  // written (`t` of `PARK(t)`); any other macro token stands for the whole
  // invocation.
  SourceLocation B = SM.isMacroArgExpansion(Begin) ? SM.getFileLoc(Begin) : SM.getExpansionLoc(Begin);
  SourceLocation E = SM.isMacroArgExpansion(End) ? SM.getFileLoc(End) : SM.getExpansionRange(End).getEnd();
  std::pair<FileID, unsigned> DB = SM.getDecomposedLoc(B);
  std::pair<FileID, unsigned> DE = SM.getDecomposedLoc(E);
  if (DB.first != DE.first)
    throw InternalError("statement spans files");
  unsigned EndOff = DE.second + Lexer::MeasureTokenLength(E, SM, LO);
  if (WithSemicolon) {
    // A statement's range stops before its semicolon (also a nested one:
    // `if (c) return 1;`); take the semicolon when it follows.
    SourceLocation After = Lexer::findLocationAfterToken(E, tok::semi, SM, LO, false);
    if (After.isValid())
      EndOff = SM.getFileOffset(After);
  }
  EditCollector C(Ctx, RC, DB.first, DB.second, EndOff);
  if (Root)
    C.TraverseStmt(const_cast<Stmt *>(Root));
  std::stable_sort(C.Edits.begin(), C.Edits.end(), [](const TextEdit &A, const TextEdit &B) {
    return A.Begin != B.Begin ? A.Begin < B.Begin : A.Seq < B.Seq;
  });
  StringRef Buf = SM.getBufferData(DB.first);
  std::string Out;
  unsigned Pos = DB.second;
  for (const TextEdit &Ed : C.Edits) {
    if (Ed.Begin < Pos)
      throw InternalError("overlapping edits in a copied statement");
    Out += Buf.substr(Pos, Ed.Begin - Pos).str();
    Out += Ed.Text;
    Pos = Ed.End;
  }
  if (Pos < EndOff)
    Out += Buf.substr(Pos, EndOff - Pos).str();
  return Out;
}

std::string VerbatimRewriter::text(const Stmt *S) {
  return range(S->getBeginLoc(), S->getEndLoc(), S);
}

std::string VerbatimRewriter::statement(const Stmt *S) {
  std::string T = range(S->getBeginLoc(), S->getEndLoc(), S, true);
  if (needsSemicolon(S) && (T.empty() || T.back() != ';'))
    T += ";";
  return T;
}

} // namespace braidc
