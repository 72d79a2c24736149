//===- DurableFrame.cpp - BRAID_DURABLE frames: encode, decode, hashes ----===//
//
// SPDX-License-Identifier: MIT
//
// docs/durable.md "The frame contract": a durable frame is an sp frame
// (partitions, kept locals, slots, regions, unwind) whose table is a static
// local of the frame's own `__braid_table()`, with per partition a hash
// and, where the run is stored, a resume site; `__braid_encode` and
// `__braid_decode` write and read the parameters and the kept entries live
// at the stored partition, by name. The function returns `make_run`.
//
//===----------------------------------------------------------------------===//
#include "Emit/FrameEmitter.h"

#include "Emit/Text.h"

#include <cctype>
#include <cstdio>
#include <map>

namespace braidc {

namespace {

const char *const DurableNs = "::braid::durable::detail::";

/// FNV-1a, 64 bits: the hashes are a function of the text alone, the same
/// on every machine and compiler.
struct Fnv {
  std::uint64_t H = 0xcbf29ce484222325ull;
  Fnv &add(std::string_view S) {
    for (unsigned char C : S) {
      H ^= C;
      H *= 0x100000001b3ull;
    }
    H ^= 0xff; // a separator no text contains, so ("ab","c") != ("a","bc")
    H *= 0x100000001b3ull;
    return *this;
  }
};

bool identChar(char C) { return std::isalnum(static_cast<unsigned char>(C)) || C == '_'; }

/// \p Code as tokens: without `#line` lines, comments and the whitespace
/// that does not separate two tokens (docs/durable.md "Versioning": comments
/// and formatting keep a partition's hash). String and character literals
/// are kept as written.
std::string normalizedCode(const std::string &Code) {
  std::string Out;
  size_t I = 0, N = Code.size();
  bool PendingSpace = false;
  auto Put = [&](char C) {
    if (PendingSpace && !Out.empty()) {
      char P = Out.back();
      bool Glue = (identChar(P) && identChar(C)) ||
                  (!identChar(P) && !identChar(C) && std::string_view("()[]{};,").find(P) == std::string_view::npos &&
                   std::string_view("()[]{};,").find(C) == std::string_view::npos);
      if (Glue)
        Out += ' ';
    }
    PendingSpace = false;
    Out += C;
  };
  bool LineStart = true;
  while (I < N) {
    char C = Code[I];
    if (LineStart) {
      size_t J = I;
      while (J < N && (Code[J] == ' ' || Code[J] == '\t'))
        ++J;
      if (J < N && Code[J] == '#') { // #line (the only directive braidc writes in a partition)
        while (J < N && Code[J] != '\n')
          ++J;
        I = J;
        PendingSpace = true;
        continue;
      }
      LineStart = false;
    }
    if (C == '\n') {
      LineStart = true;
      PendingSpace = true;
      ++I;
      continue;
    }
    if (C == ' ' || C == '\t' || C == '\r' || C == '\f' || C == '\v') {
      PendingSpace = true;
      ++I;
      continue;
    }
    if (C == '/' && I + 1 < N && Code[I + 1] == '/') {
      while (I < N && Code[I] != '\n')
        ++I;
      continue;
    }
    if (C == '/' && I + 1 < N && Code[I + 1] == '*') {
      size_t E = Code.find("*/", I + 2);
      I = E == std::string::npos ? N : E + 2;
      PendingSpace = true;
      continue;
    }
    if (C == 'R' && I + 1 < N && Code[I + 1] == '"' && (I == 0 || !identChar(Code[I - 1]) || Code[I - 1] == 'u' ||
                                                          Code[I - 1] == 'U' || Code[I - 1] == 'L' || Code[I - 1] == '8')) {
      size_t Open = Code.find('(', I + 2);
      if (Open != std::string::npos) {
        std::string End = ")" + Code.substr(I + 2, Open - I - 2) + "\"";
        size_t E = Code.find(End, Open + 1);
        size_t Stop = E == std::string::npos ? N : E + End.size();
        Put(C);
        Out.append(Code, I + 1, Stop - I - 1);
        I = Stop;
        continue;
      }
    }
    if (C == '"' || (C == '\'' && !(I > 0 && std::isxdigit(static_cast<unsigned char>(Code[I - 1])) &&
                                    I + 1 < N && std::isxdigit(static_cast<unsigned char>(Code[I + 1]))))) {
      // A literal (a digit separator 1'000 is not one).
      Put(C);
      size_t J = I + 1;
      while (J < N && Code[J] != C && Code[J] != '\n') {
        if (Code[J] == '\\' && J + 1 < N)
          ++J;
        ++J;
      }
      Out.append(Code, I + 1, std::min(J + 1, N) - I - 1);
      I = std::min(J + 1, N);
      continue;
    }
    Put(C);
    ++I;
  }
  return Out;
}

std::string hex64(std::uint64_t V) {
  char Buf[32];
  std::snprintf(Buf, sizeof Buf, "0x%016llxull", static_cast<unsigned long long>(V));
  return Buf;
}

} // namespace

std::vector<std::string> FrameEmitter::storedNames(const DurableResume &D) const {
  // A local's source name, unless two live entries (or a parameter) share
  // it (shadowing blocks): then braidc's member name, which is unique.
  std::map<std::string, int> Count;
  for (const FrameParam &P : M.Params)
    ++Count[P.Name];
  for (int K : D.Kept)
    ++Count[M.Kept[K].SourceName.empty() ? M.Kept[K].Member : M.Kept[K].SourceName];
  std::vector<std::string> Out;
  for (int K : D.Kept) {
    const KeptVar &V = M.Kept[K];
    std::string N = V.SourceName.empty() ? V.Member : V.SourceName;
    Out.push_back(Count[N] > 1 ? V.Member : N);
  }
  return Out;
}

std::uint64_t FrameEmitter::signatureHash() const {
  Fnv H;
  H.add("braid-durable-signature-1").add(M.FunctionName).add(M.ResultType);
  for (const FrameParam &P : M.Params)
    H.add(P.Name).add(P.Type).add(P.Const ? "const" : "");
  return H.H;
}

// docs/durable.md "Versioning": the partition's code as tokens; the name
// and spelled type of every parameter and of every kept entry live there;
// where the run is stored, the resume kind, its value type and what encode
// writes.
std::uint64_t FrameEmitter::partitionHash(size_t I) const {
  const Partition &P = M.Partitions[I];
  Fnv H;
  H.add("braid-durable-partition-1").add(M.FunctionName + "#" + std::to_string(I)).add(normalizedCode(P.Code));
  H.add(std::to_string(P.Region));
  for (const FrameParam &Q : M.Params)
    H.add(Q.Name).add(Q.Type);
  for (int K : P.LiveIn) {
    const KeptVar &V = M.Kept[K];
    if (!V.Dropped)
      H.add(V.SourceName.empty() ? V.Member : V.SourceName).add(V.Type).add(V.Pointer ? "&" : "");
  }
  for (const DurableResume &D : M.Durable)
    if (D.Partition == static_cast<int>(I)) {
      H.add(D.Site).add(D.ValueType);
      for (const std::string &N : storedNames(D))
        H.add(N);
    }
  return H.H;
}

std::string FrameEmitter::emitDurable() const {
  const std::string Base = std::string(DurableNs) + "durable_frame<" + M.ResultType + ">";
  std::string Args;
  std::string O = frameHead(Base, std::string(DurableNs) + "durable_table", Args);
  O += "    ~" + std::string(FrameName) + "() override {}\n";
  O += partitions();
  O += generatedLine();
  for (size_t I = 0; I < M.Partitions.size(); ++I)
    O += thunk(I);
  O += unwind();
  O += durableEncode();
  O += durableDecode();
  O += durableTable();
  O += "  };\n";
  std::vector<std::string> Names;
  for (const FrameParam &P : M.Params)
    Names.push_back(P.Name);
  O += "  return " + std::string(DurableNs) + "make_run<" + FrameName + ", " + M.ResultType + ">(" +
       commaJoined(Names) + ");\n}";
  return O;
}

std::string FrameEmitter::durableEncode() const {
  std::string O = "    static void __braid_encode(const " + coreType() + "* __braid_f, " + DurableNs +
                  "frame_writer& __braid_w) {\n";
  O += "      auto* __braid_self = static_cast<const " + std::string(FrameName) + "*>(__braid_f);\n";
  O += "      (void)__braid_self;\n      (void)__braid_w;\n";
  for (const FrameParam &P : M.Params)
    O += "      __braid_w.param(" + cppQuote(P.Name) + ", __braid_self->" + P.Name + ");\n";
  if (!M.Durable.empty())
    O += storedSwitch("__braid_self->state()", "__braid_w");
  return O + "    }\n";
}

// The same calls on the writer and on the reader: for the partition the
// frame is stored at, each kept entry live there, by name.
std::string FrameEmitter::storedSwitch(const std::string &State, const std::string &Obj) const {
  std::string O = "      switch (" + State + ") {\n";
  for (const DurableResume &D : M.Durable) {
    O += "      case " + std::to_string(D.Partition) + ":\n";
    std::vector<std::string> Names = storedNames(D);
    for (size_t I = 0; I < D.Kept.size(); ++I) {
      const KeptVar &V = M.Kept[D.Kept[I]];
      if (V.Pointer) {
        O += "        " + Obj + ".local_ref(" + cppQuote(Names[I]) + ", *__braid_self, __braid_self->" + V.Member + ");\n";
        continue;
      }
      O += "        " + Obj + ".local(" + cppQuote(Names[I]) + ", __braid_self->" + V.Member;
      if (V.NeedsDestroy)
        O += ", __braid_self->__braid_alive_" + V.Member;
      O += ");\n";
    }
    O += "        break;\n";
  }
  return O + "      default:\n        break;\n      }\n";
}

std::string FrameEmitter::durableDecode() const {
  std::string O = "    static " + coreType() + "* __braid_decode(const " + DurableNs + "durable_table& __braid_t, " +
                  DurableNs + "frame_reader& __braid_r) {\n";
  std::string New = "new " + std::string(FrameName) + "(__braid_t";
  for (const FrameParam &P : M.Params)
    New += ", __braid_r.param<" + P.Type + ">(" + cppQuote(P.Name) + ")";
  New += ")";
  if (M.Durable.empty())
    return O + "      (void)__braid_r;\n      return " + New + ";\n    }\n";
  O += "      auto* __braid_self = " + New + ";\n";
  O += "      " + std::string(DurableNs) + "decode_guard __braid_g(__braid_self);\n";
  O += storedSwitch("__braid_r.state()", "__braid_r");
  O += "      __braid_g.release();\n      return __braid_self;\n    }\n";
  return O;
}

std::string FrameEmitter::durableTable() const {
  std::string O = "    static const " + std::string(DurableNs) + "durable_table& __braid_table() {\n";
  O += "      static const " + std::string(DurableNs) + "durable_partition_info __braid_parts[] = {\n";
  for (size_t I = 0; I < M.Partitions.size(); ++I) {
    const Partition &P = M.Partitions[I];
    std::string Site = "nullptr";
    for (const DurableResume &D : M.Durable)
      if (D.Partition == static_cast<int>(I))
        Site = "&" + std::string(DurableNs) + D.Site + "<" + FrameName + ", " + D.ValueType + ", &" + FrameName +
               "::" + D.Slot + ">";
    O += "          {&" + std::string(FrameName) + "::__braid_thunk_" + std::to_string(I) + ", " +
         cppQuote(M.FunctionName + "#" + std::to_string(I)) + ", " + cppQuote(M.FileName) + ", " +
         std::to_string(P.Line) + ", " + std::to_string(P.Col) + ", " + cppQuote(commaJoined(P.Live)) + ", " +
         std::to_string(P.Region) + ", " + hex64(partitionHash(I)) + ", " + Site + "},\n";
  }
  O += "      };\n";
  std::string RegionsRef = regionsTable("      ", O);
  std::string Make = "&" + std::string(DurableNs) + "make_frame<" + FrameName;
  for (const FrameParam &P : M.Params)
    Make += ", " + P.Type;
  Make += ">";
  O += "      static const " + std::string(DurableNs) + "durable_table __braid_t = {\n          " +
       cppQuote(M.FunctionName) + ", __braid_parts, " + std::to_string(M.Partitions.size()) + ", " + RegionsRef +
       ", " + std::to_string(M.Regions.size()) + ",\n          &" + FrameName + "::__braid_unwind, &" + FrameName +
       "::__braid_encode, &" + FrameName + "::__braid_decode,\n          " + Make + ", " + hex64(signatureHash()) +
       ",\n          &::braid::durable::codec<::braid::detail::stored_t<" + M.ResultType + ">>::name};\n";
  O += "      return __braid_t;\n    }\n";
  return O;
}

} // namespace braidc
