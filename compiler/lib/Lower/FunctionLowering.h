//===- FunctionLowering.h - one BRAID_SP function into a frame ------------===//
//
// SPDX-License-Identifier: MIT
//
// Lowers one annotated function: its body becomes a local frame class
// (parameters, kept locals, park slots), one member function per partition,
// a static continuation table, and `return make_sp_with_table<...>(...)`.
// See docs/compiler.md for the shape of each construct's lowering.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_LOWER_FUNCTIONLOWERING_H
#define BRAIDC_LOWER_FUNCTIONLOWERING_H

#include "Analysis/ParkFinder.h"
#include "Diag/Diagnoser.h"
#include "Emit/Emitter.h"
#include "Emit/FrameEmitter.h"
#include "Emit/FrameModel.h"
#include "Emit/TypeSpeller.h"
#include "Lower/Codecs.h"
#include "Lower/ScopeStack.h"
#include "Lower/VerbatimRewriter.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/StmtCXX.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace braidc {

/// The result of lowering one function.
struct LoweredFunction {
  std::string Body;      ///< replacement text of the body, braces included
  std::string Name;      ///< qualified function name
  std::vector<Partition> Partitions;
  std::vector<Region> Regions;
  /// BRAID_DURABLE: the user's aggregate types (class definitions, in the
  /// order their codecs must be written) whose codecs the generated file
  /// writes before the function (docs/durable.md "The frame contract").
  std::vector<const clang::CXXRecordDecl *> Aggregates;
};

/// A suspension point where a durable run is stored (LowerPark.cpp).
struct DurableSite {
  enum Kind { None, Listen, WaitFor, Call };
  int Label = -1;
  Kind K = None;
  std::string Slot;
  std::string ValueType; ///< spelled: the E of listen<E>, the U of run<U> / child<U>
  clang::QualType VT;
  clang::SourceLocation Loc;
};

class FunctionLowering : public RewriteContext {
public:
  FunctionLowering(clang::ASTContext &Ctx, Diagnoser &Diags, const SpFunction &F,
                   bool LineDirectives, std::string FileName);

  /// Lowers the function; nothing when a user error was reported.
  std::optional<LoweredFunction> run();
  /// The translation unit's codecs (BRAID_DURABLE functions need them).
  void setCodecIndex(const CodecIndex *C) { Codecs = C; }

  // RewriteContext.
  std::optional<std::string> varRef(const clang::VarDecl *VD, bool InLambda,
                                    bool Escapes) override;
  std::optional<std::string> keptAccess(const clang::VarDecl *VD) override;
  std::optional<std::string> hiddenGlobal(const clang::NamedDecl *D,
                                          clang::SourceLocation Use) override;
  std::optional<std::string> parkValue(const clang::Expr *Park) override;
  ReturnEdit returnEdit(const clang::ReturnStmt *R) override;
  std::string jumpOut(const clang::Stmt *BreakOrContinue, bool Deferred) override;
  std::optional<std::string> rethrow() override;
  std::optional<std::string> self() override;
  void editInMacro(clang::SourceLocation Loc, const char *What) override;
  void computedGoto(clang::SourceLocation Loc) override;
  std::optional<std::string> bindingRef(const clang::BindingDecl *BD) override;
  std::string gotoOut(const clang::GotoStmt *S, bool Deferred) override;
  void localTypeUse(const clang::NamedDecl *D, clang::SourceLocation Use) override;

private:
  using Scope = ScopeStack::Scope;
  using Leap = ScopeStack::Leap;

public:
  // Guards entering and leaving the constructs of ScopeStack.h.
  /// A block scope: leaving it (exit(), or the guard's end) ends the
  /// current run and destroys the scope's kept locals where control can
  /// still reach its end.
  class BlockScope {
  public:
    explicit BlockScope(FunctionLowering &FL) : FL(FL) { FL.pushScope(); }
    BlockScope(const BlockScope &) = delete;
    BlockScope &operator=(const BlockScope &) = delete;
    ~BlockScope();
    void exit();

