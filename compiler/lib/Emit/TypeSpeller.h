//===- TypeSpeller.h - types of frame members, spelled --------------------===//
//
// SPDX-License-Identifier: MIT
//
// The frame is a local class at the top of the function body: it cannot see
// the body's own declarations (except the hoisted types, LocalDecls.cpp),
// and inside it the frame's members hide unqualified outer names. Every type
// it declares a member with (kept locals, parameters, temporaries, slots,
// the result) is therefore spelled from the global namespace:
//   - as the source named it (typedefs, aliases, written template
//     arguments), every name `::`-qualified, when that is sure to name the
//     same type (SugarSpeller in the .cpp);
//   - otherwise from the canonical type by the same rules, default template
//     arguments left out; and what that cannot name by Clang's fully
//     qualified canonical printing;
//   - a dependent type (in a template) as written, where the template's
//     parameters are in scope; whyNotSpellable() says when that cannot work.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_EMIT_TYPESPELLER_H
#define BRAIDC_EMIT_TYPESPELLER_H

#include "Diag/Diagnoser.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "llvm/ADT/DenseSet.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

namespace braidc {

class TypeSpeller {
public:
  /// The invented template parameter of each `auto` parameter, keyed by
  /// its depth and index: the alias name and its definition.
  using AliasMap = std::map<std::pair<unsigned, unsigned>, std::pair<std::string, std::string>>;

  /// \p Hoisted and \p Invented are read at each call (they grow while the
  /// function is lowered).
  TypeSpeller(clang::ASTContext &Ctx, const clang::FunctionDecl *FD,
              const llvm::DenseSet<const clang::Decl *> &Hoisted, const AliasMap &Invented)
      : Ctx(Ctx), FD(FD), Hoisted(Hoisted), Invented(Invented) {}

  /// A type-specifier for `<spelling> name`: declarator syntax (a function
  /// pointer `int (*)(int)`) goes through `::std::type_identity_t<...>`.
  std::string spell(clang::QualType T) const;
  /// The spelling as a type-id (`int (*)(int)` stays as it is).
  std::string spellTypeId(clang::QualType T) const;
  /// `T Name` as a member declaration, also for (pointers to) C arrays.
  std::string declarator(clang::QualType T, const std::string &Name) const;
  /// Why the dependent type \p T cannot be written at the frame's class
  /// scope, or nothing when it can (or is not dependent).
  std::optional<DependentReason> whyNotSpellable(clang::QualType T) const;

private:
  std::string spellDependent(clang::QualType T) const;

  clang::ASTContext &Ctx;
  const clang::FunctionDecl *FD;
  const llvm::DenseSet<const clang::Decl *> &Hoisted;
  const AliasMap &Invented;
};

} // namespace braidc

#endif
