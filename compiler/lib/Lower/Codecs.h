//===- Codecs.h - which types a durable run can store ---------------------===//
//
// SPDX-License-Identifier: MIT
//
// A BRAID_DURABLE function's parameters, the locals live where its run is
// stored, its result and the values of its listens and waits are encoded
// with braid::durable::codec<T> (docs/durable.md "Codecs"). braidc checks
// each type up front, so that what cannot be stored is a diagnostic naming
// the local rather than a static_assert deep in a template:
//
//  - the codecs of <braid/durable/codec.hpp> (scalars, enums, strings, std
//    containers, optional, variant, tuple, child<T>, run_id...) are
//    recognized by the specializations of braid::durable::codec in the
//    translation unit (so the header stays the one list);
//  - a user type with `braid_codec` (found by argument-dependent lookup:
//    any declaration of that name whose second parameter is the type) or a
//    specialization of codec;
//  - an aggregate without either, whose fields are all storable: braidc
//    writes its codec (aggregateCodecText) before the first function that
//    needs it.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_LOWER_CODECS_H
#define BRAIDC_LOWER_CODECS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"

#include <set>
#include <string>

namespace braidc {

/// The codecs a translation unit declares (built once per translation unit,
/// when it has a BRAID_DURABLE function).
class CodecIndex {
public:
  explicit CodecIndex(clang::ASTContext &Ctx);

  /// braid::durable::codec, or null (the header is not included).
  const clang::ClassTemplateDecl *codecTemplate() const { return Codec; }
  /// A braid_codec function or a full specialization of codec for \p T.
  bool hasExactCodec(clang::QualType T) const;
  /// A partial specialization of codec for specializations of \p TD.
  bool hasPartialCodec(const clang::ClassTemplateDecl *TD) const;

private:
  const clang::ClassTemplateDecl *Codec = nullptr;
  std::set<const clang::Type *> BraidCodecTypes; ///< canonical
  std::set<const clang::Decl *> PartialFor;      ///< canonical class templates
};

/// The inline field function and codec specialization braidc writes for
/// the aggregate \p RD, at namespace scope (docs/durable.md "The frame
/// contract", "Aggregates").
std::string aggregateCodecText(clang::ASTContext &Ctx, const clang::CXXRecordDecl *RD);

} // namespace braidc

#endif