  private:
    FunctionLowering &FL;
    bool Done = false;
  };
  /// A loop or switch that break (and continue) target.
  class LeapScope {
  public:
    LeapScope(FunctionLowering &FL, Leap L) : FL(FL) { FL.Stack.Leaps.push_back(L); }
    LeapScope(const LeapScope &) = delete;
    LeapScope &operator=(const LeapScope &) = delete;
    ~LeapScope() { FL.Stack.Leaps.pop_back(); }

  private:
    FunctionLowering &FL;
  };
  /// The try region \p R, until exit() or the guard's end.
  class RegionScope {
  public:
    RegionScope(FunctionLowering &FL, int R) : FL(FL), Saved(FL.Stack.Region) { FL.Stack.Region = R; }
    RegionScope(const RegionScope &) = delete;
    RegionScope &operator=(const RegionScope &) = delete;
    ~RegionScope() { exit(); }
    void exit() { FL.Stack.Region = Saved; }

  private:
    FunctionLowering &FL;
    int Saved;
  };
  /// An exploded handler whose held exception `throw;` rethrows.
  class HandlerScope {
  public:
    HandlerScope(FunctionLowering &FL, std::string Holder) : FL(FL) {
      FL.Stack.Handlers.push_back(std::move(Holder));
    }
    HandlerScope(const HandlerScope &) = delete;
    HandlerScope &operator=(const HandlerScope &) = delete;
    ~HandlerScope() { FL.Stack.Handlers.pop_back(); }

  private:
    FunctionLowering &FL;
  };

private:
  /// A full-expression whose parks were emitted: its final text and the
  /// temporaries holding earlier parks' values (destroyed after it).
  struct FullExpr {
    std::vector<int> Temps;
  };

  void reset();
  void collectBaseNames();
  bool prepare();
  void lowerBody();
  FrameModel frameModel();
  /// Settles each candidate local (plain or kept) once the body is lowered.
  void decideCandidates();

  // Statements.
  void lowerStmt(const clang::Stmt *S);
  void lowerVerbatim(const clang::Stmt *S);
  void lowerCompound(const clang::CompoundStmt *S);
  void lowerSubStmt(const clang::Stmt *S);
  void lowerDeclStmt(const clang::DeclStmt *S);
  /// A declaration statement that declares no variable (LocalDecls.cpp).
  void lowerLocalDeclaration(const clang::DeclStmt *S);
  /// The local type declarations that can move to the start of the body.
  void findHoistable();
  void updateRunPrologue();
  void lowerVarDecl(const clang::VarDecl *VD, const clang::DeclStmt *DS,
                    std::optional<std::string> InitOverride = std::nullopt);
  void lowerExprStmt(const clang::Expr *E);
  void lowerReturn(const clang::ReturnStmt *S);
  void lowerIf(const clang::IfStmt *S);
  void lowerWhile(const clang::WhileStmt *S);
  void lowerDo(const clang::DoStmt *S);
  void lowerFor(const clang::ForStmt *S);
  void lowerRangeFor(const clang::CXXForRangeStmt *S);
  void lowerSwitch(const clang::SwitchStmt *S);
  void lowerTry(const clang::CXXTryStmt *S);
  void lowerDecomposition(const clang::DecompositionDecl *DD,
                          std::optional<std::string> InitOverride);
  void lowerLabel(const clang::LabelStmt *S);
  void lowerGoto(const clang::GotoStmt *S);
  /// `<destroy what the jump leaves> return __braid_step{L};`.
  std::string gotoCode(const clang::LabelDecl *LD);
  /// A jump out of copied code (see the .cpp): \p Code in braces, or, when
  /// \p Deferred, a goto to it after the copied statement.
  std::string exitText(const std::string &Code, bool Deferred);
  /// Around the rewriting of one copied statement: endCopied returns the
  /// deferred exits to write after it (each preceded by \p BeforeEach).
  void beginCopied();
  std::string endCopied(const std::string &BeforeEach = "");
  int labelFor(const clang::LabelDecl *LD);
  /// Statements around a label that a goto outside them jumps to: lowered
  /// (not copied) so the label starts a partition.
  void findLabels(const clang::Stmt *Body);
  bool exploded(const clang::Stmt *S) const { return F.contains(S) || HoldsLabel.count(S); }
  void lowerConstantIf(const clang::IfStmt *S);

