//===- LowerSupport.h - AST helpers shared by the lowering ----------------===//
//
// SPDX-License-Identifier: MIT
//
// Small questions about Clang's AST that several construct lowerings ask:
// what a task's value type is, what Sema wrapped around an expression,
// whether a type has a destructor to run or can be a frame member.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_LOWER_LOWERSUPPORT_H
#define BRAIDC_LOWER_LOWERSUPPORT_H

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/Stmt.h"
#include "llvm/ADT/DenseSet.h"

#include <optional>
#include <string>
#include <vector>

namespace braidc {


/// \p S without leading and trailing white space.
std::string trim(std::string S);

/// The T of braid::task<T>, when \p RT is one (spelled as the user wrote it).
std::optional<clang::QualType> taskValueType(clang::QualType RT);
inline bool isTaskType(clang::QualType T) { return taskValueType(T).has_value(); }
/// The T of braid::flow<T> (BRAID_AP, BRAID_CP results).
std::optional<clang::QualType> flowValueType(clang::QualType RT);
/// The T of braid::run<T> (a BRAID_DURABLE function's result).
std::optional<clang::QualType> runValueType(clang::QualType RT);

/// The case or default label \p S is, under its attributes (`[[likely]]
/// case 1:`): they are hints, left out where the label becomes a partition.
const clang::SwitchCase *caseLabel(const clang::Stmt *S);

/// Strips what Sema wraps around an expression without the user writing it.
const clang::Expr *written(const clang::Expr *E);

/// Whether a local or temporary of type \p T needs its destructor run. A
/// dependent type may be a class with one in some instantiation:
/// kept_destroy is a no-op destructor call for the others.
bool destroys(clang::QualType T);

/// False when reference type \p T initialized with \p Init may bind a
/// temporary that the template's pattern does not show.
bool bindsWithoutTemporary(clang::QualType T, const clang::Expr *Init);

/// A call or construction in a template's pattern resolved per
/// instantiation (its temporaries are not in the pattern), if \p S has one.
const clang::Expr *unresolvedCall(const clang::Stmt *S);

/// `T&& x` where T is a type parameter of \p FD's own template.
bool isForwardingReference(const clang::FunctionDecl *FD, clang::QualType T);

/// A type a frame temporary can be declared with (spell() names it, a union
/// can hold it): not a closure, a local class not \p Hoisted, an unnamed
/// class, an array.
bool tempTypeKeepable(clang::QualType T, const llvm::DenseSet<const clang::Decl *> &Hoisted);

/// True when a value of type \p T cannot refer to another object's storage:
/// no pointer or reference in it except the owning ones of the standard
/// containers, strings, optionals, tuples and smart pointers.
bool cannotReferToTemporaries(clang::QualType T, unsigned Depth = 0);

/// True when destroying a \p T runs no code a program can observe: it is
/// trivially destructible, or only releases what the standard library's
/// strings, containers and smart pointers own (of such types), or is a class
/// (a closure) without a destructor of its own made of such members.
bool unobservableDestruction(clang::QualType T, unsigned Depth = 0);

/// The nodes of a temporary's chain: the expression and what it wraps
/// without making another object. The last one produces the object.
std::vector<const clang::Expr *> tempChain(const clang::Expr *E);

/// The temporary in \p Init whose life a reference \p VD extends
/// ([class.temporary]/6: also when the reference binds one of its members),
/// if any.
const clang::MaterializeTemporaryExpr *extendedTemporary(const clang::Expr *Init,
                                                         const clang::ValueDecl *VD);

/// Every temporary in \p Init whose life \p VD extends, inner ones first
/// (a temporary in another's initializer is made before it).
void extendedTemporaries(const clang::Expr *Init, const clang::ValueDecl *VD,
                         std::vector<const clang::MaterializeTemporaryExpr *> &Out);

/// Whether \p Init creates a temporary with a destructor whose life \p VD
/// extends (a reference bound to it or to one of its members, or an aggregate
/// whose reference member binds it): its destructor runs at \p VD's scope end.
bool extendsDestroyed(const clang::Expr *Init, const clang::ValueDecl *VD);

/// A temporary with a non-trivial destructor created by a default argument
/// or default member initializer (invisible in the source), if any.
const clang::MaterializeTemporaryExpr *hiddenTemporary(const clang::Stmt *S);

} // namespace braidc

#endif
