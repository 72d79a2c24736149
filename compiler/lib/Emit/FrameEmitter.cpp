//===- FrameEmitter.cpp - the frame class, its unwind and its table ---------===//
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

std::string FunctionLowering::assemble() {
  const FunctionDecl *FD = F.FD;
  std::string Frame = "__braid_frame";
  std::string Gen = LineDirectives ? std::string(GeneratedLineMarker) + "\n" : "";
  std::string O = "{\n" + Gen;
  if (IsMethod)
    O += "  using __braid_self_t = decltype(this);\n";
  for (const ParmVarDecl *P : FD->parameters()) {
    const auto *TTP = P->getType().getNonReferenceType()->getAs<TemplateTypeParmType>();
    auto It = TTP ? InventedAliases.find({TTP->getDepth(), TTP->getIndex()}) : InventedAliases.end();
    if (It != InventedAliases.end() && It->second.first == "__braid_auto_" + P->getNameAsString())
      O += "  using " + It->second.first + " = " + It->second.second + ";\n";
  }
  // The body's own types, before the frame that uses them (LocalDecls.cpp).
  for (const std::string &H : HoistedText)
    O += H;
  if (!HoistedText.empty())
    O += Gen;
  O += "  struct " + Frame + " final : ::braid::detail::sp_frame<" + ResultType + "> {\n";
  O += "    using __braid_step = ::braid::detail::step;\n";
  std::string CtorParams = "const ::braid::detail::frame_table& __braid_table";
  std::string CtorInit = "::braid::detail::sp_frame<" + ResultType + ">(__braid_table)";
  std::string Args = "__braid_table";
  if (IsMethod) {
    O += "    __braid_self_t __braid_self;\n";
    CtorParams += ", __braid_self_t __braid_self_arg";
    CtorInit += ", __braid_self(__braid_self_arg)";
    Args += ", this";
  }
  // [spec.sp.params] T& stays a reference to the caller's object; const T&
  // is copied (the task may run after the caller's temporaries died); by
  // value (and T&&) is moved into the recipe, then into each frame.
  for (const ParmVarDecl *P : FD->parameters()) {
    if (!P->getIdentifier())
      continue;
    std::string N = P->getNameAsString();
    QualType T = P->getType();
    if (isForwardingReference(FD, T)) {
      std::string Ty = spell(T.getNonReferenceType());
      std::string Arg = "::braid::detail::frame_arg_t<" + Ty + ">";
      O += "    " + Ty + " " + N + ";\n";
      CtorParams += ", " + Arg + " " + N;
      CtorInit += ", " + N + "(static_cast<" + Arg + "&&>(" + N + "))";
      Args += ", ::braid::detail::frame_arg<" + Ty + ">(" + N + ")";
    } else if (T->isLValueReferenceType() && !T.getNonReferenceType().isConstQualified()) {
      std::string Ty = spell(T.getNonReferenceType());
      O += "    " + Ty + "& " + N + ";\n";
      CtorParams += ", ::std::reference_wrapper<" + Ty + "> " + N;
      CtorInit += ", " + N + "(" + N + ".get())";
      Args += ", ::std::ref(" + N + ")";
    } else {
      QualType V = T.getNonReferenceType();
      bool Const = V.isConstQualified();
      std::string Ty = spell(V.getUnqualifiedType());
      O += "    " + std::string(Const ? "const " : "") + Ty + " " + N + ";\n";
      CtorParams += ", " + Ty + " " + N;
      CtorInit += ", " + N + "(static_cast<" + Ty + "&&>(" + N + "))";
      Args += T->isLValueReferenceType() ? ", " + N : ", static_cast<" + Ty + "&&>(" + N + ")";
    }
  }
  for (const std::string &M : Members)
    O += "    " + M + "\n";
  O += "    " + Frame + "(" + CtorParams + ")\n        : " + CtorInit + " {}\n";
  O += "    ~" + Frame + "() override {}\n";
  std::vector<Partition> &Parts = E->partitions();
  for (size_t I = 0; I < Parts.size(); ++I) {
    O += Gen + "    __braid_step __braid_part_" + std::to_string(I) + "() {\n";
    O += Parts[I].Code;
    O += Gen + "    }\n";
  }
  O += Gen;
  for (size_t I = 0; I < Parts.size(); ++I)
    O += "    static __braid_step __braid_thunk_" + std::to_string(I) +
         "(::braid::detail::sp_core* f) { return static_cast<" + Frame + "*>(f)->__braid_part_" +
         std::to_string(I) + "(); }\n";
  // [spec.sp.unwind] reverse declaration order; a local belongs to region r
  // when r is one of the regions around its declaration.
  O += "    static void __braid_unwind(::braid::detail::sp_core* f, ::std::int32_t r) noexcept {\n";
  O += "      auto* self = static_cast<" + Frame + "*>(f);\n      (void)self;\n      (void)r;\n";
  for (size_t I = Kept.size(); I-- > 0;) {
    const KeptVar &V = Kept[I];
    if (!V.NeedsDestroy)
      continue;
    std::string Cond = "r < 0";
    for (int R : V.Regions)
      Cond += " || r == " + std::to_string(R);
    O += "      if (" + Cond + ") ::braid::detail::kept_destroy(self->" + V.Member +
         ", self->__braid_alive_" + V.Member + ");\n";
  }
  O += "    }\n  };\n";
  auto Quote = [](const std::string &S) {
    std::string Q = "\"";
    for (char C : S) {
      if (C == '\\' || C == '"')
        Q += '\\';
      Q += C;
    }
    return Q + "\"";
  };
  O += "  static const ::braid::detail::partition_info __braid_parts[] = {\n";
  for (size_t I = 0; I < Parts.size(); ++I) {
    std::string Live;
    for (const std::string &L : Parts[I].Live)
      Live += (Live.empty() ? "" : ", ") + L;
    O += "      {&" + Frame + "::__braid_thunk_" + std::to_string(I) + ", " +
         Quote(FunctionName + "#" + std::to_string(I)) + ", " + Quote(FileName) + ", " +
         std::to_string(Parts[I].Line) + ", " + std::to_string(Parts[I].Col) + ", " + Quote(Live) +
         ", " + std::to_string(Parts[I].Region) + "},\n";
  }
  O += "  };\n";
  const std::vector<Region> &Rs = E->regions();
  std::string RegionsRef = "nullptr";
  if (!Rs.empty()) {
    O += "  static const ::braid::detail::region_info __braid_regions[] = {\n";
    for (const Region &R : Rs)
      O += "      {" + std::to_string(R.Handler) + ", " + std::to_string(R.Parent) + "},\n";
    O += "  };\n";
    RegionsRef = "__braid_regions";
  }
  O += "  static const ::braid::detail::frame_table __braid_table = {" + Quote(FunctionName) +
       ", __braid_parts, " + std::to_string(Parts.size()) + ", " + RegionsRef + ", " +
       std::to_string(Rs.size()) + ", &" + Frame + "::__braid_unwind};\n";
  O += "  return ::braid::detail::make_sp_with_table<" + Frame + ", " + ResultType + ">(" + Args +
       ");\n}";
  return O;
}

} // namespace braidc