  // Expressions.
  FullExpr lowerParks(const clang::Expr *E);
  void collectParks(const clang::Stmt *S, std::vector<const clang::Expr *> &Out);
  void lowerSteps(const std::vector<const clang::Expr *> &Steps, FullExpr &FE);
  void lowerShortCircuit(const clang::BinaryOperator *BO, FullExpr &FE);
  void lowerConditional(const clang::ConditionalOperator *CO, FullExpr &FE);
  /// `amb(a, b, ...)`: a fork over the argument index, then each argument
  /// evaluated (parks and forks included) in its own branch (LowerFork.cpp).
  void lowerAmb(const clang::CallExpr *P, FullExpr &FE);
  /// `braid::amb();` or `return braid::amb();`: the branch ends.
  bool lowerAmbNone(const clang::Stmt *S);
  /// The clone of each fork point, from the liveness at its resume
  /// partition (after finalize); reports what cannot be copied.
  std::vector<ForkClone> forkClones();
  /// BRAID_DURABLE (LowerDurable.cpp): what prepare() checks besides the
  /// result type; after liveness, each stored partition's resume site and
  /// the locals it encodes, with what cannot be stored reported.
  bool prepareDurable(clang::QualType Result);
  /// The partition (after numbering) created as label \p Label: a fork
  /// point's or a durable suspension point's resume partition (\p What).
  int partitionOfLabel(int Label, const char *What) const;
  std::vector<DurableResume> durableResumes();
  /// Why a value of \p T cannot be stored (DurableNotStorable's %select
  /// index), or nothing; an aggregate without a codec is added to
  /// Aggregates (after the aggregates of its fields).
  std::optional<unsigned> whyNotStorable(clang::QualType T);
  /// The aggregates whose codecs braidc writes (for Transform).
  std::vector<const clang::CXXRecordDecl *> Aggregates;
  /// `<core>::<method>(`: how a partition calls into its frame's base.
  std::string coreCall(const char *Method) const;
  void lowerSpill(const clang::Expr *A, FullExpr &FE);
  /// lowerSpill's evaluation of the operand into the frame.
  void lowerSpillValue(const clang::Expr *A, FullExpr &FE);
  bool isSpillable(const clang::Expr *E) const;
  bool orderUnspecified(const clang::Stmt *Parent, const clang::Stmt *Operand) const;
  void checkDependentOperand(const clang::CallExpr *P);
  void endFullExpr(const FullExpr &FE);
  bool isInertOperand(const clang::Stmt *S) const;
  bool readsValue(const clang::Stmt *S) const;
  /// Emits `if (<Cond>) {} else { <leave scopes >= Depth>; jump False }`.
  void branchUnless(const std::string &Cond, clang::SourceLocation Loc, int False, size_t Depth);
  /// The condition of if/while/for/switch: its variable or expression.
  std::string lowerCondition(const clang::VarDecl *CondVar, const clang::Expr *Cond,
                             bool Switch = false);
  // Parts of a full-expression evaluated before a park (case 26 and the
  // operators of transform-cases 21-24).
  std::string partText(const clang::Expr *Part, FullExpr &FE, bool SkipTop);
  void hoistTemporaries(const clang::Stmt *S, FullExpr &FE);
  void hoistInside(const clang::Expr *Prvalue, FullExpr &FE);
  void hoistChildren(const clang::Stmt *S, FullExpr &FE);
  int hoistTemporary(const clang::Expr *M, FullExpr &FE, bool AsStatement);
  std::string initFrom(const clang::Expr *Prvalue, const std::string &Type);
  const clang::Expr *spillTarget(const clang::Stmt *Parent, const clang::Stmt *Operand) const;
  bool keepableTemp(clang::QualType T, clang::SourceLocation Loc);
  void lowerCommaLeft(const clang::BinaryOperator *BO, FullExpr &FE);
  void lowerBinaryConditional(const clang::BinaryConditionalOperator *CO, FullExpr &FE);

