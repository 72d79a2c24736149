//===- FrameEmitter.cpp - the frame class, its unwind and its table -------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Emit/FrameEmitter.h"

#include "Emit/Text.h"

#include <set>

namespace braidc {

const char *FrameEmitter::core() const { return flavourPrefix(Kind); }

std::string FrameEmitter::coreType() const {
  return std::string(flavourNamespace(Kind)) + "::" + core() + "_core";
}

// sp's are frame_table and partition_info (the names older frames use).
std::string FrameEmitter::tableType() const {
  return Kind == Flavour::Sp ? "frame_table" : std::string(core()) + "_table";
}

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
  if (Kind == Flavour::Durable)
    return emitDurable();
  const std::string C = core();
  std::string Base = "::braid::detail::" + C + "_frame<" + M.ResultType + ">";
  std::string Args;
  std::string O = frameHead(Base, "::braid::detail::" + tableType(), Args);
  O += clone();
  O += "    ~" + std::string(FrameName) + "() override {}\n";
  O += partitions();
  O += generatedLine();
  for (size_t I = 0; I < M.Partitions.size(); ++I)
    O += thunk(I);
  O += unwind();
  O += "  };\n";
  O += table();
  O += "  return ::braid::detail::make_" + C + "_with_table<" + std::string(FrameName) + ", " +
       M.ResultType + ">(" + Args + ");\n}";
  return O;
}

// The frame up to its constructor: the aliases and the body's own types
// before it (LocalDecls.cpp), the class head, the members, the constructor
// (its arguments for the recipe in \p Args).
std::string FrameEmitter::frameHead(const std::string &Base, const std::string &TableType, std::string &Args) const {
  std::string O = "{\n" + generatedLine();
  if (M.IsMethod)
    O += "  using __braid_self_t = decltype(this);\n";
  for (const std::string &A : M.Aliases)
    O += "  " + A + "\n";
  for (const std::string &H : M.Hoisted)
    O += H;
  if (!M.Hoisted.empty())
    O += generatedLine();
  O += "  struct " + std::string(FrameName) + " final : " + Base + " {\n";
  O += "    using __braid_step = ::braid::detail::step;\n";
  std::string CtorParams = "const " + TableType + "& __braid_table";
  std::string CtorInit = Base + "(__braid_table)";
  Args = "__braid_table";
  O += members(CtorParams, CtorInit, Args);
  O += "    " + std::string(FrameName) + "(" + CtorParams + ")\n        : " + CtorInit + " {}\n";
  return O;
}

// docs/ap.md "The clone function": a new frame of the same type holding
// copies of the parameters and kept entries live after the fork point the
// template stopped at (__braid_fork says which); the slot, held exceptions
// and dead locals are left as a new frame has them. A kept reference that
// points into the template points into the clone (kept_rebase).
std::string FrameEmitter::clone() const {
  if (Kind == Flavour::Sp)
    return "";
  const std::string C = core();
  std::string O = "    " + std::string(FrameName) + "(const " + FrameName + "& o)\n        : ::braid::detail::" +
                  C + "_frame<" + M.ResultType + ">(o)";
  if (M.IsMethod)
    O += ", __braid_self(o.__braid_self)";
  // Every parameter member is initialized: a copy where some fork point
  // needs it (the lowering reported those that cannot be copied), a
  // default-constructed one otherwise (a reference is always bound again).
  std::set<std::string> LiveParams;
  for (const ForkClone &F : M.Forks)
    LiveParams.insert(F.Params.begin(), F.Params.end());
  for (const FrameParam &P : M.Params)
    if (LiveParams.count(P.Name) || P.How == FrameParam::Passing::Ref ||
        P.How == FrameParam::Passing::Forwarding || P.Const)
      O += ", " + P.Name + "(o." + P.Name + ")";
  O += " {\n      this->__braid_fork = o.__braid_fork;\n      switch (o.__braid_fork) {\n";
  for (const ForkClone &F : M.Forks) {
    O += "      case " + std::to_string(F.Id) + ":\n";
    for (int K : F.Kept) {
      const KeptVar &V = M.Kept[K];
      if (V.Dropped)
        continue;
      if (V.Pointer) {
        O += "        this->" + V.Member + " = ::braid::detail::kept_rebase(o." + V.Member + ", o, *this);\n";
        continue;
      }
      std::string Make = "::new (::braid::detail::kept_storage(this->" + V.Member + ")) " + V.Type +
                         "(o." + V.Member + ");";
      if (V.NeedsDestroy)
        O += "        if (o.__braid_alive_" + V.Member + ") { " + Make + " this->__braid_alive_" + V.Member +
             " = true; }\n";
      else
        O += "        " + Make + "\n";
    }
    O += "        break;\n";
  }
  O += "      }\n    }\n";
  O += "    ::braid::detail::" + C + "_core* clone() const override { return new " + FrameName +
       "(*this); }\n";
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
  // Which fork point the template stopped at (its clone copies what is
  // live there).
  if (Kind == Flavour::Ap || Kind == Flavour::Cp)
    O += "    int __braid_fork = -1;\n";
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
      O += "    union { " + V.Type + " " + V.Member + (V.ValueInit ? "{}" : "") + "; };\n";
    if (V.NeedsDestroy)
      O += "    bool __braid_alive_" + V.Member + " = false;\n";
  }
  return O;
}

std::string FrameEmitter::thunk(size_t I) const {
  return "    static __braid_step __braid_thunk_" + std::to_string(I) + "(" + coreType() +
         "* f) { return static_cast<" + FrameName + "*>(f)->__braid_part_" + std::to_string(I) + "(); }\n";
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
  std::string O = "    static void __braid_unwind(" + coreType() + "* f, ::std::int32_t r) noexcept {\n";
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

// The try regions' table (to \p O, at \p Indent), if any: its name, or nullptr.
std::string FrameEmitter::regionsTable(const std::string &Indent, std::string &O) const {
  if (M.Regions.empty())
    return "nullptr";
  O += Indent + "static const ::braid::detail::region_info __braid_regions[] = {\n";
  for (const Region &R : M.Regions)
    O += Indent + "    {" + std::to_string(R.Handler) + ", " + std::to_string(R.Parent) + "},\n";
  O += Indent + "};\n";
  return "__braid_regions";
}

std::string FrameEmitter::table() const {
  const std::string C = core();
  std::string Info = Kind == Flavour::Sp ? "partition_info" : C + "_partition_info";
  std::string Table = tableType();
  std::string O = "  static const ::braid::detail::" + Info + " __braid_parts[] = {\n";
  for (size_t I = 0; I < M.Partitions.size(); ++I) {
    const Partition &P = M.Partitions[I];
    O += "      {&" + std::string(FrameName) + "::__braid_thunk_" + std::to_string(I) + ", " +
         cppQuote(M.FunctionName + "#" + std::to_string(I)) + ", " + cppQuote(M.FileName) + ", " +
         std::to_string(P.Line) + ", " + std::to_string(P.Col) + ", " + cppQuote(commaJoined(P.Live)) +
         ", " + std::to_string(P.Region) + "},\n";
  }
  O += "  };\n";
  std::string RegionsRef = regionsTable("  ", O);
  O += "  static const ::braid::detail::" + Table + " __braid_table = {" + cppQuote(M.FunctionName) +
       ", __braid_parts, " + std::to_string(M.Partitions.size()) + ", " + RegionsRef + ", " +
       std::to_string(M.Regions.size()) + ", &" + FrameName + "::__braid_unwind};\n";
  return O;
}

} // namespace braidc
