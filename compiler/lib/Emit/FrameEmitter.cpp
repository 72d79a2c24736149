//===- FrameEmitter.cpp - the frame class, its unwind and its table -------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Emit/FrameEmitter.h"

namespace braidc {

namespace {

const char *const FrameName = "__braid_frame";

std::string cppQuote(const std::string &S) {
  std::string Q = "\"";
  for (char C : S) {
    if (C == '\\' || C == '"')
      Q += '\\';
    Q += C;
  }
  return Q + "\"";
}

std::string commaJoined(const std::vector<std::string> &V) {
  std::string Out;
  for (const std::string &S : V)
    Out += (Out.empty() ? "" : ", ") + S;
  return Out;
}

} // namespace

std::string FrameEmitter::generatedLine() const {
  if (!LineDirectives)
    return "";
  std::string Line = GeneratedLineMarker;
  Line += '\n';
  return Line;
}

std::string FrameEmitter::sourceLine(unsigned Line) const {
  if (!LineDirectives)
    return "";
  std::string Escaped;
  for (char C : M.FileName) {
    if (C == '\\' || C == '"')
      Escaped += '\\';
    Escaped += C;
  }
  return "#line " + std::to_string(Line) + " \"" + Escaped + "\"\n";
}

std::string FrameEmitter::emit() const {
  std::string Base = "::braid::detail::sp_frame<" + M.ResultType + ">";
  std::string O = "{\n" + generatedLine();
  if (M.IsMethod)
    O += "  using __braid_self_t = decltype(this);\n";
  for (const std::string &A : M.Aliases)
    O += "  " + A + "\n";
  // The body's own types, before the frame that uses them (LocalDecls.cpp).
  for (const std::string &H : M.Hoisted)
    O += H;
  if (!M.Hoisted.empty())
    O += generatedLine();
  O += "  struct " + std::string(FrameName) + " final : " + Base + " {\n";
  O += "    using __braid_step = ::braid::detail::step;\n";
  std::string CtorParams = "const ::braid::detail::frame_table& __braid_table";
  std::string CtorInit = Base + "(__braid_table)";
  std::string Args = "__braid_table";
  O += members(CtorParams, CtorInit, Args);
  O += "    " + std::string(FrameName) + "(" + CtorParams + ")\n        : " + CtorInit + " {}\n";
  O += "    ~" + std::string(FrameName) + "() override {}\n";
  O += partitions();
  O += generatedLine();
  for (size_t I = 0; I < M.Partitions.size(); ++I)
    O += "    static __braid_step __braid_thunk_" + std::to_string(I) +
         "(::braid::detail::sp_core* f) { return static_cast<" + FrameName + "*>(f)->__braid_part_" +
         std::to_string(I) + "(); }\n";
  O += unwind();
  O += "  };\n";
  O += table();
  O += "  return ::braid::detail::make_sp_with_table<" + std::string(FrameName) + ", " +
       M.ResultType + ">(" + Args + ");\n}";
  return O;
}

// [spec.sp.params] T& stays a reference to the caller's object; const T& is
// copied (the task may run after the caller's temporaries died); by value
// (and T&&) is moved into the recipe, then into each frame; a template's
// forwarding reference follows what T is deduced to.
std::string FrameEmitter::members(std::string &CtorParams, std::string &CtorInit,
                                  std::string &Args) const {
  std::string O;
  if (M.IsMethod) {
    O += "    __braid_self_t __braid_self;\n";
    CtorParams += ", __braid_self_t __braid_self_arg";
    CtorInit += ", __braid_self(__braid_self_arg)";
    Args += ", this";
  }
  for (const FrameParam &P : M.Params) {
    const std::string &N = P.Name, &Ty = P.Type;
    switch (P.How) {
    case FrameParam::Passing::Forwarding: {
      std::string Arg = "::braid::detail::frame_arg_t<" + Ty + ">";
      O += "    " + Ty + " " + N + ";\n";
      CtorParams += ", " + Arg + " " + N;
      CtorInit += ", " + N + "(static_cast<" + Arg + "&&>(" + N + "))";
      Args += ", ::braid::detail::frame_arg<" + Ty + ">(" + N + ")";
      break;
    }
    case FrameParam::Passing::Ref:
      O += "    " + Ty + "& " + N + ";\n";
      CtorParams += ", ::std::reference_wrapper<" + Ty + "> " + N;
      CtorInit += ", " + N + "(" + N + ".get())";
      Args += ", ::std::ref(" + N + ")";
      break;
    case FrameParam::Passing::ConstRef:
    case FrameParam::Passing::Value:
      O += "    " + std::string(P.Const ? "const " : "") + Ty + " " + N + ";\n";
      CtorParams += ", " + Ty + " " + N;
      CtorInit += ", " + N + "(static_cast<" + Ty + "&&>(" + N + "))";
      Args += P.How == FrameParam::Passing::ConstRef ? ", " + N : ", static_cast<" + Ty + "&&>(" + N + ")";
      break;
    }
  }
  // Kept locals live in anonymous unions (constructed and destroyed by the
  // partitions), with an alive flag when they have a destructor to run.
  for (const FrameMember &Mem : M.Members) {
    if (Mem.IsSlot) {
      const FrameSlot &S = M.Slots[Mem.Index];
      O += "    ::braid::detail::slot<" + S.ValueType + "> " + S.Name + ";\n";
      continue;
    }
    const KeptVar &V = M.Kept[Mem.Index];
    if (V.Dropped)
      continue;
    if (!V.Declarator.empty() && V.Pointer)
      O += "    " + V.Declarator + " = nullptr;\n";
    else if (!V.Declarator.empty())
      O += "    union { " + V.Declarator + "; };\n";
    else if (V.Pointer)
      O += "    " + V.Type + "* " + V.Member + " = nullptr;\n";
    else
      O += "    union { " + V.Type + " " + V.Member + "; };\n";
    if (V.NeedsDestroy)
      O += "    bool __braid_alive_" + V.Member + " = false;\n";
  }
  return O;
}

// One member function per partition, each after a comment saying what it
// is: its kind, where it starts, its try region, the kept locals in scope.
std::string FrameEmitter::partitions() const {
  std::string O;
  for (size_t I = 0; I < M.Partitions.size(); ++I) {
    const Partition &P = M.Partitions[I];
    O += "    // #" + std::to_string(I) + " " + P.Kind + " at line " + std::to_string(P.Line);
    if (P.Region >= 0)
      O += ", region " + std::to_string(P.Region);
    if (!P.Live.empty())
      O += ", kept: " + commaJoined(P.Live);
    O += "\n" + sourceLine(P.Line);
    O += "    __braid_step __braid_part_" + std::to_string(I) + "() {\n" + P.Code + "    }\n";
  }
  return O;
}

// [spec.sp.unwind] reverse declaration order; a local belongs to region r
// when r is one of the regions around its declaration (r < 0: the whole
// frame).
std::string FrameEmitter::unwind() const {
  std::string O =
      "    static void __braid_unwind(::braid::detail::sp_core* f, ::std::int32_t r) noexcept {\n";
  O += "      auto* self = static_cast<" + std::string(FrameName) + "*>(f);\n      (void)self;\n      (void)r;\n";
  for (size_t I = M.Kept.size(); I-- > 0;) {
    const KeptVar &V = M.Kept[I];
    if (!V.NeedsDestroy || V.Dropped)
      continue;
    std::string Cond = "r < 0";
    for (int R : V.Regions)
      Cond += " || r == " + std::to_string(R);
    O += "      if (" + Cond + ") ::braid::detail::kept_destroy(self->" + V.Member +
         ", self->__braid_alive_" + V.Member + ");\n";
  }
  return O + "    }\n";
}

std::string FrameEmitter::table() const {
  std::string O = "  static const ::braid::detail::partition_info __braid_parts[] = {\n";
  for (size_t I = 0; I < M.Partitions.size(); ++I) {
    const Partition &P = M.Partitions[I];
    O += "      {&" + std::string(FrameName) + "::__braid_thunk_" + std::to_string(I) + ", " +
         cppQuote(M.FunctionName + "#" + std::to_string(I)) + ", " + cppQuote(M.FileName) + ", " +
         std::to_string(P.Line) + ", " + std::to_string(P.Col) + ", " + cppQuote(commaJoined(P.Live)) +
         ", " + std::to_string(P.Region) + "},\n";
  }
  O += "  };\n";
  std::string RegionsRef = "nullptr";
  if (!M.Regions.empty()) {
    O += "  static const ::braid::detail::region_info __braid_regions[] = {\n";
    for (const Region &R : M.Regions)
      O += "      {" + std::to_string(R.Handler) + ", " + std::to_string(R.Parent) + "},\n";
    O += "  };\n";
    RegionsRef = "__braid_regions";
  }
  O += "  static const ::braid::detail::frame_table __braid_table = {" + cppQuote(M.FunctionName) +
       ", __braid_parts, " + std::to_string(M.Partitions.size()) + ", " + RegionsRef + ", " +
       std::to_string(M.Regions.size()) + ", &" + FrameName + "::__braid_unwind};\n";
  return O;
}

} // namespace braidc