  // Frame storage.
  int addKept(KeptVar V);
  /// A frame temporary of the current full-expression (see the .cpp).
  int addTemp(clang::QualType T, bool Pointer, FullExpr &FE);
  std::string memberNameFor(const std::string &Source);
  /// A fresh `__braid_<What>_<n>` member name.
  std::string inventedName(const std::string &What);
  /// The names the body uses for entities other than its own locals.
  void collectOuterNames();
  /// The type of a frame member (TypeSpeller). In pass 2, a dependent type
  /// the frame cannot write is diagnosed once per place: \p D with the
  /// local's \p Name (DependentLocal), or DependentValue at the current
  /// statement.
  std::string spell(clang::QualType T) { return spellKept(T, Diag::DependentValue, StmtLoc, ""); }
  std::string spellKept(clang::QualType T, Diag D, clang::SourceLocation Loc, const std::string &Name);
  /// The written initializer of a declaration, after its declarator.
  std::string declInitText(const clang::VarDecl *VD, const clang::Expr *Init);
  bool checkKeepable(const clang::VarDecl *VD, clang::QualType T, std::string Name = "");
  std::string constructText(int K, const std::string &Init, clang::VarDecl::InitializationStyle Style,
                            bool HasInit);
  std::string destroyText(int K) const;
  std::string leaveScopes(size_t Depth) const;
  void pushScope() {
    Stack.Scopes.emplace_back();
    Stack.Scopes.back().Id = Stack.Serial++;
  }
  void popScope();
  std::vector<int> inScope() const;
  void noteUse(int K, bool Escapes);
  void markHere(int L, clang::SourceLocation Loc, const char *Kind);
  void user(clang::SourceLocation Loc, const std::string &Text);
  unsigned lineOf(clang::SourceLocation Loc) const;
  unsigned colOf(clang::SourceLocation Loc) const;
  std::string accessText(const clang::VarDecl *VD);
  int parkLine(clang::SourceLocation After) const;
  const clang::CallExpr *parkAfter(clang::SourceLocation After) const;
  void noteParkAfter(clang::SourceLocation After);

  clang::ASTContext &Ctx;
  const clang::SourceManager &SM;
  Diagnoser &Diags;
  const SpFunction &F;
  bool LineDirectives;
  std::string FileName;
  VerbatimRewriter Rewriter;

  // Settled before the passes.
  std::string ResultType;
  bool VoidResult = false;
  bool DependentResult = false; ///< the T of task<T> depends on a template parameter
  bool IsMethod = false;
  /// sp, ap or cp: the frame's base, and which suspension points it has.
  Flavour Kind = Flavour::Sp;
  /// `::braid::detail::sp_core` (ap_core, cp_core) and `sp_frame<T>`.
  std::string CoreName, FrameBase;
  std::string FunctionName;
  /// The invented template parameter of each `auto` parameter: its alias
  /// name and definition (from decltype of the parameter).
  /// Keyed by the parameter's depth and index.
  std::map<std::pair<unsigned, unsigned>, std::pair<std::string, std::string>> InventedAliases;
  /// Names the body uses for what is not one of its local variables (an
  /// entity declared outside the function, a type, a template): a kept
  /// local of such a name is renamed (memberNameFor).
  std::set<std::string> OuterNames;
  /// Local type declarations that move to the start of the body (settled
  /// once), the declarations hoisted so far in this pass and their text.
  llvm::DenseSet<const clang::DeclStmt *> Hoistable;
  llvm::DenseSet<const clang::Decl *> Hoisted;
  TypeSpeller Speller{Ctx, F.FD, Hoisted, InventedAliases};
  std::vector<std::string> HoistedText;
  /// Local types left in place: the run that declares them.
  llvm::DenseMap<const clang::Decl *, int> LocalTypeRun;
  std::set<unsigned> ReportedLocalType;
  /// Names declared by the frame's base classes (sp_frame, sp_core, process).
  std::set<std::string> BaseNames;
  const CodecIndex *Codecs = nullptr;

