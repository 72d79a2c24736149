//===- VerbatimRewriter.h - user code copied with the few edits it needs ---===//
//
// SPDX-License-Identifier: MIT
//
// Code without suspension points is copied verbatim from the source text,
// with these edits only (design.md 3):
//   - a park call already lowered         -> its value (slot take / temporary)
//   - a kept local with a new name or kept through a pointer -> that name
//   - implicit/explicit `this` in a member function -> the frame's __braid_self
//   - `return e;`                         -> finish the frame with e
//   - break/continue/goto leaving the verbatim statement -> destroy + jump
//   - a structured binding whose object is kept -> its access on the member
//   - `throw;` in a handler whose body was exploded -> rethrow the held exception
//   - explicit lambda captures of kept locals -> init-captures of the member
// The context (FunctionLowering) decides each replacement.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_LOWER_VERBATIMREWRITER_H
#define BRAIDC_LOWER_VERBATIMREWRITER_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Stmt.h"

#include <optional>
#include <string>

namespace braidc {

/// What the rewriter asks the lowering.
class RewriteContext {
public:
  virtual ~RewriteContext() = default;
  /// A use of a local or parameter; returns its replacement text, if any.
  /// \p InLambda: the use is inside a lambda body (it may outlive the run).
  /// \p Escapes: the use does more than read or assign the value.
  virtual std::optional<std::string> varRef(const clang::VarDecl *VD, bool InLambda,
                                            bool Escapes) = 0;
  /// A qualifier for an unqualified use (at \p Use) of an entity declared
  /// outside the function (a variable, function, enumerator, type or
  /// template) whose name a member of the frame's base classes would hide
  /// (nothing otherwise).
  virtual std::optional<std::string> hiddenGlobal(const clang::NamedDecl *D,
                                                  clang::SourceLocation Use) = 0;
  /// How code reaches a local kept in the frame (nothing when not kept).
  virtual std::optional<std::string> keptAccess(const clang::VarDecl *VD) = 0;
  /// The value of an already lowered park (or short-circuit operator).
  virtual std::optional<std::string> parkValue(const clang::Expr *Park) = 0;
  /// How to rewrite `return e;`: the text replacing the keyword and the
  /// text after e; with DropValue, both replace the keyword and e.
  struct ReturnEdit {
    std::string Prefix;
    std::string Suffix;
    bool DropValue = false;
  };
  virtual ReturnEdit returnEdit(const clang::ReturnStmt *R) = 0;
  /// break/continue that leaves the verbatim statement. \p Deferred: C++
  /// objects of the copied statement are alive at the jump (a local with a
  /// destructor, a handler's exception): they must be destroyed, by leaving
  /// the copied statement the C++ way, before the kept locals the jump
  /// leaves ([stmt.jump]: reverse order of construction).
  virtual std::string jumpOut(const clang::Stmt *BreakOrContinue, bool Deferred) = 0;
  /// `throw;` outside any catch of the verbatim statement (empty: keep).
  virtual std::optional<std::string> rethrow() = 0;
  /// The name of the frame's pointer to the object (member functions).
  virtual std::optional<std::string> self() = 0;
  /// An edit braidc must make inside a macro body (\p What: "a park"...).
  virtual void editInMacro(clang::SourceLocation Loc, const char *What) = 0;
  /// A computed `goto *p;`.
  virtual void computedGoto(clang::SourceLocation Loc) = 0;
  /// A use of a structured binding whose object is kept in the frame: the
  /// access to its member, element or tuple-like variable (nothing: keep).
  virtual std::optional<std::string> bindingRef(const clang::BindingDecl *BD) = 0;
  /// A use of a type (or enumerator) declared in the function's body.
  virtual void localTypeUse(const clang::NamedDecl *D, clang::SourceLocation Use) = 0;
  /// `goto L;` whose label is outside the verbatim statement: destroy + jump
  /// (\p Deferred as for jumpOut).
  virtual std::string gotoOut(const clang::GotoStmt *S, bool Deferred) = 0;
};

/// Produces the text of one statement or expression with the edits above.
class VerbatimRewriter {
public:
  VerbatimRewriter(clang::ASTContext &Ctx, RewriteContext &RC) : Ctx(Ctx), RC(RC) {}

  /// The text of \p S (without a trailing semicolon for expressions).
  std::string text(const clang::Stmt *S);
  /// The text of \p S as a statement (with its semicolon).
  std::string statement(const clang::Stmt *S);
  /// The text between two locations (tokens included), with edits.
  std::string range(clang::SourceLocation Begin, clang::SourceLocation End,
                    const clang::Stmt *Root, bool WithSemicolon = false);

private:
  clang::ASTContext &Ctx;
  RewriteContext &RC;
};

/// The file location at the start of \p S (its expansion).
clang::SourceLocation startOf(const clang::SourceManager &SM, const clang::Stmt *S);

} // namespace braidc

#endif