  // State of the lowering (reset()).
  /// The statement being lowered (where a type that cannot be spelled is
  /// reported when no better place is known).
  clang::SourceLocation StmtLoc;
  std::set<unsigned> ReportedSpell;
  /// A kept reference being bound must bind an lvalue of its type (the loop
  /// variable of a range-for over a dependent range).
  bool LvalueOnlyRef = false;
  /// The piece of a full-expression being hoisted (partText) is a value
  /// that cannot refer to the temporaries made while evaluating it.
  bool PartValueOwnsItself = false;
  /// Temporaries extended by a reference bound to one of their members.
  llvm::DenseSet<const clang::Expr *> ExtendedTemps;
  /// The fork points, in source order: the label each resumes at.
  struct ForkPoint {
    int Label;
    clang::SourceLocation Loc;
  };
  std::vector<ForkPoint> Forks;
  /// The points a durable run is stored at, in source order.
  std::vector<DurableSite> DurableSites;
  /// Set by prepareDurable: the types whose codecs were checked (each once).
  std::map<const clang::Type *, std::optional<unsigned>> StorableMemo;
  /// The type of each kept entry braidc made for a temporary or a park's
  /// value (the clone at a fork point must be able to copy it).
  std::map<int, clang::QualType> TempTypes;
  std::unique_ptr<Emitter> E;
  std::vector<KeptVar> Kept;
  llvm::DenseMap<const clang::VarDecl *, int> KeptIndex;
  std::set<std::string> MemberNames;
  std::vector<FrameMember> MemberOrder;
  std::vector<FrameSlot> Slots;
  ScopeStack Stack;
  /// The deferred exits of the copied statement being rewritten.
  struct CopiedExits {
    unsigned Id;
    std::vector<std::string> Exits;
  };
  std::optional<CopiedExits> Copying;
  unsigned CopySerial = 0;
  llvm::DenseMap<const clang::Expr *, std::string> ParkValues;
  llvm::DenseSet<const clang::Expr *> Spilled;
  unsigned Counter = 0;
  /// Built-in commas whose left operand was evaluated as a step: the
  /// expression reads as its right operand.
  llvm::DenseSet<const clang::Expr *> CommaValues;
  /// How copied code names each binding of a kept structured binding.
  llvm::DenseMap<const clang::BindingDecl *, std::string> BindingText;
  /// Labels of the source: their partition and, once marked in this pass,
  /// the scopes around them and how many kept locals each had then.
  struct LabelAt {
    int Label = -1;
    bool Marked = false;
    std::vector<int> Path;
    std::vector<size_t> Counts;
  };
  std::map<const clang::LabelDecl *, LabelAt> Labels;

  /// A trivially destructible local whose place (a plain C++ local or a
  /// frame member) waits for all its uses (decideCandidates), and a static
  /// local, which must not be used outside its run.
  struct Candidate {
    const clang::VarDecl *VD = nullptr;
    int Kept = -1;     ///< its kept-local entry (-1: a static local)
    int DeclText = -1; ///< deferred: its declaration
    int RefText = -1;  ///< deferred: a use of it in copied code
    std::string PlainDecl, KeptDecl, KeptRef;
    int DeclRun = -1;
    std::vector<int> UseRuns; ///< -1 for a use in a lambda or one that escapes
    /// Checks of a kept local, made if it stays kept.
    bool CheckDependentRef = false;
  };
  std::vector<Candidate> Candidates;
  llvm::DenseMap<const clang::VarDecl *, int> CandidateOf;
  /// Gotos lowered before their label: the destruction each needs for any
  /// depth of scopes it may leave, settled when the label is reached.
  struct PendingGoto {
    const clang::LabelDecl *Label;
    int Text; ///< deferred
    std::vector<int> Path;
    std::vector<std::string> LeaveFrom; ///< LeaveFrom[d]: leave scopes >= d
  };
  std::vector<PendingGoto> PendingGotos;
  /// Statements that contain a label (settled once, before lowering).
  llvm::DenseSet<const clang::Stmt *> HoldsLabel;

};

} // namespace braidc

#endif
